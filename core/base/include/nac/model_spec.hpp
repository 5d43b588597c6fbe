#pragma once
// ModelSpec: a serialisable description of a network's layers and shapes. Blocks build it from an
// Assignment; the nn engine instantiates it; BOPs counting, estimates and the HLS writer read it;
// compression annotates it: each layer's precision (the number types of its weights, bias and
// input) and sparsity (the fraction of its weights that masks hold at zero).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "nac/precision.hpp"
#include "nac/value.hpp"
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac {

using Shape = std::vector<std::int64_t>;  // per sample: (C, H, W) for images, (F) for vectors
std::string to_string(const Shape& s);

struct LayerSpec {
  std::string op;                      // "conv2d", "linear", "relu", "attention", "sequential", "residual", ...
  std::string name;                    // unique within the model, e.g. "slot0.conv1"
  std::map<std::string, Value> attrs;  // op settings: "out_channels", "kernel", "bits_w", ...
  Shape input, output;
  std::vector<LayerSpec> children;  // for containers
  /// The number type of the layer's tensors by role ("weight", "bias", "input"); a role not
  /// listed is float32. Weight and bias types quantize the layer's parameters (biases: those
  /// named *.bias, weights: the others), the input type the tensor the layer reads.
  std::map<std::string, NumberType> precision;
  /// The fraction of the layer's weights (not biases) held at zero by masks, in [0, 1].
  double sparsity = 0;

  bool operator==(const LayerSpec&) const = default;
};

struct ModelSpec {
  Shape input;
  std::vector<LayerSpec> layers;

  /// The shape after the last layer (the input shape if there are no layers).
  const Shape& output() const { return layers.empty() ? input : layers.back().output; }
  bool operator==(const ModelSpec&) const = default;
};

/// Attributes of a layer: the value, or `fallback` when absent; nac::Error naming the layer if
/// the attribute is absent without a fallback or has the wrong type.
std::int64_t attr_int(const LayerSpec& layer, const std::string& key,
                      std::optional<std::int64_t> fallback = std::nullopt);
double attr_real(const LayerSpec& layer, const std::string& key, std::optional<double> fallback = std::nullopt);
std::string attr_string(const LayerSpec& layer, const std::string& key,
                        std::optional<std::string> fallback = std::nullopt);

/// Fills every layer's input and output shape from the model's input shape and the layers'
/// attributes, checking that each layer fits (kernel no larger than the padded image, a linear
/// layer on vectors, a residual body that keeps the shape, ...). Throws nac::Error naming the
/// layer and both shapes otherwise.
void infer_shapes(ModelSpec& spec);

/// Appends a layer and infers its shapes from the current output; returns it.
LayerSpec& append_layer(ModelSpec& spec, std::string op, std::string name, std::map<std::string, Value> attrs = {});

/// The precision of a role of a layer (float32 when not set).
NumberType precision_of(const LayerSpec& layer, const std::string& role);

/// The layer of a name anywhere in the model (children included), or nullptr.
LayerSpec* find_layer(ModelSpec& spec, const std::string& name);
const LayerSpec* find_layer(const ModelSpec& spec, const std::string& name);

/// The names of the registered ops (nac/ops.hpp).
std::vector<std::string> known_ops();

nlohmann::json to_json(const ModelSpec& spec);
/// Throws nac::Error naming the offending field for a malformed description.
ModelSpec model_spec_from_json(const nlohmann::json& j);

}  // namespace nac
NAC_PUBLIC_END
