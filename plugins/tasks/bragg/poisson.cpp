// FastRng's Poisson draws (random.hpp). Below kPoissonTables, lambda = m + r with m whole:
// Poisson(m) from a precomputed alias table plus Poisson(r), r < 1, by inversion; above,
// Hormann's PTRS. The batch form does the splitting and the inversions in vector passes.
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <string>
#include <vector>

#include "nac/detail/cpu_clones.hpp"
#include "nac/error.hpp"
#include "nac/fast_math.hpp"
#include "random.hpp"

namespace nac::bragg {

namespace {

constexpr int kTables = FastRng::kPoissonTables;

// Walker's alias method (Vose's construction) for Poisson(m), m = 0 .. kTables - 1, over the
// outcomes whose probability is at least 1e-20 of the mode's. Each table has a power-of-two
// number of columns (at least 2), so one 64-bit random number gives an exactly uniform column
// (its top bits) and an independent uniform to compare with the column's threshold (the rest).
struct AliasColumn {
  std::uint64_t threshold;    // keep `value` when the remaining bits are below this
  std::int32_t value, alias;  // the outcomes
};

struct PoissonTables {
  std::vector<AliasColumn> columns;
  std::array<std::uint32_t, kTables> offset{};
  std::array<std::uint8_t, kTables> bits{};

  PoissonTables() {
    for (int m = 0; m < kTables; ++m) add(m);
  }

  void add(int m) {
    const double lambda = m, log_lambda = m > 0 ? std::log(lambda) : 0;
    auto log_pmf = [&](int k) { return -lambda + k * log_lambda - std::lgamma(k + 1.0); };
    const double cut = log_pmf(m) - 20 * M_LN10;
    int lo = m, hi = m;
    if (m > 0) {
      while (lo > 0 && log_pmf(lo - 1) >= cut) --lo;
      while (log_pmf(hi + 1) >= cut) ++hi;
    }
    int b = 1;
    while ((1 << b) < hi - lo + 1) ++b;
    const int n = 1 << b;
    std::vector<double> scaled(static_cast<std::size_t>(n), 0.0);
    double total = 0;
    for (int k = lo; k <= hi; ++k) total += scaled[static_cast<std::size_t>(k - lo)] = std::exp(log_pmf(k));
    for (double& q : scaled) q *= n / total;
    std::vector<int> small, large;
    for (int i = 0; i < n; ++i) (scaled[static_cast<std::size_t>(i)] < 1 ? small : large).push_back(i);
    const auto slot = static_cast<std::size_t>(m);
    offset[slot] = static_cast<std::uint32_t>(columns.size());
    bits[slot] = static_cast<std::uint8_t>(b);
    columns.resize(columns.size() + static_cast<std::size_t>(n));
    AliasColumn* col = columns.data() + offset[slot];
    for (int i = 0; i < n; ++i) col[i] = {~std::uint64_t{0}, lo + i, lo + i};
    while (!small.empty() && !large.empty()) {
      const int s = small.back(), l = large.back();
      small.pop_back();
      const double threshold = std::ldexp(scaled[static_cast<std::size_t>(s)], 64);
      col[s].threshold = threshold < 0x1p64 ? static_cast<std::uint64_t>(threshold) : ~std::uint64_t{0};
      col[s].alias = lo + l;
      double& ql = scaled[static_cast<std::size_t>(l)];
      ql -= 1 - scaled[static_cast<std::size_t>(s)];
      if (ql < 1) large.pop_back(), small.push_back(l);
    }
    // What is left has probability 1 up to rounding: it keeps its own value (all-ones threshold).
  }

  // Poisson(m) from one random number x; branch-free (the comparison is a coin flip).
  std::int64_t draw(int m, std::uint64_t x) const {
    const auto slot = static_cast<std::size_t>(m);
    const unsigned b = bits[slot];
    const AliasColumn& c = columns[offset[slot] + (x >> (64 - b))];
    const std::int64_t keep = (x << b) < c.threshold;
    return c.alias + keep * (c.value - c.alias);
  }
};

const PoissonTables& tables() {
  static const PoissonTables t;
  return t;
}

constexpr std::array<double, 64> kInverse = [] {
  std::array<double, 64> t{};
  for (std::size_t j = 1; j < t.size(); ++j) t[j] = 1.0 / static_cast<double>(j);
  return t;
}();

// Poisson(r) for r < 1 by inversion from 0 (P(0) = e^-r, P(j) = P(j - 1) r / j) with the
// uniform u; starts from outcome j0 with probability p and cumulative f already reached.
std::int64_t invert_small(double r, double u, std::size_t j0, double p, double f) {
  std::size_t j = j0;
  while (u > f && j + 1 < kInverse.size()) {
    ++j;
    p *= r * kInverse[j];
    f += p;
  }
  return static_cast<std::int64_t>(j);
}

// Uniform in [0, 1) from the top 52 bits, without an int64 -> double conversion (which does
// not vectorise before AVX-512DQ).
inline double unit_from_bits(std::uint64_t x) { return std::bit_cast<double>((x >> 12) | 0x3FF0000000000000ULL) - 1.0; }

// log(k!) for small k from a table, Stirling's series above.
double log_factorial(std::int64_t k) {
  static const std::array<double, 256> table = [] {
    std::array<double, 256> t{};
    for (std::size_t i = 1; i < t.size(); ++i) t[i] = t[i - 1] + std::log(static_cast<double>(i));
    return t;
  }();
  if (k < 256) return table[static_cast<std::size_t>(k)];
  const double x = static_cast<double>(k) + 1;
  return (x - 0.5) * std::log(x) - x + 0.5 * std::log(2 * M_PI) + 1 / (12 * x) - 1 / (360 * x * x * x);
}

// The batch's vector passes, compiled for AVX-512, AVX2 and the baseline.
constexpr int kBatch = 128;
constexpr int kUnrolled = 8;  // outcomes 0 .. kUnrolled - 1 of Poisson(r) without a loop

// lambda = whole + frac, and the small draw's outcome counted branch-free: the number of
// cumulative probabilities below u. Every mean must lie in [0, kTables) (the caller puts 0 in
// place of the others, which it draws itself): the loop has no branch, so it vectorises.
NAC_CPU_CLONES void split_and_invert(const double* __restrict lambda, const std::uint64_t* __restrict bits, int n,
                                     int* __restrict whole, int* __restrict small) {
  for (int k = 0; k < n; ++k) {
    const double l = lambda[k];
    const int m = static_cast<int>(l);
    const double r = l - m, u = unit_from_bits(bits[k]);
    double p = fast_exp(-r), f = p;
    int s = u > f;
    for (int j = 1; j < kUnrolled; ++j) {
      p *= r * kInverse[static_cast<std::size_t>(j)];
      f += p;
      s += u > f;
    }
    whole[k] = m;
    small[k] = s;
  }
}

}  // namespace

std::int64_t FastRng::poisson(double lambda) {
  if (!(lambda > 0)) return 0;  // also NaN
  if (lambda >= kTables) return poisson_ptrs(lambda);
  const int m = static_cast<int>(lambda);
  const double r = lambda - m;
  const std::int64_t k = tables().draw(m, next());
  const double p = fast_exp(-r);
  return k + invert_small(r, unit_from_bits(next()), 0, p, p);
}

void FastRng::poisson_fill(const double* lambda, std::int64_t n, double* counts) {
  const PoissonTables& t = tables();
  std::uint64_t big[kBatch], bits[kBatch];
  int whole[kBatch], small[kBatch];
  std::int64_t drawn[kBatch];
  double in_tables[kBatch];
  for (std::int64_t start = 0; start < n; start += kBatch) {
    const int len = static_cast<int>(std::min<std::int64_t>(kBatch, n - start));
    const double* l = lambda + start;
    for (int k = 0; k < len; ++k) {
      big[k] = next(), bits[k] = next();
      in_tables[k] = l[k] > 0 && l[k] < kTables ? l[k] : 0.0;  // NaN, <= 0 and PTRS's means: 0
    }
    split_and_invert(in_tables, bits, len, whole, small);
    for (int k = 0; k < len; ++k) drawn[k] = t.draw(whole[k], big[k]) + small[k];  // independent loads
    for (int k = 0; k < len; ++k) {
      if (l[k] >= kTables) {  // (NaN and negative means give 0, below)
        drawn[k] = poisson_ptrs(l[k]);
      } else if (small[k] == kUnrolled) {  // u beyond the unrolled outcomes (below 1e-5 of draws)
        const double r = l[k] - whole[k];
        double p = fast_exp(-r), f = p;
        for (std::size_t j = 1; j < kUnrolled; ++j) p *= r * kInverse[j], f += p;
        drawn[k] += invert_small(r, unit_from_bits(bits[k]), kUnrolled - 1, p, f) - kUnrolled;
      }
      counts[start + k] = static_cast<double>(l[k] > 0 ? drawn[k] : 0);
    }
  }
}

std::int64_t FastRng::poisson_ptrs(double lambda) {
  if (!(lambda < 0x1p31)) throw Error("Poisson mean " + std::to_string(lambda) + " is outside [0, 2^31)");
  // PTRS: W. Hormann, "The transformed rejection method for generating Poisson random
  // variables", Insurance: Mathematics and Economics 12 (1993). Needs lambda >= 10.
  const double slam = std::sqrt(lambda);
  const double b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
  const double vr = 0.9277 - 3.6224 / (b - 2);
  double loglam = 0, inv_alpha = 0;  // needed only on the slow path
  for (;;) {
    const double u = uniform() - 0.5, v = uniform();
    const double us = 0.5 - std::abs(u);
    const double kd = std::floor((2 * a / us + b) * u + lambda + 0.43);
    if (!(kd >= 0 && kd < 0x1p62)) continue;  // outside the support (us near 0): rejected, never cast
    const auto k = static_cast<std::int64_t>(kd);
    if (us >= 0.07 && v <= vr) return k;  // the fast acceptance, most draws
    if (us < 0.013 && v > us) continue;
    if (loglam == 0) loglam = std::log(lambda), inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
    if (std::log(v * inv_alpha / (a / (us * us) + b)) <= -lambda + static_cast<double>(k) * loglam - log_factorial(k))
      return k;
  }
}

}  // namespace nac::bragg
