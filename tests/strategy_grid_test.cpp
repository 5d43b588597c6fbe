// The grid strategy (plugins/search/grid): the grid of a hierarchical space, each configuration
// once, exhaustion, determinism, resume and settings.
#include <algorithm>
#include <cmath>
#include <set>

#include <doctest/doctest.h>

#include "strategy_test_support.hpp"
#include "test_support.hpp"
#include <nlohmann/json.hpp>

#include "grid.hpp"
#include "problems.hpp"
#include "nac/error.hpp"
#include "nac/run/plugin_loader.hpp"

using namespace nac;
using search::Grid;
using search::GridSettings;

namespace {

using test::settings_of;

using test_functions::conditional_space;

StrategyContext one_objective(std::shared_ptr<SearchSpace> s, std::uint64_t seed = 0) {
  return StrategyContext{std::move(s), {Direction::Minimize}, seed};
}

using AssignmentSet = std::set<std::map<std::string, Value>>;

}  // namespace

TEST_CASE("grid values: ends included - all values of small integer ranges - log spacing") {
  auto space = std::make_shared<SearchSpace>();
  space->add(Parameter::real("f", 0, 1));
  space->add(Parameter::integer("i", 1, 3));
  space->add(Parameter::integer("ilog", 4, 64).log_scale());
  space->add(Parameter::real("fstep", 0, 1).with_step(0.5));
  space->add(Parameter::real("flog", 1e-4, 1).log_scale());
  const Grid g(one_objective(space), GridSettings::from_config(settings_of("points = 5")));
  const auto& v = g.values();
  const auto decoded = [&](std::size_t param) {
    std::vector<double> out;
    for (double x : v[param]) out.push_back(to_double(space->parameters()[param].from_internal(x)));
    return out;
  };
  CHECK(decoded(0) == std::vector<double>{0, 0.25, 0.5, 0.75, 1});
  CHECK(decoded(1) == std::vector<double>{1, 2, 3});
  CHECK(decoded(2) == std::vector<double>{4, 8, 16, 32, 64});
  CHECK(decoded(3) == std::vector<double>{0, 0.5, 1});
  const auto flog = decoded(4);
  REQUIRE(flog.size() == 5);
  for (std::size_t k = 0; k < 5; ++k) CHECK(flog[k] == doctest::Approx(std::pow(10.0, -4.0 + double(k))));
  CHECK(g.size() == 5 * 3 * 5 * 3 * 5);
  const Grid one(one_objective(space), GridSettings::from_config(settings_of("points = 1")));
  CHECK(one.size() == 1);
  CHECK(to_double(space->parameters()[0].from_internal(one.values()[0][0])) == 0.5);
}

TEST_CASE("grid of a conditional space: inactive parameters do not multiply it") {
  // A slot: conv x 5 channel counts x 3 kernels + attn x 5 channel counts + none = 21; lr: 5.
  CHECK(Grid(one_objective(conditional_space(1)), GridSettings{}).size() == 21 * 5);
  CHECK(Grid(one_objective(conditional_space(3)), GridSettings{}).size() == 21 * 21 * 21 * 5);
}

TEST_CASE("grid proposes every configuration once - each valid - then stops by default") {
  const auto space = conditional_space(1);
  for (const char* settings : {"", "shuffle = false"}) {
    Grid g(one_objective(space), GridSettings::from_config(settings_of(settings)));
    AssignmentSet seen;
    for (std::uint64_t i = 0; i < g.size(); ++i) {
      const Trial t = g.ask();
      CHECK_NOTHROW(space->validate(t.params));
      CHECK(seen.insert(t.params.values()).second);
      g.tell(t.id, TrialResult{TrialStatus::Complete, {1.0}, {}, {}});
    }
    CHECK(seen.size() == 105);
    CHECK_THROWS_WITH_AS(g.ask(), doctest::Contains("all 105 points of the grid have been proposed"), Error);
  }
}

TEST_CASE("grid when exhausted: cycle repeats the order - random goes on sampling") {
  const auto space = conditional_space(1);
  Grid cycle(one_objective(space, 3), GridSettings::from_config(settings_of("when_exhausted = \"cycle\"")));
  std::vector<Assignment> first;
  for (int i = 0; i < 105; ++i) first.push_back(cycle.ask().params);
  for (int i = 0; i < 105; ++i) CHECK(cycle.ask().params == first[static_cast<std::size_t>(i)]);
  Grid random(one_objective(space, 3), GridSettings::from_config(settings_of("when_exhausted = \"random\"")));
  for (int i = 0; i < 300; ++i) CHECK_NOTHROW(space->validate(random.ask().params));
}

TEST_CASE("grid: the seed picks the shuffled order - sequential order is fixed") {
  const auto space = conditional_space(1);
  auto order = [&](std::uint64_t seed, const char* settings) {
    Grid g(one_objective(space, seed), GridSettings::from_config(settings_of(settings)));
    std::vector<Assignment> out;
    for (int i = 0; i < 105; ++i) out.push_back(g.ask().params);
    return out;
  };
  CHECK(order(1, "") == order(1, ""));
  CHECK(order(1, "") != order(2, ""));
  CHECK(order(1, "shuffle = false") == order(2, "shuffle = false"));
}

TEST_CASE("grid: save - restore and continue gives the same sequence as an uninterrupted run") {
  Registry registry;
  PluginLoader loader(registry);
  loader.load_directory(NAC_PLUGIN_DIR);
  const auto space = conditional_space(2);
  const auto make = [&] { return registry.strategy("grid")(settings_of("points = 3"), one_objective(space, 12)); };
  auto a = make();
  for (const Trial& t : a->ask(40))
    if (t.id % 2) a->tell(t.id, TrialResult{TrialStatus::Complete, {1.0}, {}, {}});
  auto b = make();
  b->load_state(nlohmann::json::parse(a->save_state().dump()));
  for (int i = 0; i < 100; ++i) {
    const Trial ta = a->ask(), tb = b->ask();
    CHECK(ta.id == tb.id);
    CHECK(ta.genome == tb.genome);
  }
  auto other = registry.strategy("grid")(settings_of("points = 4"), one_objective(space, 12));
  CHECK_THROWS_WITH_AS(other->load_state(a->save_state()), doctest::Contains("another size"), Error);
}

TEST_CASE("grid settings: defaults - choices - a grid too large to count") {
  const auto d = GridSettings::from_config(ConfigTable::empty("strategy"));
  CHECK(d.points == 5);
  CHECK(d.shuffle);
  CHECK(d.when_exhausted == "error");
  CHECK_THROWS_WITH_AS(GridSettings::from_config(settings_of("when_exhausted = \"cycl\"")),
                       doctest::Contains("did you mean 'cycle'"), Error);
  CHECK_THROWS_WITH_AS(GridSettings::from_config(settings_of("points = 0")), doctest::Contains("points"), Error);
  auto box = std::make_shared<SearchSpace>();
  for (int i = 0; i < 30; ++i) box->add(Parameter::real("x" + std::to_string(i), 0, 1));
  CHECK_THROWS_WITH_AS(Grid(one_objective(box), GridSettings{}), doctest::Contains("more than 2^64 - 1 points"), Error);
}
