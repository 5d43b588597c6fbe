// The engine's side of the op registry (nac/ops.hpp): the layer of every built-in op, attached
// to its op once, and make_layer, which asks the op of a spec for its layer (a plugin's op
// brings its own).
#include "conv2d.hpp"
#include "layers.hpp"
#include "nac/error.hpp"
#include "nac/ops.hpp"

namespace nac::nn {

std::unique_ptr<Layer> make_conv2d(const LayerSpec& spec) { return std::make_unique<Conv2d>(spec); }
std::unique_ptr<Layer> make_conv2d_fused(const LayerSpec& conv, const LayerSpec& activation) {
  return std::make_unique<Conv2d>(conv, &activation);
}

namespace {

bool attach_builtin_layers() {
  const std::pair<const char*, LayerMaker> layers[] = {
      {"conv2d", make_conv2d},         {"linear", make_linear},       {"relu", make_activation},
      {"leaky_relu", make_activation}, {"gelu", make_activation},     {"tanh", make_activation},
      {"sigmoid", make_activation},    {"identity", make_activation}, {"softmax", make_softmax},
      {"flatten", make_flatten},       {"dropout", make_dropout},     {"fake_quant", make_fake_quant},
      {"batchnorm", make_batchnorm},   {"layernorm", make_layernorm}, {"maxpool2d", make_pooling},
      {"avgpool2d", make_pooling},     {"attention", make_attention}, {"sequential", make_sequential},
      {"residual", make_sequential},   {"set_pool", make_set_pool},
  };
  for (const auto& [op, maker] : layers) set_op_layer(op, maker);
  return true;
}

}  // namespace

std::unique_ptr<Layer> make_layer(const LayerSpec& spec) {
  static const bool attached = attach_builtin_layers();
  (void)attached;
  if (spec.output.empty()) throw Error("layer '" + spec.name + "': shapes not inferred (call infer_shapes)");
  const OpDef& def = find_op(spec.op);
  if (!def.layer)
    throw Error("layer '" + spec.name + "': op '" + spec.op + "' (from " + op_owner(spec.op) +
                ") has no engine layer; it can be described and costed but not trained");
  if (spec.op == "sequential" || spec.children.size()) return def.layer(spec);  // (its layers name themselves)
  try {
    return def.layer(spec);
  } catch (const Error& e) {
    throw Error("layer '" + spec.name + "' (" + spec.op + "): " + e.what());
  }
}

}  // namespace nac::nn
