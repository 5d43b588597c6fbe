#include "nac/rng.hpp"

#include <cmath>
#include <sstream>

#include "nac/error.hpp"

namespace nac {

std::uint64_t Rng::below(std::uint64_t n) {
  // Rejection sampling on the top of the range: unbiased for every n.
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  std::uint64_t x;
  do x = engine_();
  while (x >= limit);
  return x % n;
}

double Rng::normal() {
  double u1 = uniform();
  while (u1 <= 0.0) u1 = uniform();
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

Rng Rng::derive(std::uint64_t seed, std::uint64_t stream) {
  // splitmix64 of the pair: nearby seeds and streams give unrelated generators.
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (stream + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return Rng(z ^ (z >> 31));
}

std::string Rng::state() const {
  std::ostringstream out;
  out << engine_;
  return out.str();
}

void Rng::set_state(const std::string& text) {
  std::istringstream in(text);
  std::mt19937_64 engine;
  in >> engine;
  if (!in) throw Error("corrupt random generator state");
  engine_ = engine;
}

}  // namespace nac
