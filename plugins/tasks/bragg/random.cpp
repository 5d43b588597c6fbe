#include "random.hpp"

#include <algorithm>
#include <cmath>

#include "nac/detail/cpu_clones.hpp"

namespace nac::bragg {

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

// The ziggurat's rare path for the 32-bit draw hz that fell outside its layer's rectangle: the
// tail (layer 0) or the wedge; a rejected wedge point starts a fresh draw.
double FastRng::normal_slow(std::int32_t hz) {
  const Ziggurat& z = ziggurat();
  for (;;) {
    const int iz = hz & 127;
    const double x = hz * z.w[iz];
    if (std::abs(static_cast<double>(hz)) < z.k[iz]) return x;  // inside the layer's rectangle
    if (iz == 0) {                                              // the tail beyond r
      double a, b;
      do {
        a = -std::log(1 - uniform()) / Ziggurat::r;
        b = -std::log(1 - uniform());
      } while (b + b < a * a);
      return hz > 0 ? Ziggurat::r + a : -Ziggurat::r - a;
    }
    if (z.f[iz] + uniform() * (z.f[iz - 1] - z.f[iz]) < std::exp(-0.5 * x * x)) return x;  // the wedge
    hz = static_cast<std::int32_t>(next() >> 32);
  }
}

double FastRng::normal() { return normal_slow(static_cast<std::int32_t>(next() >> 32)); }

namespace {

// The rectangles' test for a batch, branch-free (gathers from the tables): x[k] += sigma z for
// the draws inside their rectangle; returns the others' indices in `rest`.
NAC_CPU_CLONES void ziggurat_rectangles(const std::int32_t* __restrict hz, int n, double sigma, const Ziggurat& z,
                                        double* __restrict x, unsigned char* __restrict outside) {
  for (int k = 0; k < n; ++k) {
    const int iz = hz[k] & 127;
    const double v = hz[k] * z.w[iz];
    const bool in = std::abs(static_cast<double>(hz[k])) < z.k[iz];
    x[k] += in ? sigma * v : 0.0;
    outside[k] = !in;
  }
}

}  // namespace

void FastRng::add_normal(double* x, std::int64_t n, double sigma) {
  constexpr int kBatch = 128;
  const Ziggurat& z = ziggurat();
  std::int32_t hz[kBatch];
  unsigned char outside[kBatch];
  for (std::int64_t start = 0; start < n; start += kBatch) {
    const int len = static_cast<int>(std::min<std::int64_t>(kBatch, n - start));
    for (int k = 0; k < len; k += 2) {  // two 32-bit draws per random number
      const std::uint64_t bits = next();
      hz[k] = static_cast<std::int32_t>(bits >> 32);
      if (k + 1 < len) hz[k + 1] = static_cast<std::int32_t>(bits & 0xFFFFFFFFu);
    }
    ziggurat_rectangles(hz, len, sigma, z, x + start, outside);
    for (int k = 0; k < len; ++k)
      if (outside[k]) x[start + k] += sigma * normal_slow(hz[k]);
  }
}

}  // namespace nac::bragg
