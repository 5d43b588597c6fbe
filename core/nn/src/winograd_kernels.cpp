// Winograd F(4x4, 3x3)'s transforms (winograd_kernels.hpp), on vectors over the channels.
// Compiled once per instruction set with NAC_KERNEL_NS and NAC_KERNEL_LANES (core/CMakeLists.txt).
//
// The matrices (Lavin and Gray 2016; interpolation points 0, 1, -1, 2, -2 and infinity):
//   B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
//   G   = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1]
//   A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
// Each 2-D transform applies the 1-D one to the columns of a tile, then to its rows.
#include <cstring>

#include "kernel_vectors.hpp"
#include "winograd_kernels.hpp"

namespace nac::nn::detail {

namespace NAC_KERNEL_NS {
namespace {

// r = B^T a (6 -> 6).
inline void bt(const V* a, std::int64_t s, V* r, std::int64_t rs) {
  const V a0 = a[0], a1 = a[s], a2 = a[2 * s], a3 = a[3 * s], a4 = a[4 * s], a5 = a[5 * s];
  r[0] = 4.0f * a0 - 5.0f * a2 + a4;
  r[rs] = a3 + a4 - 4.0f * (a1 + a2);
  r[2 * rs] = 4.0f * (a1 - a2) + (a4 - a3);
  r[3 * rs] = 2.0f * (a3 - a1) + (a4 - a2);
  r[4 * rs] = 2.0f * (a1 - a3) + (a4 - a2);
  r[5 * rs] = 4.0f * a1 - 5.0f * a3 + a5;
}
// r = B a (6 -> 6), the adjoint of bt.
inline void b(const V* a, std::int64_t s, V* r, std::int64_t rs) {
  const V a0 = a[0], a1 = a[s], a2 = a[2 * s], a3 = a[3 * s], a4 = a[4 * s], a5 = a[5 * s];
  r[0] = 4.0f * a0;
  r[rs] = 4.0f * (a2 - a1 + a5) + 2.0f * (a4 - a3);
  r[2 * rs] = -5.0f * a0 - 4.0f * (a1 + a2) - (a3 + a4);
  r[3 * rs] = (a1 - a2) + 2.0f * (a3 - a4) - 5.0f * a5;
  r[4 * rs] = a0 + a1 + a2 + a3 + a4;
  r[5 * rs] = a5;
}
// r = A^T a (6 -> 4).
inline void at(const V* a, std::int64_t s, V* r, std::int64_t rs) {
  const V a0 = a[0], a1 = a[s], a2 = a[2 * s], a3 = a[3 * s], a4 = a[4 * s], a5 = a[5 * s];
  const V p12 = a1 + a2, m12 = a1 - a2, p34 = a3 + a4, m34 = a3 - a4;
  r[0] = a0 + p12 + p34;
  r[rs] = m12 + 2.0f * m34;
  r[2 * rs] = p12 + 4.0f * p34;
  r[3 * rs] = m12 + 8.0f * m34 + a5;
}
// r = A a (4 -> 6), the adjoint of at.
inline void a_(const V* a, std::int64_t s, V* r, std::int64_t rs) {
  const V a0 = a[0], a1 = a[s], a2 = a[2 * s], a3 = a[3 * s];
  const V p02 = a0 + a2, p13 = a1 + a3;
  r[0] = a0;
  r[rs] = p02 + p13;
  r[2 * rs] = p02 - p13;
  r[3 * rs] = (a0 + 4.0f * a2) + 2.0f * (a1 + 4.0f * a3);
  r[4 * rs] = (a0 + 4.0f * a2) - 2.0f * (a1 + 4.0f * a3);
  r[5 * rs] = a3;
}

// Calls f(sample, tr, tc, t) for every tile of the samples.
template <class F>
void for_tiles(const WinogradDims& d, F f) {
  const std::int64_t th = d.tiles_h(), tw = d.tiles_w();
  for (std::int64_t bb = 0; bb < d.batch; ++bb)
    for (std::int64_t tr = 0; tr < th; ++tr)
      for (std::int64_t tc = 0; tc < tw; ++tc) f(bb, tr, tc, (bb * th + tr) * tw + tc);
}

}  // namespace

namespace {

// One tile's V for channels [ch, ch + n): the columns' transforms into tmp, then the rows'.
// Inside, the tile lies in the image (no bounds to check) and n >= L (whole vectors).
template <bool Inside>
inline void input_tile(const WinogradDims& d, const float* x, std::int64_t bb, std::int64_t r0, std::int64_t c0,
                       std::int64_t ch, std::int64_t n, float* dst, std::int64_t plane) {
  V tmp[36];
  for (int j = 0; j < 6; ++j) {
    V col[6];
    const std::int64_t cc = c0 + j;
    for (int i = 0; i < 6; ++i) {
      const std::int64_t row = r0 + i;
      const float* src = x + ((bb * d.h + row) * d.w + cc) * d.c + ch;
      if constexpr (Inside) col[i] = load(src);
      else col[i] = row >= 0 && row < d.h && cc >= 0 && cc < d.w ? load_part(src, n) : V{};
    }
    bt(col, 1, tmp + j, 6);
  }
  for (int i = 0; i < 6; ++i) {
    V out[6];
    bt(tmp + i * 6, 1, out, 1);
    for (int j = 0; j < 6; ++j) {
      if constexpr (Inside) store(dst + (i * 6 + j) * plane, out[j]);
      else store_part(dst + (i * 6 + j) * plane, out[j], n);
    }
  }
}

}  // namespace

void winograd_input(const WinogradDims& d, const float* x, float* v) {
  const std::int64_t plane = d.tiles() * d.c;
  for_tiles(d, [&](std::int64_t bb, std::int64_t tr, std::int64_t tc, std::int64_t t) {
    const std::int64_t r0 = 4 * tr - d.pad, c0 = 4 * tc - d.pad;
    const bool inside = r0 >= 0 && c0 >= 0 && r0 + 6 <= d.h && c0 + 6 <= d.w;
    for (std::int64_t ch = 0; ch < d.c; ch += L) {
      const std::int64_t n = d.c - ch;
      if (inside && n >= L) input_tile<true>(d, x, bb, r0, c0, ch, n, v + t * d.c + ch, plane);
      else input_tile<false>(d, x, bb, r0, c0, ch, n, v + t * d.c + ch, plane);
    }
  });
}

void winograd_output(const WinogradDims& d, const float* m, const float* bias, bool fused, float slope, float* y) {
  const std::int64_t plane = d.tiles() * d.o, oh = d.out_h(), ow = d.out_w();
  const V zero{}, sl = splat(slope);
  for_tiles(d, [&](std::int64_t bb, std::int64_t tr, std::int64_t tc, std::int64_t t) {
    for (std::int64_t ch = 0; ch < d.o; ch += L) {
      const std::int64_t n = d.o - ch;
      const float* src = m + t * d.o + ch;
      V in[36], tmp[24], out[16];
      for (int p = 0; p < 36; ++p) in[p] = load_part(src + p * plane, n);
      for (int j = 0; j < 6; ++j) at(in + j, 6, tmp + j, 6);           // columns: (4, 6)
      for (int i = 0; i < 4; ++i) at(tmp + i * 6, 1, out + i * 4, 1);  // rows: (4, 4)
      const V bv = load_part(bias + ch, n);
      for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j) {
          const std::int64_t row = 4 * tr + i, col = 4 * tc + j;
          if (row >= oh || col >= ow) continue;
          V a = out[i * 4 + j] + bv;
          if (fused) a = vmax(a, zero) + sl * (a - vmax(a, zero));  // max(a, 0) + slope min(a, 0)
          store_part(y + ((bb * oh + row) * ow + col) * d.o + ch, a, n);
        }
    }
  });
}

void winograd_output_grad(const WinogradDims& d, const float* dy, float* dm) {
  const std::int64_t plane = d.tiles() * d.o, oh = d.out_h(), ow = d.out_w();
  for_tiles(d, [&](std::int64_t bb, std::int64_t tr, std::int64_t tc, std::int64_t t) {
    for (std::int64_t ch = 0; ch < d.o; ch += L) {
      const std::int64_t n = d.o - ch;
      V in[16], tmp[24], out[36];
      for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j) {
          const std::int64_t row = 4 * tr + i, col = 4 * tc + j;
          in[i * 4 + j] = row < oh && col < ow ? load_part(dy + ((bb * oh + row) * ow + col) * d.o + ch, n) : V{};
        }
      for (int j = 0; j < 4; ++j) a_(in + j, 4, tmp + j, 4);           // columns: (6, 4)
      for (int i = 0; i < 6; ++i) a_(tmp + i * 4, 1, out + i * 6, 1);  // rows: (6, 6)
      float* dst = dm + t * d.o + ch;
      for (int p = 0; p < 36; ++p) store_part(dst + p * plane, out[p], n);
    }
  });
}

void winograd_input_grad(const WinogradDims& d, const float* dv, float* dx) {
  const std::int64_t plane = d.tiles() * d.c, image = d.h * d.w * d.c;
  std::memset(dx, 0, static_cast<std::size_t>(d.batch * image) * sizeof(float));
  for_tiles(d, [&](std::int64_t bb, std::int64_t tr, std::int64_t tc, std::int64_t t) {
    const std::int64_t r0 = 4 * tr - d.pad, c0 = 4 * tc - d.pad;
    for (std::int64_t ch = 0; ch < d.c; ch += L) {
      const std::int64_t n = d.c - ch;
      const float* src = dv + t * d.c + ch;
      V in[36], tmp[36], out[36];
      for (int p = 0; p < 36; ++p) in[p] = load_part(src + p * plane, n);
      for (int j = 0; j < 6; ++j) b(in + j, 6, tmp + j, 6);           // columns
      for (int i = 0; i < 6; ++i) b(tmp + i * 6, 1, out + i * 6, 1);  // rows
      for (int i = 0; i < 6; ++i)
        for (int j = 0; j < 6; ++j) {
          const std::int64_t row = r0 + i, col = c0 + j;
          if (row < 0 || row >= d.h || col < 0 || col >= d.w) continue;
          float* at_x = dx + ((bb * d.h + row) * d.w + col) * d.c + ch;
          store_part(at_x, load_part(at_x, n) + out[i * 6 + j], n);
        }
    }
  });
}

}  // namespace NAC_KERNEL_NS

}  // namespace nac::nn::detail
