// The `deepsets` block: a Deep Sets network's phi and aggregation (Zaheer et al. 2017, as the jet
// taggers of l1-jet-id and the 2025 codesign paper use them). On a set (P, F), e.g. a jet's
// constituents, a searched number of linear layers maps every element with the same weights
// (linear -> activation), then set_pool aggregates the elements into one vector; the template's
// head (the `mlp` block) is rho.
//
//   [architecture]
//   slots = 1
//   blocks = ["deepsets"]
//   head = "mlp"
//
//   [architecture.deepsets]
//   layers = [1, 2, 3]             # choices of the number of phi layers
//   widths = [8, 16, 32, 64]       # choices of each phi layer's width
//   activations = ["relu"]
//   aggregations = ["mean", "max"] # set_pool's reduce: mean, sum, max
#include "../block_support.hpp"
#include "nac/plugin.hpp"

namespace nac::blocks {

namespace {

const IntChoices kLayers{.key = "layers",
                         .fallback = std::vector<std::int64_t>{1, 2, 3},
                         .range = Range::between(1, 16),
                         .help = "choices of the number of phi layers (each element's linear layers)"};
const IntChoices kWidths{.key = "widths",
                         .fallback = std::vector<std::int64_t>{8, 16, 32, 64},
                         .range = Range::between(1, 65536),
                         .help = "choices of each phi layer's width"};
const LabelChoices kAggregations{.key = "aggregations",
                                 .fallback = std::vector<std::string>{"mean", "max"},
                                 .choices = {"mean", "sum", "max"},
                                 .help = "choices of the aggregation over the set's elements"};
const LabelChoices kPhiActivations{.key = "activations",
                                   .fallback = std::vector<std::string>{"relu", "gelu", "leaky_relu"},
                                   .choices = kActivations,
                                   .help = "choices of the activation after each phi layer"};

class DeepSetsBlock final : public BlockType {
 public:
  explicit DeepSetsBlock(const ConfigTable& c)
      : layers_(int_choices(c, kLayers)),
        widths_(int_choices(c, kWidths)),
        activations_(label_choices(c, kPhiActivations)),
        aggregations_(label_choices(c, kAggregations)) {
    for (const auto& l : layers_) max_layers_ = std::max(max_layers_, std::get<std::int64_t>(l));
  }

  std::string name() const override { return "deepsets"; }

  SearchSpace space() const override {
    SearchSpace s;
    declare(s, "layers", layers_);
    for (std::int64_t i = 0; i < max_layers_; ++i) {
      std::optional<Condition> when;  // layer i exists when the number of layers is above i
      if (layers_.size() > 1) {
        std::vector<Value> deeper;
        for (const auto& l : layers_)
          if (std::get<std::int64_t>(l) > i) deeper.push_back(l);
        if (deeper.size() < layers_.size()) when = Condition{"layers", deeper};
      }
      const std::string n = std::to_string(i);
      declare(s, "width_" + n, widths_, when);
      declare(s, "activation_" + n, activations_, when);
    }
    declare(s, "aggregation", aggregations_);
    return s;
  }

  void build(const Assignment& a, const std::string& prefix, ModelSpec& m) const override {
    if (m.output().size() != 2)
      throw BlockRejected(prefix + ": the deepsets block needs a set (P, F), found " + to_string(m.output()) +
                          " (a task's set view, such as the jets task's view = \"constituents\")");
    const auto layers = std::get<std::int64_t>(chosen(a, "layers", layers_));
    for (std::int64_t i = 0; i < layers; ++i) {
      const std::string n = std::to_string(i);
      append_layer(m, "linear", prefix + ".phi" + n, {{"out_features", chosen(a, "width_" + n, widths_)}});
      append_activation(m, std::get<std::string>(chosen(a, "activation_" + n, activations_)), prefix + ".act" + n);
    }
    append_layer(m, "set_pool", prefix + ".pool", {{"reduce", chosen(a, "aggregation", aggregations_)}});
  }

 private:
  std::vector<Value> layers_, widths_, activations_, aggregations_;
  std::int64_t max_layers_ = 0;
};

void register_factories(Registry& r) {
  r.add_block(
      "deepsets", [](const ConfigTable& c) { return std::make_unique<DeepSetsBlock>(c); },
      "a Deep Sets network's phi (linear layers shared by a set's elements) and aggregation (mean, sum, max)",
      describe_settings(kLayers, kWidths, kPhiActivations, kAggregations));
}

}  // namespace

}  // namespace nac::blocks

NAC_PLUGIN("deepsets_block", "1.0.0", "The Deep Sets block (phi and aggregation)", nac::blocks::register_factories)
