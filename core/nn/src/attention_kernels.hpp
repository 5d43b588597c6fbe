#pragma once
// Internal: the attention block's products and softmax for one sample at a time, fused, on
// vectors of 16 query rows (see attention_kernels.cpp). The file is compiled once per
// instruction set (avx512, avx2, generic); `attention_kernels()` picks the best the CPU runs.
//
// Layouts, for a sample with n positions and h hidden channels (npad = n rounded up to 16):
//   qkv  (n, 3h) row-major: theta in columns [0, h), phi in [h, 2h), g in [2h, 3h)
// (npad bounds the blocks of rows of every build: 16, 8 or 4 lanes.)
//   y    (n, h): y = A g;  dy likewise;  dqkv like qkv
// The n x n softmax weights never leave the scratch: backward recomputes them, which costs less
// than writing them to memory in forward and reading them back.
#include <cstdint>
#include <cstddef>

namespace nac::nn::detail {

struct AttentionDims {
  std::int64_t n = 0, h = 0;
  float scale = 1;  // A = softmax(scale * theta phi^T)
  std::int64_t npad() const { return (n + 15) / 16 * 16; }
  /// Floats of scratch one call needs.
  std::size_t scratch_floats() const;
};

struct AttentionKernels {
  /// y = A g, from qkv.
  void (*forward)(const AttentionDims& d, const float* qkv, float* y, float* scratch);
  /// dqkv from dy and the forward's qkv.
  void (*backward)(const AttentionDims& d, const float* qkv, const float* dy, float* dqkv, float* scratch);
};

/// The kernels for the best instruction set of this CPU.
const AttentionKernels& attention_kernels();

#define NAC_DECLARE_ATTENTION_KERNELS(ns)                                                                          \
  namespace ns {                                                                                                   \
  void attention_forward(const AttentionDims& d, const float* qkv, float* y, float* scratch);                      \
  void attention_backward(const AttentionDims& d, const float* qkv, const float* dy, float* dqkv, float* scratch); \
  }
NAC_DECLARE_ATTENTION_KERNELS(avx512)
NAC_DECLARE_ATTENTION_KERNELS(avx2)
NAC_DECLARE_ATTENTION_KERNELS(generic)
#undef NAC_DECLARE_ATTENTION_KERNELS

}  // namespace nac::nn::detail
