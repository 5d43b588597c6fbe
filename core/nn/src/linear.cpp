// Linear layer: y = x W^T + b with W stored (out, in) as in PyTorch. On a set (P, F) it maps each
// element with the same weights (the batch's samples times P rows of one product).
#include <cmath>

#include "int8.hpp"
#include "layers.hpp"
#include "matmul.hpp"

namespace nac::nn {

namespace {

class Linear final : public Layer {
 public:
  /// With `image` (C, H, W), the layer reads a flatten of that image fused into it: its input
  /// arrives in NHWC memory order, and it multiplies by a copy of its weights with the columns in
  /// that order instead of transposing the image (the weights are out/batch times smaller).
  explicit Linear(const LayerSpec& spec, const Shape* image = nullptr)
      : Layer(spec),
        in_(spec.input.back()),
        elements_(spec.input.size() == 2 ? spec.input[0] : 1),
        out_(attr_int(spec, "out_features")),
        has_bias_(attr_int(spec, "bias", 1) != 0),
        weight_(spec.name + ".weight", {out_, in_}),
        bias_(spec.name + ".bias", {has_bias_ ? out_ : 0}) {
    if (image) {
      channels_ = image->at(0);
      pixels_ = image->at(1) * image->at(2);
    }
  }

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
    const std::int64_t n = x.dim(0) * elements_;
    if (elements_ > 1) y.resize({x.dim(0), elements_, out_});
    else y.resize({n, out_});
    const float* in = x.data();
    if (const auto codes = detail::int8_input(ctx, weight_)) {
      if (channels_) {  // the integer path reads the columns in PyTorch's order
        flat_.resize({n, in_});
        transpose_samples(x.data(), flat_.data(), n, pixels_, channels_);
        in = flat_.data();
      }
      int8_.run(n, in_, out_, in, *codes, ctx.input_step, weight_, has_bias_ ? &bias_ : nullptr, y.data());
      detail::record_integer(ctx, name());
      return;
    }
    mm_.run(1, n, in_, out_, false, true, in, weights(), y.data(), has_bias_ ? bias_.effective().data() : nullptr);
  }

  void backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) override {
    const std::int64_t n = x.dim(0) * elements_;
    if (dx) {
      dx->resize(x.shape());
      mm_.run(1, n, out_, in_, false, false, dy.data(), weights(), dx->data());
    }
    if (channels_) {  // the gradient of the reordered columns, put back in PyTorch's order
      grad_nhwc_.resize({out_, in_});
      mm_.run(1, out_, n, in_, true, false, dy.data(), x.data(), grad_nhwc_.data());
      transpose_samples(grad_nhwc_.data(), weight_.grad().data(), out_, pixels_, channels_);
    } else {
      mm_.run(1, out_, n, in_, true, false, dy.data(), x.data(), weight_.grad().data());
    }
    if (has_bias_) detail::column_sums(dy.data(), n, out_, bias_.grad().data());
  }

 private:
  // The weights as the matrix product reads them: the effective weights, or with a fused flatten
  // their columns reordered from (C, H, W) to (H, W, C), remade when the weights change.
  const float* weights() {
    if (!channels_) return weight_.effective().data();
    if (nhwc_version_ != weight_.version()) {
      nhwc_version_ = weight_.version();
      w_nhwc_.resize({out_, in_});
      transpose_samples(weight_.effective().data(), w_nhwc_.data(), out_, channels_, pixels_);
    }
    return w_nhwc_.data();
  }

  std::int64_t in_, elements_, out_;
  std::int64_t channels_ = 0, pixels_ = 0;  // of a fused flatten's image
  bool has_bias_;
  Param weight_, bias_;
  Tensor w_nhwc_, grad_nhwc_, flat_;
  std::uint64_t nhwc_version_ = ~0ull;
  detail::Matmul mm_;
  detail::Int8Linear int8_;
};

}  // namespace

std::unique_ptr<Layer> make_linear(const LayerSpec& spec) { return std::make_unique<Linear>(spec); }
std::unique_ptr<Layer> make_flatten_linear(const LayerSpec& flatten, const LayerSpec& linear) {
  return std::make_unique<Linear>(linear, &flatten.input);
}

}  // namespace nac::nn
