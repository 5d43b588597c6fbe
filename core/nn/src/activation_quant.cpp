#include "activation_quant.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

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
  if (type_.learned) {
    log2_scale_ = std::make_unique<Param>(name_ + ".log2_scale", Shape{1});
    log2_scale_->value()[0] = std::numeric_limits<float>::quiet_NaN();
  }
}

std::vector<std::pair<std::string, Tensor*>> ActivationQuantizer::buffers() {
  if (type_.kind != NumberType::Kind::ScaledInt || type_.learned) return {};
  return {{name_ + ".running_max", &running_max_}};
}

float ActivationQuantizer::learned_step(const Tensor& x, bool training) {
  float& theta = log2_scale_->value()[0];
  if (std::isnan(theta)) {
    NumberType exact = type_;  // the start: the batch's largest magnitude, as the max scale
    exact.power_of_two = false;
    const float s0 = quant_scale(largest(x.data(), x.size(), type_), exact);
    if (!training) return quant_scale(s0 * quant_levels(type_), type_);  // not trained yet
    theta = std::log2(s0);
  }
  const float t = type_.power_of_two ? std::ceil(theta) : theta;
  return std::exp2(t);
}

void ActivationQuantizer::forward(const Tensor& x, Tensor& y, bool training) {
  y.resize(x.shape());
  switch (type_.kind) {
    case NumberType::Kind::Float: std::copy(x.data(), x.data() + x.size(), y.data()); return;
    case NumberType::Kind::Fixed: quantize_fixed(x.data(), y.data(), x.size(), type_); return;
    case NumberType::Kind::ScaledInt: break;
  }
  float s;
  if (log2_scale_) {
    s = learned_step(x, training);
  } else {
    float mx = running_max_[0];
    if (training || mx == 0) {
      const float batch_max = largest(x.data(), x.size(), type_);
      if (training) running_max_[0] = running_max_[0] == 0 ? batch_max : 0.9f * running_max_[0] + 0.1f * batch_max;
      mx = training ? running_max_[0] : batch_max;  // training sees the grid that evaluation will use
    }
    s = quant_scale(mx, type_);
  }
  step_ = s;
  hi_ = s * quant_levels(type_);
  lo_ = type_.is_signed ? -hi_ : 0.0f;
  quantize_with_scale(x.data(), y.data(), x.size(), s, type_);
}

void ActivationQuantizer::backward(const Tensor& x, const Tensor& dy, Tensor& dx) {
  dx.resize(x.shape());
  if (type_.is_float()) {
    std::copy(dy.data(), dy.data() + dy.size(), dx.data());
    return;
  }
  straight_through(x.data(), dy.data(), dx.data(), dx.size(), lo_, hi_);
  if (!log2_scale_) return;
  // LSQ's gradient, scaled by g = 1 / sqrt(features per sample x levels) as the paper does,
  // through s = 2^theta: d/d(theta) = s ln 2 d/ds.
  const double per_sample = x.rank() > 0 && x.dim(0) > 0 ? static_cast<double>(x.size()) / x.dim(0) : 1;
  const double g = 1 / std::sqrt(per_sample * quant_levels(type_));
  const double ds = lsq_scale_gradient(x.data(), dy.data(), x.size(), step_, type_);
  log2_scale_->grad()[0] = static_cast<float>(g * ds * step_ * std::log(2.0));
}

}  // namespace nac::nn
