#include "activation_quant.hpp"

#include <algorithm>
#include <cmath>

#include "nac/error.hpp"
#include "nac/nn/quantizer.hpp"

namespace nac::nn {

ActivationQuantizer::ActivationQuantizer(std::string name, const NumberType& type)
    : name_(std::move(name)), type_(type), running_max_({1}) {
  check(type_);
  if (type_.per_channel) throw Error(name_ + ": activations take per-tensor scales; per_channel is for weights");
  running_max_[0] = 0;
  if (type_.kind == NumberType::Kind::Fixed) {
    lo_ = static_cast<float>(type_.lowest());
    hi_ = static_cast<float>(type_.highest());
    step_ = static_cast<float>(type_.step());
  }
}

std::vector<std::pair<std::string, Tensor*>> ActivationQuantizer::buffers() {
  if (type_.kind != NumberType::Kind::ScaledInt) return {};
  return {{name_ + ".running_max", &running_max_}};
}

void ActivationQuantizer::forward(const Tensor& x, Tensor& y, bool training) {
  y.resize(x.shape());
  switch (type_.kind) {
    case NumberType::Kind::Float: std::copy(x.data(), x.data() + x.size(), y.data()); return;
    case NumberType::Kind::Fixed: quantize_fixed(x.data(), y.data(), x.size(), type_); return;
    case NumberType::Kind::ScaledInt: break;
  }
  float mx = running_max_[0];
  if (training || mx == 0) {
    const float batch_max = largest(x.data(), x.size(), type_);
    if (training) running_max_[0] = running_max_[0] == 0 ? batch_max : 0.9f * running_max_[0] + 0.1f * batch_max;
    mx = training ? running_max_[0] : batch_max;  // training sees the grid that evaluation will use
  }
  const float s = quant_scale(mx, type_);
  step_ = s;
  hi_ = s * quant_levels(type_);
  lo_ = type_.is_signed ? -hi_ : 0.0f;
  quantize_with_scale(x.data(), y.data(), x.size(), s, type_);
}

void ActivationQuantizer::backward(const Tensor& x, const Tensor& dy, Tensor& dx) const {
  dx.resize(x.shape());
  if (type_.is_float()) std::copy(dy.data(), dy.data() + dy.size(), dx.data());
  else straight_through(x.data(), dy.data(), dx.data(), dx.size(), lo_, hi_);
}

}  // namespace nac::nn
