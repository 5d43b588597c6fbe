#include "nac/nn/quantizer.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "nac/error.hpp"

namespace nac::nn {

void check(const QuantSpec& spec) {
  if (spec.bits < 2 || spec.bits > 16)
    throw Error("quantization needs 2 to 16 bits, found " + std::to_string(spec.bits));
}

float quant_scale(float max_abs, const QuantSpec& spec) {
  const float qmax = static_cast<float>((1 << (spec.bits - 1)) - 1);
  float s = max_abs > 0 ? max_abs / qmax : 1e-8f;
  if (spec.power_of_two) s = std::exp2(std::ceil(std::log2(s)));
  return s;
}

void quantize_with_scale(const float* in, float* out, std::size_t n, float s, const QuantSpec& spec) {
  const float qmax = quant_levels(spec);
  for (std::size_t i = 0; i < n; ++i) out[i] = s * std::clamp(std::nearbyint(in[i] / s), -qmax, qmax);
}

void fake_quantize(const float* in, float* out, std::size_t n, std::size_t channels, const QuantSpec& spec,
                   float* scales) {
  check(spec);
  const std::size_t per = channels ? n / channels : n;
  for (std::size_t c = 0; c < channels; ++c) {
    const float* x = in + c * per;
    float* y = out + c * per;
    float mx = 0;
    for (std::size_t i = 0; i < per; ++i) mx = std::max(mx, std::abs(x[i]));
    const float s = quant_scale(mx, spec);
    if (scales) scales[c] = s;
    quantize_with_scale(x, y, per, s, spec);
  }
}

}  // namespace nac::nn
