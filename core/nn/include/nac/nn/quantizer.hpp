#pragma once
// Uniform symmetric fake quantization: x -> s * clamp(round(x / s), -qmax, qmax) with
// qmax = 2^(bits-1) - 1. The scale s comes from the largest magnitude (per tensor, or per
// channel along the first axis), optionally rounded up to a power of two (fixed-point formats,
// as HLS uses). Backward is the straight-through estimator: the gradient passes where
// |x| <= s * qmax and is zero outside.
#include <cstddef>
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac::nn {

struct QuantSpec {
  int bits = 8;               // 2..16
  bool per_channel = false;   // one scale per slice of the first axis
  bool power_of_two = false;  // scales rounded up to powers of two
};

/// The scale for a largest magnitude `max_abs` (a tiny positive scale for all-zero input).
float quant_scale(float max_abs, const QuantSpec& spec);
/// The largest quantized level, 2^(bits-1) - 1.
inline float quant_levels(const QuantSpec& spec) { return static_cast<float>((1 << (spec.bits - 1)) - 1); }
/// out = s * clamp(round(in / s), -levels, levels) for n values with the step s.
void quantize_with_scale(const float* in, float* out, std::size_t n, float s, const QuantSpec& spec);

/// Quantizes `n` values as `channels` equal slices (channels = 1 for per-tensor scales);
/// writes the per-slice scales to `scales` if it is not null.
void fake_quantize(const float* in, float* out, std::size_t n, std::size_t channels, const QuantSpec& spec,
                   float* scales = nullptr);

/// Throws nac::Error unless 2 <= bits <= 16.
void check(const QuantSpec& spec);

}  // namespace nac::nn
NAC_PUBLIC_END
