// The `conv` block: `layers` convolutions, each with its own searched output channels, kernel,
// norm and activation (conv -> norm -> activation). Valid padding, as BraggNN's convolutions: a
// kernel larger than the image it meets is repaired to 1 (the paper's rule), so no candidate is
// mis-sized.
//
//   [architecture.conv]
//   layers = 2                                   # convolutions per block
//   channels = [2, 4, 8, 16, 32, 64]             # choices of output channels
//   kernels = [1, 3]                             # choices of kernel size (odd)
//   activations = ["relu", "gelu", "leaky_relu", "none"]
//   norms = ["none", "batch", "layer"]
//   padding = "valid"                            # or "same"
#include "../block_support.hpp"
#include "nac/plugin.hpp"

namespace nac::blocks {

namespace {

const Setting<std::int64_t> kLayers{
    .key = "layers", .fallback = 2, .range = Range::between(1, 16), .help = "convolutions per block"};
const IntChoices kChannels{.key = "channels",
                           .fallback = std::vector<std::int64_t>{2, 4, 8, 16, 32, 64},
                           .range = Range::between(1, 4096),
                           .help = "choices of output channels"};
const IntChoices kKernels{.key = "kernels",
                          .fallback = std::vector<std::int64_t>{1, 3},
                          .range = Range::between(1, 15),
                          .help = "choices of kernel size (odd)"};
const Setting<std::string> kPadding{.key = "padding",
                                    .fallback = "valid",
                                    .choices = {"valid", "same"},
                                    .help = "valid (a kernel larger than the image is repaired to 1) or same"};

class ConvBlock final : public BlockType {
 public:
  explicit ConvBlock(const ConfigTable& c)
      : layers_(c.get(kLayers)),
        channels_(int_choices(c, kChannels)),
        kernels_(int_choices(c, kKernels)),
        activations_(label_choices(c, kActivationChoices)),
        norms_(label_choices(c, kNormChoices)),
        same_(c.get(kPadding) == "same") {
    for (const auto& k : kernels_)
      if (std::get<std::int64_t>(k) % 2 == 0) c.fail(kKernels.key, "kernel sizes must be odd, found " + to_string(k));
  }

  std::string name() const override { return "conv"; }

  SearchSpace space() const override {
    SearchSpace s;
    for (std::int64_t i = 0; i < layers_; ++i) {
      const std::string n = std::to_string(i);
      declare(s, "channels_" + n, channels_);
      declare(s, "kernel_" + n, kernels_);
      declare(s, "norm_" + n, norms_);
      declare(s, "activation_" + n, activations_);
    }
    return s;
  }

  void build(const Assignment& a, const std::string& prefix, ModelSpec& m) const override {
    for (std::int64_t i = 0; i < layers_; ++i) {
      const std::string n = std::to_string(i);
      const auto out = std::get<std::int64_t>(chosen(a, "channels_" + n, channels_));
      std::int64_t k = std::get<std::int64_t>(chosen(a, "kernel_" + n, kernels_));
      const Shape& in = m.output();
      if (in.size() != 3) throw BlockRejected(prefix + ": a conv block needs an image, found " + to_string(in));
      std::map<std::string, Value> attrs{{"out_channels", out}, {"kernel", k}};
      if (same_) {
        attrs["padding"] = k / 2;
      } else if (k > std::min(in[1], in[2])) {
        attrs["kernel"] = std::int64_t{1};  // repaired: the image is too small for this kernel
        attrs["repaired_from_kernel"] = k;
      }
      append_layer(m, "conv2d", prefix + ".conv" + n, attrs);
      append_norm(m, std::get<std::string>(chosen(a, "norm_" + n, norms_)), prefix + ".norm" + n);
      append_activation(m, std::get<std::string>(chosen(a, "activation_" + n, activations_)), prefix + ".act" + n);
    }
  }

 private:
  std::int64_t layers_;
  std::vector<Value> channels_, kernels_, activations_, norms_;
  bool same_;
};

void register_factories(Registry& r) {
  r.add_block(
      "conv", [](const ConfigTable& c) { return std::make_unique<ConvBlock>(c); },
      "convolutions with searched channels, kernels, norms and activations",
      describe_settings(kLayers, kChannels, kKernels, kActivationChoices, kNormChoices, kPadding));
}

}  // namespace

}  // namespace nac::blocks

NAC_PLUGIN("conv_block", "1.0.0", "The conv block", nac::blocks::register_factories)
