#pragma once
// Internal: the transforms of Winograd's F(4x4, 3x3) convolution (Lavin and Gray 2016), for
// 3x3 convolutions of stride 1 on NHWC images. A 6x6 input tile d gives 36 values per channel,
// V = B^T d B; the weights give U = G w G^T; the 4x4 output tile is Y = A^T M A with
// M[p] = sum_c V[p][c] U[p][c] for each of the 36 points p: 36 matrix products (Conv2d runs them
// on oneDNN) in place of the direct convolution's 9 taps on 16 outputs, 2.25x fewer
// multiplications per tile, 3x on a 7x7 output (4 tiles of 4x4 for 49 values).
//
// Layouts: V (36, T, C), M and dM (36, T, O), U (36, C, O); T = batch * tiles_h * tiles_w, the
// tile of sample b at (tr, tc) is t = (b * tiles_h + tr) * tiles_w + tc, and its input origin is
// (4 tr - pad, 4 tc - pad) (values outside the image read as zero). Vectors run over the channels.
// Compiled once per instruction set (kernel_isa.hpp); the transforms' sums run in a fixed order,
// so a result never depends on the run or the thread count (multiply-adds may fuse: it may
// differ between CPUs).
#include <cstdint>

namespace nac::nn::detail {

struct WinogradDims {
  std::int64_t batch = 0, c = 0, h = 0, w = 0, o = 0, pad = 0;
  std::int64_t out_h() const { return h + 2 * pad - 2; }
  std::int64_t out_w() const { return w + 2 * pad - 2; }
  std::int64_t tiles_h() const { return (out_h() + 3) / 4; }
  std::int64_t tiles_w() const { return (out_w() + 3) / 4; }
  std::int64_t tiles() const { return batch * tiles_h() * tiles_w(); }  // T
};

struct WinogradKernels {
  // Each over the d.batch samples from x, y, dy or dx (Conv2d calls them per chunk of samples).
  /// V for the samples' tiles.
  void (*input)(const WinogradDims& d, const float* x, float* v);
  /// y = A^T M A + bias; with `fused`, then max(y, 0) + slope * min(y, 0).
  void (*output)(const WinogradDims& d, const float* m, const float* bias, bool fused, float slope, float* y);
  /// dM = A dY A^T (the adjoint of `output` before its bias).
  void (*output_grad)(const WinogradDims& d, const float* dy, float* dm);
  /// dx (overwritten) = the sum over tiles of B dV B^T (the adjoint of `input`).
  void (*input_grad)(const WinogradDims& d, const float* dv, float* dx);
};

const WinogradKernels& winograd_kernels();

/// Conv2d takes this path for 3x3 convolutions of stride 1 without groups from this many input
/// and output channels on (fewer: the transforms cost more than the products save)...
inline constexpr std::int64_t kWinogradMinChannels = 16;
/// ... and when the tiles save at least this factor of multiplications (a 7x7 output: 3.06, in
/// 4 tiles; 9x9: 2.25; 5x5: 1.56, as 4 tiles of 16 hold its 25 values).
inline constexpr double kWinogradMinSaving = 2.0;
/// Whether a 3x3 layer of stride 1 with these channels and output size runs as Winograd
/// (NAC_CONV_WINOGRAD=0 in the environment turns the path off, for side-by-side timing).
bool winograd_pays(std::int64_t in_c, std::int64_t out_c, std::int64_t out_h, std::int64_t out_w);

/// U (36, C, O) from weights w (O, C, 3, 3): U = G w G^T.
void winograd_weights(const float* w, std::int64_t o, std::int64_t c, float* u);
/// dw (O, C, 3, 3) = G^T dU G, the adjoint of winograd_weights.
void winograd_weights_grad(const float* du, std::int64_t o, std::int64_t c, float* dw);

#define NAC_DECLARE_WINOGRAD_KERNELS(ns)                                                                             \
  namespace ns {                                                                                                     \
  void winograd_input(const WinogradDims& d, const float* x, float* v);                                              \
  void winograd_output(const WinogradDims& d, const float* m, const float* bias, bool fused, float slope, float* y); \
  void winograd_output_grad(const WinogradDims& d, const float* dy, float* dm);                                      \
  void winograd_input_grad(const WinogradDims& d, const float* dv, float* dx);                                       \
  }
NAC_DECLARE_WINOGRAD_KERNELS(avx512)
NAC_DECLARE_WINOGRAD_KERNELS(avx2)
NAC_DECLARE_WINOGRAD_KERNELS(generic)
#undef NAC_DECLARE_WINOGRAD_KERNELS

}  // namespace nac::nn::detail
