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

}  // namespace nac
NAC_PUBLIC_END
