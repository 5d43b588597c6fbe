// Conv2d's path for layers with few taps (conv_kernels.hpp): weights packed per tap with the output
// channels innermost, samples split over the threads in contiguous runs; the weight gradient's
// per-thread sums are added in thread order, so a thread count gives the same bytes every run.
#include <omp.h>

#include "conv2d.hpp"
#include "conv_kernels.hpp"
#include "kernel_isa.hpp"
#include "parallel_ranges.hpp"

namespace nac::nn {

namespace {

detail::SmallConvDims small_dims(const LayerSpec& spec, std::int64_t out_c, std::int64_t kernel) {
  detail::SmallConvDims d;
  d.c = spec.input.at(0);
  d.h = spec.input.at(1);
  d.w = spec.input.at(2);
  d.k = kernel;
  d.o = out_c;
  return d;
}

// Calls f(index in the (O, C, K, K) weights, index in the packed (taps, opad) ones) for every weight.
template <class F>
void for_each_weight(const detail::SmallConvDims& d, F f) {
  const std::int64_t opad = d.opad();
  for (std::int64_t o = 0; o < d.o; ++o)
    for (std::int64_t ci = 0; ci < d.c; ++ci)
      for (std::int64_t kh = 0; kh < d.k; ++kh)
        for (std::int64_t kw = 0; kw < d.k; ++kw)
          f(((o * d.c + ci) * d.k + kh) * d.k + kw, ((kh * d.k + kw) * d.c + ci) * opad + o);
}

}  // namespace

namespace detail {

const ConvKernels& conv_kernels() {
  static const ConvKernels all[3] = {{avx512::small_conv_forward, avx512::small_conv_weight_grad},
                                     {avx2::small_conv_forward, avx2::small_conv_weight_grad},
                                     {generic::small_conv_forward, generic::small_conv_weight_grad}};
  return all[kernel_isa()];
}

}  // namespace detail

void Conv2d::forward_small(const Tensor& x, Tensor& y) {
  const detail::SmallConvDims d = small_dims(spec_, out_c_, kernel_);
  const std::int64_t taps = d.taps(), opad = d.opad(), batch = x.dim(0);
  if (packed_version_ != weight_.version() + (has_bias_ ? bias_.version() : 0)) {
    packed_version_ = weight_.version() + (has_bias_ ? bias_.version() : 0);
    packed_w_.resize({taps, opad});
    packed_w_.zero();
    packed_b_.resize({opad});
    packed_b_.zero();
    const float* w = weight_.effective().data();
    float* packed = packed_w_.data();
    for_each_weight(d, [&](std::int64_t oihw, std::int64_t at) { packed[at] = w[oihw]; });
    if (has_bias_)
      for (std::int64_t o = 0; o < out_c_; ++o) packed_b_[static_cast<std::size_t>(o)] = bias_.effective()[o];
  }
  const auto& k = detail::conv_kernels();
  const float* xs = x.data();
  const float* wt = packed_w_.data();
  const float* bias = packed_b_.data();
  float* ys = y.data();
  const bool fused = fused_;
  const float slope = slope_;
  detail::on_team(omp_get_max_threads(), [&](int t, int nt) {
    const auto [b0, b1] = detail::thread_range(batch, t, nt);
    if (b1 > b0) k.forward(d, xs, wt, bias, fused, slope, ys, b0, b1);
  });
}

void Conv2d::weight_grad_small(const Tensor& x, const float* dy, const float* y, bool through_activation) {
  const detail::SmallConvDims d = small_dims(spec_, out_c_, kernel_);
  const std::int64_t taps = d.taps(), opad = d.opad(), batch = x.dim(0), per = (taps + 1) * opad;
  const int threads = omp_get_max_threads();
  partials_.resize({threads, per});
  const auto& k = detail::conv_kernels();
  const float* xs = x.data();
  float* parts = partials_.data();
  const bool fused = through_activation;
  const float slope = slope_;
  int used = 1;
  detail::on_team(threads, [&](int t, int nt) {
    if (t == 0) used = nt;
    const auto [b0, b1] = detail::thread_range(batch, t, nt);
    float* mine = parts + t * per;
    if (b1 > b0) {
      k.weight_grad(d, xs, dy, y, fused, slope, mine, mine + taps * opad, b0, b1);
    } else {
      for (std::int64_t i = 0; i < per; ++i) mine[i] = 0;
    }
  });
  // The threads' sums, added in thread order.
  const auto total = [&](std::int64_t at) {
    float sum = parts[at];
    for (int t = 1; t < used; ++t) sum += parts[t * per + at];
    return sum;
  };
  float* gw = weight_.grad().data();
  for_each_weight(d, [&](std::int64_t oihw, std::int64_t at) { gw[oihw] = total(at); });
  if (has_bias_) {
    float* gb = bias_.grad().data();
    for (std::int64_t o = 0; o < out_c_; ++o) gb[o] = total(taps * opad + o);
  }
}

}  // namespace nac::nn
