#pragma once
// Synthetic BraggNN patches as the PyTorch peer makes them (the PyTorch peer script braggnn_torch.py):
// a pseudo-Voigt peak with centre in [3, 8) px, width 0.8..2, Lorentzian fraction eta, Gaussian
// noise 0.02, normalised by the maximum; the label is the centre / patch size. For benchmarks.
#include <cmath>

#include "nac/nn/trainer.hpp"

namespace nac::bench {

inline nn::Dataset braggnn_patches(std::int64_t n, std::uint64_t seed, std::int64_t s = 11) {
  Rng rng(seed);
  nn::Dataset d{nn::Tensor({n, 1, s, s}), nn::Tensor({n, 2})};
  for (std::int64_t i = 0; i < n; ++i) {
    const double cx = 3 + 5 * rng.uniform(), cy = 3 + 5 * rng.uniform();
    const double w = 0.8 + 1.2 * rng.uniform(), eta = rng.uniform();
    float* img = d.inputs.data() + i * s * s;
    float mx = -1e30f;
    for (std::int64_t y = 0; y < s; ++y)
      for (std::int64_t x = 0; x < s; ++x) {
        const double r2 = ((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (w * w);
        const double v = eta / (1 + r2) + (1 - eta) * std::exp(-std::log(2.0) * r2) + 0.02 * rng.normal();
        img[y * s + x] = static_cast<float>(v);
        mx = std::max(mx, img[y * s + x]);
      }
    for (std::int64_t k = 0; k < s * s; ++k) img[k] /= mx;
    d.targets[static_cast<std::size_t>(2 * i)] = static_cast<float>(cx / s);
    d.targets[static_cast<std::size_t>(2 * i + 1)] = static_cast<float>(cy / s);
  }
  return d;
}

}  // namespace nac::bench
