#pragma once
// Grid search over nac's hierarchical search spaces: every combination of grid values of the
// active parameters, each configuration exactly once (a parameter that is inactive does not
// multiply the grid). See docs/strategies.md.
//
//   [strategy]
//   name = "grid"
//   points = 5                  # grid values per continuous parameter (and cap for integers)
//   shuffle = true              # visit the grid in a seeded pseudo-random order
//   when_exhausted = "error"    # "error", "cycle" (start again) or "random" (uniform samples)
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nac/config.hpp"
#include "nac/settings.hpp"
#include "nac/search_strategy.hpp"

namespace nac::search {

struct GridSettings {
  std::size_t points = 5;
  bool shuffle = true;
  std::string when_exhausted = "error";

  static GridSettings from_config(const ConfigTable& config);
  /// The settings from_config reads, for `nac plugins --describe`.
  static std::vector<SettingInfo> described();
};

class Grid final : public SearchStrategy {
 public:
  Grid(StrategyContext context, GridSettings settings);

  /// Number of distinct configurations in the grid.
  std::uint64_t size() const { return total_; }
  /// The grid values of each parameter, in internal coordinates.
  const std::vector<std::vector<double>>& values() const { return values_; }
  /// The genome of the configuration with this index in [0, size()) (in enumeration order,
  /// before shuffling); inactive genes hold their first grid value.
  std::vector<double> configuration(std::uint64_t index) const;

 protected:
  std::vector<double> propose() override;
  void observe(const Trial&, const TrialResult&) override {}
  nlohmann::json save_own_state() const override;
  void load_own_state(const nlohmann::json& state) override;
  std::string strategy_name() const override { return "grid"; }

 private:
  std::uint64_t permute(std::uint64_t i) const;
  void decode(std::size_t param, std::uint64_t index, std::vector<double>& genome) const;
  void decode_all(const std::vector<std::size_t>& params, std::uint64_t index, std::vector<double>& genome) const;

  GridSettings settings_;
  std::vector<std::vector<double>> values_;
  std::vector<std::vector<std::vector<std::size_t>>> children_;  // [param][value] -> enabled children
  std::vector<std::vector<std::uint64_t>> count_value_;          // [param][value] -> sub-configurations
  std::vector<std::uint64_t> count_;                             // [param] -> sub-configurations
  std::vector<std::size_t> roots_;
  std::uint64_t total_ = 1;
  std::uint64_t next_ = 0;  // position in the (shuffled) enumeration
  unsigned half_bits_ = 1;
  std::vector<std::uint64_t> keys_;  // Feistel round keys of the shuffle
};

std::unique_ptr<SearchStrategy> make_grid(const ConfigTable& config, const StrategyContext& context);

}  // namespace nac::search
