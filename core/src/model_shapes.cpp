// Shape inference for ModelSpec: what each op does to the shape of one sample.
#include <algorithm>

#include "nac/error.hpp"
#include "nac/model_spec.hpp"
#include "nac/text.hpp"

namespace nac {

namespace {

[[noreturn]] void bad(const LayerSpec& l, const std::string& why) {
  throw Error("layer '" + l.name + "' (" + l.op + ") on input " + to_string(l.input) + ": " + why);
}

std::int64_t positive(const LayerSpec& l, const std::string& key, std::optional<std::int64_t> fallback = std::nullopt) {
  const std::int64_t v = attr_int(l, key, fallback);
  if (v < 1) bad(l, "'" + key + "' must be at least 1, found " + std::to_string(v));
  return v;
}

Shape spatial(const LayerSpec& l, std::int64_t channels, std::int64_t kernel, std::int64_t stride, std::int64_t padding) {
  if (l.input.size() != 3) bad(l, "expected an image (C, H, W)");
  if (padding < 0) bad(l, "'padding' must not be negative");
  Shape out{channels};
  for (int i = 1; i <= 2; ++i) {
    const std::int64_t padded = l.input[i] + 2 * padding;
    if (kernel > padded)
      bad(l, "kernel " + std::to_string(kernel) + " is larger than the padded image (" + std::to_string(padded) + ")");
    out.push_back((padded - kernel) / stride + 1);
  }
  return out;
}

void infer_sequence(std::vector<LayerSpec>& layers, Shape input);

void infer_layer(LayerSpec& l) {
  const std::string& op = l.op;
  const Shape& in = l.input;
  if (in.empty() || std::any_of(in.begin(), in.end(), [](auto d) { return d < 1; })) bad(l, "empty input");
  if (op == "conv2d") {
    const std::int64_t out_c = positive(l, "out_channels");
    l.output = spatial(l, out_c, positive(l, "kernel"), positive(l, "stride", 1), attr_int(l, "padding", 0));
    const std::int64_t groups = positive(l, "groups", 1);
    if (in[0] % groups != 0)
      bad(l, "'groups' " + std::to_string(groups) + " does not divide the " + std::to_string(in[0]) + " input channels");
    if (out_c % groups != 0)
      bad(l, "'groups' " + std::to_string(groups) + " does not divide the " + std::to_string(out_c) +
                 " output channels ('out_channels')");
  } else if (op == "maxpool2d" || op == "avgpool2d") {
    const auto k = positive(l, "kernel");
    l.output = spatial(l, in.at(0), k, positive(l, "stride", k), attr_int(l, "padding", 0));
    if (attr_int(l, "padding", 0) * 2 > k) bad(l, "padding must be at most half the kernel");
  } else if (op == "linear") {
    if (in.size() != 1) bad(l, "expected a vector (F); add a flatten layer before it");
    l.output = {positive(l, "out_features")};
  } else if (op == "flatten") {
    std::int64_t n = 1;
    for (auto d : in) n *= d;
    l.output = {n};
  } else if (op == "batchnorm") {
    if (in.size() != 1 && in.size() != 3) bad(l, "expected a vector (F) or an image (C, H, W)");
    l.output = in;
  } else if (op == "softmax") {
    if (in.size() != 1) bad(l, "expected a vector (F)");
    l.output = in;
  } else if (op == "attention") {
    if (in.size() != 3) bad(l, "expected an image (C, H, W)");
    positive(l, "hidden");
    l.output = in;
  } else if (op == "sequential" || op == "residual") {
    infer_sequence(l.children, in);
    l.output = l.children.empty() ? in : l.children.back().output;
    if (op == "residual" && l.output != in)
      bad(l, "the residual body changes the shape to " + to_string(l.output) + "; it must keep it");
  } else if (std::find(known_ops().begin(), known_ops().end(), op) != known_ops().end()) {
    l.output = in;  // elementwise: activations, layernorm, dropout, fake_quant, identity
  } else {
    throw Error("layer '" + l.name + "': unknown op '" + op + "'" + did_you_mean(op, known_ops()) +
                "; known ops: " + join(known_ops()));
  }
}

void infer_sequence(std::vector<LayerSpec>& layers, Shape input) {
  for (auto& l : layers) {
    l.input = input;
    infer_layer(l);
    input = l.output;
  }
}

}  // namespace

const std::vector<std::string>& known_ops() {
  static const std::vector<std::string> ops{
      "conv2d", "linear",  "batchnorm", "layernorm", "relu",    "leaky_relu", "gelu",       "tanh",
      "sigmoid", "identity", "softmax", "maxpool2d", "avgpool2d", "flatten",  "dropout",   "attention",
      "fake_quant", "sequential", "residual"};
  return ops;
}

void infer_shapes(ModelSpec& spec) { infer_sequence(spec.layers, spec.input); }

LayerSpec& append_layer(ModelSpec& spec, std::string op, std::string name, std::map<std::string, Value> attrs) {
  LayerSpec l;
  l.op = std::move(op);
  l.name = std::move(name);
  l.attrs = std::move(attrs);
  l.input = spec.output();
  infer_layer(l);
  spec.layers.push_back(std::move(l));
  return spec.layers.back();
}

std::int64_t attr_int(const LayerSpec& l, const std::string& key, std::optional<std::int64_t> fallback) {
  auto it = l.attrs.find(key);
  if (it == l.attrs.end()) {
    if (!fallback) throw Error("layer '" + l.name + "' (" + l.op + "): missing attribute '" + key + "'");
    return *fallback;
  }
  if (const auto* i = std::get_if<std::int64_t>(&it->second)) return *i;
  throw Error("layer '" + l.name + "' (" + l.op + "): attribute '" + key + "' must be an integer, found " +
              to_string(it->second));
}

double attr_real(const LayerSpec& l, const std::string& key, std::optional<double> fallback) {
  auto it = l.attrs.find(key);
  if (it == l.attrs.end()) {
    if (!fallback) throw Error("layer '" + l.name + "' (" + l.op + "): missing attribute '" + key + "'");
    return *fallback;
  }
  if (std::holds_alternative<std::string>(it->second))
    throw Error("layer '" + l.name + "' (" + l.op + "): attribute '" + key + "' must be a number, found " +
                to_string(it->second));
  return to_double(it->second);
}

}  // namespace nac
