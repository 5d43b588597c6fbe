// Linear layer: y = x W^T + b with W stored (out, in) as in PyTorch.
#include <cmath>

#include "int8.hpp"
#include "layers.hpp"
#include "matmul.hpp"

namespace nac::nn {

namespace {

class Linear final : public Layer {
 public:
  explicit Linear(const LayerSpec& spec)
      : Layer(spec),
        in_(spec.input.at(0)),
        out_(attr_int(spec, "out_features")),
        has_bias_(attr_int(spec, "bias", 1) != 0),
        weight_(spec.name + ".weight", {out_, in_}),
        bias_(spec.name + ".bias", {has_bias_ ? out_ : 0}) {}

  std::vector<Param*> params() override {
    if (has_bias_) return {&weight_, &bias_};
    return {&weight_};
  }

  void initialize(Rng& rng) override {
    const float bound = 1.0f / std::sqrt(static_cast<float>(in_));
    for (std::size_t i = 0; i < weight_.value().size(); ++i)
      weight_.value()[i] = static_cast<float>(rng.uniform(-bound, bound));
    for (std::size_t i = 0; i < bias_.value().size(); ++i)
      bias_.value()[i] = static_cast<float>(rng.uniform(-bound, bound));
    weight_.refresh();
  }

  void forward(const Tensor& x, Tensor& y, const Context& ctx) override {
    const std::int64_t n = x.dim(0);
    y.resize({n, out_});
    if (const auto codes = detail::int8_input(ctx, weight_)) {
      int8_.run(n, in_, out_, x.data(), *codes, ctx.input_step, weight_, has_bias_ ? &bias_ : nullptr, y.data());
      detail::record_integer(ctx, name());
      return;
    }
    mm_.run(1, n, in_, out_, false, true, x.data(), weight_.effective().data(), y.data(),
            has_bias_ ? bias_.effective().data() : nullptr);
  }

  void backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) override {
    const std::int64_t n = x.dim(0);
    if (dx) {
      dx->resize(x.shape());
      mm_.run(1, n, out_, in_, false, false, dy.data(), weight_.effective().data(), dx->data());
    }
    mm_.run(1, out_, n, in_, true, false, dy.data(), x.data(), weight_.grad().data());
    if (has_bias_) {
      float* db = bias_.grad().data();
      for (std::int64_t o = 0; o < out_; ++o) db[o] = 0;
      for (std::int64_t i = 0; i < n; ++i) {
        const float* row = dy.data() + i * out_;
        for (std::int64_t o = 0; o < out_; ++o) db[o] += row[o];
      }
    }
  }

 private:
  std::int64_t in_, out_;
  bool has_bias_;
  Param weight_, bias_;
  detail::Matmul mm_;
  detail::Int8Linear int8_;
};

}  // namespace

std::unique_ptr<Layer> make_linear(const LayerSpec& spec) { return std::make_unique<Linear>(spec); }

}  // namespace nac::nn
