// A Deep Sets network's aggregation (op set_pool): a set (N, P, F) to vectors (N, F) by the mean,
// sum or max over its P elements. Max sends the gradient to the first element that holds it.
#include <string>
#include <vector>

#include "layers.hpp"
#include "parallel_ranges.hpp"

namespace nac::nn {

namespace {

class SetPool final : public Layer {
 public:
  enum class Reduce { Mean, Sum, Max };

  explicit SetPool(const LayerSpec& spec) : Layer(spec) {
    const std::string r = attr_string(spec, "reduce", "mean");
    reduce_ = r == "max" ? Reduce::Max : r == "sum" ? Reduce::Sum : Reduce::Mean;
  }

  void forward(const Tensor& x, Tensor& y, const Context&) override {
    const std::int64_t n = x.dim(0), p = x.dim(1), f = x.dim(2);
    y.resize({n, f});
    if (reduce_ == Reduce::Max) argmax_.resize(static_cast<std::size_t>(n * f));
    const float scale = reduce_ == Reduce::Mean ? 1.0f / static_cast<float>(p) : 1.0f;
    detail::parallel_for(n, [&](std::int64_t s) {
      const float* in = x.data() + s * p * f;
      float* out = y.data() + s * f;
      if (reduce_ == Reduce::Max) {
        std::int32_t* at = argmax_.data() + s * f;
        for (std::int64_t j = 0; j < f; ++j) out[j] = in[j], at[j] = 0;
        for (std::int64_t e = 1; e < p; ++e)
          for (std::int64_t j = 0; j < f; ++j)
            if (in[e * f + j] > out[j]) out[j] = in[e * f + j], at[j] = static_cast<std::int32_t>(e);
        return;
      }
      for (std::int64_t j = 0; j < f; ++j) out[j] = 0;
      for (std::int64_t e = 0; e < p; ++e)
        for (std::int64_t j = 0; j < f; ++j) out[j] += in[e * f + j];
      for (std::int64_t j = 0; j < f; ++j) out[j] *= scale;
    });
  }

  void backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) override {
    if (!dx) return;
    const std::int64_t n = x.dim(0), p = x.dim(1), f = x.dim(2);
    dx->resize(x.shape());
    const float scale = reduce_ == Reduce::Mean ? 1.0f / static_cast<float>(p) : 1.0f;
    detail::parallel_for(n, [&](std::int64_t s) {
      const float* g = dy.data() + s * f;
      float* d = dx->data() + s * p * f;
      if (reduce_ == Reduce::Max) {
        const std::int32_t* at = argmax_.data() + s * f;
        for (std::int64_t i = 0; i < p * f; ++i) d[i] = 0;
        for (std::int64_t j = 0; j < f; ++j) d[at[j] * f + j] = g[j];
        return;
      }
      for (std::int64_t e = 0; e < p; ++e)
        for (std::int64_t j = 0; j < f; ++j) d[e * f + j] = g[j] * scale;
    });
  }

 private:
  Reduce reduce_ = Reduce::Mean;
  std::vector<std::int32_t> argmax_;  // per sample and feature: the element of the max
};

}  // namespace

std::unique_ptr<Layer> make_set_pool(const LayerSpec& spec) { return std::make_unique<SetPool>(spec); }

}  // namespace nac::nn
