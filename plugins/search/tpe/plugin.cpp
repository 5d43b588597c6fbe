// The `tpe` strategy plugin: the tree-structured Parzen estimator over hierarchical spaces (see
// tpe.hpp and docs/strategies.md).
#include "nac/plugin.hpp"
#include "tpe.hpp"

namespace {

void register_factories(nac::Registry& registry) {
  registry.add_strategy("tpe", nac::search::make_tpe,
                        "tree-structured Parzen estimator: univariate or multivariate, constant liar, multi-objective",
                        nac::search::TpeSettings::described());
}

}  // namespace

NAC_PLUGIN("tpe", "1.1.0", "TPE search strategy", register_factories)
