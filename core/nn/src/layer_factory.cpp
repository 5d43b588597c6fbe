#include "conv2d.hpp"
#include "layers.hpp"
#include "nac/error.hpp"
#include "nac/text.hpp"

namespace nac::nn {

std::unique_ptr<Layer> make_conv2d(const LayerSpec& spec) { return std::make_unique<Conv2d>(spec); }
std::unique_ptr<Layer> make_conv2d_fused(const LayerSpec& conv, const LayerSpec& activation) {
  return std::make_unique<Conv2d>(conv, &activation);
}

std::unique_ptr<Layer> make_layer(const LayerSpec& spec) {
  const std::string& op = spec.op;
  if (spec.output.empty()) throw Error("layer '" + spec.name + "': shapes not inferred (call infer_shapes)");
  if (op == "conv2d") return make_conv2d(spec);
  if (op == "linear") return make_linear(spec);
  if (op == "relu" || op == "leaky_relu" || op == "gelu" || op == "tanh" || op == "sigmoid" || op == "identity")
    return make_activation(spec);
  if (op == "softmax") return make_softmax(spec);
  if (op == "flatten") return make_flatten(spec);
  if (op == "dropout") return make_dropout(spec);
  if (op == "fake_quant") return make_fake_quant(spec);
  if (op == "batchnorm") return make_batchnorm(spec);
  if (op == "layernorm") return make_layernorm(spec);
  if (op == "maxpool2d" || op == "avgpool2d") return make_pooling(spec);
  if (op == "attention") return make_attention(spec);
  if (op == "sequential" || op == "residual") return make_sequential(spec);
  throw Error("layer '" + spec.name + "': unknown op '" + op + "'" + did_you_mean(op, known_ops()));
}

}  // namespace nac::nn
