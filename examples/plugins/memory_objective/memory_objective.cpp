// memory_objective: an objective plugin built outside nac's tree (examples/plugins/README.md).
//
// `weight_memory`: the on-chip memory a candidate's weights need, each layer's parameters at
// its weight width (the width of the layer's weight precision that quantization sets, 32 bits
// for float32), in
// bytes or KiB. It reads the model description only, so it links nac::core and never the engine.
//
//   [search]
//   objectives = ["error", { name = "weight_memory", unit = "kib" }]
#include <cmath>

#include "nac/config.hpp"
#include "nac/error.hpp"
#include "nac/objective.hpp"
#include "nac/ops.hpp"
#include "nac/plugin.hpp"
#include "nac/settings.hpp"

namespace {

double weight_bits(const nac::LayerSpec& layer) {
  const nac::OpDef& op = nac::find_op(layer.op);
  if (op.container) {
    double sum = 0;
    for (const auto& child : layer.children) sum += weight_bits(child);
    return sum;
  }
  if (!op.cost) return 0;  // elementwise: no weights
  return op.cost(layer).params * nac::precision_of(layer, "weight").width;
}

class WeightMemory final : public nac::Objective {
 public:
  explicit WeightMemory(double bytes_per_unit) : bytes_per_unit_(bytes_per_unit) {}
  std::string name() const override { return "weight_memory"; }
  nac::Direction direction() const override { return nac::Direction::Minimize; }
  double evaluate(const nac::Candidate& candidate) const override {
    if (!candidate.model) throw nac::Error("weight_memory needs a model: use it in architecture searches");
    double bits = 0;
    for (const auto& layer : candidate.model->layers) bits += weight_bits(layer);
    return std::ceil(bits / 8) / bytes_per_unit_;
  }

 private:
  double bytes_per_unit_;
};

const nac::Setting<std::string> kUnit{.key = "unit",
                                      .fallback = "kib",
                                      .choices = {"bytes", "kib"},
                                      .help = "unit of the value: bytes or KiB (1024 bytes)"};

void register_factories(nac::Registry& registry) {
  registry.add_objective(
      "weight_memory",
      [](const nac::ConfigTable& c) {
        const std::string unit = c.get(kUnit);
        return std::make_unique<WeightMemory>(unit == "kib" ? 1024.0 : 1.0);
      },
      "memory of the weights at their bit widths (bytes or KiB)", nac::describe_settings(kUnit));
}

}  // namespace

NAC_PLUGIN("memory_objective", "1.0.0", "Weight memory of a candidate (an example objective plugin)",
           register_factories)
