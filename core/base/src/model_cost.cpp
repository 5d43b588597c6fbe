#include "nac/model_cost.hpp"

#include "nac/ops.hpp"

namespace nac {

namespace {

// Each op's cost is its own (nac/ops.hpp; the formulas are in model_cost.hpp and builtin_ops.cpp).
void visit(const LayerSpec& l, std::vector<LayerCost>& out) {
  const OpDef& def = find_op(l.op);
  if (def.container) {
    for (const auto& c : l.children) visit(c, out);
    return;
  }
  out.push_back(def.cost ? def.cost(l) : LayerCost{l.name});
}

}  // namespace

std::vector<LayerCost> layer_costs(const ModelSpec& spec) {
  std::vector<LayerCost> out;
  for (const auto& l : spec.layers) visit(l, out);
  return out;
}

double total_bops(const ModelSpec& spec) {
  double s = 0;
  for (const auto& c : layer_costs(spec)) s += c.bops;
  return s;
}

double total_macs(const ModelSpec& spec) {
  double s = 0;
  for (const auto& c : layer_costs(spec)) s += c.macs;
  return s;
}

double total_params(const ModelSpec& spec) {
  double s = 0;
  for (const auto& c : layer_costs(spec)) s += c.params;
  return s;
}

}  // namespace nac
