#pragma once
// Shared by the block plugins: settings that list the choices of a searched parameter, and the
// layers (norms, activations) blocks append after their main layer.
//
// A setting with one choice fixes the value (no parameter in the space); with several, the block
// declares a categorical parameter over them.
#include <algorithm>
#include <string>
#include <vector>

#include "nac/block_type.hpp"
#include "nac/config.hpp"
#include "nac/error.hpp"
#include "nac/text.hpp"

namespace nac::blocks {

inline const std::vector<std::string> kActivations{"relu", "gelu", "leaky_relu", "tanh", "sigmoid", "none"};
inline const std::vector<std::string> kNorms{"none", "batch", "layer"};

/// Integer choices from a setting (each within `range`).
inline std::vector<Value> int_choices(const ConfigTable& c, const char* key, std::vector<std::int64_t> fallback, Range range) {
  const auto v = c.integers(key, fallback, range);
  if (v.empty()) c.fail(key, "needs at least one choice");
  std::vector<Value> out;
  for (std::int64_t x : v) out.emplace_back(std::in_place_type<std::int64_t>, x);
  return out;
}

/// Label choices from a setting, each one of `allowed`.
inline std::vector<Value> label_choices(const ConfigTable& c, const char* key, std::vector<std::string> fallback,
                                        const std::vector<std::string>& allowed) {
  const auto v = c.strings(key, fallback);
  if (v.empty()) c.fail(key, "needs at least one choice");
  for (const auto& s : v)
    if (std::find(allowed.begin(), allowed.end(), s) == allowed.end())
      c.fail(key, "'" + s + "' is not one of " + join(allowed) + did_you_mean(s, allowed));
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
