#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "nac/error.hpp"
#include "nac/run/plugin_loader.hpp"
#include "nac/search_strategy.hpp"

using namespace nac;

namespace {

// Proposes the genome (k, k, ...) for the k-th proposal and records what it is told.
class CountingStrategy final : public SearchStrategy {
 public:
  using SearchStrategy::SearchStrategy;
  std::vector<std::pair<std::uint64_t, TrialStatus>> told;

 protected:
  std::vector<double> propose() override { return std::vector<double>(space().size(), 0.1 * proposals_++); }
  void observe(const Trial& t, const TrialResult& r) override { told.emplace_back(t.id, r.status); }
  std::string strategy_name() const override { return "counting"; }

 private:
  int proposals_ = 0;
};

std::shared_ptr<SearchSpace> unit_square() {
  auto s = std::make_shared<SearchSpace>();
  s->add(Parameter::real("x", 0, 1));
  s->add(Parameter::real("y", 0, 1));
  return s;
}

}  // namespace

TEST_CASE("ask numbers trials - serves seeds first - and tell checks its input") {
  CountingStrategy s(StrategyContext{unit_square(), {Direction::Minimize, Direction::Maximize}, 1});
  Assignment seed;
  seed.set("x", 0.9);
  seed.set("y", 0.8);
  s.enqueue(seed);
  const auto batch = s.ask(3);
  REQUIRE(batch.size() == 3);
  CHECK(batch[0].id == 0);
  CHECK(batch[0].params == seed);
  CHECK(batch[1].params.real("x") == 0.0);
  CHECK(batch[2].params.real("x") == doctest::Approx(0.1));
  CHECK(s.pending().size() == 3);

  CHECK_THROWS_WITH_AS(s.tell(1, TrialResult{TrialStatus::Complete, {1.0}, {}, {}}),
                       "trial 1: 1 objective values for 2 objectives", Error);
  s.tell(1, TrialResult{TrialStatus::Complete, {1.0, 2.0}, {}, {}});
  s.tell(0, TrialResult::failed("diverged"));
  CHECK_THROWS_WITH_AS(s.tell(0, TrialResult::failed("again")),
                       "strategy 'counting': trial 0 was not asked or was already told", Error);
  CHECK(s.told ==
        std::vector<std::pair<std::uint64_t, TrialStatus>>{{1, TrialStatus::Complete}, {0, TrialStatus::Failed}});
  CHECK(s.pending().size() == 1);
  CHECK(s.minimized({1.0, 2.0}) == std::vector<double>{1.0, -2.0});
}

TEST_CASE("a seed outside the space is refused") {
  CountingStrategy s(StrategyContext{unit_square(), {Direction::Minimize}, 1});
  Assignment bad;
  bad.set("x", 2.0);
  bad.set("y", 0.5);
  CHECK_THROWS_WITH_AS(s.enqueue(bad), doctest::Contains("'x': value 2 is not a real number in [0, 1]"), Error);
}

TEST_CASE("a strategy without saved state says so") {
  CountingStrategy s(StrategyContext{unit_square(), {Direction::Minimize}, 1});
  CHECK_THROWS_WITH_AS(s.save_state(), "strategy 'counting' cannot save its state (no resume)", Error);
}

TEST_CASE("random search: same seed - same sequence - save - restore and continue") {
  Registry registry;
  PluginLoader loader(registry);
  loader.load_directory(NAC_PLUGIN_DIR);
  const ConfigTable none = ConfigTable::empty("strategy");
  const StrategyContext ctx{unit_square(), {Direction::Minimize}, 42};
  auto a = registry.strategy("random")(none, ctx);
  auto b = registry.strategy("random")(none, ctx);
  for (int i = 0; i < 10; ++i) {
    const Trial ta = a->ask(), tb = b->ask();
    CHECK(ta.genome == tb.genome);
    a->tell(ta.id, TrialResult{TrialStatus::Complete, {ta.params.real("x")}, {}, {}});
    b->tell(tb.id, TrialResult{TrialStatus::Complete, {tb.params.real("x")}, {}, {}});
  }
  const auto state = a->save_state();
  auto c = registry.strategy("random")(none, ctx);
  c->load_state(nlohmann::json::parse(state.dump()));
  for (int i = 0; i < 10; ++i) {
    const Trial ta = a->ask(), tc = c->ask();
    CHECK(ta.id == tc.id);
    CHECK(ta.genome == tc.genome);
  }
  auto d = registry.strategy("random")(none, StrategyContext{unit_square(), {Direction::Minimize}, 43});
  CHECK(d->ask().genome != registry.strategy("random")(none, ctx)->ask().genome);
}
