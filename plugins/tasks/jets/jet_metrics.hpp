#pragma once
// Scores of a five-class jet tagger (docs/jets.md): accuracy, one-vs-rest ROC AUC per class and
// their mean, the background rejection of the top and W taggers, and the confusion matrix.
#include <array>
#include <vector>

#include "jet_generator.hpp"
#include "nac/metrics.hpp"
#include "nac/nn/tensor.hpp"

namespace nac::jets {

/// The area under the ROC curve of `scores` for the positives (ties count one half): the
/// Mann-Whitney statistic over (positive, negative) pairs.
double roc_auc(const std::vector<double>& scores, const std::vector<bool>& positive);

/// The background rejection 1 / eps_B at signal efficiency `efficiency`: the threshold is the
/// score of the ceil(efficiency x S)-th best of the S signal jets, eps_B the share of the
/// background jets scoring at least that. When none does, the rejection is the number of
/// background jets (a lower bound: as if one passed). 0 without signal or background.
double background_rejection(const std::vector<double>& scores, const std::vector<bool>& signal,
                            const std::vector<bool>& background, double efficiency);

/// Rows: the true class; columns: the predicted one (the largest output); counts.
using Confusion = std::array<std::array<std::int64_t, kClasses>, kClasses>;
Confusion confusion(const nn::Tensor& logits, const nn::Tensor& targets);

std::vector<MetricInfo> jet_metric_info();
/// logits (N, 5), targets one-hot (N, 5): error (1 - accuracy), accuracy, auc (macro), auc_g,
/// auc_q, auc_W, auc_Z, auc_t (softmax probabilities of each class against the rest),
/// rejection_t and rejection_W (the class's probability as the tagger, quark and gluon jets the
/// background, at 50% signal efficiency).
Metrics jet_metrics(const nn::Tensor& logits, const nn::Tensor& targets);

}  // namespace nac::jets
