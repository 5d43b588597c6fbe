#pragma once
// Internal: batched matrix products on oneDNN, C[b] = op(A[b]) * op(B[b]) (+ bias), for
// row-major matrices, with the transposes expressed as strides (no copies). One primitive per
// shape, made on first use and cached.
#include <map>
#include <tuple>

#include "dnnl_util.hpp"

namespace nac::nn::detail {

/// out[j] = the sum over the rows i of m[i * cols + j] (m row-major, (rows, cols)), in row order:
/// a bias's gradient from its layer's output gradient.
inline void column_sums(const float* m, std::int64_t rows, std::int64_t cols, float* out) {
  for (std::int64_t j = 0; j < cols; ++j) out[j] = 0;
  for (std::int64_t i = 0; i < rows; ++i)
    for (std::int64_t j = 0; j < cols; ++j) out[j] += m[i * cols + j];
}

class Matmul {
 public:
  /// A is (batch, M, K), or stored (batch, K, M) when trans_a; B is (batch, K, N), or stored
  /// (batch, N, K) when trans_b; C is (batch, M, N). bias (N values) is added to every row when
  /// given (make the call with the same has-bias choice for a given shape).
  void run(std::int64_t batch, std::int64_t m, std::int64_t k, std::int64_t n, bool trans_a, bool trans_b,
           const float* a, const float* b, float* c, const float* bias = nullptr) {
    run(batch, m, k, n, trans_a, trans_b, a, trans_a ? m : k, b, trans_b ? k : n, c, n, bias);
  }
  /// The same with row strides (leading dimensions) of the stored matrices: lda, ldb, ldc >= the
  /// stored row length; a batch's matrices follow each other at rows * ld (views of wider rows).
  void run(std::int64_t batch, std::int64_t m, std::int64_t k, std::int64_t n, bool trans_a, bool trans_b,
           const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float* c, std::int64_t ldc,
           const float* bias = nullptr) {
    product(batch, m, k, n, trans_a, trans_b, a, lda, b, ldb, c, ldc, bias, false);
  }
  /// C[b] += op(A[b]) * op(B[b]), the shapes as for run (oneDNN's sum post-op).
  void add(std::int64_t batch, std::int64_t m, std::int64_t k, std::int64_t n, bool trans_a, bool trans_b,
           const float* a, const float* b, float* c) {
    product(batch, m, k, n, trans_a, trans_b, a, trans_a ? m : k, b, trans_b ? k : n, c, n, nullptr, true);
  }

 private:
  void product(std::int64_t batch, std::int64_t m, std::int64_t k, std::int64_t n, bool trans_a, bool trans_b,
               const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float* c, std::int64_t ldc,
               const float* bias, bool accumulate);
  struct Entry {
    dnnl::matmul prim;
    dnnl::memory a, b, c, bias;
  };
  using Key = std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t, bool, bool, bool, std::int64_t,
                         std::int64_t, std::int64_t, bool>;
  std::map<Key, Entry> cache_;
};

}  // namespace nac::nn::detail
