#include "matmul.hpp"

#include "nac/nn/profile.hpp"

namespace nac::nn::detail {

using dnnl::memory;

void Matmul::product(std::int64_t batch, std::int64_t m, std::int64_t k, std::int64_t n, bool trans_a, bool trans_b,
                     const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float* c, std::int64_t ldc,
                     const float* bias, bool accumulate) {
  const Key key{batch, m, k, n, trans_a, trans_b, bias != nullptr, lda, ldb, ldc, accumulate};
  auto it = cache_.find(key);
  if (it == cache_.end()) {
    const PhaseTimer timer("in layers: primitive creation");
    const auto f32 = memory::data_type::f32;
    // Row-major (M, K) with row stride lda has strides (M lda, lda, 1); its transpose, stored as
    // (K, M) rows, has strides (K lda, 1, lda).
    memory::desc a_d({batch, m, k}, f32, trans_a ? memory::dims{k * lda, 1, lda} : memory::dims{m * lda, lda, 1});
    memory::desc b_d({batch, k, n}, f32, trans_b ? memory::dims{n * ldb, 1, ldb} : memory::dims{k * ldb, ldb, 1});
    memory::desc c_d({batch, m, n}, f32, memory::dims{m * ldc, ldc, 1});
    memory::desc bias_d({1, 1, n}, f32, memory::dims{n, n, 1});
    Entry e;
    dnnl::primitive_attr attr;
    if (accumulate) {
      dnnl::post_ops ops;
      ops.append_sum(1.0f);
      attr.set_post_ops(ops);
    }
    const auto pd = bias ? dnnl::matmul::primitive_desc(dnnl::matmul::desc(a_d, b_d, bias_d, c_d), attr, cpu_engine())
                         : dnnl::matmul::primitive_desc(dnnl::matmul::desc(a_d, b_d, c_d), attr, cpu_engine());
    e.prim = dnnl::matmul(pd);
    e.a = memory(a_d, cpu_engine(), DNNL_MEMORY_NONE);
    e.b = memory(b_d, cpu_engine(), DNNL_MEMORY_NONE);
    e.c = memory(c_d, cpu_engine(), DNNL_MEMORY_NONE);
    e.bias = memory(bias_d, cpu_engine(), DNNL_MEMORY_NONE);
    it = cache_.emplace(key, std::move(e)).first;
  }
  Entry& e = it->second;
  e.a.set_data_handle(const_cast<float*>(a));
  e.b.set_data_handle(const_cast<float*>(b));
  e.c.set_data_handle(c);
  auto& s = cpu_stream();
  if (bias) {
    e.bias.set_data_handle(const_cast<float*>(bias));
    e.prim.execute(s, {{DNNL_ARG_SRC, e.a}, {DNNL_ARG_WEIGHTS, e.b}, {DNNL_ARG_BIAS, e.bias}, {DNNL_ARG_DST, e.c}});
  } else {
    e.prim.execute(s, {{DNNL_ARG_SRC, e.a}, {DNNL_ARG_WEIGHTS, e.b}, {DNNL_ARG_DST, e.c}});
  }
  s.wait();
}

}  // namespace nac::nn::detail
