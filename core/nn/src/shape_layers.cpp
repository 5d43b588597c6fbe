// Layers that reshape, drop or quantize: flatten, softmax, dropout, fake_quant.
#include <algorithm>
#include <cmath>

#include "activation_quant.hpp"
#include "layers.hpp"
#include "parallel_ranges.hpp"
#include "nac/error.hpp"
#include "nac/nn/quantizer.hpp"

namespace nac::nn {

namespace {

// Flatten in PyTorch's order (C, H, W): images are stored NHWC, so this is a transpose.
class Flatten final : public Layer {
 public:
  using Layer::Layer;
  void forward(const Tensor& x, Tensor& y, const Context&) override {
    if (x.rank() == 4) nhwc_to_nchw(x, y);
    else y = x;
    y.resize({x.dim(0), static_cast<std::int64_t>(x.sample_size())});
  }
  void backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) override {
    if (!dx) return;
    dx->resize(x.shape());
    if (x.rank() == 4) transpose_samples(dy.data(), dx->data(), x.dim(0), x.dim(1), x.dim(2) * x.dim(3));
    else std::copy(dy.data(), dy.data() + dy.size(), dx->data());
  }
};

// Softmax over the features of each sample.
class Softmax final : public Layer {
 public:
  using Layer::Layer;
  void forward(const Tensor& x, Tensor& y, const Context&) override {
    y.resize(x.shape());
    const auto rows = x.dim(0);
    const auto f = static_cast<std::int64_t>(x.sample_size());
    detail::parallel_for(rows, [&](std::int64_t r) {
      const float* in = x.data() + r * f;
      float* out = y.data() + r * f;
      const float mx = *std::max_element(in, in + f);
      float sum = 0;
      for (std::int64_t j = 0; j < f; ++j) sum += out[j] = std::exp(in[j] - mx);
      for (std::int64_t j = 0; j < f; ++j) out[j] /= sum;
    });
  }
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override {
    if (!dx) return;
    dx->resize(x.shape());
    const auto rows = x.dim(0);
    const auto f = static_cast<std::int64_t>(x.sample_size());
    detail::parallel_for(rows, [&](std::int64_t r) {
      const float* s = y.data() + r * f;
      const float* g = dy.data() + r * f;
      float* d = dx->data() + r * f;
      float dot = 0;
      for (std::int64_t j = 0; j < f; ++j) dot += s[j] * g[j];
      for (std::int64_t j = 0; j < f; ++j) d[j] = s[j] * (g[j] - dot);
    });
  }
};

// Inverted dropout: in training, zero with probability p and scale the rest by 1/(1-p).
class Dropout final : public Layer {
 public:
  explicit Dropout(const LayerSpec& spec) : Layer(spec), p_(attr_real(spec, "p", 0.5)) {
    if (!(p_ >= 0 && p_ < 1))
      throw Error("layer '" + spec.name + "': dropout p must be in [0, 1), found " + std::to_string(p_));
  }
  void forward(const Tensor& x, Tensor& y, const Context& ctx) override {
    y = x;
    active_ = ctx.training && p_ > 0;
    if (!active_) return;
    if (!ctx.rng) throw Error("layer '" + name() + "': dropout in training needs a random generator");
    mask_.resize(x.shape());
    const float keep = static_cast<float>(1.0 / (1.0 - p_));
    for (std::size_t i = 0; i < x.size(); ++i) {
      mask_[i] = ctx.rng->uniform() < p_ ? 0.0f : keep;
      y[i] *= mask_[i];
    }
  }
  void backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) override {
    if (!dx) return;
    *dx = dy;
    if (!active_) return;
    for (std::size_t i = 0; i < x.size(); ++i) (*dx)[i] *= mask_[i];
  }

 private:
  double p_;
  bool active_ = false;
  Tensor mask_;
};

// Fake quantization of activations (per tensor) to a scaled integer, as an op of its own (an
// `input` precision on the next layer does the same).
class FakeQuant final : public Layer {
 public:
  explicit FakeQuant(const LayerSpec& spec)
      : Layer(spec),
        q_(spec.name, NumberType::scaled_int(static_cast<int>(attr_int(spec, "bits", 8)), true, false,
                                             attr_int(spec, "power_of_two", 0) != 0)) {}
  std::vector<std::pair<std::string, Tensor*>> buffers() override { return q_.buffers(); }
  void forward(const Tensor& x, Tensor& y, const Context& ctx) override { q_.forward(x, y, ctx.training); }
  void backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) override {
    if (dx) q_.backward(x, dy, *dx);
  }

 private:
  ActivationQuantizer q_;
};

}  // namespace

std::unique_ptr<Layer> make_flatten(const LayerSpec& spec) { return std::make_unique<Flatten>(spec); }
std::unique_ptr<Layer> make_softmax(const LayerSpec& spec) { return std::make_unique<Softmax>(spec); }
std::unique_ptr<Layer> make_dropout(const LayerSpec& spec) { return std::make_unique<Dropout>(spec); }
std::unique_ptr<Layer> make_fake_quant(const LayerSpec& spec) { return std::make_unique<FakeQuant>(spec); }

}  // namespace nac::nn
