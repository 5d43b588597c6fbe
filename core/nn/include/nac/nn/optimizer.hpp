#pragma once
// Optimizers with PyTorch's update rules and defaults: SGD (momentum, Nesterov), Adam, AdamW,
// RMSprop (alpha, centered, momentum), all with weight decay (L2 added to the gradient; decoupled
// for AdamW). After a step, pruning masks are re-applied so pruned weights stay zero.
#include <memory>
#include <string>
#include <vector>

#include "nac/nn/parameter.hpp"
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac::nn {

struct OptimizerConfig {
  std::string kind = "adam";  // sgd adam adamw rmsprop
  double lr = 1e-3;
  double weight_decay = 0;            // adamw: 0.01 when not set (see make_optimizer)
  double momentum = 0;                // sgd, rmsprop
  bool nesterov = false;              // sgd
  double beta1 = 0.9, beta2 = 0.999;  // adam, adamw
  double eps = 1e-8;
  double alpha = 0.99;    // rmsprop smoothing
  bool centered = false;  // rmsprop
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  /// One update of every parameter from its gradient, with learning rate lr.
  virtual void step(const std::vector<Param*>& params, double lr) = 0;
};

/// Throws nac::Error for an unknown kind or invalid settings.
std::unique_ptr<Optimizer> make_optimizer(const OptimizerConfig& config);

/// Scales all gradients so that their global L2 norm is at most max_norm; returns the norm
/// before clipping.
double clip_gradients(const std::vector<Param*>& params, double max_norm);

}  // namespace nac::nn
NAC_PUBLIC_END
