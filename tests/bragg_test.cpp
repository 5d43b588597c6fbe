// The Bragg task: the generator against its own definition, the file formats, the metrics and
// the classical fit.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include <doctest/doctest.h>

#include "files.hpp"
#include "fit.hpp"
#include "generator.hpp"
#include "metrics.hpp"
#include "random.hpp"
#include "nac/data/array_io.hpp"
#include "nac/error.hpp"
#include "nac/nn/runtime.hpp"
#include "test_support.hpp"

using namespace nac;
using namespace nac::bragg;

namespace {

PeakSettings noise_free_centred() {
  PeakSettings s;
  s.noise = false;
  s.background_min = s.background_max = 0;
  s.read_noise = 0;
  s.neighbour_probability = 0;
  s.subpixel_min = s.subpixel_max = 0.5;  // centre at (5.5, 5.5): the middle of the patch
  return s;
}

}  // namespace

TEST_CASE("the centroid of a noise-free centred symmetric peak is the label") {
  const PeakSettings s = noise_free_centred();
  const nn::Dataset d = generate_patches(s, 50, 3);
  for (std::size_t i = 0; i < d.size(); ++i) {
    const FitResult c = centroid(d.inputs.data() + i * 121, 11);
    CHECK(c.col / 11 == doctest::Approx(d.targets[2 * i]).epsilon(1e-6));
    CHECK(c.row / 11 == doctest::Approx(d.targets[2 * i + 1]).epsilon(1e-6));
    CHECK(d.targets[2 * i] == doctest::Approx(5.5 / 11));
  }
}

TEST_CASE("patches are normalised and labels lie in the documented range") {
  PeakSettings s;
  for (std::int64_t shift : {0, 2}) {
    CAPTURE(shift);
    s.shift = shift;
    const nn::Dataset d = generate_patches(s, 2000, 7);
    // The centre lies in [5 - shift, 6 + shift) of the patch, divided by 11.
    for (std::size_t i = 0; i < d.targets.size(); ++i) {
      CHECK(d.targets[i] >= (5.0f - static_cast<float>(shift)) / 11);
      CHECK(d.targets[i] < (6.0f + static_cast<float>(shift)) / 11);
    }
    for (std::size_t i = 0; i < d.size(); ++i) {
      const float* p = d.inputs.data() + i * 121;
      const auto [lo, hi] = std::minmax_element(p, p + 121);
      CHECK(*lo == 0.0f);
      CHECK((*hi == 1.0f || *hi == 0.0f));
    }
  }
}

TEST_CASE("same seed gives identical bytes and another seed other patches") {
  PeakSettings s;
  const nn::Dataset a = generate_patches(s, 300, 11), b = generate_patches(s, 300, 11),
                    c = generate_patches(s, 300, 12);
  CHECK(std::memcmp(a.inputs.data(), b.inputs.data(), a.inputs.size() * 4) == 0);
  CHECK(std::memcmp(a.targets.data(), b.targets.data(), a.targets.size() * 4) == 0);
  CHECK(std::memcmp(a.inputs.data(), c.inputs.data(), a.inputs.size() * 4) != 0);
  // Patches are indexed: generating from index 100 gives the same patches as the tail of a run.
  const nn::Dataset tail = generate_patches(s, 200, 11, 100);
  CHECK(std::memcmp(tail.inputs.data(), a.inputs.data() + 100 * 121, tail.inputs.size() * 4) == 0);
  // Threads share the patches out: one thread and three (an uneven split) give the same bytes.
  const int threads = nn::threads();
  nn::set_threads(1);
  const nn::Dataset one = generate_patches(s, 301, 11);
  nn::set_threads(3);
  const nn::Dataset three = generate_patches(s, 301, 11);
  nn::set_threads(threads);
  CHECK(std::memcmp(one.inputs.data(), three.inputs.data(), one.inputs.size() * 4) == 0);
  CHECK(std::memcmp(one.targets.data(), three.targets.data(), one.targets.size() * 4) == 0);
}

TEST_CASE("cleaning keeps the component whose maximum is nearest the centre") {
  // Two blobs: one around (2, 2), a brighter one around (8, 8); the centre is near (2.5, 2.5).
  std::vector<float> p(121, 0.0f);
  p[2 * 11 + 2] = 5, p[2 * 11 + 3] = 3, p[3 * 11 + 2] = 2;
  p[8 * 11 + 8] = 9, p[8 * 11 + 9] = 4;
  CHECK(keep_nearest_component(p.data(), 11, 2.5, 2.5) == 2);
  CHECK(p[2 * 11 + 2] == 5);
  CHECK(p[3 * 11 + 2] == 2);
  CHECK(p[8 * 11 + 8] == 0);
  CHECK(p[8 * 11 + 9] == 0);
  // Diagonal neighbours belong to the same component (8-connectivity).
  std::vector<float> q(121, 0.0f);
  q[0] = 1, q[12] = 2, q[24] = 3;
  CHECK(keep_nearest_component(q.data(), 11, 5.5, 5.5) == 1);
}

TEST_CASE("cleaning agrees with a flood fill on random patches") {
  // The oracle: breadth-first flood fill of each 8-connected component in raster order, its
  // first brightest pixel, the first component whose maximum is strictly nearest the centre.
  auto oracle = [](std::vector<float> p, int size, double row, double col, int& components) {
    std::vector<int> comp(p.size(), -1);
    std::vector<int> brightest;
    for (int start = 0; start < size * size; ++start) {
      if (p[start] <= 0 || comp[start] >= 0) continue;
      const int id = static_cast<int>(brightest.size());
      std::vector<int> queue{start}, members;
      comp[start] = id;
      while (!queue.empty()) {
        const int k = queue.back();
        queue.pop_back();
        members.push_back(k);
        for (int dr = -1; dr <= 1; ++dr)
          for (int dc = -1; dc <= 1; ++dc) {
            const int r = k / size + dr, c = k % size + dc;
            if (r < 0 || c < 0 || r >= size || c >= size) continue;
            const int q = r * size + c;
            if (p[q] > 0 && comp[q] < 0) comp[q] = id, queue.push_back(q);
          }
      }
      std::sort(members.begin(), members.end());
      int b = members[0];
      for (int k : members)
        if (p[k] > p[b]) b = k;
      brightest.push_back(b);
    }
    components = static_cast<int>(brightest.size());
    int best = -1;
    double best_d = 1e300;
    for (int id = 0; id < components; ++id) {
      const double dr = brightest[id] / size + 0.5 - row, dc = brightest[id] % size + 0.5 - col;
      if (dr * dr + dc * dc < best_d) best_d = dr * dr + dc * dc, best = id;
    }
    for (std::size_t k = 0; k < p.size(); ++k)
      if (comp[k] >= 0 && comp[k] != best) p[k] = 0;
    return p;
  };
  FastRng rng(7, 0);
  int multi = 0;
  for (int size : {1, 3, 11, 17, 63, 64}) {
    for (int trial = 0; trial < 300; ++trial) {
      const double density = rng.uniform(0.05, 0.9);
      std::vector<float> p(static_cast<std::size_t>(size * size));
      for (float& v : p) v = rng.uniform() < density ? static_cast<float>(rng.uniform(0.01, 1)) : 0.0f;
      const double row = rng.uniform(0, size), col = rng.uniform(0, size);
      int expected_components = 0;
      const std::vector<float> expected = oracle(p, size, row, col, expected_components);
      CAPTURE(size);
      CAPTURE(trial);
      CHECK(keep_nearest_component(p.data(), size, row, col) == expected_components);
      CHECK(p == expected);
      multi += expected_components > 1;
    }
  }
  CHECK(multi > 800);  // the cases that need the choice were exercised
}

TEST_CASE("distance metrics and quantiles by hand") {
  nn::Tensor pred({4, 2}), truth({4, 2});
  // Errors of 0, 1, 2 and 3 pixels along x (labels are /11).
  for (int i = 0; i < 4; ++i) {
    truth[2 * i] = 5.5f / 11, truth[2 * i + 1] = 5.5f / 11;
    pred[2 * i] = (5.5f + static_cast<float>(i)) / 11, pred[2 * i + 1] = 5.5f / 11;
  }
  const Metrics m = localisation_metrics(pred, truth, 11);
  CHECK(m.at("error") == doctest::Approx(1.5).epsilon(1e-5));
  CHECK(m.at("error_median") == doctest::Approx(1.5).epsilon(1e-5));
  CHECK(m.at("error_p75") == doctest::Approx(2.25).epsilon(1e-5));  // numpy: 0.75 * 3 = 2.25
  CHECK(m.at("constant_error") == doctest::Approx(0.0).epsilon(1e-5));
  CHECK(quantile({1, 2, 3, 4, 5}, 0.95) == doctest::Approx(4.8));
}

TEST_CASE("the pseudo-Voigt fit recovers the centre of noise-free peaks") {
  PeakSettings s = noise_free_centred();
  s.subpixel_min = 0;
  s.subpixel_max = 1;
  s.threshold_sigmas = 0;
  const nn::Dataset d = generate_patches(s, 200, 5);
  std::vector<double> errors;
  for (std::size_t i = 0; i < d.size(); ++i) {
    const FitResult f = fit_pseudo_voigt(d.inputs.data() + i * 121, 11);
    const double dx = f.col - d.targets[2 * i] * 11, dy = f.row - d.targets[2 * i + 1] * 11;
    errors.push_back(std::sqrt(dx * dx + dy * dy));
  }
  // Pixels: nearly every fit is exact; a few stop short of the optimum within the iteration limit
  // (near-round peaks leave the rotation undetermined).
  CHECK(quantile(errors, 0.5) < 1e-3);
  CHECK(quantile(errors, 0.95) < 1e-2);
  CHECK(*std::max_element(errors.begin(), errors.end()) < 0.1);
}

TEST_CASE("bragg datasets round trip through npz and HDF5") {
  test::TempDir dir("bragg_files");
  const nn::Dataset d = generate_patches(PeakSettings{}, 64, 9);
  for (const char* name : {"patches.npz", "patches.h5", "patches.hdf5"}) {
    CAPTURE(name);
    write_patches(dir.path() / name, d);
    const nn::Dataset back = read_patches(dir.path() / name);
    CHECK(back.inputs.shape() == d.inputs.shape());
    CHECK(std::memcmp(back.inputs.data(), d.inputs.data(), d.inputs.size() * 4) == 0);
    CHECK(std::memcmp(back.targets.data(), d.targets.data(), d.targets.size() * 4) == 0);
  }
}

TEST_CASE("bad bragg files give errors naming the file") {
  test::TempDir dir("bragg_bad");
  const auto f = dir.path();
  const nn::Dataset d = generate_patches(PeakSettings{}, 8, 9);
  // A truncated file.
  write_patches(f / "ok.npz", d);
  const std::string bytes = test::read_file(f / "ok.npz");
  test::write_file(f / "cut.npz", bytes.substr(0, bytes.size() / 2));
  CHECK_THROWS_WITH_AS(read_patches(f / "cut.npz"), doctest::Contains((f / "cut.npz").string().c_str()), Error);
  // A missing dataset.
  data::write_arrays(f / "nolabels.npz",
                     {data::Array{"patches", {8, 1, 11, 11}, std::vector<float>(8 * 121), "float32"}});
  CHECK_THROWS_WITH_AS(read_patches(f / "nolabels.npz"), doctest::Contains("nolabels.npz: no dataset 'labels'"), Error);
  // A wrong shape.
  data::write_arrays(f / "shape.h5", {data::Array{"patches", {8, 11, 12}, std::vector<float>(8 * 132), "float32"},
                                      data::Array{"labels", {8, 2}, std::vector<float>(16), "float32"}});
  CHECK_THROWS_WITH_AS(read_patches(f / "shape.h5"),
                       doctest::Contains("shape.h5: 'patches' must be (N, 1, p, p) or (N, p, p), found (8, 11, 12)"),
                       Error);
  // NaN pixels.
  std::vector<float> pix(8 * 121, 0.5f);
  pix[130] = std::nanf("");
  data::write_arrays(f / "nan.npz", {data::Array{"patches", {8, 1, 11, 11}, pix, "float32"},
                                     data::Array{"labels", {8, 2}, std::vector<float>(16, 0.5f), "float32"}});
  CHECK_THROWS_WITH_AS(read_patches(f / "nan.npz"),
                       doctest::Contains("nan.npz: dataset 'patches' holds a NaN value (element 130)"), Error);
}

TEST_CASE("BraggNN's frames and peaks files are cut cleaned and normalised") {
  test::TempDir dir("braggnn_layout");
  // Two frames of 32x40 with three peaks; one has npeaks 2 and one a deviation of 1.5 (dropped).
  const std::int64_t rows = 32, cols = 40;
  std::vector<float> frames(2 * rows * cols, 0.0f);
  auto put = [&](int f, double r0, double c0) {
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t c = 0; c < cols; ++c) {
        const double d2 = (r + 0.5 - r0) * (r + 0.5 - r0) + (c + 0.5 - c0) * (c + 0.5 - c0);
        if (d2 < 9)
          frames[static_cast<std::size_t>((f * rows + r) * cols + c)] += static_cast<float>(100 * std::exp(-d2 / 2));
      }
  };
  put(0, 10.3, 12.8);
  put(1, 20.5, 30.5);
  put(1, 5.5, 5.5);
  data::write_arrays(dir.path() / "frames.h5", {data::Array{"frames", {2, rows, cols}, frames, "float32"}});
  data::write_arrays(dir.path() / "peaks.h5", {data::Array{"peak_fidx", {3}, {0, 1, 1}, "float32"},
                                               data::Array{"peak_row", {3}, {10.3f, 20.5f, 5.5f}, "float32"},
                                               data::Array{"peak_col", {3}, {12.8f, 30.5f, 5.5f}, "float32"},
                                               data::Array{"npeaks", {3}, {1, 1, 2}, "float32"},
                                               data::Array{"deviations", {3}, {0.2f, 0.1f, 0.1f}, "float32"}});
  const nn::Dataset d = read_braggnn(dir.path() / "frames.h5", dir.path() / "peaks.h5", 11);
  REQUIRE(d.size() == 2);
  // int(10.3) = 10 sits at index 5: the centre is at 5.3 rows, 5.8 columns of the patch.
  CHECK(d.targets[0] == doctest::Approx(5.8 / 11).epsilon(1e-5));
  CHECK(d.targets[1] == doctest::Approx(5.3 / 11).epsilon(1e-5));
  const FitResult c = centroid(d.inputs.data(), 11);
  CHECK(std::abs(c.row - 5.3) < 0.3);
  CHECK(*std::max_element(d.inputs.data(), d.inputs.data() + 121) == 1.0f);
  CHECK_THROWS_WITH_AS(read_braggnn(dir.path() / "peaks.h5", dir.path() / "peaks.h5", 11),
                       doctest::Contains("peaks.h5: no dataset 'frames'"), Error);
}

TEST_CASE("the noise samplers have the right moments") {
  FastRng rng(1, 2);
  // Normal: mean 0, variance 1, and P(|z| > 3) = 0.0027 (the ziggurat's tail and wedges).
  const int n = 400000;
  double s = 0, s2 = 0;
  int tail = 0;
  for (int i = 0; i < n; ++i) {
    const double z = rng.normal();
    s += z, s2 += z * z, tail += std::abs(z) > 3;
  }
  CHECK(std::abs(s / n) < 0.01);
  CHECK(std::abs(s2 / n - 1) < 0.01);
  CHECK(std::abs(tail / double(n) - 0.0027) < 0.0005);
  // Poisson on both sides of the switch between inversion and PTRS: mean = variance = lambda,
  // and P(X = 0) = exp(-lambda) for the small one.
  for (double lambda : {0.7, 4.0, 9.9, 10.0, 37.5, 400.0}) {
    CAPTURE(lambda);
    double m = 0, v = 0;
    int zeros = 0;
    const int k = 200000;
    std::vector<double> x(k);
    for (int i = 0; i < k; ++i) x[i] = static_cast<double>(rng.poisson(lambda)), m += x[i], zeros += x[i] == 0;
    m /= k;
    for (double xi : x) v += (xi - m) * (xi - m);
    v /= k - 1;
    CHECK(std::abs(m - lambda) < 4 * std::sqrt(lambda / k));
    CHECK(std::abs(v / lambda - 1) < 0.02);
    if (lambda < 1) CHECK(std::abs(zeros / double(k) - std::exp(-lambda)) < 0.005);
  }
}

namespace {

// Pearson's chi-square of Poisson(lambda) samples against the exact probabilities (from
// lgamma), bins with fewer than 20 expected merged into their neighbours; returns the statistic
// over its degrees of freedom's bound: below 1 passes (mean df plus 6 standard deviations).
double poisson_chi_square(const std::vector<std::int64_t>& x, double lambda) {
  const double n = static_cast<double>(x.size());
  const auto top = static_cast<std::int64_t>(lambda + 12 * std::sqrt(lambda) + 20);
  std::vector<double> observed(static_cast<std::size_t>(top + 1), 0.0), expected(observed.size(), 0.0);
  for (std::int64_t v : x) observed[static_cast<std::size_t>(std::min(v, top))] += 1;
  for (std::int64_t k = 0; k <= top; ++k) {
    const double p = std::exp(-lambda + static_cast<double>(k) * std::log(lambda) - std::lgamma(k + 1.0));
    expected[static_cast<std::size_t>(k)] = n * p;
  }
  double tail = n;  // the last bin holds P(X >= top)
  for (std::int64_t k = 0; k < top; ++k) tail -= expected[static_cast<std::size_t>(k)];
  expected.back() = tail;
  double chi = 0, o = 0, e = 0;
  int bins = 0;
  for (std::size_t k = 0; k < expected.size(); ++k) {
    o += observed[k], e += expected[k];
    if (e >= 20) chi += (o - e) * (o - e) / e, ++bins, o = e = 0;
  }
  if (e > 0) chi += (o - e) * (o - e) / e, ++bins;  // the remainder past the last full bin
  const double df = bins - 1;
  return chi / (df + 6 * std::sqrt(2 * df));
}

}  // namespace

TEST_CASE("Poisson draws follow the exact distribution one by one and in batches") {
  FastRng rng(3, 4);
  const int n = 200000;
  for (double lambda : {0.3, 3.7, 9.99, 37.5, 128.0, 255.5, 256.0, 1000.3, 5000.0}) {
    CAPTURE(lambda);
    std::vector<std::int64_t> single(n), batch(n);
    for (auto& v : single) v = rng.poisson(lambda);
    std::vector<double> lam(n, lambda), counts(n);
    rng.poisson_fill(lam.data(), n, counts.data());
    for (int i = 0; i < n; ++i)
      batch[static_cast<std::size_t>(i)] = static_cast<std::int64_t>(counts[static_cast<std::size_t>(i)]);
    CHECK(poisson_chi_square(single, lambda) < 1);
    CHECK(poisson_chi_square(batch, lambda) < 1);
  }
  // A batch that mixes means (as a patch does) and writes in place: each mean's draws still
  // follow their own distribution.
  const std::vector<double> means = {0.0, 2.5, 17.25, 300.0};
  std::vector<double> mixed(4 * n);
  for (std::size_t i = 0; i < mixed.size(); ++i) mixed[i] = means[i % 4];
  rng.poisson_fill(mixed.data(), static_cast<std::int64_t>(mixed.size()), mixed.data());
  for (std::size_t m = 0; m < means.size(); ++m) {
    std::vector<std::int64_t> x;
    for (std::size_t i = m; i < mixed.size(); i += 4) x.push_back(static_cast<std::int64_t>(mixed[i]));
    if (means[m] == 0) {
      CHECK(*std::max_element(x.begin(), x.end()) == 0);
    } else {
      CAPTURE(means[m]);
      CHECK(poisson_chi_square(x, means[m]) < 1);
    }
  }
  // The statistic itself can fail: draws of Poisson(37.5) are not Poisson(36.5).
  std::vector<std::int64_t> off(n);
  for (auto& v : off) v = rng.poisson(37.5);
  CHECK(poisson_chi_square(off, 36.5) > 1);
}

TEST_CASE("batched normal draws have the right moments and tails") {
  FastRng rng(5, 6);
  const int n = 400000;
  std::vector<double> x(n, 1.0);  // add_normal adds: mean 1, sigma 2
  rng.add_normal(x.data(), n, 2.0);
  double s = 0, s2 = 0;
  int beyond1 = 0, beyond3 = 0;
  for (double v : x) {
    const double z = (v - 1) / 2;
    s += z, s2 += z * z, beyond1 += std::abs(z) > 1, beyond3 += std::abs(z) > 3;
  }
  CHECK(std::abs(s / n) < 0.01);
  CHECK(std::abs(s2 / n - 1) < 0.01);
  CHECK(std::abs(beyond1 / double(n) - 0.31731) < 0.003);
  CHECK(std::abs(beyond3 / double(n) - 0.0027) < 0.0005);
}

TEST_CASE("batched Poisson draws get the rare large outcomes of the fractional part right") {
  // Poisson(0.99) is all fractional part: outcomes of 8 or more (about 1e-5 of draws) take the
  // batch's loop past its unrolled cumulative sums. Their counts against the exact probabilities.
  FastRng rng(9, 1);
  const double lambda = 0.99;
  const int chunk = 1 << 20, chunks = 20;
  std::vector<double> x(chunk);
  std::vector<double> observed(12, 0.0);
  for (int c = 0; c < chunks; ++c) {
    std::fill(x.begin(), x.end(), lambda);
    rng.poisson_fill(x.data(), chunk, x.data());
    for (double v : x) observed[static_cast<std::size_t>(std::min(v, 11.0))] += 1;
  }
  const double n = static_cast<double>(chunk) * chunks;
  auto pmf = [&](int k) { return std::exp(-lambda + k * std::log(lambda) - std::lgamma(k + 1.0)); };
  double tail = 0;
  for (int k = 9; k < 40; ++k) tail += pmf(k);
  const double expected8 = n * pmf(8), expected_tail = n * tail;
  CAPTURE(observed[8]);
  CAPTURE(expected8);
  CHECK(std::abs(observed[8] - expected8) < 4.5 * std::sqrt(expected8) + 1);
  double observed_tail = 0;
  for (std::size_t k = 9; k < observed.size(); ++k) observed_tail += observed[k];
  CAPTURE(observed_tail);
  CAPTURE(expected_tail);
  CHECK(std::abs(observed_tail - expected_tail) < 4.5 * std::sqrt(expected_tail) + 1);
  CHECK(observed[0] / n == doctest::Approx(pmf(0)).epsilon(0.002));
}

TEST_CASE("BraggNN peaks with NaN, huge or outside positions, and empty frames, are refused before any cast") {
  namespace fs = std::filesystem;
  test::TempDir dir("braggnn_bad");
  const fs::path frames = dir.path() / "frames.h5", peaks = dir.path() / "peaks.h5";
  data::write_arrays(frames, {data::Array{"frames", {2, 16, 16}, std::vector<float>(2 * 256, 1.0f), "float32"}});
  auto peaks_with = [&](float fidx, float row, float col) {
    fs::remove(peaks);
    data::write_arrays(
        peaks, {data::Array{"peak_fidx", {1}, {fidx}, "float32"}, data::Array{"peak_row", {1}, {row}, "float32"},
                data::Array{"peak_col", {1}, {col}, "float32"}, data::Array{"npeaks", {1}, {1}, "float32"},
                data::Array{"deviations", {1}, {0.1f}, "float32"}});
  };
  peaks_with(std::nanf(""), 5, 5);
  CHECK_THROWS_WITH_AS(read_braggnn(frames, peaks, 11), doctest::Contains("peak 0 names frame nan"), Error);
  peaks_with(1e30f, 5, 5);
  CHECK_THROWS_WITH_AS(read_braggnn(frames, peaks, 11), doctest::Contains("has frames 0 to 1"), Error);
  peaks_with(0.5f, 5, 5);
  CHECK_THROWS_WITH_AS(read_braggnn(frames, peaks, 11), doctest::Contains("peak 0 names frame 0.5"), Error);
  peaks_with(1, 1e30f, 5);
  CHECK_THROWS_WITH_AS(read_braggnn(frames, peaks, 11), doctest::Contains("lies outside its frame (16 x 16)"), Error);
  peaks_with(1, 5, -3);
  CHECK_THROWS_WITH_AS(read_braggnn(frames, peaks, 11), doctest::Contains("lies outside its frame"), Error);
  peaks_with(1, 5, 5);
  CHECK(read_braggnn(frames, peaks, 11).size() == 1);  // the control: a good peak is read

  fs::remove(frames);
  data::write_arrays(frames, {data::Array{"frames", {2, 0, 0}, {}, "float32"}});
  CHECK_THROWS_WITH_AS(read_braggnn(frames, peaks, 11), doctest::Contains("with H, W >= 1, found (2, 0, 0)"), Error);

  const fs::path empty = dir.path() / "empty.npz";
  data::write_arrays(
      empty, {data::Array{"patches", {0, 11, 11}, {}, "float32"}, data::Array{"labels", {0, 2}, {}, "float32"}});
  CHECK_THROWS_WITH_AS(read_patches(empty), doctest::Contains("holds no pixels"), Error);
}
