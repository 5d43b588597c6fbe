#pragma once
// Branch-free exponentials that compilers vectorise (std::exp is a libm call per element), for
// the engine's softmax, TPE's mixture sums and the Bragg generator's profiles.
//
// Both reduce x = k ln2 + r with |r| <= ln2 / 2 (ln2 split in two parts so that k ln2 is exact)
// and evaluate a Taylor polynomial for e^r:
//  - float: degree 6, relative error below 2e-7 for x in [-87, 88]; arguments are clamped to
//    that range (below -87 the result is e^-87, about 1.6e-38).
//  - double: degree 12, relative error below 4e-16 (a couple of ulps) for x in [-708, 709];
//    arguments below -708 give exactly 0.
#include <bit>
#include <cmath>
#include <cstdint>
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac {

namespace detail {
/// The float exponential's two steps, for a float or a vector of floats (the engine's kernels):
/// r = x - k ln2 (ln2 in two parts, so that k ln2 is exact) and e^r by its degree-6 Taylor sum.
template <class T>
inline T exp_reduce(T x, T k) {
  return x - k * 0.693145751953125f - k * 1.428606765330187045e-06f;
}
template <class T>
inline T exp_taylor6(T r) {
  T p = T{} + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  return p * r + 1.0f;
}
}  // namespace detail

inline float fast_exp(float x) {
  x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
  const float k = std::nearbyint(x * 1.44269504088896341f);
  const float p = detail::exp_taylor6(detail::exp_reduce(x, k));
  return p * std::bit_cast<float>((static_cast<std::int32_t>(k) + 127) << 23);
}

inline double fast_exp(double x) {
  const bool underflow = x < -708.0;
  x = x < -708.0 ? -708.0 : (x > 709.0 ? 709.0 : x);
  constexpr double kShift = 0x1.8p52;
  const double shifted = x * 1.4426950408889634 + kShift;  // round(x / ln 2) in the low bits
  const double k = shifted - kShift;
  const double r = (x - k * 0.6931471803691238) - k * 1.9082149292705877e-10;
  double p = 1.0 / 479001600;
  p = p * r + 1.0 / 39916800;
  p = p * r + 1.0 / 3628800;
  p = p * r + 1.0 / 362880;
  p = p * r + 1.0 / 40320;
  p = p * r + 1.0 / 5040;
  p = p * r + 1.0 / 720;
  p = p * r + 1.0 / 120;
  p = p * r + 1.0 / 24;
  p = p * r + 1.0 / 6;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  const std::int64_t ki = std::bit_cast<std::int64_t>(shifted) - std::bit_cast<std::int64_t>(kShift);
  const double e = p * std::bit_cast<double>(static_cast<std::uint64_t>(ki + 1023) << 52);
  return underflow ? 0.0 : e;
}

}  // namespace nac
NAC_PUBLIC_END
