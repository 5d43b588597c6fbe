// The attention block's batched products and softmax, fused per sample. Compiled once per
// instruction set with NAC_KERNEL_NS set to avx512, avx2 or generic and NAC_KERNEL_LANES to the
// floats of one register (16, 8, 4; core/CMakeLists.txt).
//
// The softmax runs over j (the keys) for each query row i. Keeping L query rows in the lanes of
// a vector makes the scores' block S^T[j] (one vector per key j) come out of broadcast
// multiply-adds, and the softmax over j elementwise across those vectors: no horizontal maxima
// or sums. Per block of L rows:
//   forward:  S^T[j] = sum_k phi[j][k] theta^T[k]; A^T = softmax; y^T[k] = sum_j g[j][k] A^T[j]
//   backward: dA^T[j] = sum_k g[j][k] dy^T[k]; dS^T = s A^T (dA^T - sum_j dA^T A^T);
//             dtheta^T[k] = sum_j phi[j][k] dS^T[j]
// and, over the whole sample, dg = A^T dy and dphi = dS^T theta (sums over the rows i: across
// lanes when h is small, else on vectors over k).
// Every sum runs in one fixed order, so a sample's result does not depend on the thread count.
#include <cstring>
#if NAC_KERNEL_LANES == 16
#include <immintrin.h>
#endif

#include "attention_kernels.hpp"
#include "kernel_vectors.hpp"
#include "nac/fast_math.hpp"

namespace nac::nn::detail {

namespace NAC_KERNEL_NS {
namespace {

// The lane sums of L vectors: out[m] = sum of the lanes of v[m]. With 16 lanes, by four rounds
// of pairwise shuffles and adds (45 instructions for 16 sums).
#if NAC_KERNEL_LANES == 16
inline void lane_sums(const V* v, float* out) {
  V u[8], w[4], x[2];
  for (int p = 0; p < 8; ++p)  // lanes 0-7: v[2p]'s half sums, 8-15: v[2p+1]'s
    u[p] =
        __builtin_shufflevector(v[2 * p], v[2 * p + 1], 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23) +
        __builtin_shufflevector(v[2 * p], v[2 * p + 1], 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
  for (int q = 0; q < 4; ++q)  // quarters: v[4q], v[4q+2], v[4q+1], v[4q+3]
    w[q] = __builtin_shufflevector(u[2 * q], u[2 * q + 1], 0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27) +
           __builtin_shufflevector(u[2 * q], u[2 * q + 1], 4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31);
  for (int r = 0; r < 2; ++r)  // pairs: v[8r + 0, 4, 2, 6, 1, 5, 3, 7]
    x[r] = __builtin_shufflevector(w[2 * r], w[2 * r + 1], 0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29) +
           __builtin_shufflevector(w[2 * r], w[2 * r + 1], 2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31);
  const V y = __builtin_shufflevector(x[0], x[1], 0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30) +
              __builtin_shufflevector(x[0], x[1], 1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31);
  constexpr int order[8] = {0, 4, 2, 6, 1, 5, 3, 7};
  for (int m = 0; m < 8; ++m) {
    out[order[m]] = y[2 * m];
    out[8 + order[m]] = y[2 * m + 1];
  }
}
#else
inline void lane_sums(const V* v, float* out) {
  for (int m = 0; m < L; ++m) {
    V t = v[m];
    for (int half = L / 2; half >= 1; half /= 2)
      for (int l = 0; l < half; ++l) t[l] += t[l + half];
    out[m] = t[0];
  }
}
#endif

// e^x on the lanes, as nac::fast_exp: x = k ln2 + r, |r| <= ln2/2, degree-6 Taylor for e^r,
// times 2^k (on AVX-512 by one scalef instruction; elsewhere through the exponent bits).
inline V vexp(V x) {
  x = vmax(x, splat(-87.0f));
#if NAC_KERNEL_LANES == 16
  // (The masked forms, all lanes on: GCC 12 warns about the unmasked ones' undefined source.)
  const __m512 t = reinterpret_cast<__m512>(x * 1.44269504088896341f);
  const V k = reinterpret_cast<V>(_mm512_mask_roundscale_ps(t, 0xffff, t, _MM_FROUND_TO_NEAREST_INT));
#else
  const V shift = splat(12582912.0f);  // 1.5 * 2^23: adding and subtracting it rounds to an integer
  const V k = (x * 1.44269504088896341f + shift) - shift;
#endif
  const V p = nac::detail::exp_taylor6(nac::detail::exp_reduce(x, k));
#if NAC_KERNEL_LANES == 16
  const __m512 pp = reinterpret_cast<__m512>(p);
  return reinterpret_cast<V>(_mm512_mask_scalef_ps(pp, 0xffff, pp, reinterpret_cast<__m512>(k)));
#else
  const Vi e = (__builtin_convertvector(k, Vi) + 127) << 23;
  return p * reinterpret_cast<V>(e);
#endif
}

struct Layout {
  std::int64_t n, h, ld, np, hpad, nb;
  explicit Layout(const AttentionDims& d)
      : n(d.n), h(d.h), ld(3 * d.h), np((d.n + L - 1) / L * L), hpad((d.h + L - 1) / L * L), nb(np / L) {}
};

// dst[k * np + i] = src[i * ld + k] for i < n, 0 for n <= i < np.
void transpose_in(const float* src, std::int64_t ld, const Layout& s, float* dst) {
  for (std::int64_t i = 0; i < s.n; ++i)
    for (std::int64_t k = 0; k < s.h; ++k) dst[k * s.np + i] = src[i * ld + k];
  for (std::int64_t k = 0; k < s.h; ++k)
    for (std::int64_t i = s.n; i < s.np; ++i) dst[k * s.np + i] = 0;
}

// dst[i * hpad + k] = src[i * ld + k], zero in the padding columns.
void pad_rows(const float* src, std::int64_t ld, const Layout& s, float* dst) {
  for (std::int64_t i = 0; i < s.n; ++i) {
    float* row = dst + i * s.hpad;
    for (std::int64_t k = 0; k < s.h; ++k) row[k] = src[i * ld + k];
    for (std::int64_t k = s.h; k < s.hpad; ++k) row[k] = 0;
  }
}

// acc[k] (a vector over the block's rows) -> out[(i0 + l) * ld + k] for the rows below n.
void store_rows(const float* acc, const Layout& s, std::int64_t i0, float* out, std::int64_t ld) {
  const std::int64_t rows = s.n - i0 < L ? s.n - i0 : L;
  for (std::int64_t l = 0; l < rows; ++l)
    for (std::int64_t k = 0; k < s.h; ++k) out[(i0 + l) * ld + k] = acc[k * L + l];
}

// Sums in flight at once: enough independent multiply-adds to keep both FMA units busy (their
// latency is 4 cycles) within the registers of the target (32 with AVX-512, 16 otherwise).
constexpr int kGroup = L == 16 ? 8 : 4;

// Q coefficients (k .. k+Q-1) of NB blocks: a[bb][q] = sum_j coef[j * ld + k + q] * vecs(bb, j).
template <int NB, int Q>
void broadcast_group(const float* coef, std::int64_t ld, std::int64_t k, const float* vecs, std::int64_t vblock,
                     std::int64_t vstride, const Layout& s, float* out, std::int64_t ostride) {
  V a[NB][Q] = {};
  for (std::int64_t j = 0; j < s.n; ++j) {
    const float* c = coef + j * ld + k;
    for (int bb = 0; bb < NB; ++bb) {
      const V v = load(vecs + bb * vblock + j * vstride);
      for (int q = 0; q < Q; ++q) a[bb][q] += v * c[q];
    }
  }
  for (int bb = 0; bb < NB; ++bb)
    for (int q = 0; q < Q; ++q) store(out + bb * ostride + (k + q) * L, a[bb][q]);
}

// For NB blocks of rows at once (bb < NB): out[bb * ostride + k * L] = sum_j coef[j * ld + k] *
// vecs[bb * vblock + j * vstride], for k < h. kGroup, then four k at a time (for the last ones,
// four interleaved runs of j), so that the multiply-adds do not wait for each other; the blocks
// share the broadcast coefficients.
template <int NB>
void broadcast_sums(const float* coef, std::int64_t ld, const float* vecs, std::int64_t vblock, std::int64_t vstride,
                    const Layout& s, float* out, std::int64_t ostride) {
  std::int64_t k = 0;
  for (; k + kGroup <= s.h; k += kGroup)
    broadcast_group<NB, kGroup>(coef, ld, k, vecs, vblock, vstride, s, out, ostride);
  for (; k + 4 <= s.h; k += 4) broadcast_group<NB, 4>(coef, ld, k, vecs, vblock, vstride, s, out, ostride);
  for (; k < s.h; ++k)
    for (int bb = 0; bb < NB; ++bb) {
      const float* v = vecs + bb * vblock;
      V a0{}, a1{}, a2{}, a3{};
      std::int64_t j = 0;
      for (; j + 4 <= s.n; j += 4) {
        a0 += load(v + j * vstride) * coef[j * ld + k];
        a1 += load(v + (j + 1) * vstride) * coef[(j + 1) * ld + k];
        a2 += load(v + (j + 2) * vstride) * coef[(j + 2) * ld + k];
        a3 += load(v + (j + 3) * vstride) * coef[(j + 3) * ld + k];
      }
      for (; j < s.n; ++j) a0 += load(v + j * vstride) * coef[j * ld + k];
      store(out + bb * ostride + k * L, (a0 + a1) + (a2 + a3));
    }
}

// Q rows (j .. j+Q-1) of NB blocks: w(bb, j + q) = sum_k rows[(j + q) * ld + k] colsT(k, bb);
// m[bb] takes their maximum.
template <int NB, int Q>
void row_group(const float* rows, std::int64_t ld, std::int64_t j, const float* colsT, std::int64_t i0, const Layout& s,
               float* w, std::int64_t wstride, V* m) {
  V a[NB][Q] = {};
  const float* r = rows + j * ld;
  for (std::int64_t k = 0; k < s.h; ++k) {
    float c[Q];
    for (int q = 0; q < Q; ++q) c[q] = r[q * ld + k];
    for (int bb = 0; bb < NB; ++bb) {
      const V t = load(colsT + k * s.np + i0 + bb * L);
      for (int q = 0; q < Q; ++q) a[bb][q] += t * c[q];
    }
  }
  for (int bb = 0; bb < NB; ++bb)
    for (int q = 0; q < Q; ++q) {
      store(w + bb * wstride + (j + q) * L, a[bb][q]);
      m[bb] = vmax(m[bb], a[bb][q]);
    }
}

// For NB blocks of rows from i0 at once: w[bb * wstride + j * L] = sum_k rows[j * ld + k] *
// colsT[k * np + i0 + bb * L ..], for every j < n; kGroup or four j at a time, sharing each
// loaded column. mx (if given) receives each block's maximum over j.
template <int NB>
void row_dots(const float* rows, std::int64_t ld, const float* colsT, std::int64_t i0, const Layout& s, float* w,
              std::int64_t wstride, V* mx = nullptr) {
  V m[NB];
  for (int bb = 0; bb < NB; ++bb) m[bb] = splat(-3.0e38f);
  std::int64_t j = 0;
  for (; j + kGroup <= s.n; j += kGroup) row_group<NB, kGroup>(rows, ld, j, colsT, i0, s, w, wstride, m);
  for (; j + 4 <= s.n; j += 4) row_group<NB, 4>(rows, ld, j, colsT, i0, s, w, wstride, m);
  for (; j < s.n; ++j)
    for (int bb = 0; bb < NB; ++bb) {
      V a{};
      for (std::int64_t k = 0; k < s.h; ++k) a += load(colsT + k * s.np + i0 + bb * L) * rows[j * ld + k];
      store(w + bb * wstride + j * L, a);
      m[bb] = vmax(m[bb], a);
    }
  if (mx)
    for (int bb = 0; bb < NB; ++bb) mx[bb] = m[bb];
}

// out[j * ld + k] = sum_i left(i, j) * right[i][k]: a product summed over the rows i, with left
// stored by blocks of L rows, (nb, n, L). Up to 8 hidden channels: vectors over i, summed
// across their lanes at the end (rightT is (h, np)); more: vectors over k (rightP is (n, hpad)),
// four j at a time.
void sum_over_rows(const float* left, const float* rightT, const float* rightP, const Layout& s, float* out,
                   std::int64_t ld) {
  if (s.h <= 8) {
    V acc[L];
    float sums[L];
    for (std::int64_t k = 0; k < s.h; ++k)
      for (std::int64_t j0 = 0; j0 < s.n; j0 += L) {
        // L independent sums (one per j), each over the blocks b in order.
        const std::int64_t jn = s.n - j0 < L ? s.n - j0 : L;
        for (int m = 0; m < L; ++m) acc[m] = V{};
        for (std::int64_t b = 0; b < s.nb; ++b) {
          const V r = load(rightT + k * s.np + b * L);
          const float* lb = left + (b * s.n + j0) * L;
          if (jn == L)
            for (int m = 0; m < L; ++m) acc[m] += load(lb + m * L) * r;
          else
            for (std::int64_t m = 0; m < jn; ++m) acc[m] += load(lb + m * L) * r;
        }
        lane_sums(acc, sums);
        for (std::int64_t m = 0; m < jn; ++m) out[(j0 + m) * ld + k] = sums[m];
      }
    return;
  }
  std::int64_t done = 0;  // the j the previous k0's pass did for this k0 too
  for (std::int64_t k0 = 0; k0 < s.hpad; k0 += L) {
    const std::int64_t kn = s.h - k0 < L ? s.h - k0 : L;
    std::int64_t j = done;
    done = 0;
    if (j == 0 && k0 + L < s.hpad) {  // two vectors of k at once: eight sums in flight sharing each broadcast
      const std::int64_t kn2 = s.h - k0 - L < L ? s.h - k0 - L : L;
      for (; j + 4 <= s.n; j += 4) {
        V a[4] = {}, b[4] = {};
        for (std::int64_t i = 0; i < s.n; ++i) {
          const V r = load(rightP + i * s.hpad + k0), r2 = load(rightP + i * s.hpad + k0 + L);
          const float* l0 = left + ((i / L) * s.n + j) * L + i % L;
          for (int q = 0; q < 4; ++q) {
            a[q] += r * l0[q * L];
            b[q] += r2 * l0[q * L];
          }
        }
        for (int q = 0; q < 4; ++q) {
          for (std::int64_t l = 0; l < kn; ++l) out[(j + q) * ld + k0 + l] = a[q][l];
          for (std::int64_t l = 0; l < kn2; ++l) out[(j + q) * ld + k0 + L + l] = b[q][l];
        }
      }
      done = j;
    }
    for (; j + 4 <= s.n; j += 4) {
      V a0{}, a1{}, a2{}, a3{};
      for (std::int64_t i = 0; i < s.n; ++i) {
        const V r = load(rightP + i * s.hpad + k0);
        const float* l0 = left + ((i / L) * s.n + j) * L + i % L;
        a0 += r * l0[0];
        a1 += r * l0[L];
        a2 += r * l0[2 * L];
        a3 += r * l0[3 * L];
      }
      for (std::int64_t l = 0; l < kn; ++l) {
        out[j * ld + k0 + l] = a0[l];
        out[(j + 1) * ld + k0 + l] = a1[l];
        out[(j + 2) * ld + k0 + l] = a2[l];
        out[(j + 3) * ld + k0 + l] = a3[l];
      }
    }
    for (; j < s.n; ++j) {
      V a0{}, a1{};
      std::int64_t i = 0;
      const auto at = [&](std::int64_t r) { return left[((r / L) * s.n + j) * L + r % L]; };
      for (; i + 2 <= s.n; i += 2) {
        a0 += load(rightP + i * s.hpad + k0) * at(i);
        a1 += load(rightP + (i + 1) * s.hpad + k0) * at(i + 1);
      }
      for (; i < s.n; ++i) a0 += load(rightP + i * s.hpad + k0) * at(i);
      const V a = a0 + a1;
      for (std::int64_t l = 0; l < kn; ++l) out[j * ld + k0 + l] = a[l];
    }
  }
}

// The block's softmax weights A^T (w[j] for j < n, vectors over the block's rows) from the
// scores in w and their maximum mx: the exponentials, normalised when asked; returns 1 / sum.
V softmax_block(float* w, const Layout& s, V scale, V mx, bool normalize) {
  V sum{};
  for (std::int64_t j = 0; j < s.n; ++j) {
    const V e = vexp(scale * (load(w + j * L) - mx));
    store(w + j * L, e);
    sum += e;
  }
  const V inv = 1.0f / sum;
  if (normalize)
    for (std::int64_t j = 0; j < s.n; ++j) store(w + j * L, load(w + j * L) * inv);
  return inv;
}
}  // namespace

namespace {

// Forward for NB blocks of rows from block b0.
template <int NB>
void forward_blocks(const Layout& s, std::int64_t b0, const float* qkv, V scale, float* thT, float* w, float* acc,
                    float* y) {
  const std::int64_t i0 = b0 * L;
  V mx[NB], inv[NB];
  row_dots<NB>(qkv + s.h, s.ld, thT, i0, s, w, s.n * L, mx);  // S^T = (theta phi^T)^T
  for (int bb = 0; bb < NB; ++bb) inv[bb] = softmax_block(w + bb * s.n * L, s, scale, mx[bb], false);
  broadcast_sums<NB>(qkv + 2 * s.h, s.ld, w, s.n * L, L, s, acc, s.h * L);  // (E g)^T, E = exp(...)
  for (int bb = 0; bb < NB; ++bb) {
    float* ab = acc + bb * s.h * L;
    for (std::int64_t k = 0; k < s.h; ++k) store(ab + k * L, load(ab + k * L) * inv[bb]);  // (A g)^T
    store_rows(ab, s, i0 + bb * L, y, s.h);
  }
}

// Backward for NB blocks of rows from block b0: A^T again (cheaper than a round trip through
// memory), dA^T, dS^T into their blocks of atS and dsT, and dtheta's rows.
template <int NB>
void backward_blocks(const Layout& s, std::int64_t b0, const float* qkv, V scale, const float* thT, const float* dyT,
                     float* w, float* atS, float* dsT, float* acc, float* dqkv) {
  const std::int64_t i0 = b0 * L, blk = s.n * L;
  float* a = atS + b0 * blk;
  float* ds = dsT + b0 * blk;
  V mx[NB];
  row_dots<NB>(qkv + s.h, s.ld, thT, i0, s, a, blk, mx);
  for (int bb = 0; bb < NB; ++bb) softmax_block(a + bb * blk, s, scale, mx[bb], true);
  row_dots<NB>(qkv + 2 * s.h, s.ld, dyT, i0, s, w, blk);  // dA^T
  for (int bb = 0; bb < NB; ++bb) {
    const float* ab = a + bb * blk;
    const float* wb = w + bb * blk;
    V d0{}, d1{};
    std::int64_t j = 0;
    for (; j + 2 <= s.n; j += 2) {
      d0 += load(wb + j * L) * load(ab + j * L);
      d1 += load(wb + (j + 1) * L) * load(ab + (j + 1) * L);
    }
    for (; j < s.n; ++j) d0 += load(wb + j * L) * load(ab + j * L);
    const V dot = d0 + d1;
    for (j = 0; j < s.n; ++j) store(ds + bb * blk + j * L, scale * load(ab + j * L) * (load(wb + j * L) - dot));
  }
  broadcast_sums<NB>(qkv + s.h, s.ld, ds, blk, L, s, acc, s.h * L);  // dtheta^T
  for (int bb = 0; bb < NB; ++bb) store_rows(acc + bb * s.h * L, s, i0 + bb * L, dqkv, s.ld);
}

}  // namespace

// Scratch: thT (h, np), w (2 blocks of (n, L)), acc (2 blocks of (h, L)).
void attention_forward(const AttentionDims& d, const float* qkv, float* y, float* scratch) {
  const Layout s(d);
  float* thT = scratch;
  float* w = thT + s.h * s.np;
  float* acc = w + 2 * s.n * L;
  transpose_in(qkv, s.ld, s, thT);
  std::int64_t b = 0;
  for (; b + 2 <= s.nb; b += 2) forward_blocks<2>(s, b, qkv, splat(d.scale), thT, w, acc, y);
  if (b < s.nb) forward_blocks<1>(s, b, qkv, splat(d.scale), thT, w, acc, y);
}

// Scratch: thT and dyT (h, np); w (2 blocks of (n, L)); atS and dsT (nb, n, L): A^T and dS^T by
// blocks of rows; acc (2 blocks of (h, L)); thP and dyP (n, hpad).
void attention_backward(const AttentionDims& d, const float* qkv, const float* dy, float* dqkv, float* scratch) {
  const Layout s(d);
  float* thT = scratch;
  float* dyT = thT + s.h * s.np;
  float* w = dyT + s.h * s.np;
  float* atS = w + 2 * s.n * L;
  float* dsT = atS + s.n * s.np;
  float* acc = dsT + s.n * s.np;
  float* thP = acc + 2 * s.h * L;
  float* dyP = thP + s.n * s.hpad;
  transpose_in(qkv, s.ld, s, thT);
  transpose_in(dy, s.h, s, dyT);
  std::int64_t b = 0;
  for (; b + 2 <= s.nb; b += 2) backward_blocks<2>(s, b, qkv, splat(d.scale), thT, dyT, w, atS, dsT, acc, dqkv);
  if (b < s.nb) backward_blocks<1>(s, b, qkv, splat(d.scale), thT, dyT, w, atS, dsT, acc, dqkv);
  if (s.h > 8) {
    pad_rows(qkv, s.ld, s, thP);
    pad_rows(dy, s.h, s, dyP);
  }
  sum_over_rows(atS, dyT, dyP, s, dqkv + 2 * s.h, s.ld);  // dg = A^T dy
  sum_over_rows(dsT, thT, thP, s, dqkv + s.h, s.ld);      // dphi = dS^T theta
}

}  // namespace NAC_KERNEL_NS

}  // namespace nac::nn::detail
