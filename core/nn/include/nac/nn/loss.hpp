#pragma once
// Losses, averaged over the batch as PyTorch's defaults (reduction = "mean").
//   mse:   mean over all elements of (y - t)^2
//   l1:    mean of |y - t|
//   huber: mean of 0.5 d^2 for |d| < delta, delta (|d| - delta / 2) otherwise (delta = 1)
//   cross_entropy: on logits (N, C); targets are class indices (N) or (N, 1), or probabilities
//          (N, C); mean over the batch of -sum_c p_c log softmax(y)_c
#include <string>

#include "nac/nn/tensor.hpp"
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac::nn {

enum class LossKind { Mse, L1, Huber, CrossEntropy };

struct Loss {
  LossKind kind = LossKind::Mse;
  double huber_delta = 1.0;
};

/// "mse", "l1", "huber", "cross_entropy"; nac::Error listing them otherwise.
Loss loss_from_name(const std::string& name);
const char* to_string(LossKind kind);

/// The loss of a batch; writes d(loss)/d(output) to `grad` when it is not null.
double compute_loss(const Loss& loss, const Tensor& output, const Tensor& target, Tensor* grad);

}  // namespace nac::nn
NAC_PUBLIC_END
