// The `mlp` block, the head: a searched number of hidden linear layers, each with its own width,
// norm, activation (linear -> norm -> activation -> dropout). The template flattens the image
// before it and adds the output layer after it.
//
//   [architecture.mlp]
//   layers = [3, 4]                # choices of the number of hidden layers (the paper: 3; 4 makes
//                                  # BraggNN itself, 64-32-16-8, a point of the space)
//   widths = [4, 8, 16, 32, 64]
//   activations = ["relu", "gelu", "leaky_relu", "none"]
//   norms = ["none", "batch", "layer"]
//   dropout = [0.0]                # choices of the dropout probability
#include "../block_support.hpp"
#include "nac/plugin.hpp"

namespace nac::blocks {

namespace {

const IntChoices kLayers{.key = "layers",
                         .fallback = std::vector<std::int64_t>{3, 4},
                         .range = Range::between(0, 16),
                         .help = "choices of the number of hidden layers"};
const IntChoices kWidths{.key = "widths",
                         .fallback = std::vector<std::int64_t>{4, 8, 16, 32, 64},
                         .range = Range::between(1, 65536),
                         .help = "choices of each hidden layer's width"};
const Setting<std::vector<double>> kDropout{.key = "dropout",
                                            .fallback = std::vector<double>{0.0},
                                            .range = Range{0, 1, false, true},
                                            .help = "choices of the dropout probability"};

class MlpBlock final : public BlockType {
 public:
  explicit MlpBlock(const ConfigTable& c)
      : layers_(int_choices(c, kLayers)),
        widths_(int_choices(c, kWidths)),
        activations_(label_choices(c, kActivationChoices)),
        norms_(label_choices(c, kNormChoices)) {
    for (double d : c.get(kDropout)) dropout_.emplace_back(std::in_place_type<double>, d);
    if (dropout_.empty()) c.fail(kDropout.key, "needs at least one choice");
    for (const auto& l : layers_) max_layers_ = std::max(max_layers_, std::get<std::int64_t>(l));
  }

  std::string name() const override { return "mlp"; }

  SearchSpace space() const override {
    SearchSpace s;
    declare(s, "layers", layers_);
    for (std::int64_t i = 0; i < max_layers_; ++i) {
      const std::optional<Condition> when = deeper_than(layers_, i);
      const std::string n = std::to_string(i);
      declare(s, "width_" + n, widths_, when);
      declare(s, "norm_" + n, norms_, when);
      declare(s, "activation_" + n, activations_, when);
      declare(s, "dropout_" + n, dropout_, when);
    }
    return s;
  }

  void build(const Assignment& a, const std::string& prefix, ModelSpec& m) const override {
    if (m.output().size() != 1)
      throw BlockRejected(prefix + ": the mlp head needs a vector, found " + to_string(m.output()));
    const auto layers = std::get<std::int64_t>(chosen(a, "layers", layers_));
    for (std::int64_t i = 0; i < layers; ++i) {
      const std::string n = std::to_string(i);
      append_layer(m, "linear", prefix + ".fc" + n, {{"out_features", chosen(a, "width_" + n, widths_)}});
      append_norm(m, std::get<std::string>(chosen(a, "norm_" + n, norms_)), prefix + ".norm" + n);
      append_activation(m, std::get<std::string>(chosen(a, "activation_" + n, activations_)), prefix + ".act" + n);
      const double p = std::get<double>(chosen(a, "dropout_" + n, dropout_));
      if (p > 0) append_layer(m, "dropout", prefix + ".dropout" + n, {{"p", p}});
    }
  }

 private:
  std::vector<Value> layers_, widths_, activations_, norms_, dropout_;
  std::int64_t max_layers_ = 0;
};

void register_factories(Registry& r) {
  r.add_block(
      "mlp", [](const ConfigTable& c) { return std::make_unique<MlpBlock>(c); },
      "the head: hidden linear layers with searched widths, norms, activations, dropout",
      describe_settings(kLayers, kWidths, kActivationChoices, kNormChoices, kDropout));
}

}  // namespace

}  // namespace nac::blocks

NAC_PLUGIN("mlp_block", "1.0.0", "The mlp head block", nac::blocks::register_factories)
