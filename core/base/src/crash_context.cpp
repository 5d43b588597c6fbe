#include "nac/detail/crash_context.hpp"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>

namespace nac::detail {

namespace {

// A fixed buffer per thread: the handler reads it without allocating.
constexpr std::size_t kSize = 1024;
thread_local char context[kSize] = {};

void set(const std::string& text) {
  const std::size_t n = std::min(text.size(), kSize - 1);
  std::memcpy(context, text.data(), n);
  context[n] = '\0';
}

void append(char* buf, std::size_t& n, std::size_t cap, const char* s) {
  while (*s && n + 1 < cap) buf[n++] = *s++;
}

// One write of the whole line (threads that fault at once do not interleave their words).
void last_words(const char* what) {
  char line[2 * kSize];
  std::size_t n = 0;
  append(line, n, sizeof line, "\nnac: fatal: ");
  append(line, n, sizeof line, what);
  if (context[0]) {
    append(line, n, sizeof line, " while ");
    append(line, n, sizeof line, context);
  }
  append(line, n, sizeof line, "\n");
  const char* p = line;
  while (n > 0) {
    const ssize_t w = ::write(STDERR_FILENO, p, n);
    if (w <= 0) return;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

struct Fatal {
  int signal;
  const char* text;
  struct sigaction previous;
};
Fatal fatal[] = {{SIGSEGV, "signal SIGSEGV (invalid memory access)", {}},
                 {SIGBUS, "signal SIGBUS (bus error)", {}},
                 {SIGFPE, "signal SIGFPE (arithmetic error)", {}},
                 {SIGILL, "signal SIGILL (illegal instruction)", {}},
                 {SIGABRT, "signal SIGABRT (aborted)", {}}};
bool terminating = false;  // the terminate handler spoke already

void on_fatal(int sig, siginfo_t* info, void*) {
  for (auto& f : fatal) {
    if (f.signal != sig) continue;
    if (!(sig == SIGABRT && terminating)) last_words(f.text);
    ::sigaction(sig, &f.previous, nullptr);
    // A fault of the code re-executes and meets the previous handler; anything else is raised again.
    if (sig == SIGABRT || !info || info->si_code <= 0) ::raise(sig);
    return;
  }
}

void on_terminate() {
  terminating = true;
  const char* what = "an exception that nothing caught (std::terminate)";
  std::string text;
  if (const auto e = std::current_exception()) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      text = std::string("an exception that nothing caught: ") + x.what();
      what = text.c_str();
    } catch (...) {
      what = "a non-standard exception that nothing caught";
    }
  }
  last_words(what);
  std::abort();
}

}  // namespace

CrashContext::CrashContext(const std::string& what) : previous_(context) { set(what); }
CrashContext::~CrashContext() { set(previous_); }

std::string crash_context() { return context; }

void install_crash_handlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    // A stack of its own for the handler of this (the main) thread: a stack overflow is a SIGSEGV
    // too, and its handler cannot run on the stack that overflowed.
    static char alternate[64 * 1024];
    stack_t ss{};
    ss.ss_sp = alternate;
    ss.ss_size = sizeof alternate;
    ::sigaltstack(&ss, nullptr);
    for (auto& f : fatal) {
      struct sigaction a {};
      a.sa_sigaction = on_fatal;
      a.sa_flags = SA_SIGINFO | SA_ONSTACK;
      sigemptyset(&a.sa_mask);
      ::sigaction(f.signal, &a, &f.previous);
    }
    std::set_terminate(on_terminate);
  });
}

}  // namespace nac::detail
