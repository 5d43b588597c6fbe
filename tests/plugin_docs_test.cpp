// The complete plugins of docs/plugins.md, extracted and built by tests/CMakeLists.txt into
// fixtures/docs/: each loads, and does what the guide says.
#include <filesystem>

#include <doctest/doctest.h>

#include "nac/backend.hpp"
#include "nac/run/plugin_loader.hpp"
#include "test_support.hpp"

using namespace nac;
namespace fs = std::filesystem;

TEST_CASE("docs/plugins.md: the layer_report backend writes each layer's costs") {
  Registry registry;
  PluginLoader loader(registry);
  loader.load_directory(fs::path(NAC_FIXTURE_DIR) / "docs");
  REQUIRE(registry.contains(PluginKind::Backend, "layer_report"));
  REQUIRE(registry.entry(PluginKind::Backend, "layer_report")->settings.size() == 1);
  CHECK(registry.entry(PluginKind::Backend, "layer_report")->settings[0].fallback == "\"layers.csv\"");

  ModelSpec spec;
  spec.input = {16};
  append_layer(spec, "linear", "fc", {{"out_features", std::int64_t{4}}});
  append_layer(spec, "relu", "act");
  test::TempDir dir("docs_backend");
  const ConfigTable config = root_table(parse_toml_text("file = \"costs.csv\"\n", "b.toml"), "b.toml");
  auto backend = registry.backend("layer_report")(config);
  config.finish();
  const BackendReport report = backend->run(BackendContext{spec, nullptr, dir.path()});
  // By hand: 16 x 4 MACs; 64 * (32*32 + 32 + 32 + log2 16) BOPs; 16*4 + 4 parameters.
  CHECK(report.estimates.at("macs") == doctest::Approx(64));
  CHECK(report.estimates.at("bops") == doctest::Approx(64 * (1024 + 64 + 4)));
  REQUIRE(report.files.size() == 1);
  CHECK(test::read_file(dir.path() / "costs.csv") == "layer,macs,bops,params\nfc,64,69888,68\nact,0,0,0\n");
}

TEST_CASE("docs/plugins.md: the layer_report backend is the example project examples/plugins/layer_report") {
  const std::string docs = test::read_file(fs::path(NAC_SOURCE_DIR) / "docs/plugins.md");
  const std::string begin = "<!-- plugin: layer_report -->\n```cpp\n", end = "```\n<!-- /plugin -->";
  const auto a = docs.find(begin);
  REQUIRE(a != std::string::npos);
  const auto b = docs.find(end, a);
  REQUIRE(b != std::string::npos);
  CHECK(docs.substr(a + begin.size(), b - a - begin.size()) ==
        test::read_file(fs::path(NAC_SOURCE_DIR) / "examples/plugins/layer_report/layer_report.cpp"));
}
