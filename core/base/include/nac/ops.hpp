#pragma once
// The op registry: every op a ModelSpec layer may name ("conv2d", "relu", "residual", ...) is
// registered once, with everything nac knows of it:
//   - its attributes (name, type, default or required, range, help); a layer whose attribute is
//     not declared, has the wrong type or is out of range is an error naming the layer;
//   - its shape inference (the output shape of one sample from the input shape and attributes);
//   - its cost (MACs, BOPs, parameters; model_cost.hpp states the formula);
//   - its engine layer (set by the nn engine for the built-in ops, by a plugin for its own).
// The base (this header) never sees the engine: the layer factory is held as an opaque function
// whose result type is only declared here. Plugins add ops through Registry::add_op
// (nac/registry.hpp), which takes them back if the plugin's registration fails.
//
// Threads: ops are added while plugins load, before any search runs; lookups from any thread.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nac/model_cost.hpp"
#include "nac/model_spec.hpp"
#include "nac/settings.hpp"
#include "nac/value.hpp"
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac {

namespace nn {
class Layer;
}

enum class AttrType { Integer, Real, String };
const char* to_string(AttrType t);

/// One attribute an op reads from its layers' `attrs`.
struct AttrSpec {
  std::string name;
  AttrType type = AttrType::Integer;
  std::optional<Value> fallback;     // the default, if it is a constant
  double min = -1e308, max = 1e308;  // inclusive bounds of numbers
  std::string help;
  bool required = true;  // false: may be absent (the default is `fallback` or, if none, in `help`)

  /// The same attribute, optional without a constant default (e.g. a stride that defaults to the kernel).
  AttrSpec optional() && {
    required = false;
    return std::move(*this);
  }

  static AttrSpec integer(std::string name, std::optional<std::int64_t> fallback, double min, double max,
                          std::string help);
  static AttrSpec real(std::string name, std::optional<double> fallback, double min, double max, std::string help);
  static AttrSpec string(std::string name, std::optional<std::string> fallback, std::string help);
};

using LayerMaker = std::function<std::unique_ptr<nn::Layer>(const LayerSpec&)>;

struct OpDef {
  std::string name;
  std::string description;
  std::vector<AttrSpec> attrs;
  /// Containers hold children (sequential, residual); their shapes are inferred before `shape`
  /// is called, which then gives the container's output.
  bool container = false;
  /// The output shape of one sample. `layer.input` is set and not empty, the attributes checked.
  /// Throws nac::Error (use op_error) when the input does not fit.
  std::function<Shape(const LayerSpec& layer)> shape;
  /// The layer's cost; empty: no MACs, BOPs or parameters (elementwise ops).
  std::function<LayerCost(const LayerSpec& layer)> cost;
  /// The engine layer; empty until the engine (or the plugin that adds the op) provides one.
  LayerMaker layer;
  /// A normalisation (batchnorm, layernorm): its scale and shift are parameters that compression
  /// leaves alone by default (not quantized, not pruned).
  bool normalization = false;
};

/// Whether compression quantizes and prunes a layer's weights: an op with parameters (a cost),
/// not a container and not a normalisation (convolutions, linear layers, attention blocks and
/// plugins' weighted ops).
bool compressible(const LayerSpec& layer);

/// Adds an op. `owner` names who adds it ("nac" for the built-ins, a plugin's file for plugins);
/// the same owner adding the same op again is a no-op (a plugin loaded by a second registry) and
/// returns false; another owner's name throws nac::Error naming both. True when added.
bool register_op(OpDef def, const std::string& owner);
/// Removes an op (a failed plugin registration taking back what it added).
void unregister_op(const std::string& name);
/// The engine provides the layer of an op it implements.
void set_op_layer(const std::string& name, LayerMaker maker);

/// The op of a name; nac::Error with a did-you-mean and the known ops otherwise.
const OpDef& find_op(const std::string& name);
const OpDef* lookup_op(const std::string& name);
/// Who added an op ("nac" for the built-ins).
std::string op_owner(const std::string& name);
/// Every op, by name.
std::vector<std::string> op_names();

/// Checks a layer's attributes against its op's declarations (unknown, wrong type, out of
/// range, missing): nac::Error naming the layer.
void check_attrs(const LayerSpec& layer, const OpDef& def);

/// An op's attributes described as settings are (`nac plugins --describe`).
std::vector<SettingInfo> describe_attrs(const OpDef& def);

/// nac::Error "layer 'NAME' (OP) on input SHAPE: WHY".
[[noreturn]] void op_error(const LayerSpec& layer, const std::string& why);

}  // namespace nac
NAC_PUBLIC_END
