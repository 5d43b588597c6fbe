#pragma once
// ModelSpec: a serialisable description of a network's layers and shapes. Blocks build it from an
// Assignment; the nn engine instantiates it; BOPs counting, estimates and the HLS writer read it;
// compression annotates it (per-layer bits, pruned fractions) in the layers' attributes.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "nac/value.hpp"

namespace nac {

using Shape = std::vector<std::int64_t>;  // per sample: (C, H, W) for images, (F) for vectors
std::string to_string(const Shape& s);

struct LayerSpec {
  std::string op;    // "conv2d", "linear", "relu", "attention", "sequential", "residual", ...
  std::string name;  // unique within the model, e.g. "slot0.conv1"
  std::map<std::string, Value> attrs;  // op settings: "out_channels", "kernel", "bits_w", ...
  Shape input, output;
  std::vector<LayerSpec> children;  // for containers

  bool operator==(const LayerSpec&) const = default;
};

struct ModelSpec {
  Shape input;
  std::vector<LayerSpec> layers;

  /// The shape after the last layer (the input shape if there are no layers).
  const Shape& output() const { return layers.empty() ? input : layers.back().output; }
  bool operator==(const ModelSpec&) const = default;
};

nlohmann::json to_json(const ModelSpec& spec);
/// Throws nac::Error naming the offending field for a malformed description.
ModelSpec model_spec_from_json(const nlohmann::json& j);

}  // namespace nac
