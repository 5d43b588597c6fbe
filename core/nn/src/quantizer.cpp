#include "nac/nn/quantizer.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include <omp.h>

#include "nac/detail/cpu_clones.hpp"
#include "nac/error.hpp"
#include "parallel_ranges.hpp"

namespace nac::nn {

namespace {

// The elementwise loops of quantization run on every activation of a step: compiled per CPU
// (NAC_CPU_CLONES) and split over the threads for large tensors (parallel_ranges.hpp).
using detail::for_ranges;

NAC_CPU_CLONES void scaled_kernel(const float* in, float* out, std::int64_t from, std::int64_t to, float s, float lo,
                                  float hi) {
  for (std::int64_t i = from; i < to; ++i) out[i] = s * std::min(std::max(std::nearbyint(in[i] / s), lo), hi);
}

// In 16 running maxima (a loop-carried maximum does not vectorise without -ffast-math); a
// maximum does not depend on the order, and NaN is skipped as by one running maximum.
NAC_CPU_CLONES float max_kernel(const float* x, std::int64_t from, std::int64_t to, bool magnitude) {
  constexpr int kLanes = 16;
  float m[kLanes] = {};
  std::int64_t i = from;
  if (magnitude) {
    for (; i + kLanes <= to; i += kLanes)
      for (int l = 0; l < kLanes; ++l) m[l] = std::max(m[l], std::abs(x[i + l]));
    for (; i < to; ++i) m[0] = std::max(m[0], std::abs(x[i]));
  } else {
    for (; i + kLanes <= to; i += kLanes)
      for (int l = 0; l < kLanes; ++l) m[l] = std::max(m[l], x[i + l]);
    for (; i < to; ++i) m[0] = std::max(m[0], x[i]);
  }
  float mx = 0;
  for (const float v : m) mx = std::max(mx, v);
  return mx;
}

NAC_CPU_CLONES void through_kernel(const float* in, const float* dy, float* dx, std::int64_t from, std::int64_t to,
                                   float lo, float hi) {
  for (std::int64_t i = from; i < to; ++i) dx[i] = in[i] >= lo && in[i] <= hi ? dy[i] : 0.0f;
}

// LSQ's d(out)/d(s) summed against dy: (q - x/s) inside the range, the bound q outside it.
NAC_CPU_CLONES double lsq_kernel(const float* x, const float* dy, std::int64_t from, std::int64_t to, float s, float lo,
                                 float hi) {
  double sum = 0;
  for (std::int64_t i = from; i < to; ++i) {
    const float v = x[i] / s;
    const float q = std::min(std::max(std::nearbyint(v), lo), hi);
    sum += static_cast<double>(dy[i]) * (v < lo || v > hi ? q : q - v);
  }
  return sum;
}

}  // namespace

double lsq_scale_gradient(const float* x, const float* dy, std::size_t n, float s, const NumberType& t) {
  const float hi = quant_levels(t), lo = t.is_signed ? -hi : 0.0f;
  double part[256] = {};  // summed in thread order: the same result for the same thread count
  const int threads = std::min(omp_get_max_threads(), 256);
  for_ranges(n, [&](std::int64_t from, std::int64_t to) {
    const int k = omp_in_parallel() ? omp_get_thread_num() : 0;
    part[k] = lsq_kernel(x, dy, from, to, s, lo, hi);
  });
  double sum = 0;
  for (int k = 0; k < threads; ++k) sum += part[k];
  return sum;
}

float largest(const float* x, std::size_t n, const NumberType& t) {
  float part[256] = {};  // (a maximum does not depend on the order)
  const int threads = std::min(omp_get_max_threads(), 256);
  for_ranges(n, [&](std::int64_t from, std::int64_t to) {
    const int k = omp_in_parallel() ? omp_get_thread_num() : 0;
    part[k] = max_kernel(x, from, to, t.is_signed);
  });
  return *std::max_element(part, part + threads);
}

float quant_levels(const NumberType& t) {
  return t.is_signed ? static_cast<float>((1 << (t.width - 1)) - 1) : static_cast<float>((1 << t.width) - 1);
}

float quant_scale(float max_abs, const NumberType& t) {
  float s = max_abs > 0 ? max_abs / quant_levels(t) : 1e-8f;
  if (t.power_of_two) s = std::exp2(std::ceil(std::log2(s)));
  return s;
}

void quantize_with_scale(const float* in, float* out, std::size_t n, float s, const NumberType& t) {
  const float hi = quant_levels(t), lo = t.is_signed ? -hi : 0.0f;
  for_ranges(n, [&](std::int64_t from, std::int64_t to) { scaled_kernel(in, out, from, to, s, lo, hi); });
}

namespace {

// The rounding of v = x 2^F to an integer, as nac::to_fixed does it in double: in float32 every
// step is exact (v - floor(v) included), so the result is the same.
template <Rounding R>
inline float round_mode(float v) {
  const float fl = std::floor(v), d = v - fl;
  if constexpr (R == Rounding::Trn) return fl;
  else if constexpr (R == Rounding::TrnZero) return v < 0 && d != 0 ? fl + 1 : fl;
  else if constexpr (R == Rounding::Rnd) return d >= 0.5f ? fl + 1 : fl;
  else if constexpr (R == Rounding::RndZero) return d > 0.5f || (d == 0.5f && v < 0) ? fl + 1 : fl;
  else if constexpr (R == Rounding::RndMinInf) return d > 0.5f ? fl + 1 : fl;
  else if constexpr (R == Rounding::RndInf) return d > 0.5f || (d == 0.5f && v > 0) ? fl + 1 : fl;
  else return std::nearbyint(v);  // RndConv: ties to even (the default floating-point rounding)
}

template <Rounding R>
void quantize_rounded(const float* in, float* out, std::size_t n, const NumberType& t) {
  const int frac = t.width - t.integer;
  const float up = std::ldexp(1.0f, frac), down = std::ldexp(1.0f, -frac);
  const float hi = t.is_signed ? std::ldexp(1.0f, t.width - 1) - 1 : std::ldexp(1.0f, t.width) - 1;
  const float lo = t.is_signed ? -std::ldexp(1.0f, t.width - 1) : 0.0f;
  if (t.overflow == Overflow::Sat) {  // the common case, one vectorisable loop
    for (std::size_t i = 0; i < n; ++i) out[i] = std::clamp(round_mode<R>(in[i] * up), lo, hi) * down;
    return;
  }
  for (std::size_t i = 0; i < n; ++i) {
    float q = round_mode<R>(in[i] * up);
    if (std::isnan(q)) {
      out[i] = q;
      continue;
    }
    out[i] = apply_overflow(q, lo, hi, t) * down;
  }
}

}  // namespace

void quantize_fixed(const float* in, float* out, std::size_t n, const NumberType& t) {
  if (t.kind != NumberType::Kind::Fixed) throw Error("quantize_fixed: " + to_string(t) + " is not a fixed-point type");
  if (t.width > 24)
    throw Error("number type " + to_string(t) + ": float32 holds at most 24 bits exactly; use a width <= 24");
  switch (t.rounding) {
    case Rounding::Trn: return quantize_rounded<Rounding::Trn>(in, out, n, t);
    case Rounding::TrnZero: return quantize_rounded<Rounding::TrnZero>(in, out, n, t);
    case Rounding::Rnd: return quantize_rounded<Rounding::Rnd>(in, out, n, t);
    case Rounding::RndZero: return quantize_rounded<Rounding::RndZero>(in, out, n, t);
    case Rounding::RndMinInf: return quantize_rounded<Rounding::RndMinInf>(in, out, n, t);
    case Rounding::RndInf: return quantize_rounded<Rounding::RndInf>(in, out, n, t);
    case Rounding::RndConv: return quantize_rounded<Rounding::RndConv>(in, out, n, t);
  }
}

void fake_quantize(const float* in, float* out, std::size_t n, std::size_t channels, const NumberType& t,
                   float* scales) {
  check(t);
  switch (t.kind) {
    case NumberType::Kind::Float:
      if (in != out) std::memcpy(out, in, n * sizeof(float));
      if (scales) scales[0] = 0;
      return;
    case NumberType::Kind::Fixed:
      quantize_fixed(in, out, n, t);
      if (scales) scales[0] = static_cast<float>(t.step());
      return;
    case NumberType::Kind::ScaledInt: break;
  }
  const std::size_t slices = t.per_channel && channels ? channels : 1;
  const std::size_t per = n / slices;
  for (std::size_t c = 0; c < slices; ++c) {
    const float* x = in + c * per;
    float* y = out + c * per;
    const float s = quant_scale(largest(x, per, t), t);
    if (scales) scales[c] = s;
    quantize_with_scale(x, y, per, s, t);
  }
}

void straight_through(const float* in, float* g, std::size_t n, float lo, float hi) {
  for_ranges(n, [&](std::int64_t from, std::int64_t to) { through_kernel(in, g, g, from, to, lo, hi); });
}

void straight_through(const float* in, const float* dy, float* dx, std::size_t n, float lo, float hi) {
  for_ranges(n, [&](std::int64_t from, std::int64_t to) { through_kernel(in, dy, dx, from, to, lo, hi); });
}

}  // namespace nac::nn
