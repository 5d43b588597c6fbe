#include "nac/nn/optimizer.hpp"

#include <cmath>

#include "nac/error.hpp"
#include "parallel_ranges.hpp"

namespace nac::nn {

namespace {

constexpr std::int64_t kStepParallel = 16385;  // a tensor's update is split over the threads from this size

// Per-parameter state tensors, allocated at the first step (parameters keep their order).
struct Slots {
  std::vector<Tensor> a, b, c;
  void ensure(const std::vector<Param*>& params, int count) {
    if (a.size() == params.size()) return;
    a.clear(), b.clear(), c.clear();
    for (Param* p : params) {
      for (int k = 0; k < count; ++k) {
        Tensor t(p->value().shape());
        t.zero();
        (k == 0 ? a : k == 1 ? b : c).push_back(std::move(t));
      }
    }
  }
};

class Sgd final : public Optimizer {
 public:
  explicit Sgd(OptimizerConfig c) : c_(std::move(c)) {}
  void step(const std::vector<Param*>& params, double lr) override {
    s_.ensure(params, 1);
    const float mu = static_cast<float>(c_.momentum), wd = static_cast<float>(c_.weight_decay);
    for (std::size_t k = 0; k < params.size(); ++k) {
      Tensor& w = params[k]->value();
      const Tensor& g = params[k]->grad();
      Tensor& buf = s_.a[k];
      for (std::size_t i = 0; i < w.size(); ++i) {
        float d = g[i] + wd * w[i];
        if (mu != 0) {
          buf[i] = started_ ? mu * buf[i] + d : d;
          d = c_.nesterov ? d + mu * buf[i] : buf[i];
        }
        w[i] -= static_cast<float>(lr) * d;
      }
      params[k]->apply_mask();
    }
    started_ = true;
  }

 private:
  OptimizerConfig c_;
  Slots s_;
  bool started_ = false;
};

class Adam final : public Optimizer {
 public:
  Adam(OptimizerConfig c, bool decoupled) : c_(std::move(c)), decoupled_(decoupled) {}
  void step(const std::vector<Param*>& params, double lr) override {
    s_.ensure(params, 2);
    ++t_;
    const double b1 = c_.beta1, b2 = c_.beta2;
    const float c1 = static_cast<float>(1 - std::pow(b1, t_)), c2 = static_cast<float>(1 - std::pow(b2, t_));
    const float wd = static_cast<float>(c_.weight_decay), eps = static_cast<float>(c_.eps);
    const float fb1 = static_cast<float>(b1), fb2 = static_cast<float>(b2), flr = static_cast<float>(lr);
    const float sqrt_c2 = std::sqrt(c2);
    for (std::size_t k = 0; k < params.size(); ++k) {
      Tensor& w = params[k]->value();
      const Tensor& g = params[k]->grad();
      float* m = s_.a[k].data();
      float* v = s_.b[k].data();
      const auto n = static_cast<std::int64_t>(w.size());
      float* wp = w.data();
      const float* gp = g.data();
      const bool dec = decoupled_;
      detail::for_ranges(
          static_cast<std::size_t>(n),
          [&](std::int64_t from, std::int64_t to) {
#pragma omp simd
            for (std::int64_t i = from; i < to; ++i) {
              float d = gp[i];
              if (dec) wp[i] -= flr * wd * wp[i];
              else d += wd * wp[i];
              m[i] = fb1 * m[i] + (1 - fb1) * d;
              v[i] = fb2 * v[i] + (1 - fb2) * d * d;
              // PyTorch: w -= lr / c1 * m / (sqrt(v) / sqrt(c2) + eps)
              wp[i] -= flr / c1 * m[i] / (std::sqrt(v[i]) / sqrt_c2 + eps);
            }
          },
          kStepParallel);
      params[k]->apply_mask();
    }
  }

 private:
  OptimizerConfig c_;
  bool decoupled_;
  Slots s_;
  long t_ = 0;
};

class RmsProp final : public Optimizer {
 public:
  explicit RmsProp(OptimizerConfig c) : c_(std::move(c)) {}
  void step(const std::vector<Param*>& params, double lr) override {
    s_.ensure(params, 3);
    const float alpha = static_cast<float>(c_.alpha), wd = static_cast<float>(c_.weight_decay);
    const float eps = static_cast<float>(c_.eps), mu = static_cast<float>(c_.momentum), flr = static_cast<float>(lr);
    for (std::size_t k = 0; k < params.size(); ++k) {
      Tensor& w = params[k]->value();
      const Tensor& g = params[k]->grad();
      float* sq = s_.a[k].data();
      float* avg_g = s_.b[k].data();
      float* buf = s_.c[k].data();
      const auto n = static_cast<std::int64_t>(w.size());
      float* wp = w.data();
      const float* gp = g.data();
      const bool centered = c_.centered;
      detail::for_ranges(
          static_cast<std::size_t>(n),
          [&](std::int64_t from, std::int64_t to) {
#pragma omp simd
            for (std::int64_t i = from; i < to; ++i) {
              const float d = gp[i] + wd * wp[i];
              sq[i] = alpha * sq[i] + (1 - alpha) * d * d;
              float denom;
              if (centered) {
                avg_g[i] = alpha * avg_g[i] + (1 - alpha) * d;
                denom = std::sqrt(sq[i] - avg_g[i] * avg_g[i]) + eps;
              } else {
                denom = std::sqrt(sq[i]) + eps;
              }
              if (mu > 0) {
                buf[i] = mu * buf[i] + d / denom;
                wp[i] -= flr * buf[i];
              } else {
                wp[i] -= flr * d / denom;
              }
            }
          },
          kStepParallel);
      params[k]->apply_mask();
    }
  }

 private:
  OptimizerConfig c_;
  Slots s_;
};

}  // namespace

std::unique_ptr<Optimizer> make_optimizer(const OptimizerConfig& c) {
  auto bad = [&](const std::string& why) { throw Error("optimizer '" + c.kind + "': " + why); };
  if (!(c.lr > 0) || !std::isfinite(c.lr)) bad("lr must be positive");
  if (c.weight_decay < 0) bad("weight_decay must not be negative");
  if (c.momentum < 0 || c.momentum >= 1) bad("momentum must be in [0, 1)");
  if (c.kind == "sgd") {
    if (c.nesterov && c.momentum == 0) bad("Nesterov momentum needs momentum > 0");
    return std::make_unique<Sgd>(c);
  }
  if (c.kind == "adam" || c.kind == "adamw") {
    if (c.beta1 < 0 || c.beta1 >= 1 || c.beta2 < 0 || c.beta2 >= 1) bad("betas must be in [0, 1)");
    return std::make_unique<Adam>(c, c.kind == "adamw");
  }
  if (c.kind == "rmsprop") {
    if (c.alpha < 0 || c.alpha >= 1) bad("alpha must be in [0, 1)");
    return std::make_unique<RmsProp>(c);
  }
  throw Error("unknown optimizer '" + c.kind + "'; known: sgd, adam, adamw, rmsprop");
}

double clip_gradients(const std::vector<Param*>& params, double max_norm) {
  double sum = 0;
  for (Param* p : params)
    for (std::size_t i = 0; i < p->grad().size(); ++i) sum += static_cast<double>(p->grad()[i]) * p->grad()[i];
  const double norm = std::sqrt(sum);
  if (max_norm > 0 && norm > max_norm) {
    const float scale = static_cast<float>(max_norm / (norm + 1e-6));
    for (Param* p : params)
      for (std::size_t i = 0; i < p->grad().size(); ++i) p->grad()[i] *= scale;
  }
  return norm;
}

}  // namespace nac::nn
