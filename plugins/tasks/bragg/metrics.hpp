#pragma once
// Localisation error: the Euclidean distance, in pixels, between predicted and true peak
// centres (labels are centres / patch size). Always with the constant predictor's error beside
// it (every prediction = the mean label), so a collapsed model shows at once.
#include <cstdint>
#include <vector>

#include "nac/metrics.hpp"
#include "nac/nn/tensor.hpp"

namespace nac::bragg {

/// Distances in pixels, one per sample.
std::vector<double> distances(const nn::Tensor& predictions, const nn::Tensor& targets, std::int64_t patch);
/// The q-th quantile (0..1) with linear interpolation between order statistics (numpy's default).
double quantile(std::vector<double> values, double q);
/// error (mean), error_median, error_p75, error_p95, error_p99, constant_error, constant_error_median.
Metrics localisation_metrics(const nn::Tensor& predictions, const nn::Tensor& targets, std::int64_t patch);
/// Names and meanings of the metrics above.
std::vector<MetricInfo> localisation_metric_info();

}  // namespace nac::bragg
