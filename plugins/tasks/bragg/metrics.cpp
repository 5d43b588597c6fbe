#include "metrics.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "nac/error.hpp"

namespace nac::bragg {

std::vector<double> distances(const nn::Tensor& pred, const nn::Tensor& target, std::int64_t patch) {
  if (pred.size() != target.size() || pred.sample_size() != 2)
    throw Error("bragg metrics: predictions " + to_string(pred.shape()) + " and targets " + to_string(target.shape()) +
                " must both be (N, 2)");
  const std::size_t n = pred.rank() ? static_cast<std::size_t>(pred.dim(0)) : 0;
  std::vector<double> d(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double dx = (static_cast<double>(pred[2 * i]) - target[2 * i]) * static_cast<double>(patch);
    const double dy = (static_cast<double>(pred[2 * i + 1]) - target[2 * i + 1]) * static_cast<double>(patch);
    d[i] = std::sqrt(dx * dx + dy * dy);
  }
  return d;
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

Metrics localisation_metrics(const nn::Tensor& pred, const nn::Tensor& target, std::int64_t patch) {
  const auto d = distances(pred, target, patch);
  Metrics m;
  m["error"] = d.empty() ? std::nan("") : std::accumulate(d.begin(), d.end(), 0.0) / static_cast<double>(d.size());
  m["error_median"] = quantile(d, 0.5);
  m["error_p75"] = quantile(d, 0.75);
  m["error_p95"] = quantile(d, 0.95);
  m["error_p99"] = quantile(d, 0.99);
  nn::Tensor constant(target.shape());
  double mx = 0, my = 0;
  const std::size_t n = d.size();
  for (std::size_t i = 0; i < n; ++i) mx += target[2 * i], my += target[2 * i + 1];
  for (std::size_t i = 0; i < n; ++i) {
    constant[2 * i] = static_cast<float>(mx / static_cast<double>(n));
    constant[2 * i + 1] = static_cast<float>(my / static_cast<double>(n));
  }
  const auto c = distances(constant, target, patch);
  m["constant_error"] =
      c.empty() ? std::nan("") : std::accumulate(c.begin(), c.end(), 0.0) / static_cast<double>(c.size());
  m["constant_error_median"] = quantile(c, 0.5);
  return m;
}

std::vector<MetricInfo> localisation_metric_info() {
  return {{"error", Direction::Minimize, "mean distance to the true centre, pixels"},
          {"error_median", Direction::Minimize, "median distance, pixels"},
          {"error_p75", Direction::Minimize, "75th percentile of the distance, pixels"},
          {"error_p95", Direction::Minimize, "95th percentile of the distance, pixels"},
          {"error_p99", Direction::Minimize, "99th percentile of the distance, pixels"},
          {"constant_error", Direction::Minimize, "mean distance of the constant predictor (the mean label)"},
          {"constant_error_median", Direction::Minimize, "median distance of the constant predictor"}};
}

}  // namespace nac::bragg
