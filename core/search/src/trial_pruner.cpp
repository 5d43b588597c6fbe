#include "nac/run/trial_pruner.hpp"

#include <algorithm>
#include <cmath>

#include <toml++/toml.h>

#include "nac/error.hpp"

namespace nac {

PrunerConfig pruner_config(const ConfigTable& table, const std::string& key) {
  PrunerConfig c;
  const toml::node* n = table.node(key);
  if (!n) return c;
  std::string name;
  std::optional<ConfigTable> t;
  if (n->is_string()) {
    name = *n->value<std::string>();
  } else if (n->is_table()) {
    t = table.table(key);
    name = t->string("name", std::nullopt);
  } else {
    table.fail(key, "expected a pruner's name (none, median, asha) or a table with a 'name'");
  }
  if (name == "none") c.kind = PrunerConfig::Kind::None;
  else if (name == "median") c.kind = PrunerConfig::Kind::Median;
  else if (name == "asha") c.kind = PrunerConfig::Kind::Asha;
  else table.fail(key, "unknown pruner '" + name + "'; pruners: none, median, asha");
  if (t) {
    c.startup = static_cast<int>(t->integer("startup", c.startup, Range::between(1, 1e6)));
    if (c.kind == PrunerConfig::Kind::Median)
      c.warmup = static_cast<int>(t->integer("warmup", c.warmup, Range::between(0, 1e6)));
    if (c.kind == PrunerConfig::Kind::Asha) {
      c.min_epochs = static_cast<int>(t->integer("min_epochs", c.min_epochs, Range::between(1, 1e6)));
      c.reduction = static_cast<int>(t->integer("reduction", c.reduction, Range::between(2, 1000)));
    }
    t->finish();
  }
  return c;
}

bool should_prune(const PrunerConfig& c, const LearningCurves& earlier, int epoch, double loss) {
  if (c.kind == PrunerConfig::Kind::None) return false;
  if (!std::isfinite(loss)) return true;
  const auto e = static_cast<std::size_t>(epoch);
  std::vector<double> at;  // the earlier trials' losses after this epoch
  for (const auto& curve : earlier)
    if (curve.size() > e && std::isfinite(curve[e])) at.push_back(curve[e]);
  if (static_cast<int>(at.size()) < c.startup) return false;
  std::sort(at.begin(), at.end());
  if (c.kind == PrunerConfig::Kind::Median) {
    if (epoch < c.warmup) return false;
    const std::size_t n = at.size();
    const double median = n % 2 ? at[n / 2] : (at[n / 2 - 1] + at[n / 2]) / 2;
    return loss > median;
  }
  // asha: only at a rung (min_epochs x reduction^k epochs done); the best 1/reduction go on.
  long long rung = c.min_epochs;
  while (rung < epoch + 1) rung *= c.reduction;
  if (rung != epoch + 1) return false;
  at.push_back(loss);
  std::sort(at.begin(), at.end());
  const std::size_t keep = std::max<std::size_t>(1, at.size() / static_cast<std::size_t>(c.reduction));
  return loss > at[keep - 1];
}

}  // namespace nac
