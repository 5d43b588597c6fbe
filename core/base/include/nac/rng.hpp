#pragma once
// The one random number generator of nac. Every stochastic component owns an Rng made from a
// seed, so the same seed gives the same sequence. The distributions are written here (not taken
// from <random>) so results do not depend on the standard library's implementation.
#include <cstdint>
#include <random>
#include <string>
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac {

class Rng {
 public:
  explicit Rng(std::uint64_t seed = 0) : engine_(seed) {}

  /// Next raw 64-bit value.
  std::uint64_t next() { return engine_(); }
  /// Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  /// Uniform in [low, high).
  double uniform(double low, double high) { return low + (high - low) * uniform(); }
  /// Uniform integer in [0, n); n must be positive. Unbiased (rejection sampling).
  std::uint64_t below(std::uint64_t n);
  /// Standard normal (Box-Muller, one value per call).
  double normal();
  /// A generator for an independent stream derived from this one's seed and a stream number;
  /// does not advance this generator.
  static Rng derive(std::uint64_t seed, std::uint64_t stream);

  /// The full generator state as text, and back (strategies save it to resume a search).
  std::string state() const;
  void set_state(const std::string& text);

 private:
  std::mt19937_64 engine_;
};

}  // namespace nac
NAC_PUBLIC_END
