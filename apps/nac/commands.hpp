#pragma once
// The subcommands of the `nac` program. Each returns the process exit code and throws nac::Error
// for user errors (main prints them).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace nac::cli {

struct CommonOptions {
  std::vector<std::string> plugin_dirs;  // --plugin-dir, searched after the default folders
};

struct RunArgs {
  std::string experiment;
  std::optional<std::string> out;
  std::optional<std::uint64_t> seed;
  bool quiet = false;
};

int run(const CommonOptions& common, const RunArgs& args);
int validate(const CommonOptions& common, const std::string& experiment);
int plugins(const CommonOptions& common);

}  // namespace nac::cli
