// Elementwise activations. Each keeps nothing between forward and backward: the derivative is
// computed from the input (or, for tanh and sigmoid, the output).
#include <cmath>

#include "layers.hpp"
#include "nac/error.hpp"

namespace nac::nn {

namespace {

enum class Kind { Relu, LeakyRelu, Gelu, Tanh, Sigmoid, Identity };

class Activation final : public Layer {
 public:
  Activation(const LayerSpec& spec, Kind kind)
      : Layer(spec), kind_(kind), slope_(static_cast<float>(attr_real(spec, "slope", 0.01))) {}

  void forward(const Tensor& x, Tensor& y, const Context&) override {
    y.resize(x.shape());
    const float* in = x.data();
    float* out = y.data();
    const auto n = static_cast<std::int64_t>(x.size());
    switch (kind_) {
      case Kind::Relu:
#pragma omp parallel for simd schedule(static)
        for (std::int64_t i = 0; i < n; ++i) out[i] = in[i] > 0 ? in[i] : 0.0f;
        break;
      case Kind::LeakyRelu: {
        const float a = slope_;
#pragma omp parallel for simd schedule(static)
        for (std::int64_t i = 0; i < n; ++i) out[i] = in[i] > 0 ? in[i] : a * in[i];
        break;
      }
      case Kind::Gelu:  // exact: x * Phi(x)
#pragma omp parallel for schedule(static)
        for (std::int64_t i = 0; i < n; ++i)
          out[i] = 0.5f * in[i] * (1.0f + std::erf(in[i] * static_cast<float>(M_SQRT1_2)));
        break;
      case Kind::Tanh:
#pragma omp parallel for schedule(static)
        for (std::int64_t i = 0; i < n; ++i) out[i] = std::tanh(in[i]);
        break;
      case Kind::Sigmoid:
#pragma omp parallel for schedule(static)
        for (std::int64_t i = 0; i < n; ++i) out[i] = 1.0f / (1.0f + std::exp(-in[i]));
        break;
      case Kind::Identity: y = x; break;
    }
  }

  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override {
    if (!dx) return;
    dx->resize(x.shape());
    const float* in = x.data();
    const float* out = y.data();
    const float* g = dy.data();
    float* d = dx->data();
    const auto n = static_cast<std::int64_t>(x.size());
    switch (kind_) {
      case Kind::Relu:
#pragma omp parallel for simd schedule(static)
        for (std::int64_t i = 0; i < n; ++i) d[i] = in[i] > 0 ? g[i] : 0.0f;
        break;
      case Kind::LeakyRelu: {
        const float a = slope_;
#pragma omp parallel for simd schedule(static)
        for (std::int64_t i = 0; i < n; ++i) d[i] = in[i] > 0 ? g[i] : a * g[i];
        break;
      }
      case Kind::Gelu: {
        const float c = static_cast<float>(1.0 / std::sqrt(2.0 * M_PI));
#pragma omp parallel for schedule(static)
        for (std::int64_t i = 0; i < n; ++i) {
          const float cdf = 0.5f * (1.0f + std::erf(in[i] * static_cast<float>(M_SQRT1_2)));
          d[i] = g[i] * (cdf + in[i] * c * std::exp(-0.5f * in[i] * in[i]));
        }
        break;
      }
      case Kind::Tanh:
#pragma omp parallel for simd schedule(static)
        for (std::int64_t i = 0; i < n; ++i) d[i] = g[i] * (1.0f - out[i] * out[i]);
        break;
      case Kind::Sigmoid:
#pragma omp parallel for simd schedule(static)
        for (std::int64_t i = 0; i < n; ++i) d[i] = g[i] * out[i] * (1.0f - out[i]);
        break;
      case Kind::Identity: *dx = dy; break;
    }
  }

 private:
  Kind kind_;
  float slope_;
};

}  // namespace

std::unique_ptr<Layer> make_activation(const LayerSpec& spec) {
  const std::string& op = spec.op;
  const Kind k = op == "relu"         ? Kind::Relu
                 : op == "leaky_relu" ? Kind::LeakyRelu
                 : op == "gelu"       ? Kind::Gelu
                 : op == "tanh"       ? Kind::Tanh
                 : op == "sigmoid"    ? Kind::Sigmoid
                 : op == "identity"   ? Kind::Identity
                                      : throw Error("layer '" + spec.name + "': '" + op + "' is not an activation");
  return std::make_unique<Activation>(spec, k);
}

}  // namespace nac::nn
