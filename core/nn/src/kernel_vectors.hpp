#pragma once
// Internal, for the files compiled once per instruction set (NAC_KERNEL_NS, NAC_KERNEL_LANES;
// kernel_isa.hpp): vectors of L floats, one register of the target, and their helpers.
#include <cstdint>
#include <cstring>
#if NAC_KERNEL_LANES == 16
#include <immintrin.h>
#endif

namespace nac::nn::detail::NAC_KERNEL_NS {
namespace {

// L lanes: 16 for AVX-512, 8 for AVX2, 4 for the baseline (one register each).
constexpr int L = NAC_KERNEL_LANES;
typedef float V __attribute__((vector_size(4 * L)));
typedef std::int32_t Vi __attribute__((vector_size(4 * L)));

[[maybe_unused]] inline V load(const float* p) {
  V v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
[[maybe_unused]] inline void store(float* p, V v) { std::memcpy(p, &v, sizeof v); }
[[maybe_unused]] inline V splat(float x) { return V{} + x; }
[[maybe_unused]] inline V select(Vi mask, V a, V b) {  // mask ? a : b, lane by lane
  return reinterpret_cast<V>((reinterpret_cast<Vi>(a) & mask) | (reinterpret_cast<Vi>(b) & ~mask));
}
#if defined(__clang__)
[[maybe_unused]] inline V vmax(V a, V b) { return select(a > b, a, b); }
#else
[[maybe_unused]] inline V vmax(V a, V b) { return a > b ? a : b; }  // one max instruction
#endif

// The first n lanes (0 < n <= L) from or to memory; the other lanes read as 0, and are not written.
[[maybe_unused]] inline V load_part(const float* p, std::int64_t n) {
  if (n >= L) return load(p);
#if NAC_KERNEL_LANES == 16
  return reinterpret_cast<V>(_mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1), p));
#else
  V v{};
  for (std::int64_t l = 0; l < n; ++l) v[l] = p[l];
  return v;
#endif
}
[[maybe_unused]] inline void store_part(float* p, V v, std::int64_t n) {
  if (n >= L) return store(p, v);
#if NAC_KERNEL_LANES == 16
  _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << n) - 1), reinterpret_cast<__m512>(v));
#else
  for (std::int64_t l = 0; l < n; ++l) p[l] = v[l];
#endif
}

}  // namespace
}  // namespace nac::nn::detail::NAC_KERNEL_NS
