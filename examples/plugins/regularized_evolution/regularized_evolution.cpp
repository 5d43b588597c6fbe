// regularized_evolution: a strategy plugin built outside nac's tree (examples/plugins/README.md).
//
// Regularized ("aging") evolution, Real et al., AAAI 2019: a population of the last `population`
// trials; each proposal draws `sample` of them at random, takes the best (the least dominated:
// multi-objective searches compare by Pareto dominance), and mutates a copy of its genome; the
// oldest member leaves as each new one joins. Failed trials never become parents.
//
//   [strategy]
//   name = "regularized_evolution"
//   population = 32        # members kept (the oldest leave first)
//   sample = 8             # drawn per proposal; the best of them is the parent
//   mutation_rate = 0      # chance per gene of a new value; 0: one gene (1 / number of genes)
#include <algorithm>
#include <deque>

#include <nlohmann/json.hpp>

#include "nac/config.hpp"
#include "nac/plugin.hpp"
#include "nac/search_strategy.hpp"
#include "nac/settings.hpp"

namespace {

class RegularizedEvolution final : public nac::SearchStrategy {
 public:
  RegularizedEvolution(const nac::StrategyContext& context, std::size_t population, std::size_t sample, double rate)
      : SearchStrategy(context), population_(population), sample_(sample), rate_(rate) {}

 protected:
  std::vector<double> propose() override {
    // Until the population is full (and for pending trials' sake, never from fewer than two
    // members), draw uniformly, as random search does.
    if (members_.size() < std::max<std::size_t>(2, std::min(sample_, population_))) return space().sample(rng());
    const Member* parent = nullptr;
    for (std::size_t i = 0; i < sample_; ++i) {
      const Member& m = members_[rng().below(members_.size())];
      if (!parent || dominates(m.values, parent->values)) parent = &m;
    }
    std::vector<double> child = parent->genome;
    const auto& params = space().parameters();
    const double rate = rate_ > 0 ? rate_ : 1.0 / static_cast<double>(child.size());
    bool changed = false;
    for (std::size_t g = 0; g < child.size(); ++g)
      if (rng().uniform() < rate) {
        child[g] = rng().uniform(params[g].internal_low(), params[g].internal_high());
        changed = true;
      }
    if (!changed) {  // always change something, else the child is its parent again
      const std::size_t g = rng().below(child.size());
      child[g] = rng().uniform(params[g].internal_low(), params[g].internal_high());
    }
    return child;
  }

  void observe(const nac::Trial& trial, const nac::TrialResult& result) override {
    if (result.status != nac::TrialStatus::Complete) return;
    members_.push_back(Member{trial.genome, minimized(result.values)});
    if (members_.size() > population_) members_.pop_front();  // the oldest leaves
  }

  // What a resumed run needs: the members, in age order (the base class keeps the rest).
  nlohmann::json save_own_state() const override {
    nlohmann::json members = nlohmann::json::array();
    for (const auto& m : members_) members.push_back({{"genome", m.genome}, {"values", m.values}});
    return {{"members", members}};
  }
  void load_own_state(const nlohmann::json& state) override {
    members_.clear();
    for (const auto& m : state.at("members"))
      members_.push_back(Member{m.at("genome").get<std::vector<double>>(), m.at("values").get<std::vector<double>>()});
  }
  std::string strategy_name() const override { return "regularized_evolution"; }

 private:
  struct Member {
    std::vector<double> genome;
    std::vector<double> values;  // minimised
  };

  static bool dominates(const std::vector<double>& a, const std::vector<double>& b) {
    bool better = false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (a[i] > b[i]) return false;
      better = better || a[i] < b[i];
    }
    return better;
  }

  std::size_t population_, sample_;
  double rate_;
  std::deque<Member> members_;
};

const nac::Setting<std::int64_t> kPopulation{.key = "population",
                                             .fallback = 32,
                                             .range = nac::Range::at_least(2),
                                             .help = "members kept (the oldest leave first)"};
// At most the population (checked when read).
const nac::Setting<std::int64_t> kSample{.key = "sample",
                                         .fallback = 8,
                                         .range = nac::Range::at_least(1),
                                         .help = "drawn per proposal, at most the population; the best is the parent"};
const nac::Setting<double> kMutationRate{.key = "mutation_rate",
                                         .fallback = 0.0,
                                         .range = nac::Range::between(0, 1),
                                         .help = "chance per gene of a new value; 0: 1 / number of genes"};

void register_factories(nac::Registry& registry) {
  registry.add_strategy(
      "regularized_evolution",
      [](const nac::ConfigTable& c, const nac::StrategyContext& context) {
        const auto population = c.get(kPopulation);
        nac::Setting<std::int64_t> sample_setting = kSample;
        sample_setting.range = nac::Range::between(1, static_cast<double>(population));
        const auto sample = c.get(sample_setting);
        const double rate = c.get(kMutationRate);
        return std::make_unique<RegularizedEvolution>(context, static_cast<std::size_t>(population),
                                                      static_cast<std::size_t>(sample), rate);
      },
      "regularized (aging) evolution: tournament parents, one-gene mutations, the oldest member leaves",
      nac::describe_settings(kPopulation, kSample, kMutationRate));
}

}  // namespace

NAC_PLUGIN("regularized_evolution", "1.0.0", "Regularized evolution (an example strategy plugin)", register_factories)
