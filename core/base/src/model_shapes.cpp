// Shape inference for ModelSpec: each layer's op (nac/ops.hpp) checks its attributes and gives its output shape.
#include <algorithm>

#include "nac/error.hpp"
#include "nac/model_spec.hpp"
#include "nac/ops.hpp"
#include "nac/text.hpp"

namespace nac {

namespace {

void infer_sequence(std::vector<LayerSpec>& layers, Shape input);

void infer_layer(LayerSpec& l) {
  const OpDef* def = lookup_op(l.op);
  if (!def) {
    const auto known = op_names();
    throw Error("layer '" + l.name + "': unknown op '" + l.op + "'" + did_you_mean(l.op, known) +
                "; known ops: " + join(known));
  }
  if (l.input.empty() || std::any_of(l.input.begin(), l.input.end(), [](auto d) { return d < 1; }))
    op_error(l, "empty input");
  check_attrs(l, *def);
  if (def->container) infer_sequence(l.children, l.input);
  else if (!l.children.empty()) op_error(l, "only containers (sequential, residual) have children");
  l.output = def->shape(l);
}

void infer_sequence(std::vector<LayerSpec>& layers, Shape input) {
  for (auto& l : layers) {
    l.input = input;
    infer_layer(l);
    input = l.output;
  }
}

}  // namespace

std::vector<std::string> known_ops() { return op_names(); }

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

std::string attr_string(const LayerSpec& l, const std::string& key, std::optional<std::string> fallback) {
  auto it = l.attrs.find(key);
  if (it == l.attrs.end()) {
    if (!fallback) throw Error("layer '" + l.name + "' (" + l.op + "): missing attribute '" + key + "'");
    return *fallback;
  }
  if (const auto* s = std::get_if<std::string>(&it->second)) return *s;
  throw Error("layer '" + l.name + "' (" + l.op + "): attribute '" + key + "' must be a string, found " +
              to_string(it->second));
}

}  // namespace nac
