#include "fast_math.hpp"

#include <algorithm>

#include "nac/detail/cpu_clones.hpp"

namespace nac::nn::detail {

// Compiled for AVX-512, AVX2 and the baseline; the loader picks the best the CPU has.
NAC_CPU_CLONES void softmax_row(float* a, std::int64_t n, float s) {
  // `omp simd` reductions let the compiler reorder the sums into vector lanes (a fixed order
  // for a given build and CPU, so results stay reproducible).
  // The maximum in 16 independent lanes (a plain max reduction is not vectorised by GCC).
  float lanes[16];
  for (float& l : lanes) l = a[0];
  std::int64_t j = 0;
  for (; j + 16 <= n; j += 16)
    for (int l = 0; l < 16; ++l) lanes[l] = lanes[l] > a[j + l] ? lanes[l] : a[j + l];
  float mx = a[0];
  for (float l : lanes) mx = std::max(mx, l);
  for (; j < n; ++j) mx = std::max(mx, a[j]);
  float sum = 0;
#pragma omp simd reduction(+ : sum)
  for (std::int64_t j = 0; j < n; ++j) {
    a[j] = fast_exp(s * (a[j] - mx));
    sum += a[j];
  }
  const float inv = 1.0f / sum;
  for (std::int64_t j = 0; j < n; ++j) a[j] *= inv;
}

NAC_CPU_CLONES void softmax_backward_row(const float* a, float* d, std::int64_t n, float s) {
  float dot = 0;
#pragma omp simd reduction(+ : dot)
  for (std::int64_t j = 0; j < n; ++j) dot += d[j] * a[j];
  for (std::int64_t j = 0; j < n; ++j) d[j] = s * a[j] * (d[j] - dot);
}

}  // namespace nac::nn::detail
