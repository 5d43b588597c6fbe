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
//   [architecture.deepsets]        # the defaults: the 2025 codesign paper's Deep Sets space
//   layers = [1, 2, 3, 4]          # choices of the number of phi layers
//   widths = [8, 16, 32, 64, 128]  # choices of the width of each phi layer but the last
//   bottlenecks = [1, 2, 4, 8, 16, 32, 64]  # choices of the last phi layer's width
//   activations = ["relu", "gelu", "leaky_relu"]
//   norms = ["none", "batch"]      # after each phi layer (batch norm per feature over the
//                                  # batch and the elements)
//   aggregations = ["mean", "max"] # set_pool's reduce: mean, sum, max
#include "../block_support.hpp"
#include "nac/plugin.hpp"

namespace nac::blocks {

namespace {

const IntChoices kLayers{.key = "layers",
                         .fallback = std::vector<std::int64_t>{1, 2, 3, 4},
                         .range = Range::between(1, 16),
                         .help = "choices of the number of phi layers (each element's linear layers)"};
const IntChoices kWidths{.key = "widths",
                         .fallback = std::vector<std::int64_t>{8, 16, 32, 64, 128},
                         .range = Range::between(1, 65536),
                         .help = "choices of the width of each phi layer but the last"};
const IntChoices kBottlenecks{.key = "bottlenecks",
                              .fallback = std::vector<std::int64_t>{1, 2, 4, 8, 16, 32, 64},
                              .range = Range::between(1, 65536),
                              .help = "choices of the last phi layer's width (the aggregated features)"};
const LabelChoices kSetNorms{.key = "norms",
                             .fallback = std::vector<std::string>{"none", "batch"},
                             .choices = {"none", "batch"},
                             .help = "choices of the norm after each phi layer"};
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
        bottlenecks_(int_choices(c, kBottlenecks)),
        activations_(label_choices(c, kPhiActivations)),
        norms_(label_choices(c, kSetNorms)),
        aggregations_(label_choices(c, kAggregations)) {
    for (const auto& l : layers_) max_layers_ = std::max(max_layers_, std::get<std::int64_t>(l));
  }

  std::string name() const override { return "deepsets"; }

  SearchSpace space() const override {
    SearchSpace s;
    declare(s, "layers", layers_);
    for (std::int64_t i = 0; i < max_layers_; ++i) {
      const std::optional<Condition> when = deeper_than(layers_, i);
      const std::string n = std::to_string(i);
      if (i + 1 < max_layers_) declare(s, "width_" + n, widths_, deeper_than(layers_, i + 1));  // not the last
      declare(s, "norm_" + n, norms_, when);
      declare(s, "activation_" + n, activations_, when);
    }
    declare(s, "bottleneck", bottlenecks_);
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
      const Value width = i + 1 == layers ? chosen(a, "bottleneck", bottlenecks_) : chosen(a, "width_" + n, widths_);
      append_layer(m, "linear", prefix + ".phi" + n, {{"out_features", width}});
      append_norm(m, std::get<std::string>(chosen(a, "norm_" + n, norms_)), prefix + ".norm" + n);
      append_activation(m, std::get<std::string>(chosen(a, "activation_" + n, activations_)), prefix + ".act" + n);
    }
    append_layer(m, "set_pool", prefix + ".pool", {{"reduce", chosen(a, "aggregation", aggregations_)}});
  }

 private:
  std::vector<Value> layers_, widths_, bottlenecks_, activations_, norms_, aggregations_;
  std::int64_t max_layers_ = 0;
};

void register_factories(Registry& r) {
  r.add_block(
      "deepsets", [](const ConfigTable& c) { return std::make_unique<DeepSetsBlock>(c); },
      "a Deep Sets network's phi (linear layers shared by a set's elements) and aggregation (mean, sum, max)",
      describe_settings(kLayers, kWidths, kBottlenecks, kPhiActivations, kSetNorms, kAggregations));
}

}  // namespace

}  // namespace nac::blocks

NAC_PLUGIN("deepsets_block", "1.0.0", "The Deep Sets block (phi and aggregation)", nac::blocks::register_factories)
