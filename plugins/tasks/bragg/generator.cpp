#include "generator.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "nac/error.hpp"
#include "random.hpp"

namespace nac::bragg {

namespace {

struct Peak {
  double row, col, amplitude, wx, wy, cos_t, sin_t, eta;
};

double profile(const Peak& p, double y, double x) {
  const double dx = x - p.col, dy = y - p.row;
  const double u = (dx * p.cos_t + dy * p.sin_t) / p.wx, v = (-dx * p.sin_t + dy * p.cos_t) / p.wy;
  const double r2 = u * u + v * v;
  return p.amplitude * (p.eta / (1 + r2) + (1 - p.eta) * std::exp(-M_LN2 * r2));
}

Peak random_peak(const PeakSettings& s, FastRng& rng, double row, double col, double amplitude) {
  const double theta = s.rotate ? rng.uniform(0, M_PI) : 0;
  return Peak{row, col, amplitude, rng.uniform(s.width_min, s.width_max), rng.uniform(s.width_min, s.width_max),
              std::cos(theta), std::sin(theta), rng.uniform(s.eta_min, s.eta_max)};
}

}  // namespace

void min_max_normalise(float* p, std::int64_t n) {
  const auto [lo, hi] = std::minmax_element(p, p + n);
  const float a = *lo, range = *hi - *lo;
  for (std::int64_t i = 0; i < n; ++i) p[i] = range > 0 ? (p[i] - a) / range : 0.0f;
}

int keep_nearest_component(float* p, std::int64_t size, double row, double col) {
  // Two-pass labelling with union-find over the non-zero pixels, 8-connected: each pixel joins
  // the labels of its already-visited neighbours (west, north-west, north, north-east).
  const std::int64_t n = size * size;
  std::vector<int> label_store, parent_store;  // used only for patches over 64 x 64
  std::array<int, 4096> label_small, parent_small;
  int* label = label_small.data();
  int* parent = parent_small.data();
  if (n > 4096) {
    label_store.resize(static_cast<std::size_t>(n));
    parent_store.resize(static_cast<std::size_t>(n));
    label = label_store.data();
    parent = parent_store.data();
  }
  std::fill(label, label + n, -1);
  int count = 0;
  auto find = [](int* par, int x) {
    while (par[x] != x) x = par[x] = par[par[x]];
    return x;
  };
  for (std::int64_t r = 0; r < size; ++r)
    for (std::int64_t c = 0; c < size; ++c) {
      const std::int64_t k = r * size + c;
      if (p[k] <= 0) continue;
      int l = -1;
      const std::int64_t nb[4][2] = {{r, c - 1}, {r - 1, c - 1}, {r - 1, c}, {r - 1, c + 1}};
      for (const auto& q : nb) {
        if (q[0] < 0 || q[1] < 0 || q[1] >= size) continue;
        const int m = label[q[0] * size + q[1]];
        if (m < 0) continue;
        if (l < 0) {
          l = find(parent, m);
        } else {
          const int a = find(parent, l), b = find(parent, m);
          if (a != b) parent[std::max(a, b)] = std::min(a, b), l = std::min(a, b);
        }
      }
      if (l < 0) {
        l = count++;
        parent[l] = l;
      }
      label[k] = l;
    }
  if (count == 0) return 0;
  if (count == 1) return 1;
  // Each component's brightest pixel (kept in the root's slot of `brightest`), and the
  // component nearest the peak's centre.
  std::vector<std::int64_t> brightest(static_cast<std::size_t>(count), -1);
  int components = 0;
  for (std::int64_t k = 0; k < n; ++k) {
    if (label[k] < 0) continue;
    const int root = find(parent, label[k]);
    label[k] = root;
    std::int64_t& b = brightest[static_cast<std::size_t>(root)];
    if (b < 0) ++components;
    if (b < 0 || p[k] > p[b]) b = k;
  }
  if (components == 1) return 1;
  int best = -1;
  double best_d = 1e300;
  for (std::size_t root = 0; root < brightest.size(); ++root) {
    const std::int64_t b = brightest[root];
    if (b < 0) continue;
    const double dr = static_cast<double>(b / size) + 0.5 - row, dc = static_cast<double>(b % size) + 0.5 - col;
    if (dr * dr + dc * dc < best_d) best_d = dr * dr + dc * dc, best = static_cast<int>(root);
  }
  for (std::int64_t k = 0; k < n; ++k)
    if (label[k] >= 0 && label[k] != best) p[k] = 0;
  return components;
}

nn::Dataset generate_patches(const PeakSettings& s, std::int64_t n, std::uint64_t seed, std::int64_t first) {
  const std::int64_t p = s.patch, half = p / 2;
  nn::Dataset d{nn::Tensor({n, 1, p, p}), nn::Tensor({n, 2})};
  const double log_lo = std::log(s.amplitude_min), log_hi = std::log(s.amplitude_max);
  std::vector<double> expected(static_cast<std::size_t>(p * p));
  for (std::int64_t i = 0; i < n; ++i) {
    FastRng rng(seed, static_cast<std::uint64_t>(first + i));
    // The window's shift (augmentation) and the peak's place inside its pixel.
    const std::int64_t sr = s.shift ? static_cast<std::int64_t>(rng.uniform() * static_cast<double>(2 * s.shift + 1)) - s.shift : 0;
    const std::int64_t sc = s.shift ? static_cast<std::int64_t>(rng.uniform() * static_cast<double>(2 * s.shift + 1)) - s.shift : 0;
    const double row = static_cast<double>(half - sr) + rng.uniform(s.subpixel_min, s.subpixel_max);
    const double col = static_cast<double>(half - sc) + rng.uniform(s.subpixel_min, s.subpixel_max);
    const double amplitude = std::exp(rng.uniform(log_lo, log_hi));
    const Peak peak = random_peak(s, rng, row, col, amplitude);
    const bool neighbour = rng.uniform() < s.neighbour_probability;
    Peak other{};
    if (neighbour) {
      const double dist = rng.uniform(s.neighbour_distance_min, s.neighbour_distance_max), angle = rng.uniform(0, 2 * M_PI);
      other = random_peak(s, rng, row + dist * std::sin(angle), col + dist * std::cos(angle),
                          amplitude * rng.uniform(s.neighbour_amplitude_min, s.neighbour_amplitude_max));
    }
    const double background = rng.uniform(s.background_min, s.background_max);
    const double threshold = background + s.threshold_sigmas * std::sqrt(background + s.read_noise * s.read_noise);
    float* out = d.inputs.data() + i * p * p;
    for (std::int64_t r = 0; r < p; ++r)
      for (std::int64_t c = 0; c < p; ++c) {
        const double y = static_cast<double>(r) + 0.5, x = static_cast<double>(c) + 0.5;
        double lambda = profile(peak, y, x) + background;
        if (neighbour) lambda += profile(other, y, x);
        double counts = lambda;
        if (s.noise) counts = static_cast<double>(rng.poisson(lambda)) + s.read_noise * rng.normal();
        out[r * p + c] = static_cast<float>(std::max(0.0, counts - threshold));
      }
    if (s.clean) keep_nearest_component(out, p, row, col);
    min_max_normalise(out, p * p);
    d.targets[static_cast<std::size_t>(2 * i)] = static_cast<float>(col / static_cast<double>(p));
    d.targets[static_cast<std::size_t>(2 * i + 1)] = static_cast<float>(row / static_cast<double>(p));
  }
  return d;
}

PeakSettings PeakSettings::from_config(const ConfigTable& c) {
  PeakSettings s;
  auto range = [&](const char* lo_key, const char* hi_key, double& lo, double& hi, Range r) {
    lo = c.real(lo_key, lo, r);
    hi = c.real(hi_key, hi, r);
    if (lo > hi) c.fail(lo_key, "must not exceed '" + c.dotted(hi_key) + "' (" + std::to_string(hi) + ")");
  };
  s.patch = c.integer("patch", s.patch, Range::between(3, 64));
  range("amplitude_min", "amplitude_max", s.amplitude_min, s.amplitude_max, Range::above(0));
  range("width_min", "width_max", s.width_min, s.width_max, Range::above(0));
  range("eta_min", "eta_max", s.eta_min, s.eta_max, Range::between(0, 1));
  s.rotate = c.boolean("rotate", s.rotate);
  range("subpixel_min", "subpixel_max", s.subpixel_min, s.subpixel_max, Range{0, 1, false, false});
  if (s.subpixel_max >= 1 && s.subpixel_min >= 1) c.fail("subpixel_min", "must be below 1");
  range("background_min", "background_max", s.background_min, s.background_max, Range::at_least(0));
  s.read_noise = c.real("read_noise", s.read_noise, Range::at_least(0));
  s.threshold_sigmas = c.real("threshold_sigmas", s.threshold_sigmas, Range::at_least(0));
  s.noise = c.boolean("noise", s.noise);
  s.neighbour_probability = c.real("neighbour_probability", s.neighbour_probability, Range::between(0, 1));
  range("neighbour_distance_min", "neighbour_distance_max", s.neighbour_distance_min, s.neighbour_distance_max,
        Range::above(0));
  range("neighbour_amplitude_min", "neighbour_amplitude_max", s.neighbour_amplitude_min, s.neighbour_amplitude_max,
        Range::above(0));
  s.shift = c.integer("shift", s.shift, Range::between(0, static_cast<double>(s.patch / 2)));
  s.clean = c.boolean("clean", s.clean);
  return s;
}

}  // namespace nac::bragg
