// BatchNorm (1-D on (N, F), 2-D on (N, C, H, W)) and LayerNorm (over all features of a sample:
// (C, H, W) or (F)), with PyTorch's semantics: biased variance for normalising, unbiased for the
// running variance, momentum 0.1, eps 1e-5, affine parameters initialised to 1 and 0.
#include <algorithm>
#include <cmath>
#include <vector>

#include "layers.hpp"
#include "norm_kernels.hpp"

namespace nac::nn {

namespace {

class BatchNorm final : public Layer {
 public:
  explicit BatchNorm(const LayerSpec& spec)
      : Layer(spec),
        channels_(spec.input.size() == 2 ? spec.input[1] : spec.input.at(0)),  // a set: per feature
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

  // An NHWC image is an (N*H*W, C) array, a set batch an (N*P, F) one, a vector batch an (N, C)
  // one (norm_kernels.hpp).
  void forward(const Tensor& x, Tensor& y, const Context& ctx) override {
    y.resize(x.shape());
    const std::int64_t cc = channels_;
    const std::int64_t rows = x.dim(0) * (static_cast<std::int64_t>(x.sample_size()) / cc);  // N*H*W
    training_ = ctx.training;
    mean_.resize({cc});
    inv_std_.resize({cc});
    scale_.resize({cc});
    if (training_) {
      sqdev_.resize(static_cast<std::size_t>(cc));
      detail::channel_mean_sqdev(x.data(), rows, cc, mean_.data(), sqdev_.data());
      const double m = static_cast<double>(rows);
      for (std::int64_t c = 0; c < cc; ++c) {
        const float var = static_cast<float>(sqdev_[c] / m);
        running_mean_[c] = (1 - momentum_) * running_mean_[c] + momentum_ * mean_[c];
        const float unbiased = m > 1 ? static_cast<float>(sqdev_[c] / (m - 1)) : var;
        running_var_[c] = (1 - momentum_) * running_var_[c] + momentum_ * unbiased;
        inv_std_[c] = 1.0f / std::sqrt(var + eps_);
      }
    } else {
      for (std::int64_t c = 0; c < cc; ++c) {
        mean_[c] = running_mean_[c];
        inv_std_[c] = 1.0f / std::sqrt(running_var_[c] + eps_);
      }
    }
    const float* w = weight_.effective().data();
    for (std::int64_t c = 0; c < cc; ++c) scale_[c] = inv_std_[c] * w[c];
    detail::channel_affine(x.data(), mean_.data(), scale_.data(), bias_.effective().data(), rows, cc, y.data());
  }

  // xhat = (x - mean) * inv_std is recomputed from the input rather than kept.
  void backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) override {
    const std::int64_t cc = channels_;
    const std::int64_t rows = x.dim(0) * (static_cast<std::int64_t>(x.sample_size()) / cc);
    const float m = static_cast<float>(rows);
    sum_dy_.resize(static_cast<std::size_t>(cc));
    sum_dy_dev_.resize(static_cast<std::size_t>(cc));
    detail::channel_grad_sums(dy.data(), x.data(), mean_.data(), rows, cc, sum_dy_.data(), sum_dy_dev_.data());
    const float* w = weight_.effective().data();
    p_.resize({3, cc});
    float* p = p_.data();
    float* q = p + cc;
    float* r = q + cc;
    for (std::int64_t c = 0; c < cc; ++c) {
      const float sum_dy_xhat = static_cast<float>(sum_dy_dev_[c]) * inv_std_[c];
      weight_.grad()[c] = sum_dy_xhat;
      bias_.grad()[c] = static_cast<float>(sum_dy_[c]);
      // dx = k (dy - mean(dy) - xhat mean(dy xhat)), k = w inv_std; in evaluation mode k dy.
      const float k = w[c] * inv_std_[c];
      p[c] = k;
      q[c] = training_ ? -k * inv_std_[c] * sum_dy_xhat / m : 0.0f;
      r[c] = training_ ? -k * static_cast<float>(sum_dy_[c]) / m : 0.0f;
    }
    if (!dx) return;
    dx->resize(x.shape());
    detail::channel_backward(dy.data(), x.data(), mean_.data(), p, q, r, rows, cc, dx->data());
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
  Tensor running_mean_, running_var_, mean_, inv_std_, scale_, p_;
  std::vector<double> sqdev_, sum_dy_, sum_dy_dev_;
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
    const std::int64_t n = x.dim(0), d = static_cast<std::int64_t>(x.sample_size());
    mean_.resize({n});
    inv_std_.resize({n});
    to_sample_order(weight_.effective(), w_);
    to_sample_order(bias_.effective(), b_);
    detail::layer_norm_forward(x.data(), w_.data(), b_.data(), n, d, eps_, y.data(), mean_.data(), inv_std_.data());
  }

  void backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) override {
    const std::int64_t n = x.dim(0), d = static_cast<std::int64_t>(x.sample_size());
    gw_.resize({d});
    gb_.resize({d});
    if (dx) dx->resize(x.shape());
    detail::layer_norm_backward(dy.data(), x.data(), w_.data(), mean_.data(), inv_std_.data(), n, d, gw_.data(),
                                gb_.data(), dx ? dx->data() : nullptr);
    from_sample_order(gw_, weight_.grad());
    from_sample_order(gb_, bias_.grad());
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
    if (chw.rank() != 3) return void(std::copy(chw.data(), chw.data() + chw.size(), out.data()));
    const std::int64_t c = chw.dim(0), hw = chw.dim(1) * chw.dim(2);
    for (std::int64_t ch = 0; ch < c; ++ch)
      for (std::int64_t j = 0; j < hw; ++j) out[j * c + ch] = chw[ch * hw + j];
  }
  void from_sample_order(const Tensor& nhwc, Tensor& chw) const {
    if (chw.rank() != 3) return void(std::copy(nhwc.data(), nhwc.data() + nhwc.size(), chw.data()));
    const std::int64_t c = chw.dim(0), hw = chw.dim(1) * chw.dim(2);
    for (std::int64_t ch = 0; ch < c; ++ch)
      for (std::int64_t j = 0; j < hw; ++j) chw[ch * hw + j] = nhwc[j * c + ch];
  }

  float eps_;
  Param weight_, bias_;
  Tensor mean_, inv_std_, w_, b_, gw_, gb_;
};

}  // namespace

std::unique_ptr<Layer> make_batchnorm(const LayerSpec& spec) { return std::make_unique<BatchNorm>(spec); }
std::unique_ptr<Layer> make_layernorm(const LayerSpec& spec) { return std::make_unique<LayerNorm>(spec); }

}  // namespace nac::nn
