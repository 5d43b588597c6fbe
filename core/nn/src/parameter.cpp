#include "nac/nn/parameter.hpp"

#include <limits>

#include "nac/error.hpp"

namespace nac::nn {

void Param::set_mask(Tensor mask) {
  if (mask.shape() != value_.shape())
    throw Error("parameter '" + name_ + "': mask shape " + to_string(mask.shape()) + " differs from " +
                to_string(value_.shape()));
  mask_ = std::move(mask);
  apply_mask();
  refresh();
}

void Param::set_quantizer(const NumberType& type) {
  check(type);
  if (type.learned)
    throw Error("parameter '" + name_ + "': " + to_string(type) +
                ": a learned scale is for layer inputs; weights take their scale from their largest magnitude");
  if (type.is_float()) {
    quantizer_.reset();
    steps_.clear();
  } else {
    quantizer_ = type;
  }
  ++version_;
  refresh();
}

void Param::apply_mask() {
  if (!mask_) return;
  ++version_;
  for (std::size_t i = 0; i < value_.size(); ++i) value_[i] *= (*mask_)[i];
}

void Param::refresh() {
  if (!hooked()) return;
  ++version_;
  effective_.resize(value_.shape());
  const float* src = value_.data();
  if (mask_) {
    for (std::size_t i = 0; i < value_.size(); ++i) effective_[i] = value_[i] * (*mask_)[i];
    src = effective_.data();
  }
  if (quantizer_) {
    const std::size_t channels =
        quantizer_->per_channel && value_.rank() > 0 ? static_cast<std::size_t>(value_.dim(0)) : 1;
    const bool sliced = quantizer_->kind == NumberType::Kind::ScaledInt && quantizer_->per_channel;
    steps_.assign(sliced ? channels : 1, 0.0f);
    fake_quantize(src, effective_.data(), value_.size(), channels, *quantizer_, steps_.data());
  } else {
    steps_.clear();
  }
  effective_of_ = version_;
}

void Param::finish_gradient() {
  if (mask_)
    for (std::size_t i = 0; i < grad_.size(); ++i) grad_[i] *= (*mask_)[i];
  if (!quantizer_) return;
  if (quantizer_->kind == NumberType::Kind::Fixed)
    straight_through(value_.data(), grad_.data(), grad_.size(), static_cast<float>(quantizer_->lowest()),
                     static_cast<float>(quantizer_->highest()));
  else if (!quantizer_->is_signed)
    straight_through(value_.data(), grad_.data(), grad_.size(), 0.0f, std::numeric_limits<float>::infinity());
}

}  // namespace nac::nn
