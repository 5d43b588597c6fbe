// The `conv_attention` block: the engine's spatial self-attention (BraggNN's non-local block,
// with its residual add) with a searched hidden width, then a norm and an activation, applied as
// configured (the codesign paper's code silently dropped this activation).
//
//   [architecture.conv_attention]
//   hidden = [1, 2, 4, 8, 16, 32]
//   activations = ["relu", "gelu", "leaky_relu", "none"]
//   norms = ["none", "batch", "layer"]
//   scale = false                   # scores scaled by 1/sqrt(hidden) (BraggNN: no)
#include "../block_support.hpp"
#include "nac/plugin.hpp"

namespace nac::blocks {

namespace {

const IntChoices kHidden{.key = "hidden",
                         .fallback = std::vector<std::int64_t>{1, 2, 4, 8, 16, 32},
                         .range = Range::between(1, 4096),
                         .help = "choices of the attention's hidden width"};
const Setting<bool> kScale{.key = "scale", .fallback = false, .help = "scores scaled by 1/sqrt(hidden) (BraggNN: no)"};

class ConvAttentionBlock final : public BlockType {
 public:
  explicit ConvAttentionBlock(const ConfigTable& c)
      : hidden_(int_choices(c, kHidden)),
        activations_(label_choices(c, kActivationChoices)),
        norms_(label_choices(c, kNormChoices)),
        scale_(c.get(kScale)) {}

  std::string name() const override { return "conv_attention"; }

  SearchSpace space() const override {
    SearchSpace s;
    declare(s, "hidden", hidden_);
    declare(s, "norm", norms_);
    declare(s, "activation", activations_);
    return s;
  }

  void build(const Assignment& a, const std::string& prefix, ModelSpec& m) const override {
    if (m.output().size() != 3)
      throw BlockRejected(prefix + ": attention needs an image, found " + to_string(m.output()));
    append_layer(m, "attention", prefix + ".attention",
                 {{"hidden", chosen(a, "hidden", hidden_)}, {"scale", std::int64_t{scale_ ? 1 : 0}}});
    append_norm(m, std::get<std::string>(chosen(a, "norm", norms_)), prefix + ".norm");
    append_activation(m, std::get<std::string>(chosen(a, "activation", activations_)), prefix + ".act");
  }

 private:
  std::vector<Value> hidden_, activations_, norms_;
  bool scale_;
};

void register_factories(Registry& r) {
  r.add_block(
      "conv_attention", [](const ConfigTable& c) { return std::make_unique<ConvAttentionBlock>(c); },
      "spatial self-attention with a searched hidden width, norm and activation",
      describe_settings(kHidden, kActivationChoices, kNormChoices, kScale));
}

}  // namespace

}  // namespace nac::blocks

NAC_PLUGIN("conv_attention_block", "1.0.0", "The conv_attention block", nac::blocks::register_factories)
