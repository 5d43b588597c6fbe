// The plugin example of README.md is extracted by CMake and built as
// fixtures/readme_example/nac_sphere.so; this test loads it and searches with it.
#include <doctest/doctest.h>

#include "nac/run/experiment.hpp"
#include "nac/run/plugin_loader.hpp"
#include "nac/run/runner.hpp"
#include "nac/error.hpp"
#include "nac/task.hpp"
#include "test_support.hpp"

using namespace nac;
namespace fs = std::filesystem;

TEST_CASE("the README's plugin example loads - validates its table and runs") {
  Registry registry;
  PluginLoader loader(registry);
  loader.load_directory(NAC_PLUGIN_DIR);
  loader.load_directory(fs::path(NAC_FIXTURE_DIR) / "readme_example");
  REQUIRE(registry.contains(PluginKind::Task, "sphere"));

  test::TempDir dir("readme");
  const fs::path f = dir.path() / "sphere.toml";
  test::write_file(f,
                   "[task]\nname = \"sphere\"\ndimensions = 3\ncentre = 0.25\n[strategy]\nname = \"random\"\n"
                   "[search]\ntrials = 300\n");
  const Experiment ex = load_experiment(f);
  SearchSetup setup = build_search(ex, registry, 1);
  CHECK(setup.space->size() == 3);
  // Hand-computed value: (0.5 - 0.25)^2 + 0 + (1 - 0.25)^2 = 0.625.
  Assignment a;
  a.set("x0", 0.5);
  a.set("x1", 0.25);
  a.set("x2", 1.0);
  CHECK(as_problem_task(*setup.task, "the test").evaluate(a, EvalContext{}).at("distance") == doctest::Approx(0.625));
  const RunSummary s = run_search(ex, setup, RunOptions{dir.path() / "out", false});
  REQUIRE(s.front.size() == 1);
  // Random search in 3-D: the best of 300 draws is well below the mean distance 3 * 7/48.
  CHECK(s.trials[s.front[0]].objectives[0] < 0.1);

  test::write_file(f, "[task]\nname = \"sphere\"\ncentre = 2.0\n[strategy]\nname = \"random\"\n");
  CHECK_THROWS_WITH_AS(build_search(load_experiment(f), registry, 1),
                       (f.string() + ":3:10: 'task.centre': expected a number in [0, 1], found 2").c_str(), Error);
}

TEST_CASE("the README's plugin example is the example project examples/plugins/sphere_task") {
  const std::string readme = test::read_file(fs::path(NAC_SOURCE_DIR) / "README.md");
  const std::string begin = "<!-- plugin-example -->\n```cpp\n", end = "```\n<!-- /plugin-example -->";
  const auto a = readme.find(begin), b = readme.find(end);
  REQUIRE(a != std::string::npos);
  REQUIRE(b != std::string::npos);
  const std::string block = readme.substr(a + begin.size(), b - a - begin.size());
  CHECK(block == test::read_file(fs::path(NAC_SOURCE_DIR) / "examples/plugins/sphere_task/sphere_task.cpp"));
}
