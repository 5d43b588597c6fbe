#pragma once
// A trainable parameter and the compression hooks that attach to it without touching layer code.
//
// Layers read `effective()` and accumulate d(loss)/d(effective) into `grad`. With no hook,
// effective() is the value itself. With a mask (pruning) and/or a fake-quantizer (QAT):
//     effective = Q(mask * value)
// refreshed by the model before each forward; after backward, the model maps the gradient back
// with the straight-through estimator: grad <- mask * grad, and zero where the masked value lies
// outside Q's range (a fixed type's [lowest, highest]; a scaled type's scale comes from the
// weights' own largest magnitude, so only an unsigned type clips, below 0). Q is the number type
// of the parameter's role in its layer's precision (nac/precision.hpp); the model sets it.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nac/nn/quantizer.hpp"
#include "nac/nn/tensor.hpp"
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac::nn {

class Param {
 public:
  Param(std::string name, Shape shape) : name_(std::move(name)), value_(shape), grad_(std::move(shape)) {}

  const std::string& name() const { return name_; }
  /// Mutable access counts as a change (see version()).
  Tensor& value() {
    ++version_;
    return value_;
  }
  const Tensor& value() const { return value_; }
  Tensor& grad() { return grad_; }
  const Tensor& grad() const { return grad_; }

  /// What the layer computes with (see the header comment).
  const Tensor& effective() const { return hooked() ? effective_ : value_; }
  /// Changes whenever the value or the hooks may have changed, so layers can cache what they
  /// derive from the weights (oneDNN's reordered copies) and redo it only then.
  std::uint64_t version() const { return version_; }
  /// Declares the value changed (after writing through a reference held from value()).
  void touch() { ++version_; }
  bool hooked() const { return mask_.has_value() || quantizer_.has_value(); }
  /// True when effective() was computed from an older value (refresh() brings it up to date).
  bool stale() const { return hooked() && effective_of_ != version_; }

  /// A 0/1 mask of the value's shape; masked weights are zeroed now and kept at zero.
  void set_mask(Tensor mask);
  void clear_mask() {
    mask_.reset();
    ++version_;
  }
  const std::optional<Tensor>& mask() const { return mask_; }
  /// Fake quantization of the (masked) weights to a number type (per-channel scales: along the
  /// first axis); float32 clears it. Throws nac::Error for an invalid type.
  void set_quantizer(const NumberType& type);
  void clear_quantizer() {
    quantizer_.reset();
    steps_.clear();
    ++version_;
  }
  const std::optional<NumberType>& quantizer() const { return quantizer_; }
  /// The grid step of effective() as of the last refresh: one per slice of the first axis for a
  /// per-channel scaled type, else one (a fixed type's 2^-F); empty without a quantizer. Each
  /// effective value is an integer multiple of its step (its integer code).
  const std::vector<float>& steps() const { return steps_; }

  /// Recomputes effective() from the value (call after the value changed, before forward).
  void refresh();
  /// Maps d(loss)/d(effective) in grad() to d(loss)/d(value) (call after backward).
  void finish_gradient();
  /// Re-applies the mask to the value (call after an optimizer step).
  void apply_mask();

 private:
  std::string name_;
  Tensor value_, grad_, effective_;
  std::optional<Tensor> mask_;
  std::optional<NumberType> quantizer_;
  std::vector<float> steps_;
  std::uint64_t version_ = 0;
  std::uint64_t effective_of_ = ~0ull;  // the version effective_ was computed at
};

}  // namespace nac::nn
NAC_PUBLIC_END
