#include "nac/detail/value_json.hpp"
#include "nac/model_spec.hpp"

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
  if (!l.children.empty()) {
    j["children"] = nlohmann::json::array();
    for (const auto& c : l.children) j["children"].push_back(layer_json(c));
  }
  return j;
}

LayerSpec json_layer(const nlohmann::json& j, const std::string& where) {
  LayerSpec l;
  try {
    detail::check_json_keys(j, {"op", "name", "input", "output", "attrs", "children"}, where);
    l.op = j.at("op").get<std::string>();
    l.name = j.at("name").get<std::string>();
    const std::string here = where + " (" + l.name + ")";
    // Shapes are optional: infer_shapes.
    if (j.contains("input")) l.input = detail::json_shape(j["input"], here + ".input");
    if (j.contains("output")) l.output = detail::json_shape(j["output"], here + ".output");
    if (j.contains("attrs"))
      for (const auto& [k, v] : j["attrs"].items()) l.attrs[k] = json_value(v, here + ".attrs." + k);
    if (j.contains("children"))
      for (std::size_t i = 0; i < j["children"].size(); ++i)
        l.children.push_back(json_layer(j["children"][i], here + ".children[" + std::to_string(i) + "]"));
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + ": malformed layer: " + e.what());
  }
  return l;
}

}  // namespace

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
