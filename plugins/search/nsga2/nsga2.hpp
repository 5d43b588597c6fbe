#pragma once
// NSGA-II (Deb, Pratap, Agarwal and Meyarivan 2002) as an ask/tell strategy over nac's
// hierarchical search spaces. See docs/strategies.md for the algorithm and every setting.
//
//   [strategy]
//   name = "nsga2"
//   population = 20             # individuals per generation
//   crossover_probability = 0.9 # chance that a pair of parents is recombined
//   crossover_eta = 20          # SBX distribution index (larger: children nearer their parents)
//   mutation_eta = 5            # polynomial-mutation distribution index
//   mutation_probability = ...  # per gene; default 1 / number of genes
//   deduplicate = true          # never propose a configuration already asked
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <unordered_set>
#include <vector>

#include "nac/config.hpp"
#include "nac/settings.hpp"
#include "nac/search_strategy.hpp"
#include "search/ranking.hpp"

namespace nac::search {

struct Nsga2Settings {
  std::size_t population = 20;
  double crossover_probability = 0.9;
  double crossover_eta = 20;
  double mutation_eta = 5;
  std::optional<double> mutation_probability;  // per gene; nullopt: 1 / number of genes
  bool deduplicate = true;

  /// Reads every supported key of a [strategy] table (each checked for type and range).
  static Nsga2Settings from_config(const ConfigTable& config);
  /// The settings from_config reads, for `nac plugins --describe`.
  static std::vector<SettingInfo> described();
};

class Nsga2 final : public SearchStrategy {
 public:
  Nsga2(StrategyContext context, Nsga2Settings settings);

  const Nsga2Settings& settings() const { return settings_; }
  /// Generations completed (environmental selections made).
  std::uint64_t generation() const { return generation_; }
  /// The current parent population: genomes with their fitness, best front first.
  struct Member {
    std::uint64_t id = 0;
    std::vector<double> genome;
    Fitness fitness;
  };
  const std::vector<Member>& parents() const { return parents_; }
  const std::vector<RankedItem>& parent_ranks() const { return parent_rank_; }

  /// Two children of two parent genomes by the crossover and mutation of this strategy (exposed
  /// for tests); the children are snapped onto the space's domains.
  std::pair<std::vector<double>, std::vector<double>> vary(const std::vector<double>& a, const std::vector<double>& b,
                                                           Rng& rng) const;

 protected:
  std::vector<double> propose() override;
  void observe(const Trial& trial, const TrialResult& result) override;
  nlohmann::json save_own_state() const override;
  void load_own_state(const nlohmann::json& state) override;
  std::string strategy_name() const override { return "nsga2"; }

 private:
  std::size_t tournament();
  std::vector<double> random_genome();  // new if possible (when deduplicating)
  void make_children();
  void select();
  bool remember(const std::vector<double>& genome);  // false if already seen (when deduplicating)

  Nsga2Settings settings_;
  double mutation_probability_;
  std::vector<Member> parents_;
  std::vector<RankedItem> parent_rank_;
  std::vector<Member> incoming_;              // told since the last selection
  std::deque<std::vector<double>> children_;  // made but not yet proposed
  std::unordered_set<std::uint64_t> seen_;    // configuration keys asked or told
  std::uint64_t generation_ = 0;
};

std::unique_ptr<SearchStrategy> make_nsga2(const ConfigTable& config, const StrategyContext& context);

}  // namespace nac::search
