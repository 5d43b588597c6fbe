#pragma once
// Internal: a branch-free exp for float that compilers vectorize (std::exp is a libm call per
// element). Range reduction x = k ln2 + r, |r| <= ln2/2, then a degree-6 polynomial for e^r;
// relative error below 2e-7 over the range where expf is finite, 0 below -87.
#include <cmath>
#include <cstdint>
#include <cstring>

namespace nac::nn::detail {

inline float fast_exp(float x) {
  x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
  const float k = std::nearbyint(x * 1.44269504088896341f);
  const float r = x - k * 0.693145751953125f - k * 1.428606765330187045e-06f;  // ln2 in two parts
  float p = 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const std::int32_t bits = (static_cast<std::int32_t>(k) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

/// In place: row <- exp(s * (row - max(row))) / sum, for one row of n values.
void softmax_row(float* row, std::int64_t n, float s);
/// In place: d <- s * a .* (d - dot(d, a)), the softmax backward for one row.
void softmax_backward_row(const float* a, float* d, std::int64_t n, float s);

}  // namespace nac::nn::detail
