#include "norm_kernels.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <omp.h>

#include "nac/detail/cpu_clones.hpp"
#include "parallel_ranges.hpp"

namespace nac::nn::detail {

namespace {

constexpr std::int64_t kLanes = 16;
constexpr std::int64_t kBlock = 64;              // periods summed in float before their double total
constexpr std::int64_t kNormParallel = 1 << 16;  // fewer values than this: one thread

std::int64_t period_of(std::int64_t channels) { return std::lcm<std::int64_t>(channels, kLanes); }

// Per-channel values repeated over a period: out[j] = v[j % C].
struct Tiled {
  std::vector<float> v;
  Tiled(const float* values, std::int64_t channels, std::int64_t period) : v(static_cast<std::size_t>(period)) {
    for (std::int64_t j = 0; j < period; ++j) v[j] = values[j % channels];
  }
  const float* data() const { return v.data(); }
};

int team_size(std::int64_t total) { return total >= kNormParallel ? omp_get_max_threads() : 1; }

// The per-thread loops are compiled for each CPU (NAC_CPU_CLONES); the OpenMP regions that call
// them are not (GCC's outlining of a parallel region inside a target clone loses its variables).
// Multiply-adds fuse in the clones for CPUs that have them (the order of every sum stays fixed):
// results may differ between CPUs, never between runs on one.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=fast")
#endif
enum class Sum { Values, SquaredDeviations, Gradients };
enum class Map { Affine, Backward };
struct Args {
  const float* a = nullptr;  // x, or dy
  const float* b = nullptr;  // x (gradients)
  const float* t[4] = {};    // per-channel values tiled over a period
  float* out = nullptr;
};

// Two sums over the flat values [from, to) (from: a multiple of the period p), per place in the
// period, added to t1 and t2: in float over blocks of periods, then in double.
template <class F>
[[gnu::always_inline]] inline void sum_range(std::int64_t from, std::int64_t to, std::int64_t p, F f, double* t1,
                                             double* t2) {
  std::vector<float> acc(static_cast<std::size_t>(2 * p));
  float* a1 = acc.data();
  float* a2 = a1 + p;
  const std::int64_t full = from + (to - from) / p * p;
  for (std::int64_t b0 = from; b0 < full; b0 += kBlock * p) {
    std::fill(acc.begin(), acc.end(), 0.0f);
    const std::int64_t b1 = std::min(full, b0 + kBlock * p);
    for (std::int64_t base = b0; base < b1; base += p)
      for (std::int64_t j = 0; j < p; ++j) {
        float v1, v2;
        f(base + j, j, v1, v2);
        a1[j] += v1;
        a2[j] += v2;
      }
    for (std::int64_t j = 0; j < p; ++j) {
      t1[j] += a1[j];
      t2[j] += a2[j];
    }
  }
  for (std::int64_t i = full; i < to; ++i) {
    float v1, v2;
    f(i, i - full, v1, v2);
    t1[i - full] += v1;
    t2[i - full] += v2;
  }
}

NAC_CPU_CLONES void sum_kernel(Sum kind, const Args& g, std::int64_t from, std::int64_t to, std::int64_t p, double* t1,
                               double* t2) {
  const float* a = g.a;
  const float* b = g.b;
  const float* m = g.t[0];
  switch (kind) {
    case Sum::Values:
      return sum_range(
          from, to, p,
          [a](std::int64_t i, std::int64_t, float& v1, float& v2) {
            v1 = a[i];
            v2 = 0;
          },
          t1, t2);
    case Sum::SquaredDeviations:
      return sum_range(
          from, to, p,
          [a, m](std::int64_t i, std::int64_t j, float& v1, float& v2) {
            const float d = a[i] - m[j];
            v1 = d * d;
            v2 = 0;
          },
          t1, t2);
    case Sum::Gradients:
      return sum_range(
          from, to, p,
          [a, b, m](std::int64_t i, std::int64_t j, float& v1, float& v2) {
            v1 = a[i];
            v2 = a[i] * (b[i] - m[j]);
          },
          t1, t2);
  }
}

NAC_CPU_CLONES void map_kernel(Map kind, const Args& g, std::int64_t from, std::int64_t to, std::int64_t p) {
  const float* a = g.a;
  const float* b = g.b;
  const float* t0 = g.t[0];
  const float* t1 = g.t[1];
  const float* t2 = g.t[2];
  const float* t3 = g.t[3];
  float* out = g.out;
  for (std::int64_t base = from; base < to; base += p) {
    const std::int64_t n = std::min(p, to - base);
    const float* x = a + base;
    float* y = out + base;
    if (kind == Map::Affine) {
      for (std::int64_t j = 0; j < n; ++j) y[j] = (x[j] - t0[j]) * t1[j] + t2[j];
    } else {
      const float* xb = b + base;
      for (std::int64_t j = 0; j < n; ++j) y[j] = x[j] * t1[j] + (xb[j] - t0[j]) * t2[j] + t3[j];
    }
  }
}

// Two sums per channel over the flat array of `total` values, in a fixed order for a given
// thread count: each thread a contiguous run of periods; the threads' totals added in order,
// then the period folded into channels.
void channel_sums(Sum kind, const Args& g, std::int64_t total, std::int64_t channels, double* s1, double* s2) {
  const std::int64_t p = period_of(channels);
  const std::int64_t periods = total / p;
  const int team = team_size(total);
  std::vector<double> tot(static_cast<std::size_t>(2 * p * team), 0.0);
  on_team(team, [&](int t, int nt) {
    const std::int64_t from = periods * t / nt * p, to = t + 1 == nt ? total : periods * (t + 1) / nt * p;
    sum_kernel(kind, g, from, to, p, tot.data() + 2 * p * t, tot.data() + 2 * p * t + p);
  });
  for (std::int64_t c = 0; c < channels; ++c) s1[c] = s2[c] = 0;
  for (int t = 0; t < team; ++t)
    for (std::int64_t j = 0; j < p; ++j) {
      s1[j % channels] += tot[2 * p * t + j];
      s2[j % channels] += tot[2 * p * t + p + j];
    }
}

void channel_map(Map kind, const Args& g, std::int64_t total, std::int64_t channels) {
  const std::int64_t p = period_of(channels);
  const std::int64_t periods = (total + p - 1) / p;
  on_team(team_size(total), [&](int t, int nt) {
    const std::int64_t from = periods * t / nt * p, to = std::min(total, periods * (t + 1) / nt * p);
    map_kernel(kind, g, from, to, p);
  });
}

// Sum of n values in 16 lanes (a fixed order for every clone).
[[gnu::always_inline]] inline float lane_sum(const float* x, std::int64_t n) {
  float acc[kLanes] = {};
  std::int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (std::int64_t l = 0; l < kLanes; ++l) acc[l] += x[j + l];
  float s = 0;
  for (; j < n; ++j) s += x[j];
  for (std::int64_t l = 0; l < kLanes; ++l) s += acc[l];
  return s;
}

}  // namespace

void channel_mean_sqdev(const float* x, std::int64_t rows, std::int64_t channels, float* mean, double* sqdev) {
  const std::int64_t total = rows * channels, p = period_of(channels);
  std::vector<double> s(static_cast<std::size_t>(channels)), unused(static_cast<std::size_t>(channels));
  Args g;
  g.a = x;
  channel_sums(Sum::Values, g, total, channels, s.data(), unused.data());
  for (std::int64_t c = 0; c < channels; ++c) mean[c] = static_cast<float>(s[c] / static_cast<double>(rows));
  const Tiled m(mean, channels, p);
  g.t[0] = m.data();
  channel_sums(Sum::SquaredDeviations, g, total, channels, sqdev, unused.data());
}

void channel_grad_sums(const float* dy, const float* x, const float* mean, std::int64_t rows, std::int64_t channels,
                       double* sum_dy, double* sum_dy_dev) {
  const Tiled m(mean, channels, period_of(channels));
  Args g;
  g.a = dy;
  g.b = x;
  g.t[0] = m.data();
  channel_sums(Sum::Gradients, g, rows * channels, channels, sum_dy, sum_dy_dev);
}

void channel_affine(const float* x, const float* center, const float* scale, const float* shift, std::int64_t rows,
                    std::int64_t channels, float* y) {
  const std::int64_t p = period_of(channels);
  const Tiled m(center, channels, p), a(scale, channels, p), b(shift, channels, p);
  Args g;
  g.a = x;
  g.t[0] = m.data();
  g.t[1] = a.data();
  g.t[2] = b.data();
  g.out = y;
  channel_map(Map::Affine, g, rows * channels, channels);
}

void channel_backward(const float* dy, const float* x, const float* mean, const float* p, const float* q,
                      const float* r, std::int64_t rows, std::int64_t channels, float* dx) {
  const std::int64_t per = period_of(channels);
  const Tiled m(mean, channels, per), pt(p, channels, per), qt(q, channels, per), rt(r, channels, per);
  Args g;
  g.a = dy;
  g.b = x;
  g.t[0] = m.data();
  g.t[1] = pt.data();
  g.t[2] = qt.data();
  g.t[3] = rt.data();
  g.out = dx;
  channel_map(Map::Backward, g, rows * channels, channels);
}

namespace {

NAC_CPU_CLONES void layer_norm_rows(const float* x, const float* w, const float* b, std::int64_t from, std::int64_t to,
                                    std::int64_t d, float eps, float* y, float* mean, float* inv_std) {
  for (std::int64_t i = from; i < to; ++i) {
    const float* p = x + i * d;
    const float mu = lane_sum(p, d) / static_cast<float>(d);
    float acc[kLanes] = {};
    std::int64_t j = 0;
    for (; j + kLanes <= d; j += kLanes)
      for (std::int64_t l = 0; l < kLanes; ++l) acc[l] += (p[j + l] - mu) * (p[j + l] - mu);
    float s2 = 0;
    for (; j < d; ++j) s2 += (p[j] - mu) * (p[j] - mu);
    for (std::int64_t l = 0; l < kLanes; ++l) s2 += acc[l];
    const float is = 1.0f / std::sqrt(s2 / static_cast<float>(d) + eps);
    mean[i] = mu;
    inv_std[i] = is;
    float* out = y + i * d;
    for (std::int64_t k = 0; k < d; ++k) out[k] = (p[k] - mu) * is * w[k] + b[k];
  }
}

// Parameter gradients: samples in order, vectorised over the d features.
NAC_CPU_CLONES void layer_norm_param_grads(const float* dy, const float* x, const float* mean, const float* inv_std,
                                           std::int64_t n, std::int64_t d, float* gw, float* gb) {
  std::fill(gw, gw + d, 0.0f);
  std::fill(gb, gb + d, 0.0f);
  for (std::int64_t i = 0; i < n; ++i) {
    const float* g = dy + i * d;
    const float* p = x + i * d;
    const float mu = mean[i], is = inv_std[i];
    for (std::int64_t k = 0; k < d; ++k) {
      gw[k] += g[k] * ((p[k] - mu) * is);
      gb[k] += g[k];
    }
  }
}

NAC_CPU_CLONES void layer_norm_input_grads(const float* dy, const float* x, const float* w, const float* mean,
                                           const float* inv_std, std::int64_t from, std::int64_t to, std::int64_t d,
                                           float* dx) {
  for (std::int64_t i = from; i < to; ++i) {
    const float* g = dy + i * d;
    const float* p = x + i * d;
    const float mu = mean[i], is = inv_std[i];
    float a[kLanes] = {}, c[kLanes] = {};
    std::int64_t j = 0;
    for (; j + kLanes <= d; j += kLanes)
      for (std::int64_t l = 0; l < kLanes; ++l) {
        const float gh = g[j + l] * w[j + l];
        a[l] += gh;
        c[l] += gh * ((p[j + l] - mu) * is);
      }
    float sa = 0, sc = 0;
    for (; j < d; ++j) {
      const float gh = g[j] * w[j];
      sa += gh;
      sc += gh * ((p[j] - mu) * is);
    }
    for (std::int64_t l = 0; l < kLanes; ++l) {
      sa += a[l];
      sc += c[l];
    }
    const float ma = sa / static_cast<float>(d), mc = sc / static_cast<float>(d);
    float* out = dx + i * d;
    for (std::int64_t k = 0; k < d; ++k) out[k] = is * (g[k] * w[k] - ma - ((p[k] - mu) * is) * mc);
  }
}

}  // namespace

// Samples split in contiguous runs over the threads (each sample's sums stay in one thread).
template <class F>
void over_samples(std::int64_t n, std::int64_t d, F f) {
  on_team(team_size(n * d), [&](int t, int nt) {
    const auto [from, to] = thread_range(n, t, nt);
    f(from, to);
  });
}

void layer_norm_forward(const float* x, const float* w, const float* b, std::int64_t n, std::int64_t d, float eps,
                        float* y, float* mean, float* inv_std) {
  over_samples(
      n, d, [&](std::int64_t from, std::int64_t to) { layer_norm_rows(x, w, b, from, to, d, eps, y, mean, inv_std); });
}

void layer_norm_backward(const float* dy, const float* x, const float* w, const float* mean, const float* inv_std,
                         std::int64_t n, std::int64_t d, float* gw, float* gb, float* dx) {
  layer_norm_param_grads(dy, x, mean, inv_std, n, d, gw, gb);
  if (dx)
    over_samples(n, d, [&](std::int64_t from, std::int64_t to) {
      layer_norm_input_grads(dy, x, w, mean, inv_std, from, to, d, dx);
    });
}

}  // namespace nac::nn::detail
