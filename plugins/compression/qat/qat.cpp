// qat: quantization-aware training. Gives every layer with weights (convolutions, linear
// layers, attention) a weight precision and, optionally, an input precision, then fine-tunes
// with the fake quantizers in place (straight-through gradients). docs/compression.md has the
// recipe and every default.
//
//   [compression.qat]
//   bits = 8                 # 2..16, or 32 = float; the stage's sweep sets it
//   mode = "scaled"          # "fixed": ap_fixed<bits, integer_bits, rounding, overflow>
//   integer_bits = ...       # fixed: default floor(3 bits / 8), SNAC-Pack's (16,6) (8,3) (6,2) (4,1)
//   epochs = 5   inputs = true   biases = false   per_channel = false   power_of_two = false
//   input_scale = "max"      # scaled inputs: "max" (the running largest magnitude) or "learned" (LSQ)
//   input_sign = "auto"      # scaled inputs: unsigned where the input cannot be negative; or "signed"
//   last_input_bits = 16     # the last weighted layer's input (a regression's resolution); 0: bits
//   [compression.qat.layers."slot0.conv1"]   # per-layer overrides, number types as text
//   weight = "ap_fixed<6,2>"   input = "int<8>"
#include <map>
#include <optional>

#include <toml++/toml.h>

#include "nac/compressor.hpp"
#include "nac/error.hpp"
#include "nac/nn/model.hpp"
#include "nac/ops.hpp"
#include "nac/plugin.hpp"
#include "nac/settings.hpp"

namespace {

using namespace nac;

const Setting<std::int64_t> kBits{.key = "bits",
                                  .fallback = 8,
                                  .range = Range::between(2, 32),
                                  .help =
                                      "bits of weights and inputs: 2 to 16, or 32 = float (the stage's sweep "
                                      "sets it)"};
const Setting<std::string> kMode{.key = "mode",
                                 .fallback = "scaled",
                                 .choices = {"scaled", "fixed"},
                                 .help =
                                     "scaled: int<bits> with a scale from the largest magnitude; fixed: "
                                     "ap_fixed<bits, integer_bits>, the grid of the HLS backend"};
const Setting<std::int64_t> kIntegerBits{.key = "integer_bits",
                                         .fallback = std::nullopt,
                                         .range = Range::between(-32, 32),
                                         .help = "fixed: integer bits incl. the sign (default floor(3 bits / 8))",
                                         .required = false};
const Setting<std::string> kRounding{
    .key = "rounding",
    .fallback = "AP_RND_CONV",
    .choices = {"AP_TRN", "AP_TRN_ZERO", "AP_RND", "AP_RND_ZERO", "AP_RND_MIN_INF", "AP_RND_INF", "AP_RND_CONV"},
    .help = "fixed: the rounding mode"};
const Setting<std::string> kOverflow{.key = "overflow",
                                     .fallback = "AP_SAT",
                                     .choices = {"AP_WRAP", "AP_SAT", "AP_SAT_ZERO", "AP_SAT_SYM"},
                                     .help = "fixed: the overflow mode"};
const Setting<std::int64_t> kEpochs{.key = "epochs",
                                    .fallback = 5,
                                    .range = Range::between(0, 100000),
                                    .help = "fine-tuning epochs with the quantizers in place"};
const Setting<bool> kInputs{.key = "inputs", .fallback = true, .help = "quantize each weighted layer's input too"};
const Setting<std::string> kInputScale{
    .key = "input_scale",
    .fallback = "max",
    .choices = {"max", "learned"},
    .help =
        "scaled inputs: max (the running largest magnitude, momentum 0.1) or learned (a trained scale, LSQ, "
        "started at max)"};
const Setting<std::string> kInputSign{
    .key = "input_sign",
    .fallback = "auto",
    .choices = {"auto", "signed"},
    .help =
        "scaled inputs: auto (uint<bits> where the input cannot be negative: after a relu, or the model's input "
        "when the training data has no negative value; int<bits> elsewhere) or signed (int<bits> everywhere)"};
const Setting<std::int64_t> kLastInputBits{
    .key = "last_input_bits",
    .fallback = 16,
    .range = Range::between(0, 16),
    .help =
        "bits of the last weighted layer's input, when more than the pass's bits (a regression output needs "
        "the resolution; 0: the pass's bits, as every other layer)"};
const Setting<bool> kBiases{.key = "biases", .fallback = false, .help = "quantize biases to the weights' type"};
const Setting<bool> kPerChannel{
    .key = "per_channel", .fallback = false, .help = "scaled: one weight scale per output channel"};
const Setting<bool> kPowerOfTwo{
    .key = "power_of_two", .fallback = false, .help = "scaled: scales rounded up to powers of two"};

struct Settings {
  int bits = 8;
  bool fixed = false;
  std::optional<int> integer_bits;
  std::string rounding = "AP_RND_CONV", overflow = "AP_SAT";
  int epochs = 5;
  bool inputs = true, biases = false, per_channel = false, power_of_two = false, learned = false;
  bool auto_sign = true;
  int last_input_bits = 16;
  std::map<std::string, std::map<std::string, NumberType>> layers;  // overrides: layer -> role -> type
};

class Qat final : public Compressor {
 public:
  explicit Qat(Settings s) : s_(std::move(s)) {}
  std::string name() const override { return "qat"; }

  std::vector<CompressionStep> compress(CompressionContext& ctx) override {
    nn::Model& m = ctx.model;
    const int bits = ctx.bits > 0 ? ctx.bits : s_.bits;
    if (bits != 32 && (bits < 2 || bits > 16))
      throw Error("qat: bits must be 2 to 16, or 32 (float), found " + std::to_string(bits));
    for (const auto& [layer, roles] : s_.layers)
      if (!find_layer(m.spec(), layer))
        throw Error("qat: layers." + layer + ": the model has no layer '" + layer + "'");
    CompressionStep step;
    step.label = bits == 32 ? "float32" : std::to_string(bits) + " bits";
    if (bits != 32) {
      const NumberType weight_type = type(bits, false, false);
      std::vector<Weighted> weighted;
      collect(m.spec().layers, weighted, true);
      for (std::size_t i = 0; i < weighted.size(); ++i) {
        const std::string& name = weighted[i].name;
        m.set_precision(name, "weight", override_or(name, "weight", weight_type));
        if (s_.biases || s_.layers[name].count("bias")) set_bias(m, name, override_or(name, "bias", weight_type));
        if (!s_.inputs && !s_.layers[name].count("input")) continue;
        const bool last = i + 1 == weighted.size();
        const int input_bits = last && s_.last_input_bits > bits ? s_.last_input_bits : bits;
        const bool nonnegative =
            weighted[i].after_relu || (weighted[i].reads_model_input && ctx.inputs_nonnegative.value_or(false));
        m.set_precision(name, "input", override_or(name, "input", type(input_bits, true, s_.auto_sign && nonnegative)));
      }
      if (s_.epochs > 0) {
        const FineTuneOutcome outcome = ctx.fine_tune(m, s_.epochs, {});
        if (outcome.diverged) {
          step.failed = true;
          step.message = outcome.message;
        }
      }
    }
    if (!step.failed) step.metrics = ctx.evaluate(m);
    if (ctx.on_step) ctx.on_step(step, m);
    return {step};
  }

 private:
  // A layer with weights and what feeds it.
  struct Weighted {
    std::string name;
    bool after_relu = false;         // fed by a relu (through layers that keep signs: flatten, pooling, ...)
    bool reads_model_input = false;  // the model's first layer
  };

  NumberType type(int bits, bool input, bool non_negative) const {
    if (!s_.fixed) {
      NumberType t = NumberType::scaled_int(bits, !non_negative, s_.per_channel && !input, s_.power_of_two);
      t.learned = input && s_.learned;
      return t;
    }
    const int integer = s_.integer_bits ? *s_.integer_bits : 3 * bits / 8;
    return parse_number_type("ap_fixed<" + std::to_string(bits) + "," + std::to_string(integer) + "," + s_.rounding +
                             "," + s_.overflow + ">");
  }
  NumberType override_or(const std::string& layer, const std::string& role, const NumberType& fallback) {
    auto it = s_.layers.find(layer);
    if (it == s_.layers.end()) return fallback;
    auto r = it->second.find(role);
    return r == it->second.end() ? fallback : r->second;
  }
  static void set_bias(nn::Model& m, const std::string& layer, const NumberType& t) {
    for (nn::Param* p : m.params())
      if (m.layer_of(*p) == layer && nn::Model::role_of(*p) == "bias") {
        m.set_precision(layer, "bias", t);
        return;
      }
  }
  static void collect(const std::vector<LayerSpec>& layers, std::vector<Weighted>& out, bool top) {
    for (std::size_t i = 0; i < layers.size(); ++i) {
      const LayerSpec& l = layers[i];
      if (find_op(l.op).container) collect(l.children, out, false);
      else if (compressible(l)) out.push_back({l.name, fed_by_relu(layers, i), top && producer(layers, i) < 0});
    }
  }
  // Ops whose output has the signs of their input.
  static bool keeps_sign(const std::string& op) {
    return op == "flatten" || op == "maxpool2d" || op == "avgpool2d" || op == "identity" || op == "dropout";
  }
  // Where the layer at i reads from: the index of the layer whose output reaches it through ops
  // that keep signs, or -1 for the list's input.
  static std::ptrdiff_t producer(const std::vector<LayerSpec>& layers, std::size_t i) {
    while (i > 0 && keeps_sign(layers[i - 1].op)) --i;
    return static_cast<std::ptrdiff_t>(i) - 1;
  }
  static bool fed_by_relu(const std::vector<LayerSpec>& layers, std::size_t i) {
    const std::ptrdiff_t p = producer(layers, i);
    if (p < 0) return false;
    const std::string& op = layers[static_cast<std::size_t>(p)].op;
    return op == "relu" || op == "sigmoid" || op == "softmax";
  }

  Settings s_;
};

Settings read_settings(const ConfigTable& t) {
  Settings s;
  s.bits = static_cast<int>(t.get(kBits));
  if (s.bits > 16 && s.bits != 32) t.fail("bits", "2 to 16 bits, or 32 (float), found " + std::to_string(s.bits));
  s.fixed = t.get(kMode) == "fixed";
  if (auto i = t.get_optional(kIntegerBits)) s.integer_bits = static_cast<int>(*i);
  s.rounding = t.get(kRounding);
  s.overflow = t.get(kOverflow);
  s.epochs = static_cast<int>(t.get(kEpochs));
  s.inputs = t.get(kInputs);
  s.learned = t.get(kInputScale) == "learned";
  s.auto_sign = t.get(kInputSign) == "auto";
  s.last_input_bits = static_cast<int>(t.get(kLastInputBits));
  s.biases = t.get(kBiases);
  s.per_channel = t.get(kPerChannel);
  s.power_of_two = t.get(kPowerOfTwo);
  if (!s.fixed && s.integer_bits) t.fail("integer_bits", "only with mode = \"fixed\"");
  if (s.fixed && t.has("input_scale") && s.learned)
    t.fail("input_scale", "a learned scale needs mode = \"scaled\" (fixed point has no scale)");
  const ConfigTable layers = t.table("layers", false);
  for (const auto& [key, node] : layers.toml()) {
    const std::string name(key.str());
    const ConfigTable one = layers.table(name, true);
    for (const char* role : {"weight", "bias", "input"}) {
      const std::string text = one.string(role, std::string());
      if (text.empty()) continue;
      try {
        s.layers[name][role] = parse_number_type(text);
      } catch (const Error& e) {
        one.fail(role, e.what());
      }
    }
    one.finish();
  }
  return s;
}

void register_factories(Registry& r) {
  r.add_compressor(
      "qat", [](const ConfigTable& t) { return std::make_unique<Qat>(read_settings(t)); },
      "quantization-aware training: weight and input precision on every weighted layer, then fine-tuning",
      describe_settings(kBits, kMode, kIntegerBits, kRounding, kOverflow, kEpochs, kInputs, kInputScale, kInputSign,
                        kLastInputBits, kBiases, kPerChannel, kPowerOfTwo));
}

}  // namespace

NAC_PLUGIN("qat", "1.0.0", "Quantization-aware training compressor", register_factories)
