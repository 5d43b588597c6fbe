#pragma once
// Internal: an elementwise loop split over the threads for large tensors. The OpenMP region
// stays outside the per-CPU clones (NAC_CPU_CLONES) of the kernel it calls; each element's result
// does not depend on the split.
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

/// Calls kernel(from, to) on [0, n), in one piece or one piece per thread.
template <class F>
void for_ranges(std::size_t n, F kernel) {
  const auto total = static_cast<std::int64_t>(n);
  if (total < kParallel || omp_get_max_threads() == 1) return kernel(std::int64_t{0}, total);
#pragma omp parallel
  {
    const auto [from, to] = thread_range(total, omp_get_thread_num(), omp_get_num_threads());
    kernel(from, to);
  }
}

}  // namespace nac::nn::detail
