// Cost objectives read from the candidate's model: `bops`, `macs`, `params` (all minimised).
// Settings: none; bits and pruning come from the model's layer attributes (model_cost.hpp).
#include "nac/error.hpp"
#include "nac/model_cost.hpp"
#include "nac/objective.hpp"
#include "nac/plugin.hpp"

namespace {

class CostObjective final : public nac::Objective {
 public:
  CostObjective(std::string name, double (*measure)(const nac::ModelSpec&))
      : name_(std::move(name)), measure_(measure) {}
  std::string name() const override { return name_; }
  nac::Direction direction() const override { return nac::Direction::Minimize; }
  double evaluate(const nac::Candidate& c) const override {
    if (!c.model) throw nac::Error("objective '" + name_ + "' needs a network; this task has none");
    return measure_(*c.model);
  }

 private:
  std::string name_;
  double (*measure_)(const nac::ModelSpec&);
};

void register_factories(nac::Registry& r) {
  r.add_objective(
      "bops", [](const nac::ConfigTable&) { return std::make_unique<CostObjective>("bops", nac::total_bops); },
      "bit operations of the model (docs/bops.md)");
  r.add_objective(
      "macs", [](const nac::ConfigTable&) { return std::make_unique<CostObjective>("macs", nac::total_macs); },
      "multiply-accumulates of one inference");
  r.add_objective(
      "params", [](const nac::ConfigTable&) { return std::make_unique<CostObjective>("params", nac::total_params); },
      "trainable parameters");
}

}  // namespace

NAC_PLUGIN("cost_objectives", "1.0.0", "BOPs, MACs and parameter counts of candidate models", register_factories)
