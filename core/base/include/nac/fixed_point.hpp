#pragma once
// Exact fixed-point arithmetic with ap_fixed's semantics, for the fixed-point executor and the
// HLS backend (docs/hls_backend.md). A value is an integer `raw` of units of 2^-frac, exact:
// products and sums widen without loss (as ap_fixed's operators do, whose result types
// fixed_product_type and fixed_sum_type give), and only a conversion to a NumberType (an
// assignment in HLS C++) quantizes, by the type's rounding mode and then its overflow mode.
//
// Raw values are held in 128 bits; every value the executor makes stays below 2^125 in
// magnitude (operands of at most 32 bits, sums of at most 2^40 terms), which fixed_cast checks.
#include <cstdint>

#include "nac/precision.hpp"
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac {

using FixedRaw = __int128;

/// raw * 2^-frac, exactly.
struct FixedValue {
  FixedRaw raw = 0;
  int frac = 0;
};

/// Fractional bits of a fixed type: width - integer (negative when integer > width).
inline int fraction_bits(const NumberType& t) { return t.width - t.integer; }

/// The exact result types of ap_fixed's operators (widths may exceed 32 here: an accumulator's
/// type is not limited as a tensor's is). Rounding and overflow are the defaults (AP_TRN,
/// AP_WRAP), as ap_fixed's result types have.
///   a * b:  W = Wa + Wb, I = Ia + Ib, signed if either is
///   a + b:  I = max(Ia + (Sb and not Sa), Ib + (Sa and not Sb)) + 1, F = max(Fa, Fb), signed if either is
NumberType fixed_product_type(const NumberType& a, const NumberType& b);
NumberType fixed_sum_type(const NumberType& a, const NumberType& b);

/// The least k with 2^k >= n (0 for n <= 1): the bits that index n values, or the integer bits a
/// sum of n values gains.
int ceil_log2(std::int64_t n);

/// hls4ml's automatic accumulator type of a dense or convolution layer (its precision
/// inference): W = Wx + Ww + ceil(log2 n_ops), I = Ix + Iw + ceil(log2 n_ops), signed if input or
/// weight is; with a bias, I = max(I + (Sb and not S), Ib + (S and not Sb)) + 1 and
/// W = I + max(F, Fb). Sums of n_ops products and the bias never overflow it and never round.
NumberType infer_accum_type(const NumberType& input, const NumberType& weight, const NumberType* bias,
                            std::int64_t n_ops);

/// The raw integer of `v` converted to the fixed type `t` (units of 2^-fraction_bits(t)), as an
/// ap_fixed assignment converts it: the dropped bits rounded by t's rounding mode, then t's
/// overflow mode applied to the W-bit range. Throws nac::Error when |v.raw| >= 2^125.
FixedRaw fixed_cast(const FixedValue& v, const NumberType& t);
/// The same for a double, converted exactly as ap_fixed's constructor from double does; NaN and
/// infinities are errors.
FixedRaw fixed_from_double(double x, const NumberType& t);
/// raw * 2^-fraction_bits(t) (exact for raw below 2^53).
double fixed_to_double(FixedRaw raw, const NumberType& t);

/// The smallest and largest raw integers of a fixed type (signed: -2^(W-1) .. 2^(W-1) - 1;
/// unsigned: 0 .. 2^W - 1).
FixedRaw fixed_raw_min(const NumberType& t);
FixedRaw fixed_raw_max(const NumberType& t);

}  // namespace nac
NAC_PUBLIC_END
