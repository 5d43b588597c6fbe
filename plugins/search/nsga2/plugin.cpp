// The `nsga2` strategy plugin: NSGA-II over hierarchical spaces (see nsga2.hpp and
// docs/strategies.md).
#include "nac/plugin.hpp"
#include "nsga2.hpp"

namespace {

void register_factories(nac::Registry& registry) {
  registry.add_strategy("nsga2", nac::search::make_nsga2,
                        "NSGA-II: non-dominated sorting, crowding, SBX and polynomial mutation",
                        nac::search::Nsga2Settings::described());
}

}  // namespace

NAC_PLUGIN("nsga2", "1.0.0", "NSGA-II search strategy", register_factories)
