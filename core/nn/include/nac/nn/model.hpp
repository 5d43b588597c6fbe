#pragma once
// A network instantiated from a ModelSpec: forward on a batch, backward from the gradient of the
// output, its parameters (with compression hooks) and its saved state (running statistics).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nac/model_spec.hpp"
#include "nac/nn/layer.hpp"
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac::nn {

class Model {
 public:
  /// Infers the spec's shapes, makes the layers and initialises the parameters from `seed`
  /// (PyTorch's default initialisation). Throws nac::Error for an invalid spec.
  explicit Model(ModelSpec spec, std::uint64_t seed = 0);
  ~Model();
  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;

  const ModelSpec& spec() const { return spec_; }

  /// The output for a batch x (shape (N, ...input)); training mode uses batch statistics and
  /// dropout. The model remembers x for backward: keep x alive and unchanged until then.
  const Tensor& forward(const Tensor& x, bool training, Rng* rng = nullptr);
  /// Sets every parameter's gradient from d(loss)/d(output) of the last forward, and
  /// the gradient of the input when `d_input` is given.
  void backward(const Tensor& d_output, Tensor* d_input = nullptr);

  /// Every parameter, in layer order (fixed when the model is built, except that an input
  /// precision with a learned scale adds its parameter and set_precision's caller must fetch the
  /// list again).
  const std::vector<Param*>& params() const { return params_; }
  /// Running statistics and other saved non-trained state, by name.
  std::vector<std::pair<std::string, Tensor*>> buffers();
  std::vector<std::pair<std::string, const Tensor*>> buffers() const;
  /// The parameter with that name, or nullptr.
  Param* param(const std::string& name);
  /// Number of trainable scalars (reads only: the weights' versions, and so the layers' cached
  /// reorders of them, are left alone).
  std::size_t parameter_count() const;
  /// Sets the number type of a role of a layer ("weight", "bias", "input"; nac/precision.hpp) in
  /// the description and in the engine: weight and bias types fake-quantize the layer's
  /// parameters of that role (biases: those named *.bias), an input type the tensor the layer
  /// reads. float32 removes the quantization. Throws nac::Error naming the layer for an unknown
  /// layer or role, an invalid type, a weight or bias type on a layer without parameters, or an
  /// input type on an activation fused into the convolution before it (set that in the
  /// description before the model is built).
  void set_precision(const std::string& layer, const std::string& role, const NumberType& type);
  /// Masks a parameter (a 0/1 tensor of its shape); its layer's sparsity in spec() follows.
  void set_mask(Param& p, Tensor mask);
  /// Removes every mask (the sparsities return to 0).
  void clear_masks();
  /// The name of the layer that owns a parameter, and the parameter's role ("weight", "bias", or
  /// "scale": the learned scale of a layer's input, `<layer>.input.log2_scale`).
  const std::string& layer_of(const Param& p) const;
  static std::string role_of(const Param& p);

  /// Integer inference: evaluation forwards run each convolution and linear layer whose weights
  /// and input are quantized to integer codes of 8 bits or less (int<B>/uint<B> with B <= 8,
  /// ap_fixed<W,I>/ap_ufixed with W <= 8; weights signed, or unsigned of 7 bits or less) as an
  /// oneDNN int8 primitive: s8 weights, s8 or u8 input codes, exact int32 sums, scaled to f32 per
  /// output channel. The result equals the fake-quantized forward's up to the float rounding of
  /// its sums. Convolutions with fewer than 4 input channels per group stay float (their int8
  /// kernel is the slower one). Other layers, and training, are unchanged. Off by default.
  void set_integer_inference(bool on) { integer_ = on; }
  bool integer_inference() const { return integer_; }
  /// The layers that ran int8 in the last forward, in order (empty when none did).
  const std::vector<std::string>& integer_layers() const { return ran_integer_; }

  /// Declares every parameter changed and recomputes the effective weights of hooked ones. A
  /// training forward does this itself; call it before an evaluation forward after writing
  /// parameter values through references held from earlier.
  void refresh();

 private:
  ModelSpec spec_;
  std::unique_ptr<Layer> root_;
  void update_sparsity(const std::string& layer);
  void collect_params();  // params_ and param_layer_ from the layers

  std::vector<Param*> params_;            // owned by the layers of root_
  std::vector<std::string> param_layer_;  // the layer of each of params_
  Tensor output_, output_nhwc_, input_nhwc_, d_output_nhwc_, d_input_nhwc_;
  const Tensor* last_input_ = nullptr;
  bool integer_ = false;
  std::vector<std::string> ran_integer_;
};

}  // namespace nac::nn
NAC_PUBLIC_END
