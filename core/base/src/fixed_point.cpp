#include "nac/fixed_point.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "nac/error.hpp"

namespace nac {

namespace {

constexpr int kMaxWidth = 120;   // widest type a raw value is cast to (accumulators included)
constexpr int kMagnitude = 125;  // raw values stay below 2^125 in magnitude
constexpr FixedRaw one = 1;

void check_fixed(const NumberType& t) {
  if (t.kind != NumberType::Kind::Fixed)
    throw Error("fixed-point arithmetic: " + to_string(t) + " is not a fixed-point type");
  if (t.width < 1 || t.width > kMaxWidth)
    throw Error("fixed-point arithmetic: " + to_string(t) + " has a width outside 1.." + std::to_string(kMaxWidth));
}

bool too_large(FixedRaw raw) { return raw >= (one << kMagnitude) || raw <= -(one << kMagnitude); }

// Bits of |raw| (0 for 0).
int bit_length(FixedRaw raw) {
  FixedRaw m = raw < 0 ? -raw : raw;
  int n = 0;
  while (m != 0) m >>= 1, ++n;
  return n;
}

// q (an integer of the type's units) brought into the W-bit range by the overflow mode.
FixedRaw overflow(FixedRaw q, const NumberType& t) {
  const FixedRaw lo = fixed_raw_min(t), hi = fixed_raw_max(t);
  if (q >= lo && q <= hi) return q;
  switch (t.overflow) {
    case Overflow::Wrap: {
      const FixedRaw low = q & ((one << t.width) - 1);  // the low W bits (two's complement)
      return t.is_signed && low > hi ? low - (one << t.width) : low;
    }
    case Overflow::Sat: return q > hi ? hi : lo;
    case Overflow::SatZero: return 0;
    case Overflow::SatSym: return q > hi ? hi : (t.is_signed ? -hi : lo);
  }
  return q;
}

// raw * 2^shift for a shift too large to compute: the value is outside every type's range.
FixedRaw overflow_huge(FixedRaw raw, int shift, const NumberType& t) {
  if (t.overflow == Overflow::Wrap) {
    if (shift >= t.width) return 0;  // the low W bits are all zero
    const FixedRaw low = raw & ((one << (t.width - shift)) - 1);
    return overflow(low << shift, t);
  }
  return overflow(raw > 0 ? fixed_raw_max(t) + 1 : fixed_raw_min(t) - 1, t);
}

}  // namespace

FixedRaw fixed_raw_min(const NumberType& t) { return t.is_signed ? -(one << (t.width - 1)) : 0; }
FixedRaw fixed_raw_max(const NumberType& t) { return t.is_signed ? (one << (t.width - 1)) - 1 : (one << t.width) - 1; }

NumberType fixed_product_type(const NumberType& a, const NumberType& b) {
  check_fixed(a), check_fixed(b);
  NumberType r = NumberType::fixed(2, 1);
  r.width = a.width + b.width;
  r.integer = a.integer + b.integer;
  r.is_signed = a.is_signed || b.is_signed;
  return r;
}

NumberType fixed_sum_type(const NumberType& a, const NumberType& b) {
  check_fixed(a), check_fixed(b);
  NumberType r = NumberType::fixed(2, 1);
  r.integer = std::max(a.integer + (b.is_signed && !a.is_signed), b.integer + (a.is_signed && !b.is_signed)) + 1;
  r.width = r.integer + std::max(fraction_bits(a), fraction_bits(b));
  r.is_signed = a.is_signed || b.is_signed;
  return r;
}

int ceil_log2(std::int64_t n) {
  int k = 0;
  while ((std::int64_t{1} << k) < n) ++k;
  return k;
}

NumberType infer_accum_type(const NumberType& input, const NumberType& weight, const NumberType* bias,
                            std::int64_t n_ops) {
  check_fixed(input), check_fixed(weight);
  if (n_ops < 1) throw Error("infer_accum_type: a layer needs at least one product per output");
  const int extra = ceil_log2(n_ops);
  NumberType r = NumberType::fixed(2, 1);
  r.width = input.width + weight.width + extra;
  r.integer = input.integer + weight.integer + extra;
  r.is_signed = input.is_signed || weight.is_signed;
  if (bias) {
    check_fixed(*bias);
    const int frac = r.width - r.integer;
    r.integer =
        std::max(r.integer + (bias->is_signed && !r.is_signed), bias->integer + (r.is_signed && !bias->is_signed)) + 1;
    r.width = r.integer + std::max(frac, fraction_bits(*bias));
    r.is_signed = r.is_signed || bias->is_signed;
  }
  if (r.width > kMaxWidth)
    throw Error("the accumulator of " + to_string(input) + " x " + to_string(weight) + " over " +
                std::to_string(n_ops) + " products needs " + std::to_string(r.width) + " bits; at most " +
                std::to_string(kMaxWidth) + " are supported");
  return r;
}

FixedRaw fixed_cast(const FixedValue& v, const NumberType& t) {
  check_fixed(t);
  if (too_large(v.raw)) throw Error("fixed-point arithmetic: a value outside +-2^125 units, cast to " + to_string(t));
  if (v.raw == 0) return overflow(0, t);
  const int drop = v.frac - fraction_bits(t);
  if (drop <= 0) {  // exact: shift left
    const int shift = -drop;
    if (bit_length(v.raw) + shift > kMagnitude) return overflow_huge(v.raw, shift, t);
    return overflow(v.raw * (one << shift), t);
  }
  // |raw| < 2^125: dropping 126 or more bits rounds as dropping 126 does (the value is below half a unit).
  const int d = std::min(drop, kMagnitude + 1);
  const FixedRaw q = v.raw >> d;  // floor (arithmetic shift)
  const bool qb = ((v.raw >> (d - 1)) & 1) != 0;
  const bool rest = (v.raw & ((one << (d - 1)) - 1)) != 0;
  const bool negative = v.raw < 0;
  bool up = false;
  switch (t.rounding) {
    case Rounding::Trn: break;
    case Rounding::TrnZero: up = negative && (qb || rest); break;
    case Rounding::Rnd: up = qb; break;
    case Rounding::RndZero: up = qb && (rest || negative); break;
    case Rounding::RndMinInf: up = qb && rest; break;
    case Rounding::RndInf: up = qb && (rest || !negative); break;
    case Rounding::RndConv: up = qb && (rest || (q & 1) != 0); break;
  }
  return overflow(q + (up ? 1 : 0), t);
}

FixedRaw fixed_from_double(double x, const NumberType& t) {
  if (!std::isfinite(x))
    throw Error("fixed-point arithmetic: cannot convert " + std::to_string(x) + " to " + to_string(t));
  int e = 0;
  const double m = std::frexp(x, &e);                              // x = m 2^e, 0.5 <= |m| < 1
  const auto mantissa = static_cast<FixedRaw>(std::ldexp(m, 53));  // exact
  return fixed_cast({mantissa, 53 - e}, t);
}

double fixed_to_double(FixedRaw raw, const NumberType& t) {
  return std::ldexp(static_cast<double>(raw), -fraction_bits(t));
}

}  // namespace nac
