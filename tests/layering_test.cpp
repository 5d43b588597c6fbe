// The layers seen from outside: what nac's libraries export and what the strategy and objective
// plugins link (the include side is proved by the build: tests/layering/).
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <sstream>

#include <doctest/doctest.h>

#include "test_support.hpp"

namespace fs = std::filesystem;
using nac::test::run_command;

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// The NEEDED entries of a shared object's dynamic section.
std::vector<std::string> needed(const fs::path& file) {
  const auto r = run_command("readelf -d '" + file.string() + "'");
  REQUIRE(r.exit_code == 0);
  std::vector<std::string> out;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);)
    if (line.find("(NEEDED)") != std::string::npos) {
      const auto a = line.find('['), b = line.find(']');
      if (a != std::string::npos && b != std::string::npos) out.push_back(line.substr(a + 1, b - a - 1));
    }
  return out;
}

bool has_prefix(const std::vector<std::string>& libs, const std::string& prefix) {
  return std::any_of(libs.begin(), libs.end(), [&](const std::string& l) { return l.rfind(prefix, 0) == 0; });
}

}  // namespace

TEST_CASE("nac's libraries export their own API and no oneDNN symbol") {
  int libraries = 0;
  for (const auto& e : fs::directory_iterator(NAC_LIB_DIR)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("libnac_", 0) != 0 || e.path().extension() != ".so") continue;
    CAPTURE(name);
    ++libraries;
    const auto r = run_command("nm -D --defined-only '" + e.path().string() + "'");
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("_ZN3nac") != std::string::npos);  // the control: nac's API is there
    CHECK(lower(r.out).find("dnnl") == std::string::npos);
    CHECK(lower(r.out).find("gomp") == std::string::npos);
    CHECK(r.out.find("H5") == std::string::npos);
  }
  CHECK(libraries == 4);  // base, nn, data, core
  // The engine does use oneDNN: its imports name it (so the check above could see such symbols).
  const auto nn = run_command(std::string("nm -D --undefined-only '") + NAC_LIB_DIR + "/libnac_nn.so'");
  CHECK(lower(nn.out).find("dnnl") != std::string::npos);
}

TEST_CASE("strategy and objective plugins link the search core, not the engine or the data files") {
  const fs::path plugins = NAC_PLUGIN_DIR;
  for (const char* file : {"nac_random.so", "nac_nsga2.so", "nac_tpe.so", "nac_grid.so", "nac_cost_objectives.so"}) {
    CAPTURE(file);
    const auto libs = needed(plugins / file);
    CHECK(has_prefix(libs, "libnac_core.so"));
    CHECK_FALSE(has_prefix(libs, "libnac_nn.so"));
    CHECK_FALSE(has_prefix(libs, "libnac_data.so"));
    CHECK_FALSE(has_prefix(libs, "libdnnl"));
  }
  // The control: the Bragg task, a dataset task, does link the engine and the data files.
  const auto bragg = needed(plugins / "nac_bragg.so");
  CHECK(has_prefix(bragg, "libnac_nn.so"));
  CHECK(has_prefix(bragg, "libnac_data.so"));
}
