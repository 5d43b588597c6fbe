#include "search/variation.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace nac::search {

bool is_discrete(const Parameter& p) { return p.kind() != ParamKind::Float || p.step() > 0; }

double snap(const Parameter& p, double x) {
  const double lo = p.internal_low(), hi = p.internal_high();
  if (!std::isfinite(x)) x = lo;
  if (!is_discrete(p)) return std::clamp(x, lo, hi);
  return p.to_internal(p.from_internal(x));
}

void snap_genome(const SearchSpace& space, std::vector<double>& genome) {
  const auto& params = space.parameters();
  for (std::size_t i = 0; i < params.size(); ++i) genome[i] = snap(params[i], genome[i]);
}

void sbx(double& a, double& b, double low, double high, double eta, Rng& rng) {
  if (std::abs(a - b) <= 1e-14 * std::max(1.0, std::abs(high - low))) return;
  const double y1 = std::min(a, b), y2 = std::max(a, b);
  const double u = rng.uniform();
  const double e = 1.0 / (eta + 1.0);
  auto betaq = [&](double beta) {
    const double alpha = 2.0 - std::pow(beta, -(eta + 1.0));
    return u <= 1.0 / alpha ? std::pow(u * alpha, e) : std::pow(1.0 / (2.0 - u * alpha), e);
  };
  double c1 = 0.5 * ((y1 + y2) - betaq(1.0 + 2.0 * (y1 - low) / (y2 - y1)) * (y2 - y1));
  double c2 = 0.5 * ((y1 + y2) + betaq(1.0 + 2.0 * (high - y2) / (y2 - y1)) * (y2 - y1));
  c1 = std::clamp(c1, low, high);
  c2 = std::clamp(c2, low, high);
  if (rng.uniform() <= 0.5) std::swap(c1, c2);
  a = c1;
  b = c2;
}

double polynomial_mutation(double x, double low, double high, double eta, Rng& rng) {
  const double range = high - low;
  if (!(range > 0)) return low;
  x = std::clamp(x, low, high);
  const double d1 = (x - low) / range, d2 = (high - x) / range;
  const double u = rng.uniform();
  const double e = 1.0 / (eta + 1.0);
  double dq;
  if (u <= 0.5) {
    const double v = 2.0 * u + (1.0 - 2.0 * u) * std::pow(1.0 - d1, eta + 1.0);
    dq = std::pow(v, e) - 1.0;
  } else {
    const double v = 2.0 * (1.0 - u) + 2.0 * (u - 0.5) * std::pow(1.0 - d2, eta + 1.0);
    dq = 1.0 - std::pow(v, e);
  }
  return std::clamp(x + dq * range, low, high);
}

double categorical_mutation(double x, std::size_t choices, Rng& rng) {
  if (choices < 2) return 0.0;
  const auto current = static_cast<std::uint64_t>(std::clamp(std::floor(x + 0.5), 0.0, double(choices - 1)));
  std::uint64_t other = rng.below(choices - 1);
  if (other >= current) ++other;
  return static_cast<double>(other);
}

namespace {
std::uint64_t mix(std::uint64_t h, std::uint64_t v) {
  // splitmix64 finaliser over a running combination: order-sensitive, well spread.
  std::uint64_t z = h ^ (v + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2));
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}
}  // namespace

std::uint64_t configuration_key(const SearchSpace& space, const std::vector<double>& genome) {
  const auto on = space.active(genome);
  const auto& params = space.parameters();
  std::uint64_t h = 0x243F6A8885A308D3ULL;
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (!on[i]) {
      h = mix(h, 0x5bd1e995ULL);  // a marker for "inactive"
      continue;
    }
    const double v = snap(params[i], genome[i]) + 0.0;  // + 0.0 folds -0 into +0
    h = mix(h, std::bit_cast<std::uint64_t>(v));
  }
  return h;
}

}  // namespace nac::search
