// Exact fixed-point arithmetic (nac/fixed_point.hpp) against values worked by hand, against the
// double-precision conversion nac::to_fixed, and against exhaustive enumeration of small types.
#include <cmath>

#include <doctest/doctest.h>

#include "nac/error.hpp"
#include "nac/fixed_point.hpp"
#include "nac/rng.hpp"

using namespace nac;

namespace {

using nac::test::fx;

// raw / 2^frac cast to t, as a double.
double cast_value(FixedRaw raw, int frac, const NumberType& t) {
  return fixed_to_double(fixed_cast({raw, frac}, t), t);
}

}  // namespace

TEST_CASE("fixed_cast rounds raw values by every mode (the hand-worked ties: precision_test.cpp)") {
  // ap_fixed<8,6>: step 0.25. On the grid: unchanged; far below half a step: 0, except that
  // AP_TRN (toward -infinity) takes a tiny negative value to -0.25.
  for (const Rounding mode : {Rounding::Trn, Rounding::TrnZero, Rounding::Rnd, Rounding::RndZero, Rounding::RndMinInf,
                              Rounding::RndInf, Rounding::RndConv}) {
    CAPTURE(to_string(mode));
    const NumberType t = fx(8, 6, mode);
    CHECK(cast_value(6, 3, t) == 0.75);
    CHECK(cast_value(-7, 2, t) == -1.75);
    CHECK(cast_value(1, 200, t) == 0.0);
    CHECK(cast_value(-1, 200, t) == (mode == Rounding::Trn ? -0.25 : 0.0));
    // Halfway between -0.5 and -0.25, in eighths: ties toward +infinity (AP_RND) give -0.25.
    CHECK(cast_value(-3, 3, t) ==
          (mode == Rounding::Rnd || mode == Rounding::RndZero || mode == Rounding::TrnZero ? -0.25 : -0.5));
  }
}

TEST_CASE("fixed_cast applies every overflow mode after rounding") {
  // ap_fixed<4,4>: integers -8..7; ap_ufixed<4,4>: 0..15.
  struct Row {
    Overflow mode;
    double p9, m9, m8, p8;  // 9, -9, -8, 8
  };
  const Row rows[] = {{Overflow::Wrap, -7, 7, -8, -8},
                      {Overflow::Sat, 7, -8, -8, 7},
                      {Overflow::SatZero, 0, 0, -8, 0},
                      {Overflow::SatSym, 7, -7, -8, 7}};
  for (const Row& r : rows) {
    CAPTURE(to_string(r.mode));
    const NumberType t = fx(4, 4, Rounding::Trn, r.mode);
    CHECK(cast_value(9, 0, t) == r.p9);
    CHECK(cast_value(-9, 0, t) == r.m9);
    CHECK(cast_value(-8, 0, t) == r.m8);  // in range: kept, AP_SAT_SYM included
    CHECK(cast_value(8, 0, t) == r.p8);
  }
  const NumberType u_wrap = fx(4, 4, Rounding::Trn, Overflow::Wrap, false);
  CHECK(cast_value(-1, 0, u_wrap) == 15);
  CHECK(cast_value(17, 0, u_wrap) == 1);
  const NumberType u_sat = fx(4, 4, Rounding::Trn, Overflow::Sat, false);
  CHECK(cast_value(-1, 0, u_sat) == 0);
  CHECK(cast_value(17, 0, u_sat) == 15);
  CHECK(cast_value(-3, 0, fx(4, 4, Rounding::Trn, Overflow::SatSym, false)) == 0);
  // Rounding up into overflow: ap_fixed<4,2> holds -2..1.75; 1.875 rounds to 2.
  CHECK(cast_value(15, 3, fx(4, 2, Rounding::Rnd, Overflow::Wrap)) == -2.0);
  CHECK(cast_value(15, 3, fx(4, 2, Rounding::Rnd, Overflow::Sat)) == 1.75);
  // A value far beyond the range (shifted past 128 bits): wrap keeps its low bits, all zero.
  CHECK(cast_value(3, -200, fx(8, 4)) == 0.0);
  CHECK(cast_value(3, -200, fx(8, 4, Rounding::Trn, Overflow::Sat)) == fixed_to_double(127, fx(8, 4)));
  CHECK(cast_value(-3, -200, fx(8, 4, Rounding::Trn, Overflow::Sat)) == -8.0);
  // Low bits that survive a large shift: 3 * 2^6 wraps to 0b11000000 in 8 bits = -64.
  CHECK(cast_value(3, -6, fx(8, 8)) == -64.0);
}

TEST_CASE("fixed_from_double equals nac::to_fixed for every mode, on random values, ties and extremes") {
  Rng rng(11);
  const Rounding modes[] = {Rounding::Trn,       Rounding::TrnZero, Rounding::Rnd,    Rounding::RndZero,
                            Rounding::RndMinInf, Rounding::RndInf,  Rounding::RndConv};
  const Overflow overflows[] = {Overflow::Wrap, Overflow::Sat, Overflow::SatZero, Overflow::SatSym};
  for (const Rounding r : modes)
    for (const Overflow o : overflows)
      for (const bool s : {true, false})
        for (const auto& [w, i] :
             {std::pair{8, 3}, std::pair{16, 6}, std::pair{6, 2}, std::pair{5, 7}, std::pair{10, -2}}) {
          const NumberType t = fx(w, i, r, o, s);
          CAPTURE(to_string(t));
          for (int k = 0; k < 300; ++k) {
            double x = rng.uniform(-2, 2) * std::ldexp(1.0, i);
            if (k % 3 == 0) x = (std::floor(x * std::ldexp(1.0, w - i)) + 0.5) * std::ldexp(1.0, i - w);  // a tie
            CAPTURE(x);
            CHECK(fixed_to_double(fixed_from_double(x, t), t) == to_fixed(x, t));
          }
          for (const double x : {1e300, -1e300, 1e-300, -1e-300, 0.0, -0.0, 4e9, -4e9}) {
            CAPTURE(x);
            CHECK(fixed_to_double(fixed_from_double(x, t), t) == to_fixed(x, t));
          }
        }
  CHECK_THROWS_AS(fixed_from_double(std::nan(""), fx(8, 3)), Error);
  CHECK_THROWS_AS(fixed_from_double(INFINITY, fx(8, 3)), Error);
  CHECK_THROWS_AS(fixed_cast({1, 0}, NumberType::scaled_int(8)), Error);
}

TEST_CASE("operator result types are ap_fixed's, and hold every exact result (enumerated)") {
  const NumberType a = fx(8, 3), b = fx(6, 2, Rounding::Trn, Overflow::Wrap, false);
  const NumberType p = fixed_product_type(a, b), s = fixed_sum_type(a, b);
  CHECK(p.width == 14);   // W1 + W2
  CHECK(p.integer == 5);  // I1 + I2
  CHECK(p.is_signed);
  CHECK(s.integer == 4);  // max(3 + 0, 2 + 1) + 1
  CHECK(s.width == 9);    // I + max(5, 4)
  CHECK(s.is_signed);
  // Every pair of values of small types: the exact product and sum are representable in the
  // result type (no rounding, no overflow).
  const NumberType types[] = {fx(4, 2), fx(3, 3, Rounding::Trn, Overflow::Wrap, false), fx(5, 0), fx(4, 6),
                              fx(3, -1, Rounding::Trn, Overflow::Wrap, false)};
  for (const NumberType& x : types)
    for (const NumberType& y : types) {
      CAPTURE(to_string(x));
      CAPTURE(to_string(y));
      const NumberType pt = fixed_product_type(x, y), st = fixed_sum_type(x, y);
      for (FixedRaw i = fixed_raw_min(x); i <= fixed_raw_max(x); ++i)
        for (FixedRaw j = fixed_raw_min(y); j <= fixed_raw_max(y); ++j) {
          const int fxb = fraction_bits(x), fyb = fraction_bits(y);
          const FixedValue prod{i * j, fxb + fyb};
          CHECK(fixed_cast(prod, pt) == i * j * (FixedRaw(1) << (fraction_bits(pt) - fxb - fyb)));
          const int f = std::max(fxb, fyb);
          const FixedRaw sum = i * (FixedRaw(1) << (f - fxb)) + j * (FixedRaw(1) << (f - fyb));
          CHECK(fixed_cast({sum, f}, st) == sum * (FixedRaw(1) << (fraction_bits(st) - f)));
        }
    }
}

TEST_CASE("the automatic accumulator type: hls4ml's inference by hand, and no overflow at the extremes") {
  const NumberType d = fx(16, 6);
  const NumberType acc = infer_accum_type(d, d, &d, 200);  // 16 + 16 + 8 bits, 6 + 6 + 8 integer
  CHECK(acc.integer == 21);                                // max(20, 6) + 1
  CHECK(acc.width == 41);                                  // 21 + max(20, 10)
  CHECK(acc.is_signed);
  const NumberType no_bias = infer_accum_type(fx(8, 3), fx(6, 2), nullptr, 9);
  CHECK(no_bias.width == 18);  // 8 + 6 + 4
  CHECK(no_bias.integer == 9);
  const NumberType u = fx(8, 3, Rounding::Trn, Overflow::Wrap, false);
  const NumberType mixed = infer_accum_type(u, u, &d, 4);  // unsigned products, a signed bias
  CHECK_FALSE(fixed_product_type(u, u).is_signed);
  CHECK(mixed.integer == std::max(8 + 1, 6 + 0) + 1);
  CHECK(mixed.is_signed);
  // The worst cases fit: n_ops products of the extremes plus the extreme bias.
  struct Case {
    NumberType x, w, b;
    int n;
  };
  for (const auto& [x, w, b, n] : {Case{fx(8, 3), fx(6, 2), fx(10, 4), 9}, Case{u, fx(5, 1), fx(7, 7), 33},
                                   Case{fx(4, 1), fx(4, 1), fx(4, 1), 200}}) {
    const NumberType a = infer_accum_type(x, w, &b, n);
    const int fp = fraction_bits(x) + fraction_bits(w), fb = fraction_bits(b), fa = fraction_bits(a);
    for (const FixedRaw px : {fixed_raw_min(x), fixed_raw_max(x)})
      for (const FixedRaw pw : {fixed_raw_min(w), fixed_raw_max(w)})
        for (const FixedRaw pb : {fixed_raw_min(b), fixed_raw_max(b)}) {
          const FixedRaw sum = px * pw * n * (FixedRaw(1) << (fa - fp)) + pb * (FixedRaw(1) << (fa - fb));
          CHECK(fixed_cast({sum, fa}, a) == sum);
        }
  }
}
