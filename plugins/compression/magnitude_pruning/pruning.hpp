#pragma once
// Magnitude pruning's arithmetic: which weights a pruner may mask, the masks for a target
// sparsity (global or per layer, single weights or whole filters), and the targets of its
// schedules. docs/compression.md states each rule.
#include <string>
#include <vector>

#include "nac/nn/model.hpp"

namespace nac::pruning {

enum class Scope { Global, Layer };
enum class Structure { Unstructured, Filters };
enum class Norm { L1, L2 };
enum class Schedule { Iterative, OneShot, Agp };

/// The parameters a pruner may mask, in model order: the weights of every layer with a cost
/// (convolutions, linear layers, attention), the biases and the norms' scales and shifts only
/// when asked; tensors of fewer than `min_weights` values are left dense. Throws nac::Error when
/// there is none.
std::vector<nn::Param*> prunable(nn::Model& model, bool biases, bool norms, std::size_t min_weights = 0);

/// 0/1 masks, one per parameter, that mask round(sparsity * N) entries of the smallest magnitude:
/// N counts all entries of all the parameters (Global) or of each (Layer). Filters: whole
/// slices of the first axis (output channels, neurons) by their L1 or L2 norm, per layer.
/// Entries masked already rank first (they stay masked); ties go to the earlier entry.
std::vector<nn::Tensor> magnitude_masks(const std::vector<const nn::Param*>& params, double sparsity, Scope scope,
                                        Structure structure, Norm norm);

/// The fraction of the parameters' entries held at zero by masks.
double masked_fraction(const std::vector<const nn::Param*>& params);

/// The target sparsity after each round: iterative 1 - (1 - fraction)^r for r = 1..rounds;
/// one-shot {target}; AGP (Zhu and Gupta) target * (1 - (1 - r/rounds)^3).
std::vector<double> schedule_targets(Schedule schedule, double fraction, int rounds, double target);

}  // namespace nac::pruning
