#pragma once
// The layer interface of the nn engine. A layer is made from a LayerSpec (whose input and output
// shapes are already inferred), computes forward on a batch, and backward from the gradient of
// its output: it accumulates its parameters' gradients and, when asked, writes the gradient of
// its input. Backward receives the same input and output tensors as the forward before it.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nac/model_spec.hpp"
#include "nac/nn/parameter.hpp"
#include "nac/nn/tensor.hpp"
#include "nac/rng.hpp"
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac::nn {

struct Context {
  bool training = false;
  Rng* rng = nullptr;  // dropout masks
  /// Evaluation: convolutions and linear layers with integer codes of 8 bits or less on both
  /// their weights and their input run int8 kernels (Model::set_integer_inference).
  bool integer = false;
  /// Set by a container for the child right after its input quantizer: the input is a tensor of
  /// integer codes times `input_step`, codes of `input_type`. 0 (and null) otherwise.
  float input_step = 0;
  const NumberType* input_type = nullptr;
  /// Where the layers that ran int8 record their names (may be null).
  std::vector<std::string>* ran_integer = nullptr;

  /// The same context for a layer whose input is not known to be quantized.
  Context unquantized() const {
    Context c = *this;
    c.input_step = 0;
    c.input_type = nullptr;
    return c;
  }
};

class Layer {
 public:
  explicit Layer(const LayerSpec& spec) : spec_(spec) {}
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  const LayerSpec& spec() const { return spec_; }
  const std::string& name() const { return spec_.name; }

  virtual void forward(const Tensor& x, Tensor& y, const Context& ctx) = 0;
  /// dx may be null when the input's gradient is not needed (the first layer).
  virtual void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) = 0;

  /// Trainable parameters (including those of children).
  virtual std::vector<Param*> params() { return {}; }
  /// Non-trained state that is saved with the model (running statistics), by name.
  virtual std::vector<std::pair<std::string, Tensor*>> buffers() { return {}; }
  /// Fills parameters with their initial values (PyTorch's defaults).
  virtual void initialize(Rng&) {}

  enum class InputPrecision { Set, NotFound, Fused };
  /// Containers: quantizes the input of their child (or descendant) `layer` to `type` (float32:
  /// not at all). Fused: the layer runs fused with a neighbour (an activation into the convolution
  /// before it, a flatten into the linear layer after it).
  virtual InputPrecision set_input_precision(const std::string& /*layer*/, const NumberType& /*type*/) {
    return InputPrecision::NotFound;
  }

 protected:
  LayerSpec spec_;
};

/// Makes the layer for a spec (containers make their children). Throws nac::Error for an unknown
/// op or bad attributes, naming the layer.
std::unique_ptr<Layer> make_layer(const LayerSpec& spec);

}  // namespace nac::nn
NAC_PUBLIC_END
