#pragma once
// Internal: the loops of batch and layer norm, vectorised (AVX-512, AVX2 or baseline, picked at
// start) and in one fixed summation order for every clone: sums run in 16 float lanes, folded in
// a fixed order, and blocks of lanes are added up in double.
//
// Batch norm reads an (R, C) row-major array (NHWC images: R = N*H*W rows of C channels; vectors:
// R = N). Its per-channel loops run over the flat array in periods of P = lcm(C, 16) values, so
// that they vectorise for any channel count (C = 2 as well as 64). Layer norm reads one sample of
// D values at a time.
#include <cstdint>
#include <vector>

namespace nac::nn::detail {

/// Per-channel statistics of an (R, C) array: mean[c], and the sum of squared deviations.
void channel_mean_sqdev(const float* x, std::int64_t rows, std::int64_t channels, float* mean, double* sqdev);
/// sum_dy[c] = sum over rows of dy, sum_dy_dev[c] = sum of dy * (x - mean[c]).
void channel_grad_sums(const float* dy, const float* x, const float* mean, std::int64_t rows, std::int64_t channels,
                       double* sum_dy, double* sum_dy_dev);
/// y = (x - center[c]) * scale[c] + shift[c].
void channel_affine(const float* x, const float* center, const float* scale, const float* shift, std::int64_t rows,
                    std::int64_t channels, float* y);
/// dx = dy * p[c] + (x - mean[c]) * q[c] + r[c]  (batch norm's input gradient).
void channel_backward(const float* dy, const float* x, const float* mean, const float* p, const float* q,
                      const float* r, std::int64_t rows, std::int64_t channels, float* dx);

/// Layer norm of n samples of d values: y = (x - mean) * inv_std * w + b, per sample;
/// mean and inv_std (n values each) are written for backward.
void layer_norm_forward(const float* x, const float* w, const float* b, std::int64_t n, std::int64_t d, float eps,
                        float* y, float* mean, float* inv_std);
/// Its backward: gw += sum over samples of dy * xhat, gb += sum of dy (d values each, zeroed
/// first), and dx when given.
void layer_norm_backward(const float* dy, const float* x, const float* w, const float* mean, const float* inv_std,
                         std::int64_t n, std::int64_t d, float* gw, float* gb, float* dx);

}  // namespace nac::nn::detail
