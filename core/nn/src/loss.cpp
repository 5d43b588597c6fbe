#include "nac/nn/loss.hpp"

#include <algorithm>
#include <cmath>

#include "nac/error.hpp"

namespace nac::nn {

using nac::to_string;

const char* to_string(LossKind kind) {
  switch (kind) {
    case LossKind::Mse: return "mse";
    case LossKind::L1: return "l1";
    case LossKind::Huber: return "huber";
    case LossKind::CrossEntropy: return "cross_entropy";
  }
  return "?";
}

Loss loss_from_name(const std::string& name) {
  for (LossKind k : {LossKind::Mse, LossKind::L1, LossKind::Huber, LossKind::CrossEntropy})
    if (name == to_string(k)) return Loss{k, 1.0};
  throw Error("unknown loss '" + name + "'; known: mse, l1, huber, cross_entropy");
}

double compute_loss(const Loss& loss, const Tensor& y, const Tensor& t, Tensor* grad) {
  if (grad) grad->resize(y.shape());
  if (loss.kind == LossKind::CrossEntropy) {
    const std::int64_t n = y.dim(0);
    const auto c = static_cast<std::int64_t>(y.sample_size());
    const bool indices = t.size() == static_cast<std::size_t>(n);
    if (!indices && t.shape() != y.shape())
      throw Error("cross_entropy: targets must be class indices (N) or probabilities " + to_string(y.shape()) +
                  ", found " + to_string(t.shape()));
    double total = 0;
    std::vector<double> p(static_cast<std::size_t>(c));
    for (std::int64_t i = 0; i < n; ++i) {
      const float* z = y.data() + i * c;
      const double mx = *std::max_element(z, z + c);
      double sum = 0;
      for (std::int64_t j = 0; j < c; ++j) sum += p[j] = std::exp(z[j] - mx);
      const double log_sum = std::log(sum) + mx;
      for (std::int64_t j = 0; j < c; ++j) {
        double target;
        if (indices) {
          const auto label = static_cast<std::int64_t>(t[static_cast<std::size_t>(i)]);
          if (label < 0 || label >= c)
            throw Error("cross_entropy: class index " + std::to_string(label) + " outside [0, " + std::to_string(c) +
                        ")");
          target = label == j ? 1.0 : 0.0;
        } else {
          target = t[static_cast<std::size_t>(i * c + j)];
        }
        total -= target * (z[j] - log_sum);
        if (grad) (*grad)[static_cast<std::size_t>(i * c + j)] = static_cast<float>((p[j] / sum - target) / n);
      }
    }
    return total / n;
  }
  if (t.size() != y.size())
    throw Error(std::string(to_string(loss.kind)) + ": targets " + to_string(t.shape()) + " do not match outputs " +
                to_string(y.shape()));
  const double count = static_cast<double>(y.size());
  double total = 0;
  const double delta = loss.huber_delta;
  for (std::size_t i = 0; i < y.size(); ++i) {
    const double d = static_cast<double>(y[i]) - t[i];
    double g;
    switch (loss.kind) {
      case LossKind::Mse:
        total += d * d;
        g = 2 * d;
        break;
      case LossKind::L1:
        total += std::abs(d);
        g = d > 0 ? 1 : d < 0 ? -1 : 0;
        break;
      default:
        if (std::abs(d) < delta) total += 0.5 * d * d, g = d;
        else total += delta * (std::abs(d) - 0.5 * delta), g = d > 0 ? delta : -delta;
    }
    if (grad) (*grad)[i] = static_cast<float>(g / count);
  }
  return total / count;
}

}  // namespace nac::nn
