#include "patch_cleaning.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <string>

#include "nac/error.hpp"

namespace nac::bragg {

namespace {

int find(int* parent, int x) {
  while (parent[x] != x) x = parent[x] = parent[parent[x]];
  return x;
}

// Joins the sets of a and b; returns the new root (the smaller label).
int unite(int* parent, int a, int b) {
  a = find(parent, a), b = find(parent, b);
  if (a > b) std::swap(a, b);
  parent[b] = a;
  return a;
}

constexpr int kMaxSize = 64;  // a row of non-zero pixels is one 64-bit mask

// A horizontal run of non-zero pixels [start, end] in one row, and its component's label.
struct Run {
  int row, start, end, label;
};

}  // namespace

void min_max_normalise(float* p, std::int64_t n) {
  if (n <= 0) return;
  // Minimum and maximum in 16 independent lanes, which the compiler keeps in vector registers
  // (std::minmax_element is a scalar loop).
  float lo[16], hi[16];
  for (int l = 0; l < 16; ++l) lo[l] = hi[l] = p[0];
  std::int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int l = 0; l < 16; ++l) {
      lo[l] = p[i + l] < lo[l] ? p[i + l] : lo[l];
      hi[l] = p[i + l] > hi[l] ? p[i + l] : hi[l];
    }
  float a = p[0], b = p[0];
  for (int l = 0; l < 16; ++l) a = std::min(a, lo[l]), b = std::max(b, hi[l]);
  for (; i < n; ++i) a = std::min(a, p[i]), b = std::max(b, p[i]);
  const float range = b - a;
  if (!(range > 0)) {
    std::fill(p, p + n, 0.0f);
    return;
  }
  for (i = 0; i < n; ++i) p[i] = (p[i] - a) / range;
}

int keep_nearest_component(float* p, std::int64_t size64, double row, double col) {
  // Run-based labelling: each row's non-zero pixels as a bit mask, split into runs; a run joins
  // (union-find) the labels of the previous row's runs it touches, 8-connected (that row's runs
  // that overlap [start - 1, end + 1]). Labels are numbered from 1 in raster order and a set's
  // root is its smallest label, so components are ordered by their first pixel.
  if (size64 < 1 || size64 > kMaxSize)
    throw Error("keep_nearest_component: patch size " + std::to_string(size64) + " is outside [1, 64]");
  const int size = static_cast<int>(size64);
  std::array<Run, kMaxSize*(kMaxSize / 2)> runs;  // at most size / 2 rounded up per row
  std::array<int, kMaxSize*(kMaxSize / 2) + 1> parent;
  int count = 0, n_runs = 0, above_begin = 0, above_end = 0;
  for (int r = 0; r < size; ++r) {
    const float* in = p + r * size;
    std::uint64_t mask = 0;
    for (int c = 0; c < size; ++c) mask |= static_cast<std::uint64_t>(in[c] > 0) << c;
    const int begin = n_runs;
    int j = above_begin;
    while (mask) {
      const int start = std::countr_zero(mask);
      const int end = start + std::countr_one(mask >> start) - 1;
      mask &= mask + (std::uint64_t{1} << start);  // clears the lowest run
      while (j < above_end && runs[static_cast<std::size_t>(j)].end < start - 1) ++j;
      int label = 0;
      for (int q = j; q < above_end && runs[static_cast<std::size_t>(q)].start <= end + 1; ++q) {
        const int other = runs[static_cast<std::size_t>(q)].label;
        label = label ? unite(parent.data(), label, other) : find(parent.data(), other);
      }
      if (!label) label = ++count, parent[static_cast<std::size_t>(label)] = label;
      runs[static_cast<std::size_t>(n_runs++)] = {r, start, end, label};
    }
    above_begin = begin, above_end = n_runs;
  }
  if (count <= 1) return count;
  // Each component's first brightest pixel (in its root's slot), and the component whose
  // brightest pixel is nearest the peak's centre.
  std::array<int, kMaxSize*(kMaxSize / 2) + 1> brightest;
  std::fill(brightest.begin(), brightest.begin() + count + 1, -1);
  int components = 0;
  for (int i = 0; i < n_runs; ++i) {
    Run& run = runs[static_cast<std::size_t>(i)];
    run.label = find(parent.data(), run.label);
    int& b = brightest[static_cast<std::size_t>(run.label)];
    if (b < 0) ++components, b = run.row * size + run.start;
    for (int k = run.row * size + run.start, last = run.row * size + run.end; k <= last; ++k)
      if (p[k] > p[b]) b = k;
  }
  if (components == 1) return 1;
  int best = 0;
  double best_d = 1e300;
  for (int root = 1; root <= count; ++root) {
    const int b = brightest[static_cast<std::size_t>(root)];
    if (b < 0) continue;
    const double dr = b / size + 0.5 - row, dc = b % size + 0.5 - col;
    if (dr * dr + dc * dc < best_d) best_d = dr * dr + dc * dc, best = root;
  }
  for (int i = 0; i < n_runs; ++i) {
    const Run& run = runs[static_cast<std::size_t>(i)];
    if (run.label != best) std::fill(p + run.row * size + run.start, p + run.row * size + run.end + 1, 0.0f);
  }
  return components;
}

}  // namespace nac::bragg
