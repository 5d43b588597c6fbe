#pragma once
// Fake quantization of the activations a layer reads: the `input` precision of a layer (and the
// fake_quant op). A fixed type rounds to its grid. A scaled integer takes its scale from the
// batch's largest magnitude in training and keeps a running maximum (momentum 0.1) for
// evaluation, a buffer saved with the model; with `learned` the scale is a parameter instead,
// trained by LSQ (Esser et al. 2019) as its base-2 logarithm (`<name>.log2_scale`, so adaptive
// optimizers move it by ratios and it stays positive), started on the first training batch at
// the max scale (largest magnitude / levels; LSQ's own start, 2 mean|x| / sqrt(levels), clips
// the peak of a sparse Bragg patch and lost 3x in accuracy). Backward is the straight-through gradient
// (nac/nn/quantizer.hpp) and, when learned, LSQ's gradient of the scale.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nac/nn/parameter.hpp"
#include "nac/nn/tensor.hpp"
#include "nac/precision.hpp"

namespace nac::nn {

class ActivationQuantizer {
 public:
  /// `name` names the running maximum's buffer (name + ".running_max") or the learned scale's
  /// parameter (name + ".log2_scale").
  ActivationQuantizer(std::string name, const NumberType& type);

  void forward(const Tensor& x, Tensor& y, bool training);
  /// dx = dy where x lay inside the range of the last forward, 0 elsewhere; a learned scale's
  /// gradient is written too.
  void backward(const Tensor& x, const Tensor& dy, Tensor& dx);
  std::vector<std::pair<std::string, Tensor*>> buffers();
  /// The learned scale's parameter (null unless the type is learned).
  Param* scale_param() { return log2_scale_.get(); }
  const NumberType& type() const { return type_; }
  /// The grid step of the last forward's output (a fixed type's 2^-F; a scaled one's scale).
  float step() const { return step_; }

 private:
  float learned_step(const Tensor& x, bool training);

  std::string name_;
  NumberType type_;
  Tensor running_max_;
  std::unique_ptr<Param> log2_scale_;  // NaN until the first training batch sets it
  float lo_ = 0, hi_ = 0, step_ = 0;
};

}  // namespace nac::nn
