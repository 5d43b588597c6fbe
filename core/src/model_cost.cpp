#include "nac/model_cost.hpp"

#include <cmath>

namespace nac {

namespace {

double product_bops(double outputs, double k, double b1, double b2, double pruned) {
  return outputs * k * ((1 - pruned) * b1 * b2 + b1 + b2 + std::log2(k));
}

void visit(const LayerSpec& l, std::vector<LayerCost>& out) {
  if (l.op == "sequential" || l.op == "residual") {
    for (const auto& c : l.children) visit(c, out);
    return;
  }
  const double bw = attr_real(l, "bits_w", 32), ba = attr_real(l, "bits_a", 32), p = attr_real(l, "pruned", 0);
  LayerCost c{l.name};
  if (l.op == "conv2d") {
    const double n = static_cast<double>(l.input[0]), m = static_cast<double>(l.output[0]);
    const double k = static_cast<double>(attr_int(l, "kernel")), positions = static_cast<double>(l.output[1] * l.output[2]);
    const bool bias = attr_int(l, "bias", 1) != 0;
    const double fan_in = n / static_cast<double>(attr_int(l, "groups", 1)) * k * k;  // of one output
    c.bops = product_bops(m * positions, fan_in, ba, bw, p);
    c.macs = m * positions * fan_in;
    c.params = m * fan_in + (bias ? m : 0);
  } else if (l.op == "linear") {
    const double n = static_cast<double>(l.input[0]), m = static_cast<double>(l.output[0]);
    c.bops = product_bops(m, n, ba, bw, p);
    c.macs = m * n;
    c.params = m * n + (attr_int(l, "bias", 1) != 0 ? m : 0);
  } else if (l.op == "attention") {
    const double ch = static_cast<double>(l.input[0]), h = static_cast<double>(attr_int(l, "hidden"));
    const double npos = static_cast<double>(l.input[1] * l.input[2]);
    c.bops = 3 * product_bops(h * npos, ch, ba, bw, p)  // theta, phi, g
             + product_bops(ch * npos, h, ba, bw, p)    // out
             + product_bops(npos * npos, h, ba, ba, 0)  // theta phi^T
             + product_bops(npos * h, npos, ba, ba, 0); // A g
    c.macs = 3 * h * npos * ch + ch * npos * h + npos * npos * h + npos * h * npos;
    c.params = 3 * (h * ch + h) + (ch * h + ch);
  } else if (l.op == "batchnorm") {
    c.params = 2 * static_cast<double>(l.input[0]);
  } else if (l.op == "layernorm") {
    double d = 1;
    for (auto v : l.input) d *= static_cast<double>(v);
    c.params = 2 * d;
  }
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
