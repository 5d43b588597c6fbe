#pragma once
// TPE, the tree-structured Parzen estimator (Bergstra, Bardenet, Bengio and Kegl 2011), as an
// ask/tell strategy over nac's hierarchical search spaces. See docs/strategies.md.
//
//   [strategy]
//   name = "tpe"
//   startup_trials = 10       # random trials before the model is used
//   candidates = 64           # draws from l(x) scored by l(x)/g(x) per proposal
//   gamma = 0.1               # fraction of the finished trials that are "good"
//   good_max = 25             # ... but never more than this many
//   prior_weight = 1.0        # weight of the broad prior kernel in both densities
//   multivariate = true       # joint kernels over all parameters, or one density per parameter
//   constant_liar = true      # trials asked but not told count as bad (batches spread out)
//   weights = "ramp"          # older trials weigh less ("ramp", Optuna's), or "uniform"
//
// Several objectives: the trials are ranked by constrained non-dominated sorting (fronts filled
// in order, the last front cut by crowding distance), as in multi-objective TPE.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nac/config.hpp"
#include "nac/settings.hpp"
#include "nac/search_strategy.hpp"
#include "search/ranking.hpp"

namespace nac::search {

struct TpeSettings {
  std::size_t startup_trials = 10;
  std::size_t candidates = 64;
  double gamma = 0.1;
  std::size_t good_max = 25;
  double prior_weight = 1.0;
  bool multivariate = true;
  bool constant_liar = true;
  std::string weights = "ramp";

  static TpeSettings from_config(const ConfigTable& config);
  /// The settings from_config reads, for `nac plugins --describe`.
  static std::vector<SettingInfo> described();
};

class Tpe final : public SearchStrategy {
 public:
  Tpe(StrategyContext context, TpeSettings settings);
  const TpeSettings& settings() const { return settings_; }

  struct Observation {
    std::uint64_t id = 0;
    std::vector<double> genome;
    std::vector<bool> active;
    Fitness fitness;
  };
  const std::vector<Observation>& history() const { return history_; }

  /// How many of n finished trials form the good group.
  std::size_t good_count(std::size_t n) const;

 protected:
  std::vector<double> propose() override;
  void observe(const Trial& trial, const TrialResult& result) override;
  nlohmann::json save_own_state() const override;
  void load_own_state(const nlohmann::json& state) override;
  std::string strategy_name() const override { return "tpe"; }

 private:
  std::vector<double> random_genome();
  // Splits the observations (history, plus pending trials as liars) into good and bad.
  void split(std::vector<const Observation*>& good, std::vector<const Observation*>& bad,
             std::vector<Observation>& liars) const;
  std::vector<double> propose_univariate(const std::vector<const Observation*>& good,
                                         const std::vector<const Observation*>& bad);
  std::vector<double> propose_multivariate(const std::vector<const Observation*>& good,
                                           const std::vector<const Observation*>& bad);
  bool condition_met(std::size_t i, const std::vector<double>& genome, const std::vector<bool>& on) const;

  TpeSettings settings_;
  std::vector<Observation> history_;
  std::size_t complete_ = 0;  // told trials that did not fail
};

std::unique_ptr<SearchStrategy> make_tpe(const ConfigTable& config, const StrategyContext& context);

}  // namespace nac::search
