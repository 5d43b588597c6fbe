// The `random` strategy: every genome drawn uniformly in internal coordinates (so log-scaled
// parameters are log-uniform and every choice equally likely). The baseline every other strategy
// must beat. Settings: none.
#include <nlohmann/json.hpp>

#include "nac/plugin.hpp"
#include "nac/search_strategy.hpp"

namespace {

class RandomSearch final : public nac::SearchStrategy {
 public:
  using SearchStrategy::SearchStrategy;

 protected:
  std::vector<double> propose() override { return space().sample(rng()); }
  void observe(const nac::Trial&, const nac::TrialResult&) override {}
  nlohmann::json save_own_state() const override { return nlohmann::json::object(); }
  void load_own_state(const nlohmann::json&) override {}
  std::string strategy_name() const override { return "random"; }
};

void register_factories(nac::Registry& registry) {
  registry.add_strategy(
      "random",
      [](const nac::ConfigTable&, const nac::StrategyContext& context) {
        return std::make_unique<RandomSearch>(context);
      },
      "uniform random sampling of the search space");
}

}  // namespace

NAC_PLUGIN("random", "1.0.0", "Random search strategy", register_factories)
