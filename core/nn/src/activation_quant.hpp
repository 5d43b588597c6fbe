#pragma once
// Fake quantization of the activations a layer reads: the `input` precision of a layer (and the
// fake_quant op). A fixed type rounds to its grid; a scaled integer takes its scale from the
// batch's largest magnitude in training and keeps a running maximum (momentum 0.1) for
// evaluation, a buffer saved with the model. Backward is the straight-through gradient
// (nac/nn/quantizer.hpp).
#include <string>
#include <utility>
#include <vector>

#include "nac/nn/tensor.hpp"
#include "nac/precision.hpp"

namespace nac::nn {

class ActivationQuantizer {
 public:
  /// `name` names the running maximum's buffer (name + ".running_max").
  ActivationQuantizer(std::string name, const NumberType& type);

  void forward(const Tensor& x, Tensor& y, bool training);
  /// dx = dy where x lay inside the range of the last forward, 0 elsewhere.
  void backward(const Tensor& x, const Tensor& dy, Tensor& dx) const;
  std::vector<std::pair<std::string, Tensor*>> buffers();
  const NumberType& type() const { return type_; }
  /// The grid step of the last forward's output (a fixed type's 2^-F; a scaled one's scale).
  float step() const { return step_; }

 private:
  std::string name_;
  NumberType type_;
  Tensor running_max_;
  float lo_ = 0, hi_ = 0, step_ = 0;
};

}  // namespace nac::nn
