#pragma once
// Batch norm folded into the layer before it, as hls4ml does for export: a convolution or linear
// layer followed directly (in the same list of layers) by a batch norm becomes one layer with
//   w'[c] = w[c] * g[c] / sqrt(v[c] + eps),   b'[c] = (b[c] - m[c]) * g[c] / sqrt(v[c] + eps) + beta[c]
// (g, beta: the norm's scale and shift; m, v: its running mean and variance), and the norm is
// gone. The folded model computes what the original computes in evaluation, up to float rounding;
// in training it has no batch statistics. Fold before quantizing: the folded weights are not on
// the grid of a type the original's weights had.
#include <string>
#include <vector>

#include "nac/nn/model.hpp"
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac::nn {

struct FoldResult {
  Model model;
  std::vector<std::string> folded;  // the names of the norms folded, in layer order
};

/// The model with every foldable batch norm folded (none: an equal copy). Masks, buffers and every
/// other parameter are carried over by name. Throws nac::Error naming the layer when the layer
/// before a norm has a weight or bias type (quantized: fold first), or the norm has a precision.
FoldResult fold_batch_norms(Model& model);
/// The description of that model (what an estimate needs), the norms folded in `folded`.
ModelSpec fold_batch_norms(const ModelSpec& spec, std::vector<std::string>* folded = nullptr);

}  // namespace nac::nn
NAC_PUBLIC_END
