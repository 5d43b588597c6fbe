#pragma once
// Internal: direct convolutions for layers with few taps (input channels x kernel area, e.g. the
// search's 1-channel 3x3 projection), where oneDNN's kernels spend more on set-up per pixel than
// on arithmetic (its backward-weights ran such layers at 4-8 GFLOP/s). Stride 1, no padding, no
// groups; images NHWC. Vectors run over the output channels. Compiled once per instruction set
// (kernel_isa.hpp).
//
// Packed weights wt are (taps, opad): tap t = (kh * k + kw) * c + ci (the order of the input's
// values in NHWC memory), output channels padded with zeros to opad.
#include <cstddef>
#include <cstdint>

namespace nac::nn::detail {

struct SmallConvDims {
  std::int64_t c = 0, h = 0, w = 0;  // input channels and size
  std::int64_t k = 0;                // square kernel
  std::int64_t o = 0;                // output channels
  std::int64_t out_h() const { return h - k + 1; }
  std::int64_t out_w() const { return w - k + 1; }
  std::int64_t taps() const { return c * k * k; }
  std::int64_t opad() const { return (o + 15) / 16 * 16; }
};

/// The layers this path takes: at most kMaxTaps taps and output channels, stride 1, no padding.
inline constexpr std::int64_t kSmallConvMaxTaps = 16;

struct ConvKernels {
  /// y (samples [b0, b1)) = bias + conv(x); with `fused`, then max(y, 0) + slope * min(y, 0).
  void (*forward)(const SmallConvDims& d, const float* x, const float* wt, const float* bias, bool fused, float slope,
                  float* y, std::int64_t b0, std::int64_t b1);
  /// dwt (taps, opad) and dbias (opad) = the weight and bias gradients of samples [b0, b1),
  /// summed in sample and pixel order (overwritten, not added to). With `fused`, dy is the
  /// gradient of the activation's output y and is taken through it (times 1 where y > 0, slope
  /// elsewhere) on the fly.
  void (*weight_grad)(const SmallConvDims& d, const float* x, const float* dy, const float* y, bool fused, float slope,
                      float* dwt, float* dbias, std::int64_t b0, std::int64_t b1);
};

const ConvKernels& conv_kernels();

#define NAC_DECLARE_CONV_KERNELS(ns)                                                                               \
  namespace ns {                                                                                                   \
  void small_conv_forward(const SmallConvDims& d, const float* x, const float* wt, const float* bias, bool fused,  \
                          float slope, float* y, std::int64_t b0, std::int64_t b1);                                \
  void small_conv_weight_grad(const SmallConvDims& d, const float* x, const float* dy, const float* y, bool fused, \
                              float slope, float* dwt, float* dbias, std::int64_t b0, std::int64_t b1);            \
  }
NAC_DECLARE_CONV_KERNELS(avx512)
NAC_DECLARE_CONV_KERNELS(avx2)
NAC_DECLARE_CONV_KERNELS(generic)
#undef NAC_DECLARE_CONV_KERNELS

}  // namespace nac::nn::detail
