// The `grid` strategy plugin: exhaustive grid search over hierarchical spaces (see grid.hpp and
// docs/strategies.md).
#include "grid.hpp"
#include "nac/plugin.hpp"

namespace {

void register_factories(nac::Registry& registry) {
  registry.add_strategy("grid", nac::search::make_grid,
                        "grid search: every combination of grid values of the active parameters",
                        nac::search::GridSettings::described());
}

}  // namespace

NAC_PLUGIN("grid", "1.0.0", "Grid search strategy", register_factories)
