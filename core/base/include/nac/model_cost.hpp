#pragma once
// Hardware cost of a ModelSpec: bit operations (BOPs), multiply-accumulates (MACs) and
// parameters, per layer and in total (docs/bops.md states the formula and every choice).
//
// For a product with P outputs, each a dot product of length K between a b1-bit and a b2-bit
// operand (weights or activations), with a fraction p of the weights pruned:
//     BOPs = P * K * ((1 - p) * b1 * b2 + b1 + b2 + log2 K)
// (Baskin et al.; Hawks et al., Front. AI 2021). A convolution with n inputs, m outputs and a
// k x k kernel over H' x W' output positions has P = m H' W', K = n k^2; a linear layer P = m,
// K = n. Attention counts its 1x1 convolutions and both products (theta phi^T: P = N^2, K =
// hidden; A g: P = N hidden, K = N) with activation bits on both operands. The bits are the
// widths of the layer's weight and input number types (LayerSpec::precision; float32: 32) and
// p is the layer's sparsity (the fraction its masks hold at zero). Elementwise layers, norms,
// pooling and softmax add no BOPs.
//
// Effective BOPs, as SNAC-Pack reports them: the layer's BOPs at 32 bits and no pruning, times
// (b_w / 32) (b_a / 32) (1 - p) -- for one bit width b everywhere, dense BOPs x (b/32)^2 x (1 - p).
#include <string>
#include <vector>

#include "nac/model_spec.hpp"
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac {

struct LayerCost {
  std::string name;
  double bops = 0, macs = 0;
  double params = 0;
  double effective_bops = 0;  // SNAC-Pack's (see above)
};

/// Per layer (containers listed through their children), in model order.
std::vector<LayerCost> layer_costs(const ModelSpec& spec);

double total_bops(const ModelSpec& spec);
double total_effective_bops(const ModelSpec& spec);
double total_macs(const ModelSpec& spec);
double total_params(const ModelSpec& spec);

}  // namespace nac
NAC_PUBLIC_END
