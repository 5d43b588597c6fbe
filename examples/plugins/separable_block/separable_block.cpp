// separable_block: a block plugin that adds an op, built outside nac's tree
// (examples/plugins/README.md).
//
// The op `hard_swish` (x * relu6(x + 3) / 6, MobileNetV3's activation) is registered with the op
// registry: its attributes (none), its shape (that of its input), its cost (none: elementwise) and
// its engine layer, implemented here. The block `separable` uses it after a depthwise separable
// convolution: a depthwise k x k convolution (conv2d with groups = channels) and a pointwise 1x1
// convolution to the searched number of channels.
//
//   [architecture]
//   blocks = ["separable", "none"]
//   [architecture.separable]
//   channels = [4, 8, 16, 32]    # choices of the pointwise convolution's output channels
//   kernels = [3, 5]             # choices of the depthwise kernel (odd; "same" padding)
#include <algorithm>

#include "nac/block_type.hpp"
#include "nac/config.hpp"
#include "nac/nn/layer.hpp"
#include "nac/ops.hpp"
#include "nac/plugin.hpp"
#include "nac/settings.hpp"

namespace {

// The engine layer of hard_swish: elementwise, so the tensor layout does not matter.
class HardSwish final : public nac::nn::Layer {
 public:
  using Layer::Layer;

  void forward(const nac::nn::Tensor& x, nac::nn::Tensor& y, const nac::nn::Context&) override {
    y.resize(x.shape());
    const float* in = x.data();
    float* out = y.data();
    for (std::size_t i = 0; i < x.size(); ++i) out[i] = in[i] * std::clamp(in[i] + 3.0f, 0.0f, 6.0f) / 6.0f;
  }

  void backward(const nac::nn::Tensor& x, const nac::nn::Tensor&, const nac::nn::Tensor& dy,
                nac::nn::Tensor* dx) override {
    if (!dx) return;
    dx->resize(x.shape());
    const float* in = x.data();
    const float* g = dy.data();
    float* out = dx->data();
    for (std::size_t i = 0; i < x.size(); ++i) {
      const float v = in[i];
      out[i] = g[i] * (v <= -3.0f ? 0.0f : v >= 3.0f ? 1.0f : (2.0f * v + 3.0f) / 6.0f);
    }
  }
};

nac::OpDef hard_swish_op() {
  nac::OpDef op;
  op.name = "hard_swish";
  op.description = "x * relu6(x + 3) / 6 (MobileNetV3)";
  op.shape = [](const nac::LayerSpec& layer) { return layer.input; };
  op.layer = [](const nac::LayerSpec& spec) { return std::make_unique<HardSwish>(spec); };
  return op;  // no attributes, no cost
}

using Choices = nac::Setting<std::vector<std::int64_t>>;
const Choices kChannels{.key = "channels",
                        .fallback = std::vector<std::int64_t>{4, 8, 16, 32},
                        .range = nac::Range::between(1, 1024),
                        .help = "choices of the pointwise convolution's output channels"};
const Choices kKernels{.key = "kernels",
                       .fallback = std::vector<std::int64_t>{3},
                       .range = nac::Range::between(1, 1024),
                       .help = "choices of the depthwise kernel (odd; \"same\" padding)"};

class SeparableBlock final : public nac::BlockType {
 public:
  explicit SeparableBlock(const nac::ConfigTable& c)
      : channels_(choices(c, kChannels)), kernels_(choices(c, kKernels)) {
    for (const auto& k : kernels_)
      if (std::get<std::int64_t>(k) % 2 == 0)
        c.fail(kKernels.key, "kernel sizes must be odd, found " + nac::to_string(k));
  }

  std::string name() const override { return "separable"; }

  nac::SearchSpace space() const override {
    nac::SearchSpace s;
    s.add(nac::Parameter::categorical("channels", channels_));
    s.add(nac::Parameter::categorical("kernel", kernels_));
    return s;
  }

  void build(const nac::Assignment& a, const std::string& prefix, nac::ModelSpec& m) const override {
    const nac::Shape in = m.output();
    if (in.size() != 3)
      throw nac::BlockRejected(prefix + ": a separable block needs an image, found " + nac::to_string(in));
    const std::int64_t k = std::get<std::int64_t>(a.at("kernel"));
    if (k > std::min(in[1], in[2]))
      throw nac::BlockRejected(prefix + ": kernel " + std::to_string(k) + " exceeds the image");
    nac::append_layer(m, "conv2d", prefix + ".depthwise",
                      {{"out_channels", in[0]}, {"kernel", k}, {"padding", k / 2}, {"groups", in[0]}});
    nac::append_layer(m, "conv2d", prefix + ".pointwise",
                      {{"out_channels", a.at("channels")}, {"kernel", std::int64_t{1}}});
    nac::append_layer(m, "hard_swish", prefix + ".act");
  }

 private:
  static std::vector<nac::Value> choices(const nac::ConfigTable& c, const Choices& setting) {
    const auto v = c.get(setting);
    if (v.empty()) c.fail(setting.key, "needs at least one choice");
    return {v.begin(), v.end()};
  }

  std::vector<nac::Value> channels_, kernels_;
};

void register_factories(nac::Registry& registry) {
  registry.add_op(hard_swish_op());
  registry.add_block(
      "separable", [](const nac::ConfigTable& c) { return std::make_unique<SeparableBlock>(c); },
      "a depthwise separable convolution with a hard_swish activation", nac::describe_settings(kChannels, kKernels));
}

}  // namespace

NAC_PLUGIN("separable_block", "1.0.0", "A depthwise separable block and the hard_swish op (an example)",
           register_factories)
