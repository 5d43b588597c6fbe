#pragma once
// Internal: loops split over the threads. The OpenMP regions stay outside the per-CPU clones
// (NAC_CPU_CLONES) of the kernels they call. Work for one thread runs on the calling thread
// without opening a region: with libgomp, a region of one thread still costs 1-2 us (measured:
// BraggNN's batch-1 inference spent 9 of its 54 us in such regions around tiny tensors).
#include <cstddef>
#include <cstdint>
#include <utility>

#include <omp.h>

namespace nac::nn::detail {

constexpr std::int64_t kParallel = 1 << 15;

/// Thread t's contiguous share [first, second) of [0, n) split over nt threads.
inline std::pair<std::int64_t, std::int64_t> thread_range(std::int64_t n, std::int64_t t, std::int64_t nt) {
  return {n * t / nt, n * (t + 1) / nt};
}

/// Calls f(t, nt) for t in [0, nt) on a team of `team` threads (at most; OpenMP may give fewer,
/// nt says how many); a team of one calls f(0, 1) on the calling thread.
template <class F>
void on_team(int team, F f) {
  if (team <= 1) return f(0, 1);
#pragma omp parallel num_threads(team)
  f(omp_get_thread_num(), omp_get_num_threads());
}

/// Calls f(i) for every i in [0, n), split statically over the threads when there are more than
/// one thread and one item (each item's result must not depend on the split).
template <class F>
void parallel_for(std::int64_t n, F f) {
  if (n <= 1 || omp_get_max_threads() == 1) {
    for (std::int64_t i = 0; i < n; ++i) f(i);
    return;
  }
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i) f(i);
}

/// Calls kernel(from, to) on [0, n), in one piece or, from `min_parallel` items on, one piece per
/// thread.
template <class F>
void for_ranges(std::size_t n, F kernel, std::int64_t min_parallel = kParallel) {
  const auto total = static_cast<std::int64_t>(n);
  if (total < min_parallel || omp_get_max_threads() == 1) return kernel(std::int64_t{0}, total);
#pragma omp parallel
  {
    const auto [from, to] = thread_range(total, omp_get_thread_num(), omp_get_num_threads());
    kernel(from, to);
  }
}

/// a[i] += b[i] for i in [0, n).
inline void add_into(float* a, const float* b, std::size_t n) {
  for_ranges(n, [&](std::int64_t from, std::int64_t to) {
#pragma omp simd
    for (std::int64_t i = from; i < to; ++i) a[i] += b[i];
  });
}

}  // namespace nac::nn::detail
