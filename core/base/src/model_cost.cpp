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
  if (!def.cost) {
    out.push_back(LayerCost{l.name});
    return;
  }
  LayerCost c = def.cost(l);
  LayerSpec dense = l;
  dense.precision.clear();
  dense.sparsity = 0;
  const double bw = precision_of(l, "weight").width, ba = precision_of(l, "input").width;
  c.effective_bops = def.cost(dense).bops * (bw / 32) * (ba / 32) * (1 - l.sparsity);
  out.push_back(c);
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

double total_effective_bops(const ModelSpec& spec) {
  double s = 0;
  for (const auto& c : layer_costs(spec)) s += c.effective_bops;
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
