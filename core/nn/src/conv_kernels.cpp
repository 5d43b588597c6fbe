// Direct convolutions with few taps (conv_kernels.hpp), compiled once per instruction set. Vectors
// run over NV (1 or 2) registers of output channels at a time; the tap count T is a template
// parameter (1 to 16), so the per-tap weights and sums stay in registers. Forward computes four output
// pixels at a time (sharing each weight vector); the weight gradient keeps the T x NV sums of a
// chunk of channels in registers over every pixel of its samples, in order.
#include "conv_kernels.hpp"

#include <array>
#include <utility>

#include "kernel_vectors.hpp"

namespace nac::nn::detail {

namespace NAC_KERNEL_NS {
namespace {

// The offset of each tap's input value from the pixel's first, in NHWC.
template <int T>
std::array<std::int64_t, T> tap_offsets(const SmallConvDims& d) {
  std::array<std::int64_t, T> off{};
  int t = 0;
  for (std::int64_t kh = 0; kh < d.k; ++kh)
    for (std::int64_t kw = 0; kw < d.k; ++kw)
      for (std::int64_t ci = 0; ci < d.c; ++ci) off[t++] = (kh * d.w + kw) * d.c + ci;
  return off;
}

// Two registers of channels when there are more channels than one holds and the T x 2 sums
// fit in registers, else one.
bool two_vectors(int taps, std::int64_t channels) { return taps <= 9 && channels > L; }

template <int T, int NV>
void forward_t(const SmallConvDims& d, const float* x, const float* wt, const float* bias, bool fused, float slope,
               float* y, std::int64_t b0, std::int64_t b1) {
  constexpr int P = 4;
  const auto off = tap_offsets<T>(d);
  const std::int64_t oh = d.out_h(), ow = d.out_w(), opad = d.opad();
  const V zero{}, sl = splat(slope);
  for (std::int64_t o0 = 0; o0 < d.o; o0 += NV * L) {
    V wv[T][NV], bv[NV];
    for (int t = 0; t < T; ++t)
      for (int v = 0; v < NV; ++v) wv[t][v] = o0 + v * L < opad ? load(wt + t * opad + o0 + v * L) : zero;
    for (int v = 0; v < NV; ++v) bv[v] = o0 + v * L < opad ? load(bias + o0 + v * L) : zero;
    for (std::int64_t b = b0; b < b1; ++b) {
      const float* xb = x + b * d.h * d.w * d.c;
      float* yb = y + b * oh * ow * d.o;
      for (std::int64_t r = 0; r < oh; ++r)
        for (std::int64_t q0 = 0; q0 < ow; q0 += P) {
          const std::int64_t np = ow - q0 < P ? ow - q0 : P;
          V acc[P][NV];
          for (int p = 0; p < P; ++p)
            for (int v = 0; v < NV; ++v) acc[p][v] = bv[v];
          const float* xp = xb + (r * d.w + q0) * d.c;
          for (int t = 0; t < T; ++t)
            for (int p = 0; p < P; ++p) {
              const float xv = p < np ? xp[p * d.c + off[t]] : 0.0f;
              for (int v = 0; v < NV; ++v) acc[p][v] += wv[t][v] * xv;
            }
          for (std::int64_t p = 0; p < np; ++p) {
            float* yp = yb + (r * ow + q0 + p) * d.o + o0;
            for (int v = 0; v < NV; ++v) {
              const std::int64_t lanes = d.o - (o0 + v * L);
              if (lanes <= 0) break;
              V a = acc[p][v];
              if (fused) a = vmax(a, zero) + sl * (a - vmax(a, zero));  // max(a, 0) + slope min(a, 0)
              store_part(yp + v * L, a, lanes);
            }
          }
        }
    }
  }
}

template <int T, int NV>
void weight_grad_t(const SmallConvDims& d, const float* x, const float* dy, const float* y, bool fused, float slope,
                   float* dwt, float* dbias, std::int64_t b0, std::int64_t b1) {
  const auto off = tap_offsets<T>(d);
  const std::int64_t oh = d.out_h(), ow = d.out_w(), opad = d.opad();
  for (std::int64_t o0 = 0; o0 < opad; o0 += NV * L) {
    V acc[T][NV] = {}, accb[NV] = {};
    std::int64_t lanes[NV];
    for (int v = 0; v < NV; ++v) lanes[v] = d.o - (o0 + v * L);
    for (std::int64_t b = b0; b < b1; ++b) {
      const float* xb = x + b * d.h * d.w * d.c;
      const float* gb = dy + b * oh * ow * d.o;
      const float* yb = fused ? y + b * oh * ow * d.o : nullptr;  // (y is null when not fused)
      for (std::int64_t r = 0; r < oh; ++r)
        for (std::int64_t q = 0; q < ow; ++q) {
          V g[NV];
          const std::int64_t at = (r * ow + q) * d.o + o0;
          for (int v = 0; v < NV; ++v) {
            g[v] = lanes[v] > 0 ? load_part(gb + at + v * L, lanes[v]) : V{};
            if (fused && lanes[v] > 0) {
              const V yv = load_part(yb + at + v * L, lanes[v]);
              g[v] = select(yv > V{}, g[v], g[v] * slope);
            }
          }
          const float* xp = xb + (r * d.w + q) * d.c;
          for (int t = 0; t < T; ++t) {
            const float xv = xp[off[t]];
            for (int v = 0; v < NV; ++v) acc[t][v] += g[v] * xv;
          }
          for (int v = 0; v < NV; ++v) accb[v] += g[v];
        }
    }
    for (int v = 0; v < NV; ++v) {
      if (o0 + v * L >= opad) break;
      for (int t = 0; t < T; ++t) store(dwt + t * opad + o0 + v * L, acc[t][v]);
      store(dbias + o0 + v * L, accb[v]);
    }
  }
}

template <int NV, std::size_t... I>
constexpr auto forward_table(std::index_sequence<I...>) {
  return std::array{&forward_t<static_cast<int>(I) + 1, NV>...};
}
template <int NV, std::size_t... I>
constexpr auto weight_grad_table(std::index_sequence<I...>) {
  return std::array{&weight_grad_t<static_cast<int>(I) + 1, NV>...};
}
constexpr auto kTaps = std::make_index_sequence<kSmallConvMaxTaps>();
constexpr std::array kForward{forward_table<1>(kTaps), forward_table<2>(kTaps)};
constexpr std::array kWeightGrad{weight_grad_table<1>(kTaps), weight_grad_table<2>(kTaps)};

}  // namespace

void small_conv_forward(const SmallConvDims& d, const float* x, const float* wt, const float* bias, bool fused,
                        float slope, float* y, std::int64_t b0, std::int64_t b1) {
  const int taps = static_cast<int>(d.taps());
  kForward[two_vectors(taps, d.o) ? 1 : 0][static_cast<std::size_t>(taps - 1)](d, x, wt, bias, fused, slope, y, b0, b1);
}

void small_conv_weight_grad(const SmallConvDims& d, const float* x, const float* dy, const float* y, bool fused,
                            float slope, float* dwt, float* dbias, std::int64_t b0, std::int64_t b1) {
  const int taps = static_cast<int>(d.taps());
  kWeightGrad[two_vectors(taps, d.o) ? 1 : 0][static_cast<std::size_t>(taps - 1)](d, x, dy, y, fused, slope, dwt, dbias,
                                                                                  b0, b1);
}

}  // namespace NAC_KERNEL_NS

}  // namespace nac::nn::detail
