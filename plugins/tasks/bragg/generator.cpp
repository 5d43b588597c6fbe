#include "generator.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <exception>
#include <string>
#include <vector>

#include "nac/detail/cpu_clones.hpp"
#include "nac/error.hpp"
#include "nac/fast_math.hpp"
#include "patch_cleaning.hpp"
#include "random.hpp"

namespace nac::bragg {

namespace {

struct Peak {
  double row, col, amplitude, wx, wy, cos_t, sin_t, eta;
};

// The per-pixel passes are branch-free loops with the vectorisable fast_exp, compiled for
// AVX-512, AVX2 and the baseline (the loader picks the best the CPU has).
#define NAC_VECTOR_CLONES NAC_CPU_CLONES

// The centres of a patch's pixels, row by row: (x[k], y[k]) = (c + 0.5, r + 0.5) for pixel k =
// r * size + c (so that the per-pixel passes are one flat loop, mostly full vectors).
struct PixelCentres {
  std::vector<double> x, y;
  explicit PixelCentres(int size) {
    for (int r = 0; r < size; ++r)
      for (int c = 0; c < size; ++c) x.push_back(c + 0.5), y.push_back(r + 0.5);
  }
  int count() const { return static_cast<int>(x.size()); }
};

// lambda[k] += the peak's expected photons at pixel k, sampled at the pixel's centre.
NAC_VECTOR_CLONES void add_profile(const Peak& p, int n, const double* __restrict xs, const double* __restrict ys,
                                   double* __restrict lambda) {
  const double cx = p.cos_t / p.wx, sx = p.sin_t / p.wx, cy = p.cos_t / p.wy, sy = p.sin_t / p.wy;
  const double lorentz = p.amplitude * p.eta, gauss = p.amplitude * (1 - p.eta);
  const double row = p.row, col = p.col;
  for (int k = 0; k < n; ++k) {
    const double dx = xs[k] - col, dy = ys[k] - row;
    const double u = dx * cx + dy * sx, v = dy * cy - dx * sy;
    const double r2 = u * u + v * v;
    lambda[k] += lorentz / (1 + r2) + gauss * fast_exp(-M_LN2 * r2);
  }
}

Peak random_peak(const PeakSettings& s, FastRng& rng, double row, double col, double amplitude) {
  const double theta = s.rotate ? rng.uniform(0, M_PI) : 0;
  return Peak{row,
              col,
              amplitude,
              rng.uniform(s.width_min, s.width_max),
              rng.uniform(s.width_min, s.width_max),
              std::cos(theta),
              std::sin(theta),
              rng.uniform(s.eta_min, s.eta_max)};
}

}  // namespace

namespace {

// One patch and its label from the patch's own random stream (seed, index).
void make_patch(const PeakSettings& s, const PixelCentres& centres, std::uint64_t seed, std::int64_t index,
                std::vector<double>& expected, float* out, float* label) {
  const std::int64_t p = s.patch, half = p / 2;
  FastRng rng(seed, static_cast<std::uint64_t>(index));
  // The window's shift (augmentation) and the peak's place inside its pixel.
  const std::int64_t sr =
      s.shift ? static_cast<std::int64_t>(rng.uniform() * static_cast<double>(2 * s.shift + 1)) - s.shift : 0;
  const std::int64_t sc =
      s.shift ? static_cast<std::int64_t>(rng.uniform() * static_cast<double>(2 * s.shift + 1)) - s.shift : 0;
  const double row = static_cast<double>(half - sr) + rng.uniform(s.subpixel_min, s.subpixel_max);
  const double col = static_cast<double>(half - sc) + rng.uniform(s.subpixel_min, s.subpixel_max);
  const double amplitude = std::exp(rng.uniform(std::log(s.amplitude_min), std::log(s.amplitude_max)));
  const Peak peak = random_peak(s, rng, row, col, amplitude);
  const bool neighbour = rng.uniform() < s.neighbour_probability;
  Peak other{};
  if (neighbour) {
    const double dist = rng.uniform(s.neighbour_distance_min, s.neighbour_distance_max),
                 angle = rng.uniform(0, 2 * M_PI);
    other = random_peak(s, rng, row + dist * std::sin(angle), col + dist * std::cos(angle),
                        amplitude * rng.uniform(s.neighbour_amplitude_min, s.neighbour_amplitude_max));
  }
  const double background = rng.uniform(s.background_min, s.background_max);
  const double threshold = background + s.threshold_sigmas * std::sqrt(background + s.read_noise * s.read_noise);
  expected.assign(static_cast<std::size_t>(p * p), background);
  add_profile(peak, centres.count(), centres.x.data(), centres.y.data(), expected.data());
  if (neighbour) add_profile(other, centres.count(), centres.x.data(), centres.y.data(), expected.data());
  if (s.noise) {
    rng.poisson_fill(expected.data(), p * p, expected.data());
    if (s.read_noise > 0) rng.add_normal(expected.data(), p * p, s.read_noise);
  }
  for (std::int64_t k = 0; k < p * p; ++k)
    out[k] = static_cast<float>(std::max(0.0, expected[static_cast<std::size_t>(k)] - threshold));
  if (s.clean) keep_nearest_component(out, p, row, col);
  min_max_normalise(out, p * p);
  label[0] = static_cast<float>(col / static_cast<double>(p));
  label[1] = static_cast<float>(row / static_cast<double>(p));
}

}  // namespace

nn::Dataset generate_patches(const PeakSettings& s, std::int64_t n, std::uint64_t seed, std::int64_t first) {
  const std::int64_t p = s.patch;
  if (p < 3 || p > 64) throw Error("bragg: patch size " + std::to_string(p) + " is outside [3, 64]");
  if (n < 0) throw Error("bragg: cannot generate " + std::to_string(n) + " patches");
  const PixelCentres centres(static_cast<int>(p));
  nn::Dataset d{nn::Tensor({n, 1, p, p}), nn::Tensor({n, 2})};
  // Patches are independent (each has its own random stream), so threads share them out and
  // the bytes do not depend on the number of threads.
  // An exception may not leave the parallel region: the first one is kept and thrown after it.
  std::exception_ptr failure;
#pragma omp parallel
  {
    std::vector<double> expected;
#pragma omp for schedule(static)
    for (std::int64_t i = 0; i < n; ++i) {
      try {
        make_patch(s, centres, seed, first + i, expected, d.inputs.data() + i * p * p, d.targets.data() + 2 * i);
      } catch (...) {
#pragma omp critical(nac_bragg_generate)
        if (!failure) failure = std::current_exception();
      }
    }
  }
  if (failure) std::rethrow_exception(failure);
  return d;
}

namespace {

const PeakSettings kDefaults;

// A range of the generator, drawn between its two settings `name`_min and `name`_max.
struct Bounds {
  Setting<double> min, max;
};
Bounds bounds(const std::string& name, double lo, double hi, Range r, const std::string& help) {
  return {{.key = name + "_min", .fallback = lo, .range = r, .help = help + ": the least"},
          {.key = name + "_max", .fallback = hi, .range = r, .help = help + ": the greatest"}};
}

const Setting<std::int64_t> kPatch{
    .key = "patch", .fallback = kDefaults.patch, .range = Range::between(3, 64), .help = "patch size, pixels"};
const Bounds kAmplitude = bounds("amplitude", kDefaults.amplitude_min, kDefaults.amplitude_max,
                                 Range{0, 1e8, true, false}, "photons at the peak (log-uniform)");
const Bounds kWidth = bounds("width", kDefaults.width_min, kDefaults.width_max, Range::above(0),
                             "half width at half maximum, per axis, pixels (uniform)");
const Bounds kEta =
    bounds("eta", kDefaults.eta_min, kDefaults.eta_max, Range::between(0, 1), "Lorentzian fraction (uniform)");
const Setting<bool> kRotate{
    .key = "rotate", .fallback = kDefaults.rotate, .help = "rotation uniform in [0, pi) (false: none)"};
const Bounds kSubpixel = [] {
  Bounds b = bounds("subpixel", kDefaults.subpixel_min, kDefaults.subpixel_max, Range{0, 1, false, false},
                    "the centre's offset inside its pixel (uniform)");
  b.min.help += ", below 1";
  return b;
}();
const Bounds kBackground = bounds("background", kDefaults.background_min, kDefaults.background_max,
                                  Range::between(0, 1e7), "photons per pixel (uniform)");
const Setting<double> kReadNoise{.key = "read_noise",
                                 .fallback = kDefaults.read_noise,
                                 .range = Range::at_least(0),
                                 .help = "Gaussian sigma, photons"};
const Setting<double> kThresholdSigmas{.key = "threshold_sigmas",
                                       .fallback = kDefaults.threshold_sigmas,
                                       .range = Range::at_least(0),
                                       .help = "k: the threshold is background + k sqrt(background + read_noise^2)"};
const Setting<bool> kNoise{.key = "noise", .fallback = kDefaults.noise, .help = "false: the expected counts, no noise"};
const Setting<double> kNeighbourProbability{.key = "neighbour_probability",
                                            .fallback = kDefaults.neighbour_probability,
                                            .range = Range::between(0, 1),
                                            .help = "chance of a second peak near the patch"};
const Bounds kNeighbourDistance =
    bounds("neighbour_distance", kDefaults.neighbour_distance_min, kDefaults.neighbour_distance_max, Range::above(0),
           "the second peak's distance from the peak, pixels");
const Bounds kNeighbourAmplitude =
    bounds("neighbour_amplitude", kDefaults.neighbour_amplitude_min, kDefaults.neighbour_amplitude_max,
           Range{0, 10, true, false}, "the second peak's amplitude relative to the peak");
// At most patch / 2 (checked when read).
const Setting<std::int64_t> kShift{
    .key = "shift",
    .fallback = kDefaults.shift,
    .range = Range::between(0, 32),
    .help = "largest random whole-pixel shift of the window, at most patch / 2 (training data only)"};
const Setting<bool> kClean{.key = "clean", .fallback = kDefaults.clean, .help = "clear the other connected components"};

}  // namespace

PeakSettings PeakSettings::from_config(const ConfigTable& c) {
  PeakSettings s;
  auto range = [&](const Bounds& b, double& lo, double& hi) {
    lo = c.get(b.min);
    hi = c.get(b.max);
    if (lo > hi) c.fail(b.min.key, "must not exceed '" + c.dotted(b.max.key) + "' (" + std::to_string(hi) + ")");
  };
  s.patch = c.get(kPatch);
  range(kAmplitude, s.amplitude_min, s.amplitude_max);
  range(kWidth, s.width_min, s.width_max);
  range(kEta, s.eta_min, s.eta_max);
  s.rotate = c.get(kRotate);
  range(kSubpixel, s.subpixel_min, s.subpixel_max);
  if (s.subpixel_max >= 1 && s.subpixel_min >= 1) c.fail(kSubpixel.min.key, "must be below 1");
  range(kBackground, s.background_min, s.background_max);
  s.read_noise = c.get(kReadNoise);
  s.threshold_sigmas = c.get(kThresholdSigmas);
  s.noise = c.get(kNoise);
  s.neighbour_probability = c.get(kNeighbourProbability);
  range(kNeighbourDistance, s.neighbour_distance_min, s.neighbour_distance_max);
  range(kNeighbourAmplitude, s.neighbour_amplitude_min, s.neighbour_amplitude_max);
  Setting<std::int64_t> shift = kShift;
  shift.range = Range::between(0, static_cast<double>(s.patch / 2));
  s.shift = c.get(shift);
  s.clean = c.get(kClean);
  return s;
}

std::vector<SettingInfo> PeakSettings::described() {
  return describe_settings(kPatch, kAmplitude.min, kAmplitude.max, kWidth.min, kWidth.max, kEta.min, kEta.max, kRotate,
                           kSubpixel.min, kSubpixel.max, kBackground.min, kBackground.max, kReadNoise, kThresholdSigmas,
                           kNoise, kNeighbourProbability, kNeighbourDistance.min, kNeighbourDistance.max,
                           kNeighbourAmplitude.min, kNeighbourAmplitude.max, kShift, kClean);
}

}  // namespace nac::bragg
