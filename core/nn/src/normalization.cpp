// BatchNorm (1-D on (N, F), 2-D on (N, C, H, W)) and LayerNorm (over all features of a sample:
// (C, H, W) or (F)), with PyTorch's semantics: biased variance for normalising, unbiased for the
// running variance, momentum 0.1, eps 1e-5, affine parameters initialised to 1 and 0.
#include <cmath>

#include "layers.hpp"

namespace nac::nn {

namespace {

class BatchNorm final : public Layer {
 public:
  explicit BatchNorm(const LayerSpec& spec)
      : Layer(spec),
        channels_(spec.input.at(0)),
        momentum_(static_cast<float>(attr_real(spec, "momentum", 0.1))),
        eps_(static_cast<float>(attr_real(spec, "eps", 1e-5))),
        weight_(spec.name + ".weight", {channels_}),
        bias_(spec.name + ".bias", {channels_}),
        running_mean_({channels_}),
        running_var_({channels_}) {
    initialize_defaults();
  }

  std::vector<Param*> params() override { return {&weight_, &bias_}; }
  std::vector<std::pair<std::string, Tensor*>> buffers() override {
    return {{name() + ".running_mean", &running_mean_}, {name() + ".running_var", &running_var_}};
  }
  void initialize(Rng&) override { initialize_defaults(); }

  // Element (sample i, channel c, position j) of an NHWC image (or of a vector, inner = 1).
  void forward(const Tensor& x, Tensor& y, const Context& ctx) override {
    y.resize(x.shape());
    const std::int64_t n = x.dim(0), cc = channels_;
    const std::int64_t rows = n * (static_cast<std::int64_t>(x.sample_size()) / cc);  // N*H*W
    const double m = static_cast<double>(rows);
    training_ = ctx.training;
    xhat_.resize(x.shape());
    inv_std_.resize({cc});
    const float* w = weight_.effective().data();
    const float* b = bias_.effective().data();
    const float* in = x.data();
#pragma omp parallel for schedule(static)
    for (std::int64_t c = 0; c < cc; ++c) {
      float mean, var;
      if (training_) {
        double s = 0, s2 = 0;
        for (std::int64_t r = 0; r < rows; ++r) s += in[r * cc + c];
        mean = static_cast<float>(s / m);
        for (std::int64_t r = 0; r < rows; ++r) s2 += (in[r * cc + c] - mean) * (in[r * cc + c] - mean);
        var = static_cast<float>(s2 / m);
        running_mean_[c] = (1 - momentum_) * running_mean_[c] + momentum_ * mean;
        const float unbiased = m > 1 ? static_cast<float>(s2 / (m - 1)) : var;
        running_var_[c] = (1 - momentum_) * running_var_[c] + momentum_ * unbiased;
      } else {
        mean = running_mean_[c];
        var = running_var_[c];
      }
      const float is = 1.0f / std::sqrt(var + eps_);
      inv_std_[c] = is;
      for (std::int64_t r = 0; r < rows; ++r) {
        const float h = (in[r * cc + c] - mean) * is;
        xhat_[r * cc + c] = h;
        y[r * cc + c] = h * w[c] + b[c];
      }
    }
  }

  void backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) override {
    const std::int64_t n = x.dim(0), cc = channels_;
    const std::int64_t rows = n * (static_cast<std::int64_t>(x.sample_size()) / cc);
    const float m = static_cast<float>(rows);
    if (dx) dx->resize(x.shape());
    const float* w = weight_.effective().data();
#pragma omp parallel for schedule(static)
    for (std::int64_t c = 0; c < cc; ++c) {
      double sum_dy = 0, sum_dy_xhat = 0;
      for (std::int64_t r = 0; r < rows; ++r) {
        sum_dy += dy[r * cc + c];
        sum_dy_xhat += dy[r * cc + c] * xhat_[r * cc + c];
      }
      weight_.grad()[c] = static_cast<float>(sum_dy_xhat);
      bias_.grad()[c] = static_cast<float>(sum_dy);
      if (!dx) continue;
      const float k = w[c] * inv_std_[c];
      const float a = static_cast<float>(sum_dy) / m, b = static_cast<float>(sum_dy_xhat) / m;
      for (std::int64_t r = 0; r < rows; ++r) {
        const std::int64_t o = r * cc + c;
        (*dx)[o] = training_ ? k * (dy[o] - a - xhat_[o] * b) : k * dy[o];
      }
    }
  }

 private:
  void initialize_defaults() {
    weight_.value().fill(1);
    bias_.value().zero();
    running_mean_.zero();
    running_var_.fill(1);
    weight_.refresh();
  }

  std::int64_t channels_;
  float momentum_, eps_;
  Param weight_, bias_;
  Tensor running_mean_, running_var_, xhat_, inv_std_;
  bool training_ = false;
};

class LayerNorm final : public Layer {
 public:
  explicit LayerNorm(const LayerSpec& spec)
      : Layer(spec),
        eps_(static_cast<float>(attr_real(spec, "eps", 1e-5))),
        weight_(spec.name + ".weight", spec.input),
        bias_(spec.name + ".bias", spec.input) {
    initialize_defaults();
  }

  std::vector<Param*> params() override { return {&weight_, &bias_}; }
  void initialize(Rng&) override { initialize_defaults(); }

  void forward(const Tensor& x, Tensor& y, const Context&) override {
    y.resize(x.shape());
    xhat_.resize(x.shape());
    const std::int64_t n = x.dim(0), d = static_cast<std::int64_t>(x.sample_size());
    inv_std_.resize({n});
    to_sample_order(weight_.effective(), w_);
    to_sample_order(bias_.effective(), b_);
    const float* w = w_.data();
    const float* b = b_.data();
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < n; ++i) {
      const float* p = x.data() + i * d;
      double s = 0, s2 = 0;
      for (std::int64_t j = 0; j < d; ++j) s += p[j];
      const float mean = static_cast<float>(s / d);
      for (std::int64_t j = 0; j < d; ++j) s2 += (p[j] - mean) * (p[j] - mean);
      const float is = 1.0f / std::sqrt(static_cast<float>(s2 / d) + eps_);
      inv_std_[i] = is;
      float* h = xhat_.data() + i * d;
      float* out = y.data() + i * d;
      for (std::int64_t j = 0; j < d; ++j) {
        h[j] = (p[j] - mean) * is;
        out[j] = h[j] * w[j] + b[j];
      }
    }
  }

  void backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) override {
    const std::int64_t n = x.dim(0), d = static_cast<std::int64_t>(x.sample_size());
    const float* w = w_.data();
    gw_.resize({d});
    gb_.resize({d});
#pragma omp parallel for schedule(static)
    for (std::int64_t j = 0; j < d; ++j) {
      float gw = 0, gb = 0;
      for (std::int64_t i = 0; i < n; ++i) {
        gw += dy[i * d + j] * xhat_[i * d + j];
        gb += dy[i * d + j];
      }
      gw_[j] = gw;
      gb_[j] = gb;
    }
    from_sample_order(gw_, weight_.grad());
    from_sample_order(gb_, bias_.grad());
    if (!dx) return;
    dx->resize(x.shape());
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < n; ++i) {
      const float* g = dy.data() + i * d;
      const float* h = xhat_.data() + i * d;
      float* out = dx->data() + i * d;
      double a = 0, b = 0;
      for (std::int64_t j = 0; j < d; ++j) {
        const float gh = g[j] * w[j];
        a += gh;
        b += gh * h[j];
      }
      const float ma = static_cast<float>(a / d), mb = static_cast<float>(b / d);
      for (std::int64_t j = 0; j < d; ++j) out[j] = inv_std_[i] * (g[j] * w[j] - ma - h[j] * mb);
    }
  }

 private:
  void initialize_defaults() {
    weight_.value().fill(1);
    bias_.value().zero();
    weight_.refresh();
  }

  // Parameters are (C, H, W) as in PyTorch; a sample is stored NHWC: position j, channel c.
  void to_sample_order(const Tensor& chw, Tensor& out) const {
    out.resize(chw.shape());
    if (chw.rank() != 3) return void(out = chw);
    const std::int64_t c = chw.dim(0), hw = chw.dim(1) * chw.dim(2);
    for (std::int64_t ch = 0; ch < c; ++ch)
      for (std::int64_t j = 0; j < hw; ++j) out[j * c + ch] = chw[ch * hw + j];
  }
  void from_sample_order(const Tensor& nhwc, Tensor& chw) const {
    if (chw.rank() != 3) return void(chw = Tensor(nhwc));
    const std::int64_t c = chw.dim(0), hw = chw.dim(1) * chw.dim(2);
    for (std::int64_t ch = 0; ch < c; ++ch)
      for (std::int64_t j = 0; j < hw; ++j) chw[ch * hw + j] = nhwc[j * c + ch];
  }

  float eps_;
  Param weight_, bias_;
  Tensor xhat_, inv_std_, w_, b_, gw_, gb_;
};

}  // namespace

std::unique_ptr<Layer> make_batchnorm(const LayerSpec& spec) { return std::make_unique<BatchNorm>(spec); }
std::unique_ptr<Layer> make_layernorm(const LayerSpec& spec) { return std::make_unique<LayerNorm>(spec); }

}  // namespace nac::nn
