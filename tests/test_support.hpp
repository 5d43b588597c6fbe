#pragma once
// Helpers shared by the test suites: temporary folders, running the nac program, files.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nac/precision.hpp"

namespace nac {
class Registry;
}

namespace nac::test {

/// A registry with the build's plugins loaded (once per test process).
Registry& build_plugins();

/// A fresh, empty folder under the system's temp folder, removed when the object dies.
class TempDir {
 public:
  explicit TempDir(const std::string& tag);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

/// Runs the nac program with the given arguments (a shell-quoted string).
CommandResult run_nac(const std::string& args);
/// The shell command that runs nac with `args` (for wrapping, e.g. in timeout).
std::string nac_command(const std::string& args);
/// Runs a shell command line, capturing its output.
CommandResult run_command(const std::string& command);

std::string read_file(const std::filesystem::path& file);
/// The message of the nac::Error that `f` throws, or "no error".
std::string error_of(const std::function<void()>& f);
/// The JSON values of a JSON Lines file (trials.jsonl, journal.jsonl), one per line.
std::vector<nlohmann::json> read_json_lines(const std::filesystem::path& file);
/// A run folder's trials as told, one JSON text each: id, status, parameters and objectives
/// (not the seconds they took), in trials.jsonl's order.
std::vector<std::string> told_trials(const std::filesystem::path& out);
void write_file(const std::filesystem::path& file, const std::string& text);
/// A path in single quotes, for a command line.
std::string q(const std::filesystem::path& p);
/// The folder of the test fixtures (tests/fixtures).
inline const std::string fixtures = NAC_FIXTURE_DIR;
/// A signed fixed-point type (ap_fixed<w, i> with its modes).
NumberType fx(int w, int i, Rounding r = Rounding::Trn, Overflow o = Overflow::Wrap, bool is_signed = true);

}  // namespace nac::test
