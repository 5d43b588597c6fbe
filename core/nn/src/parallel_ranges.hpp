#pragma once
// Internal: an elementwise loop split over the threads for large tensors. The OpenMP region
// stays outside the per-CPU clones (NAC_CPU_CLONES) of the kernel it calls; each element's result
// does not depend on the split.
#include <cstddef>
#include <cstdint>

#include <omp.h>

namespace nac::nn::detail {

constexpr std::int64_t kParallel = 1 << 15;

/// Calls kernel(from, to) on [0, n), in one piece or one piece per thread.
template <class F>
void for_ranges(std::size_t n, F kernel) {
  const auto total = static_cast<std::int64_t>(n);
  if (total < kParallel || omp_get_max_threads() == 1) return kernel(std::int64_t{0}, total);
#pragma omp parallel
  {
    const std::int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    kernel(total * t / nt, total * (t + 1) / nt);
  }
}

}  // namespace nac::nn::detail
