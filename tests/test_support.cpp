#include "test_support.hpp"

#include "nac/error.hpp"

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

#include "nac/run/plugin_loader.hpp"

namespace nac::test {

Registry& build_plugins() {
  static Registry registry;
  static PluginLoader loader(registry);
  if (loader.plugins().empty()) loader.load_directory(NAC_PLUGIN_DIR);
  return registry;
}

namespace fs = std::filesystem;

TempDir::TempDir(const std::string& tag) {
  static std::atomic<int> counter{0};
  path_ = fs::temp_directory_path() /
          ("nac_test_" + tag + "_" + std::to_string(getpid()) + "_" + std::to_string(counter++));
  fs::remove_all(path_);
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

std::string nac_command(const std::string& args) { return std::string("'") + NAC_EXE + "' " + args; }
CommandResult run_nac(const std::string& args) { return run_command(nac_command(args)); }

CommandResult run_command(const std::string& command) {
  TempDir tmp("cmd");
  const fs::path out = tmp.path() / "out", err = tmp.path() / "err";
  const std::string cmd = command + " >'" + out.string() + "' 2>'" + err.string() + "'";
  const int status = std::system(cmd.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

std::vector<nlohmann::json> read_json_lines(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::vector<nlohmann::json> out;
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

std::vector<std::string> told_trials(const std::filesystem::path& out) {
  std::vector<std::string> v;
  for (auto j : read_json_lines(out / "trials.jsonl")) {
    j.erase("seconds");
    j.erase("metrics");  // (the test functions' metrics are the objectives)
    v.push_back(j.dump());
  }
  return v;
}

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

NumberType fx(int w, int i, Rounding r, Overflow o, bool is_signed) { return NumberType::fixed(w, i, is_signed, r, o); }

}  // namespace nac::test
