#pragma once
// The one exception type nac throws for bad user input: a config value, a data file, a plugin
// library. Its message is complete and says where (file:line:col and key, or a file path).
#include <stdexcept>
#include <string>
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
  ~Error() override;  // defined in the core library: one type identity for every plugin
};

/// A file nac must write could not be written (disk full, quota, permissions): a fault of the
/// machine, not of the trial being evaluated. The runner stops the search on it, keeping every
/// finished trial, instead of recording the trial as failed.
class WriteError : public Error {
 public:
  explicit WriteError(const std::string& message) : Error(message) {}
  ~WriteError() override;
};

}  // namespace nac
NAC_PUBLIC_END
