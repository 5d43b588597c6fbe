#pragma once
// Shared by the block plugins: settings that list the choices of a searched parameter (declared
// settings, nac/settings.hpp), and the layers (norms, activations) blocks append after their main
// layer.
//
// A setting with one choice fixes the value (no parameter in the space); with several, the block
// declares a categorical parameter over them.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "nac/block_type.hpp"
#include "nac/config.hpp"
#include "nac/error.hpp"
#include "nac/settings.hpp"
#include "nac/text.hpp"

namespace nac::blocks {

inline const std::vector<std::string> kActivations{"relu", "gelu", "leaky_relu", "tanh", "sigmoid", "none"};
inline const std::vector<std::string> kNorms{"none", "batch", "layer"};

using IntChoices = Setting<std::vector<std::int64_t>>;
using LabelChoices = Setting<std::vector<std::string>>;

/// The choices of activation and norm, as the blocks declare them.
inline const LabelChoices kActivationChoices{.key = "activations",
                                             .fallback = std::vector<std::string>{"relu", "gelu", "leaky_relu", "none"},
                                             .choices = kActivations,
                                             .help = "choices of the activation"};
inline const LabelChoices kNormChoices{.key = "norms",
                                       .fallback = std::vector<std::string>{"none", "batch", "layer"},
                                       .choices = kNorms,
                                       .help = "choices of the norm"};

/// Integer choices from a setting (each within its range).
inline std::vector<Value> int_choices(const ConfigTable& c, const IntChoices& setting) {
  const auto v = c.get(setting);
  if (v.empty()) c.fail(setting.key, "needs at least one choice");
  std::vector<Value> out;
  for (std::int64_t x : v) out.emplace_back(std::in_place_type<std::int64_t>, x);
  return out;
}

/// Label choices from a setting, each one of its choices.
inline std::vector<Value> label_choices(const ConfigTable& c, const LabelChoices& setting) {
  const auto v = c.get(setting);
  if (v.empty()) c.fail(setting.key, "needs at least one choice");
  std::vector<Value> out;
  for (const auto& x : v) out.emplace_back(std::in_place_type<std::string>, x);
  return out;
}

/// Declares `name` over `choices` unless there is only one.
inline void declare(SearchSpace& space, const std::string& name, const std::vector<Value>& choices,
                    std::optional<Condition> when = std::nullopt) {
  if (choices.size() < 2) return;
  if (when) space.add(Parameter::categorical(name, choices).when(when->parent, when->values));
  else space.add(Parameter::categorical(name, choices));
}

/// The condition under which the i-th of a searched number of layers exists: `layers` (the
/// parameter over `choices`) above i; none when every choice has it.
inline std::optional<Condition> deeper_than(const std::vector<Value>& choices, std::int64_t i,
                                            const std::string& layers = "layers") {
  if (choices.size() < 2) return std::nullopt;
  std::vector<Value> deeper;
  for (const auto& l : choices)
    if (std::get<std::int64_t>(l) > i) deeper.push_back(l);
  if (deeper.size() == choices.size()) return std::nullopt;
  return Condition{layers, deeper};
}

/// The value of a declared parameter, or the only choice.
inline Value chosen(const Assignment& a, const std::string& name, const std::vector<Value>& choices) {
  return choices.size() < 2 ? choices.front() : a.at(name);
}

/// Appends a norm ("none", "batch", "layer") named prefix.norm.
inline void append_norm(ModelSpec& m, const std::string& norm, const std::string& name) {
  if (norm == "batch") append_layer(m, "batchnorm", name);
  else if (norm == "layer") append_layer(m, "layernorm", name);
}

/// Appends an activation (or nothing for "none").
inline void append_activation(ModelSpec& m, const std::string& act, const std::string& name) {
  if (act != "none") append_layer(m, act, name);
}

}  // namespace nac::blocks
