// Conv2d's path for 3x3 convolutions of stride 1 with enough channels: Winograd's F(4x4, 3x3)
// (winograd_kernels.hpp). The transforms run on nac's kernels, split over the samples; the 36
// products per pass (forward, input gradient, weight gradient) run batched on oneDNN's matrix
// product. The forward's transformed input V stays for the weight gradient, and its buffer then
// takes the input's gradient in the transformed domain.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <omp.h>

#include "conv2d.hpp"
#include "kernel_isa.hpp"
#include "parallel_ranges.hpp"
#include "winograd_kernels.hpp"

namespace nac::nn {

namespace detail {

const WinogradKernels& winograd_kernels() {
  static const WinogradKernels all[3] = {
      {avx512::winograd_input, avx512::winograd_output, avx512::winograd_output_grad, avx512::winograd_input_grad},
      {avx2::winograd_input, avx2::winograd_output, avx2::winograd_output_grad, avx2::winograd_input_grad},
      {generic::winograd_input, generic::winograd_output, generic::winograd_output_grad, generic::winograd_input_grad}};
  return all[kernel_isa()];
}

namespace {
constexpr double kG[6][3] = {{1.0 / 4, 0, 0},
                             {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                             {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                             {1.0 / 24, 1.0 / 12, 1.0 / 6},
                             {1.0 / 24, -1.0 / 12, 1.0 / 6},
                             {0, 0, 1}};
}  // namespace

void winograd_weights(const float* w, std::int64_t o, std::int64_t c, float* u) {
  // Output channels innermost (U's layout), in float: U[p][cc][oo] = sum_ab G[i][a] G[j][b] w[oo][cc][a][b].
  float g[6][3];
  for (int i = 0; i < 6; ++i)
    for (int a = 0; a < 3; ++a) g[i][a] = static_cast<float>(kG[i][a]);
  std::vector<float> t(static_cast<std::size_t>(18 * o));  // (G w) for one input channel: (6, 3, O)
  for (std::int64_t cc = 0; cc < c; ++cc) {
    for (int i = 0; i < 6; ++i)
      for (int b = 0; b < 3; ++b) {
        float* ti = t.data() + (i * 3 + b) * o;
        for (std::int64_t oo = 0; oo < o; ++oo) {
          const float* k = w + (oo * c + cc) * 9;
          ti[oo] = g[i][0] * k[b] + g[i][1] * k[3 + b] + g[i][2] * k[6 + b];
        }
      }
    for (int i = 0; i < 6; ++i)
      for (int j = 0; j < 6; ++j) {
        const float* t0 = t.data() + (i * 3) * o;
        float* up = u + ((i * 6 + j) * c + cc) * o;
        for (std::int64_t oo = 0; oo < o; ++oo)
          up[oo] = t0[oo] * g[j][0] + t0[o + oo] * g[j][1] + t0[2 * o + oo] * g[j][2];
      }
  }
}

void winograd_weights_grad(const float* du, std::int64_t o, std::int64_t c, float* dw) {
  for (std::int64_t oo = 0; oo < o; ++oo)
    for (std::int64_t cc = 0; cc < c; ++cc) {
      double t[3][6];  // G^T dU
      for (int a = 0; a < 3; ++a)
        for (int j = 0; j < 6; ++j) {
          double s = 0;
          for (int i = 0; i < 6; ++i) s += kG[i][a] * du[((i * 6 + j) * c + cc) * o + oo];
          t[a][j] = s;
        }
      float* g = dw + (oo * c + cc) * 9;
      for (int a = 0; a < 3; ++a)
        for (int b = 0; b < 3; ++b) {
          double s = 0;
          for (int j = 0; j < 6; ++j) s += t[a][j] * kG[j][b];
          g[a * 3 + b] = static_cast<float>(s);
        }
    }
}

bool winograd_pays(std::int64_t in_c, std::int64_t out_c, std::int64_t out_h, std::int64_t out_w) {
  static const bool off = [] {
    const char* e = std::getenv("NAC_CONV_WINOGRAD");
    return e && std::strcmp(e, "0") == 0;
  }();
  const double tiles = static_cast<double>((out_h + 3) / 4 * ((out_w + 3) / 4));
  const double saving = static_cast<double>(out_h * out_w * 9) / (tiles * 36);
  return !off && in_c >= kWinogradMinChannels && out_c >= kWinogradMinChannels && saving >= kWinogradMinSaving;
}

}  // namespace detail

detail::WinogradDims Conv2d::winograd_dims(std::int64_t batch) const {
  detail::WinogradDims d;
  d.batch = batch;
  d.c = in_c_;
  d.h = spec_.input[1];
  d.w = spec_.input[2];
  d.o = out_c_;
  d.pad = padding_;
  return d;
}

namespace {

// Samples per chunk: the transformed values of a chunk's tiles (36 per tile and channel) stay
// within about 384 KiB, so that each chunk's transforms and products run in the core's cache.
std::int64_t chunk_samples(const detail::WinogradDims& one) {
  const std::int64_t bytes = 36 * one.tiles_h() * one.tiles_w() * std::max(one.c, one.o) * 4;
  return std::max<std::int64_t>(1, (384 << 10) / bytes);
}

// Splits the batch into chunks, the chunks into contiguous runs, one run per thread, and calls
// f(thread, first sample, dims of the chunk, offset of its values in V) for each chunk of each
// run, in order. A thread runs its chunks alone (its products on one thread: oneDNN does not
// open a team inside one), with no barrier between chunks.
template <class F>
void for_chunks(const detail::WinogradDims& all, int threads, F f) {
  const std::int64_t per = chunk_samples(all), chunks = (all.batch + per - 1) / per;
  const std::int64_t per_chunk = 36 * per * all.tiles_h() * all.tiles_w() * all.c;
  const int team = static_cast<int>(std::min<std::int64_t>(threads, chunks));
  detail::on_team(team, [&](int t, int nt) {
    const auto [first, last] = detail::thread_range(chunks, t, nt);
    for (std::int64_t k = first; k < last; ++k) {
      detail::WinogradDims d = all;
      d.batch = std::min(per, all.batch - k * per);
      f(t, k * per, d, k * per_chunk);
    }
  });
}

}  // namespace

void Conv2d::prepare_winograd(std::int64_t batch) {
  const detail::WinogradDims all = winograd_dims(batch);
  const int threads = omp_get_max_threads();
  if (static_cast<int>(wino_mm_.size()) < threads) wino_mm_.resize(static_cast<std::size_t>(threads));
  const std::int64_t tiles = std::min(all.batch, chunk_samples(all)) * all.tiles_h() * all.tiles_w();
  wino_m_.resize({threads, 36 * tiles * out_c_});
}

void Conv2d::forward_winograd(const Tensor& x, Tensor& y) {
  const detail::WinogradDims all = winograd_dims(x.dim(0));
  const auto& k = detail::winograd_kernels();
  if (wino_version_ != weight_.version()) {
    wino_u_.resize({36, in_c_, out_c_});
    detail::winograd_weights(weight_.effective().data(), out_c_, in_c_, wino_u_.data());
    wino_version_ = weight_.version();
  }
  prepare_winograd(all.batch);
  // V is kept whole (chunk after chunk) for the weight gradient; M is one chunk's per thread.
  wino_v_.resize({36, all.tiles(), in_c_});
  const std::int64_t in_image = in_c_ * all.h * all.w, out_image = out_c_ * all.out_h() * all.out_w();
  const float* bias = has_bias_ ? bias_.effective().data() : zero_bias_.data();
  for_chunks(all, omp_get_max_threads(), [&](int t, std::int64_t s0, const detail::WinogradDims& d, std::int64_t at) {
    float* v = wino_v_.data() + at;
    float* m = wino_m_.data() + t * wino_m_.dim(1);
    k.input(d, x.data() + s0 * in_image, v);
    wino_mm_[static_cast<std::size_t>(t)].run(36, d.tiles(), in_c_, out_c_, false, false, v, wino_u_.data(), m);
    k.output(d, m, bias, fused_, slope_, y.data() + s0 * out_image);
  });
}

void Conv2d::backward_winograd(const Tensor& x, const float* grad_out, Tensor* dx) {
  const detail::WinogradDims all = winograd_dims(x.dim(0));
  const auto& k = detail::winograd_kernels();
  prepare_winograd(all.batch);
  const int threads = omp_get_max_threads();
  const std::int64_t du_size = 36 * in_c_ * out_c_;
  wino_du_.resize({threads, du_size});  // each thread's sum over its chunks
  wino_du_.zero();
  if (dx) dx->resize(x.shape());
  const std::int64_t in_image = in_c_ * all.h * all.w, out_image = out_c_ * all.out_h() * all.out_w();
  for_chunks(all, threads, [&](int t, std::int64_t s0, const detail::WinogradDims& d, std::int64_t at) {
    detail::Matmul& mm = wino_mm_[static_cast<std::size_t>(t)];
    float* dm = wino_m_.data() + t * wino_m_.dim(1);  // the chunk's dM
    float* v = wino_v_.data() + at;
    k.output_grad(d, grad_out + s0 * out_image, dm);
    mm.add(36, in_c_, d.tiles(), out_c_, true, false, v, dm, wino_du_.data() + t * du_size);
    if (!dx) return;
    mm.run(36, d.tiles(), out_c_, in_c_, false, true, dm, wino_u_.data(), v);  // V is spent: dV in its place
    k.input_grad(d, v, dx->data() + s0 * in_image);
  });
  float* du = wino_du_.data();
  for (int t = 1; t < threads; ++t)  // in thread order: the same bytes for a thread count
    detail::add_into(du, du + t * du_size, static_cast<std::size_t>(du_size));
  detail::winograd_weights_grad(du, out_c_, in_c_, weight_.grad().data());
  if (has_bias_) detail::column_sums(grad_out, all.batch * all.out_h() * all.out_w(), out_c_, bias_.grad().data());
}

}  // namespace nac::nn
