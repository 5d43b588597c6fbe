#pragma once
// What this thread is doing in plugin code, for the fatal-signal handler: a plugin that
// dereferences NULL (or lets an exception escape where nothing can catch it, as a static
// initialiser does inside dlopen) still takes the process down, but its last words name the
// plugin library and what it was asked to do.
#include <string>

#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac::detail {

/// Sets this thread's context for as long as it lives (then the one before it is back).
class CrashContext {
 public:
  explicit CrashContext(const std::string& what);
  ~CrashContext();
  CrashContext(const CrashContext&) = delete;
  CrashContext& operator=(const CrashContext&) = delete;

 private:
  std::string previous_;
};

/// This thread's context ("" when none).
std::string crash_context();

/// Installs, once per process, handlers of SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGABRT and a
/// std::terminate handler that print "nac: fatal ... while CONTEXT" on stderr, then let the
/// signal take its course (the handler that was there before, e.g. a sanitizer's, or the default).
void install_crash_handlers();

}  // namespace nac::detail
NAC_PUBLIC_END
