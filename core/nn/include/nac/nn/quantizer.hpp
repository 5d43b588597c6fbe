#pragma once
// Fake quantization to a number type of the model description (nac/precision.hpp): values are
// rounded to the type's grid and kept in float32, so training sees the quantization error.
//   Fixed (ap_fixed<W,I,Q,O>): exactly the grid and the rounding and overflow of the type, as
//     nac::to_fixed (and ap_fixed) converts each value; exact in float32 for W <= 24.
//   ScaledInt (int<B>): s * clamp(round_half_even(x / s), -L, L), L = 2^(B-1) - 1 (unsigned:
//     s * clamp(round(x / s), 0, 2^B - 1) with L = 2^B - 1 and the largest value), with
//     s = largest magnitude / L per tensor or per
//     slice of the first axis, optionally rounded up to a power of two.
// Backward is the straight-through estimator: the gradient passes where the value lies in the
// type's range ([lowest, highest] of a fixed type; [-s L, s L] of a scaled one) and is zero
// outside it.
#include <cstddef>

#include "nac/precision.hpp"
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac::nn {

/// ScaledInt: what the scale covers: the largest magnitude (unsigned: the largest value, >= 0).
float largest(const float* x, std::size_t n, const NumberType& type);
/// ScaledInt: the scale for a largest magnitude `max_abs` (a tiny positive scale for all-zero input).
float quant_scale(float max_abs, const NumberType& type);
/// ScaledInt: the largest level, 2^(bits-1) - 1 (unsigned: 2^bits - 1).
float quant_levels(const NumberType& type);
/// ScaledInt: out = s * clamp(round(in / s), lowest level, highest level) with the step s.
void quantize_with_scale(const float* in, float* out, std::size_t n, float s, const NumberType& type);
/// Fixed: each value as nac::to_fixed rounds it (a vectorised loop; the same results).
void quantize_fixed(const float* in, float* out, std::size_t n, const NumberType& type);

/// Quantizes `n` values (in may equal out) as `channels` equal slices (a scaled type's scale per
/// slice when per_channel, else one for all); writes the scales to `scales` if it is not null:
/// one per slice of a per-channel scaled type, else one (a fixed type's step; float: 0).
/// Float: a copy.
void fake_quantize(const float* in, float* out, std::size_t n, std::size_t channels, const NumberType& type,
                   float* scales = nullptr);

/// ScaledInt with a learned scale (LSQ, Esser et al. 2019): d(loss)/d(s) of out = s clamp(round(x / s))
/// given dy = d(loss)/d(out): the sum of dy[i] (q[i] - x[i] / s) where x[i] / s lies inside the
/// levels and dy[i] q[i] (the bound it is clamped to) elsewhere. Summed in a fixed order for a
/// given thread count.
double lsq_scale_gradient(const float* x, const float* dy, std::size_t n, float s, const NumberType& type);

/// The straight-through gradient: g[i] = 0 where in[i] lies outside [lo, hi].
void straight_through(const float* in, float* g, std::size_t n, float lo, float hi);
/// The same into another tensor: dx[i] = dy[i] where in[i] lies in [lo, hi], else 0.
void straight_through(const float* in, const float* dy, float* dx, std::size_t n, float lo, float hi);

}  // namespace nac::nn
NAC_PUBLIC_END
