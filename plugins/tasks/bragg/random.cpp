#include "random.hpp"

#include <array>

namespace nac::bragg {

namespace {

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

}  // namespace

namespace {

// The ziggurat of Marsaglia and Tsang ("The ziggurat method for generating random variables",
// J. Stat. Software 5, 2000), 128 layers: 99% of draws cost one random number and a compare.
struct Ziggurat {
  double k[128], w[128], f[128];
  static constexpr double r = 3.442619855899;
  Ziggurat() {
    const double m = 2147483648.0, v = 9.91256303526217e-3;
    double d = r, t = d;
    const double q = v / std::exp(-0.5 * d * d);
    k[0] = d / q * m;
    k[1] = 0;
    w[0] = q / m;
    w[127] = d / m;
    f[0] = 1;
    f[127] = std::exp(-0.5 * d * d);
    for (int i = 126; i >= 1; --i) {
      d = std::sqrt(-2 * std::log(v / d + std::exp(-0.5 * d * d)));
      k[i + 1] = d / t * m;
      t = d;
      f[i] = std::exp(-0.5 * d * d);
      w[i] = d / m;
    }
  }
};

const Ziggurat& ziggurat() {
  static const Ziggurat z;
  return z;
}

}  // namespace

double FastRng::normal() {
  const Ziggurat& z = ziggurat();
  for (;;) {
    const auto hz = static_cast<std::int32_t>(next() >> 32);
    const int iz = hz & 127;
    const double x = hz * z.w[iz];
    if (std::abs(static_cast<double>(hz)) < z.k[iz]) return x;  // inside the layer's rectangle
    if (iz == 0) {  // the tail beyond r
      double a, b;
      do {
        a = -std::log(1 - uniform()) / Ziggurat::r;
        b = -std::log(1 - uniform());
      } while (b + b < a * a);
      return hz > 0 ? Ziggurat::r + a : -Ziggurat::r - a;
    }
    if (z.f[iz] + uniform() * (z.f[iz - 1] - z.f[iz]) < std::exp(-0.5 * x * x)) return x;  // the wedge
  }
}

std::int64_t FastRng::poisson(double lambda) {
  if (lambda <= 0) return 0;
  if (lambda < 10) {  // inversion: walk the CDF (1/k from a table: no division in the loop)
    static const std::array<double, 200> inverse = [] {
      std::array<double, 200> t{};
      for (std::size_t i = 1; i < t.size(); ++i) t[i] = 1.0 / static_cast<double>(i);
      return t;
    }();
    double p = std::exp(-lambda), f = p;
    const double u = uniform();
    std::size_t k = 0;
    while (u > f && k + 1 < inverse.size()) {
      ++k;
      p *= lambda * inverse[k];
      f += p;
    }
    return static_cast<std::int64_t>(k);
  }
  // PTRS: W. Hormann, "The transformed rejection method for generating Poisson random
  // variables", Insurance: Mathematics and Economics 12 (1993).
  const double slam = std::sqrt(lambda);
  const double b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
  const double vr = 0.9277 - 3.6224 / (b - 2);
  double loglam = 0, inv_alpha = 0;  // needed only on the slow path
  for (;;) {
    const double u = uniform() - 0.5, v = uniform();
    const double us = 0.5 - std::abs(u);
    const auto k = static_cast<std::int64_t>(std::floor((2 * a / us + b) * u + lambda + 0.43));
    if (us >= 0.07 && v <= vr) return k;  // the fast acceptance, most draws
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (loglam == 0) loglam = std::log(lambda), inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
    if (std::log(v * inv_alpha / (a / (us * us) + b)) <= -lambda + static_cast<double>(k) * loglam - log_factorial(k))
      return k;
  }
}

}  // namespace nac::bragg
