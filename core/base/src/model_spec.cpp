#include "nac/detail/value_json.hpp"
#include "nac/model_spec.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

#include "nac/error.hpp"

namespace nac {

std::string to_string(const Shape& s) {
  std::string out = "(";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + ")";
}

namespace {

using detail::json_value;
using detail::value_json;

nlohmann::json layer_json(const LayerSpec& l) {
  nlohmann::json j{{"op", l.op}, {"name", l.name}, {"input", l.input}, {"output", l.output}};
  nlohmann::json attrs = nlohmann::json::object();
  for (const auto& [k, v] : l.attrs) attrs[k] = value_json(v);
  j["attrs"] = attrs;
  if (!l.precision.empty()) {
    nlohmann::json p = nlohmann::json::object();
    for (const auto& [role, type] : l.precision) p[role] = to_string(type);
    j["precision"] = p;
  }
  if (l.sparsity != 0) j["sparsity"] = l.sparsity;
  if (!l.children.empty()) {
    j["children"] = nlohmann::json::array();
    for (const auto& c : l.children) j["children"].push_back(layer_json(c));
  }
  return j;
}

// Model descriptions before precision existed (model format 1) carried the compression as the
// attributes bits_w, bits_a (scaled integers of that many bits; 32: float) and pruned.
void upgrade_annotations(LayerSpec& l, const std::string& where) {
  auto bits = [&](const char* key, const char* role) {
    auto it = l.attrs.find(key);
    if (it == l.attrs.end()) return;
    const double b = std::holds_alternative<std::string>(it->second) ? -1 : to_double(it->second);
    if (b == 32 || b == 64) {
    } else if (b >= 2 && b <= 16 && b == std::floor(b)) {
      if (!l.precision.count(role)) l.precision[role] = NumberType::scaled_int(static_cast<int>(b));
    } else {
      throw Error(where + ".attrs." + key + ": expected 2 to 16 bits (or 32), found " + to_string(it->second));
    }
    l.attrs.erase(it);
  };
  bits("bits_w", "weight");
  bits("bits_a", "input");
  if (auto it = l.attrs.find("pruned"); it != l.attrs.end()) {
    const double p = std::holds_alternative<std::string>(it->second) ? -1 : to_double(it->second);
    if (!(p >= 0 && p <= 1))
      throw Error(where + ".attrs.pruned: expected a fraction in [0, 1], found " + to_string(it->second));
    if (l.sparsity == 0) l.sparsity = p;
    l.attrs.erase(it);
  }
}

LayerSpec json_layer(const nlohmann::json& j, const std::string& where) {
  LayerSpec l;
  try {
    detail::check_json_keys(j, {"op", "name", "input", "output", "attrs", "precision", "sparsity", "children"}, where);
    l.op = j.at("op").get<std::string>();
    l.name = j.at("name").get<std::string>();
    const std::string here = where + " (" + l.name + ")";
    // Shapes are optional: infer_shapes.
    if (j.contains("input")) l.input = detail::json_shape(j["input"], here + ".input");
    if (j.contains("output")) l.output = detail::json_shape(j["output"], here + ".output");
    if (j.contains("attrs"))
      for (const auto& [k, v] : j["attrs"].items()) l.attrs[k] = json_value(v, here + ".attrs." + k);
    if (j.contains("precision")) {
      if (!j["precision"].is_object()) throw Error(here + ".precision: expected an object of role: number type");
      for (const auto& [role, type] : j["precision"].items()) {
        if (!is_precision_role(role))
          throw Error(here + ".precision: unknown role '" + role + "' (" + precision_roles_text() + ")");
        if (!type.is_string()) throw Error(here + ".precision." + role + ": expected a number type as text");
        try {
          l.precision[role] = parse_number_type(type.get<std::string>());
        } catch (const Error& e) {
          throw Error(here + ".precision." + role + ": " + e.what());
        }
      }
    }
    if (j.contains("sparsity")) {
      if (!j["sparsity"].is_number()) throw Error(here + ".sparsity: expected a number in [0, 1]");
      l.sparsity = j["sparsity"].get<double>();
      if (!(l.sparsity >= 0 && l.sparsity <= 1))
        throw Error(here + ".sparsity: expected a number in [0, 1], found " + j["sparsity"].dump());
    }
    upgrade_annotations(l, here);
    if (j.contains("children"))
      for (std::size_t i = 0; i < j["children"].size(); ++i)
        l.children.push_back(json_layer(j["children"][i], here + ".children[" + std::to_string(i) + "]"));
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + ": malformed layer: " + e.what());
  }
  return l;
}

}  // namespace

NumberType precision_of(const LayerSpec& layer, const std::string& role) {
  auto it = layer.precision.find(role);
  return it == layer.precision.end() ? NumberType::float32() : it->second;
}

namespace {
const LayerSpec* find_in(const std::vector<LayerSpec>& layers, const std::string& name) {
  for (const auto& l : layers) {
    if (l.name == name) return &l;
    if (const LayerSpec* c = find_in(l.children, name)) return c;
  }
  return nullptr;
}
}  // namespace

const LayerSpec* find_layer(const ModelSpec& spec, const std::string& name) { return find_in(spec.layers, name); }
LayerSpec* find_layer(ModelSpec& spec, const std::string& name) {
  return const_cast<LayerSpec*>(find_in(spec.layers, name));
}

nlohmann::json to_json(const ModelSpec& spec) {
  nlohmann::json j{{"input", spec.input}, {"layers", nlohmann::json::array()}};
  for (const auto& l : spec.layers) j["layers"].push_back(layer_json(l));
  return j;
}

ModelSpec model_spec_from_json(const nlohmann::json& j) {
  ModelSpec spec;
  try {
    detail::check_json_keys(j, {"input", "layers"}, "the model description");
    spec.input = detail::json_shape(j.at("input"), "input");
    const auto& layers = j.at("layers");
    for (std::size_t i = 0; i < layers.size(); ++i)
      spec.layers.push_back(json_layer(layers[i], "layers[" + std::to_string(i) + "]"));
  } catch (const nlohmann::json::exception& e) {
    throw Error("malformed model description: " + std::string(e.what()));
  }
  return spec;
}

}  // namespace nac
