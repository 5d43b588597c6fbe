// Elementwise activations. Each keeps nothing between forward and backward: the derivative is
// computed from the input (or, for tanh and sigmoid, the output).
#include <algorithm>
#include <cmath>

#include <omp.h>

#include "layers.hpp"
#include "parallel_ranges.hpp"
#include "nac/detail/cpu_clones.hpp"
#include "nac/fast_math.hpp"
#include "nac/nn/runtime.hpp"
#include "nac/error.hpp"

namespace nac::nn {

namespace {

enum class Kind { Relu, LeakyRelu, Gelu, Tanh, Sigmoid, Identity };

// erfc(z) for z >= 0 with a relative error below 1.2e-7 (the Chebyshev fit of Numerical
// Recipes' erfcc), on the vectorisable exponential: GELU's tail (0.5 x erfc(|x|/sqrt 2) for
// x < 0) keeps its relative accuracy, which 1 + erf(x) would lose.
[[gnu::always_inline]] inline float erfc_positive(float z) {
  const float t = 1.0f / (1.0f + 0.5f * z);
  float p = 0.17087277f;
  p = p * t - 0.82215223f;
  p = p * t + 1.48851587f;
  p = p * t - 1.13520398f;
  p = p * t + 0.27886807f;
  p = p * t - 0.18628806f;
  p = p * t + 0.09678418f;
  p = p * t + 0.37409196f;
  p = p * t + 1.00002368f;
  p = p * t - 1.26551223f;
  return t * fast_exp(p - z * z);
}

// Phi(x), the standard normal CDF.
[[gnu::always_inline]] inline float normal_cdf(float x) {
  const float e = 0.5f * erfc_positive(std::fabs(x) * static_cast<float>(M_SQRT1_2));
  return x < 0 ? e : 1.0f - e;
}

// The per-thread loops, compiled for each CPU (the parallel regions are outside the clones).
// Multiply-adds fuse in the clones for CPUs that have them (GELU's polynomials take half the
// instructions): results may differ between CPUs, never between runs on one.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("fp-contract=fast")
#endif
NAC_CPU_CLONES void forward_kernel(Kind kind, float slope, const float* in, float* out, std::int64_t n) {
  switch (kind) {
    case Kind::Relu:
      for (std::int64_t i = 0; i < n; ++i) out[i] = in[i] > 0 ? in[i] : 0.0f;
      break;
    case Kind::LeakyRelu:
      for (std::int64_t i = 0; i < n; ++i) out[i] = in[i] > 0 ? in[i] : slope * in[i];
      break;
    case Kind::Gelu:  // x * Phi(x)
      for (std::int64_t i = 0; i < n; ++i) out[i] = in[i] * normal_cdf(in[i]);
      break;
    case Kind::Tanh:
      for (std::int64_t i = 0; i < n; ++i) out[i] = std::tanh(in[i]);
      break;
    case Kind::Sigmoid:
      for (std::int64_t i = 0; i < n; ++i) out[i] = 1.0f / (1.0f + fast_exp(-in[i]));
      break;
    case Kind::Identity:
      for (std::int64_t i = 0; i < n; ++i) out[i] = in[i];
      break;
  }
}

NAC_CPU_CLONES void backward_kernel(Kind kind, float slope, const float* in, const float* out, const float* g, float* d,
                                    std::int64_t n) {
  switch (kind) {
    case Kind::Relu:
      for (std::int64_t i = 0; i < n; ++i) d[i] = in[i] > 0 ? g[i] : 0.0f;
      break;
    case Kind::LeakyRelu:
      for (std::int64_t i = 0; i < n; ++i) d[i] = in[i] > 0 ? g[i] : slope * g[i];
      break;
    case Kind::Gelu: {  // Phi(x) + x phi(x)
      const float c = static_cast<float>(1.0 / std::sqrt(2.0 * M_PI));
      for (std::int64_t i = 0; i < n; ++i)
        d[i] = g[i] * (normal_cdf(in[i]) + in[i] * c * fast_exp(-0.5f * in[i] * in[i]));
      break;
    }
    case Kind::Tanh:
      for (std::int64_t i = 0; i < n; ++i) d[i] = g[i] * (1.0f - out[i] * out[i]);
      break;
    case Kind::Sigmoid:
      for (std::int64_t i = 0; i < n; ++i) d[i] = g[i] * out[i] * (1.0f - out[i]);
      break;
    case Kind::Identity:
      for (std::int64_t i = 0; i < n; ++i) d[i] = g[i];
      break;
  }
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif

// Contiguous runs of at least 32k values per thread (less is not worth waking a thread for).
template <class F>
void split(std::int64_t n, F f) {
  const int team = static_cast<int>(std::clamp<std::int64_t>(n / 32768, 1, threads()));
  detail::on_team(team, [&](int t, int nt) {
    const std::int64_t from = n * t / nt / 16 * 16, to = t + 1 == nt ? n : n * (t + 1) / nt / 16 * 16;
    f(from, to - from);
  });
}

class Activation final : public Layer {
 public:
  Activation(const LayerSpec& spec, Kind kind)
      : Layer(spec), kind_(kind), slope_(static_cast<float>(attr_real(spec, "slope", 0.01))) {}

  void forward(const Tensor& x, Tensor& y, const Context&) override {
    y.resize(x.shape());
    const float* in = x.data();
    float* out = y.data();
    split(static_cast<std::int64_t>(x.size()),
          [&](std::int64_t from, std::int64_t n) { forward_kernel(kind_, slope_, in + from, out + from, n); });
  }

  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override {
    if (!dx) return;
    dx->resize(x.shape());
    const float* in = x.data();
    const float* out = y.data();
    const float* g = dy.data();
    float* d = dx->data();
    split(static_cast<std::int64_t>(x.size()), [&](std::int64_t from, std::int64_t n) {
      backward_kernel(kind_, slope_, in + from, out + from, g + from, d + from, n);
    });
  }

 private:
  Kind kind_;
  float slope_;
};

}  // namespace

void leaky_relu_backward(const float* x, const float* g, float slope, float* d, std::int64_t n) {
  split(n, [&](std::int64_t from, std::int64_t m) {
    backward_kernel(Kind::LeakyRelu, slope, x + from, nullptr, g + from, d + from, m);
  });
}

void leaky_relu_forward(const float* x, float slope, float* y, std::int64_t n) {
  split(n, [&](std::int64_t from, std::int64_t m) { forward_kernel(Kind::LeakyRelu, slope, x + from, y + from, m); });
}

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
