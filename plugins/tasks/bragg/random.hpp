#pragma once
// Fast, seedable random numbers for the generator: xoshiro256** (one per patch, seeded from the
// dataset seed and the patch index, so patches can be made in any order or in parallel and still
// be the same), with uniform, normal and Poisson draws.
#include <cmath>
#include <cstdint>

namespace nac::bragg {

class FastRng {
 public:
  FastRng(std::uint64_t seed, std::uint64_t stream) {
    std::uint64_t z = seed ^ (0x9E3779B97F4A7C15ULL * (stream + 1));
    for (auto& w : s_) w = splitmix(z);
  }
  std::uint64_t next() {
    const std::uint64_t r = rotl(s_[1] * 5, 7) * 9, t = s_[1] << 17;
    s_[2] ^= s_[0], s_[3] ^= s_[1], s_[1] ^= s_[2], s_[0] ^= s_[3], s_[2] ^= t, s_[3] = rotl(s_[3], 45);
    return r;
  }
  /// Uniform in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  /// Standard normal (Marsaglia and Tsang's ziggurat).
  double normal();
  /// x[k] += sigma z_k for k < n, z_k standard normal: the same ziggurat, its common case in a
  /// vector pass (and a different use of the random stream than n calls of normal()).
  void add_normal(double* x, std::int64_t n, double sigma);
  /// Poisson with mean lambda < 2^31 (poisson.cpp; a larger mean throws nac::Error, a mean <= 0
  /// or NaN gives 0). Below kPoissonTables,
  /// lambda = m + r with m whole: Poisson(m) from a precomputed alias table (one random number)
  /// plus Poisson(r) by inversion; above, Hormann's PTRS rejection. Exact up to double
  /// rounding: the tables leave out outcomes below 1e-20 of the mode's probability.
  std::int64_t poisson(double lambda);
  /// counts[k] = Poisson(lambda[k]) for k < n: the same distribution, drawn in vector passes
  /// (a different use of the random stream than n calls of poisson()).
  void poisson_fill(const double* lambda, std::int64_t n, double* counts);
  static constexpr int kPoissonTables = 256;

 private:
  std::int64_t poisson_ptrs(double lambda);
  double normal_slow(std::int32_t hz);
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static std::uint64_t splitmix(std::uint64_t& z) {
    std::uint64_t x = (z += 0x9E3779B97F4A7C15ULL);
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
  }
  std::uint64_t s_[4];
};

}  // namespace nac::bragg
