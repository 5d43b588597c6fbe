#pragma once
// The number type of one tensor of a layer (its weights, its bias, its input), part of the model
// description (LayerSpec::precision) and read by everything that needs it: the engine's fake
// quantizers, BOPs, the model file, and the HLS and ONNX writers. Three kinds:
//
//   float32                              no quantization (the default of every tensor)
//   ap_fixed<W,I,Q,O> / ap_ufixed<W,I,Q,O>
//                                        fixed point in hls4ml's and Vitis HLS's vocabulary: W bits
//                                        in all, I of them integer bits (the sign included), so the
//                                        step is 2^-(W-I); Q the rounding and O the overflow mode
//                                        (defaults AP_TRN and AP_WRAP, as ap_fixed's)
//   int<B> / uint<B>, with options per_channel, pow2 and learned, e.g. int<8,per_channel,pow2>
//                                        a scaled integer (Brevitas-like): B-bit levels times a
//                                        scale set from the tensor's largest magnitude, per tensor
//                                        or per output channel, optionally rounded up to a power of
//                                        two; rounding half to even, symmetric ("narrow") range;
//                                        `learned` (layer inputs only): the scale is a trained
//                                        parameter (LSQ, Esser et al. 2019) instead
//
// docs/compression.md states every rule with its source.
#include <cmath>
#include <cstdint>
#include <string>

#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac {

/// ap_fixed's quantization modes: what happens to the dropped fractional bits.
enum class Rounding {
  Trn,        // AP_TRN: toward -infinity (floor)
  TrnZero,    // AP_TRN_ZERO: toward 0
  Rnd,        // AP_RND: to nearest, ties toward +infinity
  RndZero,    // AP_RND_ZERO: to nearest, ties toward 0
  RndMinInf,  // AP_RND_MIN_INF: to nearest, ties toward -infinity
  RndInf,     // AP_RND_INF: to nearest, ties away from 0
  RndConv,    // AP_RND_CONV: to nearest, ties to even
};
/// ap_fixed's overflow modes (AP_WRAP_SM is not supported).
enum class Overflow {
  Wrap,     // AP_WRAP: keep the low W bits (two's complement modulo 2^W)
  Sat,      // AP_SAT: clamp to the largest or smallest value
  SatZero,  // AP_SAT_ZERO: an overflow gives 0
  SatSym,   // AP_SAT_SYM: clamp to +-largest (signed: the smallest value is -largest)
};

const char* to_string(Rounding r);  // "AP_TRN", ...
const char* to_string(Overflow o);  // "AP_WRAP", ...

struct NumberType {
  enum class Kind { Float, Fixed, ScaledInt };
  Kind kind = Kind::Float;
  int width = 32;                      // total bits (float32: 32)
  int integer = 0;                     // Fixed: integer bits, the sign bit included (may be < 0 or > width)
  bool is_signed = true;               // Fixed and ScaledInt
  Rounding rounding = Rounding::Trn;   // Fixed
  Overflow overflow = Overflow::Wrap;  // Fixed
  bool per_channel = false;            // ScaledInt: one scale per slice of the first axis
  bool power_of_two = false;           // ScaledInt: scales rounded up to powers of two
  bool learned = false;                // ScaledInt inputs: the scale is trained (LSQ), not the largest magnitude

  bool is_float() const { return kind == Kind::Float; }
  /// Fixed: 2^-(width - integer).
  double step() const;
  /// Fixed: the smallest and largest values.
  double lowest() const;
  double highest() const;
  bool operator==(const NumberType&) const = default;

  static NumberType float32() { return {}; }
  static NumberType fixed(int width, int integer, bool is_signed = true, Rounding r = Rounding::Trn,
                          Overflow o = Overflow::Wrap);
  static NumberType scaled_int(int bits, bool is_signed = true, bool per_channel = false, bool power_of_two = false);
};

/// The text form above ("ap_fixed<8,3,AP_RND_CONV,AP_SAT>", "int<8,per_channel>", "float32").
std::string to_string(const NumberType& t);
/// Parses the text form; nac::Error quoting the text and saying what is wrong (an unknown mode,
/// a width outside 1..32, ...). Spaces are allowed between the parts.
NumberType parse_number_type(const std::string& text);
/// Throws nac::Error unless the type is valid: Fixed 1 <= width <= 32 (2 if signed); ScaledInt
/// 2 <= bits <= 16 (1..16 unsigned), not both per_channel and learned.
void check(const NumberType& t);

/// x rounded to the fixed-point type exactly as ap_fixed converts a double: quantization by the
/// rounding mode first, then overflow. NaN stays NaN. The type must be Fixed.
double to_fixed(double x, const NumberType& t);

/// The overflow mode of a fixed type applied to an integer q of its units whose range is
/// [lo, hi] (q outside it: wrapped or saturated), for to_fixed and the engine's kernels.
template <class T>
T apply_overflow(T q, T lo, T hi, const NumberType& t) {
  if (!(q < lo || q > hi)) return q;
  switch (t.overflow) {
    case Overflow::Wrap: {  // the low W bits, two's complement (fmod is exact)
      const T m = std::ldexp(T(1), t.width);
      q = std::fmod(q, m);
      if (q < 0) q += m;
      return q > hi ? q - m : q;
    }
    case Overflow::Sat: return q > hi ? hi : lo;
    case Overflow::SatZero: return T(0);
    case Overflow::SatSym: return q > hi ? hi : (t.is_signed ? -hi : lo);
  }
  return q;
}

/// The roles of a layer's tensors that carry a precision: "weight", "bias", "input".
bool is_precision_role(const std::string& role);
const char* precision_roles_text();  // "weight, bias, input"

}  // namespace nac
NAC_PUBLIC_END
