// nac's ap_fixed.h: the subset of the ap_fixed / ap_ufixed interface (Vitis HLS, hls4ml) that
// nac's generated HLS projects use, with the same semantics, for C simulation with g++ or clang
// where the vendor's headers are not installed. Synthesis uses the vendor's headers instead.
//
// Supported: ap_fixed<W,I,Q,O> and ap_ufixed<W,I,Q,O> with W up to 120 bits; every rounding mode
// (AP_TRN, AP_TRN_ZERO, AP_RND, AP_RND_ZERO, AP_RND_MIN_INF, AP_RND_INF, AP_RND_CONV) and the
// overflow modes AP_WRAP, AP_SAT, AP_SAT_ZERO and AP_SAT_SYM; conversion from double, float,
// int and any other ap_fixed (the dropped bits rounded by the target's mode, then its overflow
// mode); exact *, + and - with ap_fixed's result types (and * with an int, / by an unsigned);
// comparisons;
// to_double(), to_float(), to_int(); range(hi, lo).to_uint(); raw() (nac's extension).
// Written for nac (Apache-2.0 like the rest of nac); it shares no code with the vendor's headers.
#ifndef NAC_AP_FIXED_H
#define NAC_AP_FIXED_H

#include <cmath>
#include <cstdio>
#include <cstdlib>

enum ap_q_mode { AP_RND, AP_RND_ZERO, AP_RND_MIN_INF, AP_RND_INF, AP_RND_CONV, AP_TRN, AP_TRN_ZERO };
enum ap_o_mode { AP_SAT, AP_SAT_ZERO, AP_SAT_SYM, AP_WRAP, AP_WRAP_SM };

namespace nac_ap {

typedef __int128 raw_t;

inline int bits_of(raw_t v) {
  raw_t m = v < 0 ? -v : v;
  int n = 0;
  while (m != 0) m >>= 1, ++n;
  return n;
}

// v (units of 2^-frac, |v| < 2^125) as an integer of units of 2^-F, rounded by Q, then brought
// into the W-bit range by O.
template <int W, int F, bool S, ap_q_mode Q, ap_o_mode O>
raw_t convert(raw_t v, int frac) noexcept {
  const raw_t one = 1;
  const raw_t lo = S ? -(one << (W - 1)) : 0, hi = S ? (one << (W - 1)) - 1 : (one << W) - 1;
  raw_t q = 0;
  bool huge = false;
  const int drop = frac - F;
  if (v == 0) {
    q = 0;
  } else if (drop <= 0) {
    if (bits_of(v) - drop > 125) huge = true;
    else q = v * (one << (-drop));  // (a multiplication: v may be negative)
  } else {
    const int d = drop < 126 ? drop : 126;  // |v| < 2^125: dropping more rounds the same way
    q = v >> d;
    const bool qb = ((v >> (d - 1)) & 1) != 0;
    const bool r = (v & ((one << (d - 1)) - 1)) != 0;
    const bool s = v < 0;
    bool up = false;
    switch (Q) {
      case AP_TRN: break;
      case AP_TRN_ZERO: up = s && (qb || r); break;
      case AP_RND: up = qb; break;
      case AP_RND_ZERO: up = qb && (r || s); break;
      case AP_RND_MIN_INF: up = qb && r; break;
      case AP_RND_INF: up = qb && (r || !s); break;
      case AP_RND_CONV: up = qb && (r || (q & 1) != 0); break;
    }
    q += up ? 1 : 0;
  }
  if (huge) {
    if (O == AP_WRAP || O == AP_WRAP_SM) {
      const int shift = -drop;
      if (shift >= W) return 0;
      q = (v & ((one << (W - shift)) - 1)) << shift;
    } else {
      q = v > 0 ? hi + 1 : lo - 1;
    }
  }
  if (q >= lo && q <= hi) return q;
  switch (O) {
    case AP_SAT: return q > hi ? hi : lo;
    case AP_SAT_ZERO: return 0;
    case AP_SAT_SYM: return q > hi ? hi : (S ? -hi : lo);
    default: {  // AP_WRAP (AP_WRAP_SM is not supported: treated as AP_WRAP)
      const raw_t low = q & ((one << W) - 1);
      return S && low > hi ? low - (one << W) : low;
    }
  }
}

}  // namespace nac_ap

template <int W, int I, bool S, ap_q_mode Q = AP_TRN, ap_o_mode O = AP_WRAP, int N = 0>
struct ap_fixed_base {
  static_assert(W >= 1 && W <= 120, "nac's ap_fixed.h supports widths from 1 to 120 bits");
  static const int width = W, iwidth = I, fwidth = W - I;
  static const bool sign_flag = S;
  nac_ap::raw_t V;

  ap_fixed_base() noexcept : V(0) {}
  template <int W2, int I2, bool S2, ap_q_mode Q2, ap_o_mode O2, int N2>
  ap_fixed_base(const ap_fixed_base<W2, I2, S2, Q2, O2, N2>& o) noexcept : V(nac_ap::convert<W, W - I, S, Q, O>(o.V, W2 - I2)) {}
  ap_fixed_base(double d) noexcept : V(from_double(d)) {}
  ap_fixed_base(float f) noexcept : V(from_double(f)) {}
  ap_fixed_base(int i) noexcept : V(nac_ap::convert<W, W - I, S, Q, O>(i, 0)) {}
  ap_fixed_base(long i) noexcept : V(nac_ap::convert<W, W - I, S, Q, O>(i, 0)) {}
  ap_fixed_base(unsigned u) noexcept : V(nac_ap::convert<W, W - I, S, Q, O>(u, 0)) {}

  static nac_ap::raw_t from_double(double d) noexcept {
    if (!std::isfinite(d)) {
      std::fprintf(stderr, "ap_fixed: cannot convert a NaN or an infinity\n");
      std::abort();
    }
    if (d == 0) return nac_ap::convert<W, W - I, S, Q, O>(0, 0);
    int e = 0;
    const double m = std::frexp(d, &e);
    return nac_ap::convert<W, W - I, S, Q, O>(static_cast<nac_ap::raw_t>(std::ldexp(m, 53)), 53 - e);
  }

  double to_double() const { return std::ldexp(static_cast<double>(V), -(W - I)); }
  /// The integer part, truncated toward zero.
  int to_int() const {
    return W - I > 0 ? static_cast<int>(V / (nac_ap::raw_t(1) << (W - I))) : static_cast<int>(V * (nac_ap::raw_t(1) << (I - W)));
  }
  /// Bits lo..hi of the two's complement value (hi - lo < 64), read with to_uint().
  struct bits_ref {
    unsigned long long v;
    unsigned to_uint() const { return static_cast<unsigned>(v); }
  };
  bits_ref range(int hi, int lo) const {
    const unsigned long long all = static_cast<unsigned long long>(V >> lo);
    return bits_ref{hi - lo >= 63 ? all : all & ((1ULL << (hi - lo + 1)) - 1)};
  }
  float to_float() const { return static_cast<float>(to_double()); }
  /// The raw integer (units of 2^-(W-I)). nac's extension.
  long long raw() const { return static_cast<long long>(V); }

  template <int W2, int I2, bool S2, ap_q_mode Q2, ap_o_mode O2, int N2>
  ap_fixed_base& operator+=(const ap_fixed_base<W2, I2, S2, Q2, O2, N2>& o) {
    return *this = *this + o;
  }
  template <int W2, int I2, bool S2, ap_q_mode Q2, ap_o_mode O2, int N2>
  ap_fixed_base& operator-=(const ap_fixed_base<W2, I2, S2, Q2, O2, N2>& o) {
    return *this = *this - o;
  }
};

// Exact result types (an int operand is ap_fixed<32,32>).
template <int W1, int I1, bool S1, int W2, int I2, bool S2>
struct ap_sum_type {
  static const int F1 = W1 - I1, F2 = W2 - I2;
  static const int I = (I1 + (S2 && !S1) > I2 + (S1 && !S2) ? I1 + (S2 && !S1) : I2 + (S1 && !S2)) + 1;
  static const int W = I + (F1 > F2 ? F1 : F2);
  typedef ap_fixed_base<W, I, S1 || S2> plus;
  typedef ap_fixed_base<W, I, true> minus;
};

template <int W1, int I1, bool S1, ap_q_mode Q1, ap_o_mode O1, int N1, int W2, int I2, bool S2, ap_q_mode Q2,
          ap_o_mode O2, int N2>
ap_fixed_base<W1 + W2, I1 + I2, S1 || S2> operator*(const ap_fixed_base<W1, I1, S1, Q1, O1, N1>& a,
                                                   const ap_fixed_base<W2, I2, S2, Q2, O2, N2>& b) {
  ap_fixed_base<W1 + W2, I1 + I2, S1 || S2> r;
  r.V = a.V * b.V;
  return r;
}

template <int W1, int I1, bool S1, ap_q_mode Q1, ap_o_mode O1, int N1, int W2, int I2, bool S2, ap_q_mode Q2,
          ap_o_mode O2, int N2>
typename ap_sum_type<W1, I1, S1, W2, I2, S2>::plus operator+(const ap_fixed_base<W1, I1, S1, Q1, O1, N1>& a,
                                                             const ap_fixed_base<W2, I2, S2, Q2, O2, N2>& b) {
  typedef ap_sum_type<W1, I1, S1, W2, I2, S2> T;
  const int f = T::F1 > T::F2 ? T::F1 : T::F2;
  typename T::plus r;
  r.V = a.V * (nac_ap::raw_t(1) << (f - T::F1)) + b.V * (nac_ap::raw_t(1) << (f - T::F2));
  return r;
}

template <int W1, int I1, bool S1, ap_q_mode Q1, ap_o_mode O1, int N1, int W2, int I2, bool S2, ap_q_mode Q2,
          ap_o_mode O2, int N2>
typename ap_sum_type<W1, I1, S1, W2, I2, S2>::minus operator-(const ap_fixed_base<W1, I1, S1, Q1, O1, N1>& a,
                                                              const ap_fixed_base<W2, I2, S2, Q2, O2, N2>& b) {
  typedef ap_sum_type<W1, I1, S1, W2, I2, S2> T;
  const int f = T::F1 > T::F2 ? T::F1 : T::F2;
  typename T::minus r;
  r.V = a.V * (nac_ap::raw_t(1) << (f - T::F1)) - b.V * (nac_ap::raw_t(1) << (f - T::F2));
  return r;
}

// A product with an int (an int is ap_fixed<32,32>).
template <int W1, int I1, bool S1, ap_q_mode Q1, ap_o_mode O1, int N1>
ap_fixed_base<W1 + 32, I1 + 32, true> operator*(const ap_fixed_base<W1, I1, S1, Q1, O1, N1>& a, int b) {
  ap_fixed_base<W1 + 32, I1 + 32, true> r;
  r.V = a.V * b;
  return r;
}

// A quotient by an unsigned (ap_uint<32>): the dividend's type, truncated toward zero.
template <int W1, int I1, bool S1, ap_q_mode Q1, ap_o_mode O1, int N1>
ap_fixed_base<W1, I1, S1> operator/(const ap_fixed_base<W1, I1, S1, Q1, O1, N1>& a, unsigned b) {
  ap_fixed_base<W1, I1, S1> r;
  r.V = a.V / static_cast<nac_ap::raw_t>(b);
  return r;
}

// Comparisons, exact: both sides aligned to the finer step.
namespace nac_ap {
template <int W1, int I1, bool S1, ap_q_mode Q1, ap_o_mode O1, int N1, int W2, int I2, bool S2, ap_q_mode Q2,
          ap_o_mode O2, int N2>
int compare(const ap_fixed_base<W1, I1, S1, Q1, O1, N1>& a, const ap_fixed_base<W2, I2, S2, Q2, O2, N2>& b) {
  const int f1 = W1 - I1, f2 = W2 - I2, f = f1 > f2 ? f1 : f2;
  const raw_t x = a.V * (raw_t(1) << (f - f1)), y = b.V * (raw_t(1) << (f - f2));
  return x < y ? -1 : (x > y ? 1 : 0);
}
}  // namespace nac_ap

#define NAC_AP_COMPARE(op)                                                                                        \
  template <int W1, int I1, bool S1, ap_q_mode Q1, ap_o_mode O1, int N1, int W2, int I2, bool S2, ap_q_mode Q2, \
            ap_o_mode O2, int N2>                                                                                 \
  bool operator op(const ap_fixed_base<W1, I1, S1, Q1, O1, N1>& a, const ap_fixed_base<W2, I2, S2, Q2, O2, N2>& b) { \
    return nac_ap::compare(a, b) op 0;                                                                            \
  }                                                                                                               \
  template <int W1, int I1, bool S1, ap_q_mode Q1, ap_o_mode O1, int N1>                                          \
  bool operator op(const ap_fixed_base<W1, I1, S1, Q1, O1, N1>& a, int b) {                                       \
    return nac_ap::compare(a, ap_fixed_base<32, 32, true>(b)) op 0;                                               \
  }
NAC_AP_COMPARE(<)
NAC_AP_COMPARE(<=)
NAC_AP_COMPARE(>)
NAC_AP_COMPARE(>=)
NAC_AP_COMPARE(==)
NAC_AP_COMPARE(!=)
#undef NAC_AP_COMPARE

template <int W, int I, ap_q_mode Q = AP_TRN, ap_o_mode O = AP_WRAP, int N = 0>
struct ap_fixed : ap_fixed_base<W, I, true, Q, O, N> {
  typedef ap_fixed_base<W, I, true, Q, O, N> Base;
  ap_fixed() noexcept : Base() {}
  template <class T>
  ap_fixed(const T& v) noexcept : Base(v) {}
};

template <int W, int I, ap_q_mode Q = AP_TRN, ap_o_mode O = AP_WRAP, int N = 0>
struct ap_ufixed : ap_fixed_base<W, I, false, Q, O, N> {
  typedef ap_fixed_base<W, I, false, Q, O, N> Base;
  ap_ufixed() noexcept : Base() {}
  template <class T>
  ap_ufixed(const T& v) noexcept : Base(v) {}
};

#endif
