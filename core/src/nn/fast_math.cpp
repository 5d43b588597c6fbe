#include "fast_math.hpp"

#include <algorithm>

namespace nac::nn::detail {

// Compiled for AVX-512, AVX2 and the baseline; the loader picks the best the CPU has.
__attribute__((target_clones("avx512f", "avx2", "default")))
void softmax_row(float* a, std::int64_t n, float s) {
  // `omp simd` reductions let the compiler reorder the sums into vector lanes (a fixed order
  // for a given build and CPU, so results stay reproducible).
  float mx = a[0];
#pragma omp simd reduction(max : mx)
  for (std::int64_t j = 1; j < n; ++j) mx = std::max(mx, a[j]);
  float sum = 0;
#pragma omp simd reduction(+ : sum)
  for (std::int64_t j = 0; j < n; ++j) {
    a[j] = fast_exp(s * (a[j] - mx));
    sum += a[j];
  }
  const float inv = 1.0f / sum;
  for (std::int64_t j = 0; j < n; ++j) a[j] *= inv;
}

__attribute__((target_clones("avx512f", "avx2", "default")))
void softmax_backward_row(const float* a, float* d, std::int64_t n, float s) {
  float dot = 0;
#pragma omp simd reduction(+ : dot)
  for (std::int64_t j = 0; j < n; ++j) dot += d[j] * a[j];
  for (std::int64_t j = 0; j < n; ++j) d[j] = s * a[j] * (d[j] - dot);
}

}  // namespace nac::nn::detail
