// Does a sparse kernel pay for a pruned layer? The engine runs a pruned layer as a dense one whose
// masked weights are zero (oneDNN). Against it, plain sparse kernels on the nonzero weights only:
// BraggNN's heaviest convolution (c2: 64 to 32 channels, 3x3, on 9x9) and its first dense layer
// (200 to 64), in evaluation, at batch 1 and 256, at 0, 50, 80 and 95% unstructured sparsity
// (the papers' rounds reach 80%). docs/compression.md quotes the figures.
//
//   OMP_NUM_THREADS=1 build/release/bin/nac_bench_sparse
//
// The sparse kernels: weights as compressed rows (per output channel: the nonzero values and
// where they read); the batch innermost, so that each nonzero weight is one vectorised
// multiply-add over the samples (batch 256), or one scalar multiply-add per output (batch 1),
// compiled per CPU (AVX-512, AVX2, baseline) as the engine's own loops.
#include <cstring>
#include <vector>

#include <benchmark/benchmark.h>

#include "nac/detail/cpu_clones.hpp"
#include "nac/nn/model.hpp"
#include "nac/rng.hpp"

namespace {

using namespace nac;
using namespace nac::nn;

struct Sparse {
  std::vector<std::int32_t> start;   // per output channel, into offset/value
  std::vector<std::int32_t> offset;  // conv: c*H*W + ky*W + kx of the input; linear: the input feature
  std::vector<float> value;
};

// Model with one layer whose weights are random with `sparsity` of them masked to zero.
Model pruned(const LayerSpec& layer, Shape input, double sparsity) {
  ModelSpec spec;
  spec.input = std::move(input);
  spec.layers = {layer};
  Model m(spec, 0);
  Rng rng(5);
  Param& w = *m.param(layer.name + ".weight");
  Tensor mask(w.value().shape());
  for (std::size_t i = 0; i < mask.size(); ++i) mask[i] = rng.uniform(0, 1) < sparsity ? 0.0f : 1.0f;
  m.set_mask(w, std::move(mask));
  m.refresh();
  return m;
}

// Compressed rows of the effective (masked) weight, (out, in, k, k) or (out, in).
Sparse compress(const Tensor& w, std::int64_t k, std::int64_t width) {
  Sparse s;
  const std::int64_t out = w.dim(0), per = static_cast<std::int64_t>(w.size()) / out;
  for (std::int64_t o = 0; o < out; ++o) {
    s.start.push_back(static_cast<std::int32_t>(s.value.size()));
    for (std::int64_t j = 0; j < per; ++j) {
      const float v = w[static_cast<std::size_t>(o * per + j)];
      if (v == 0) continue;
      const std::int64_t c = j / (k * k), ky = (j / k) % k, kx = j % k;
      s.offset.push_back(static_cast<std::int32_t>(k == 1 ? j : c * width * width + ky * width + kx));
      s.value.push_back(v);
    }
  }
  s.start.push_back(static_cast<std::int32_t>(s.value.size()));
  return s;
}

// y += v x over n values (inlined into each per-CPU clone below).
inline void axpy(float v, const float* __restrict x, float* __restrict y, std::int64_t n) {
#pragma omp simd
  for (std::int64_t i = 0; i < n; ++i) y[i] += v * x[i];
}

// y (32, 7, 7, n) from x (64, 9, 9, n): each nonzero weight adds v * x over 7 rows of 7 n values.
NAC_CPU_CLONES void sparse_conv(const Sparse& s, const float* bias, const float* __restrict x, float* __restrict y,
                                std::int64_t n) {
  constexpr std::int64_t w = 9, ow = 7;
  for (std::size_t o = 0; o + 1 < s.start.size(); ++o) {
    float* yo = y + static_cast<std::int64_t>(o) * ow * ow * n;
    for (std::int64_t i = 0; i < ow * ow * n; ++i) yo[i] = bias[o];
    for (std::int32_t e = s.start[o]; e < s.start[o + 1]; ++e) {
      const float v = s.value[static_cast<std::size_t>(e)];
      const float* xe = x + static_cast<std::int64_t>(s.offset[static_cast<std::size_t>(e)]) * n;
      for (std::int64_t oy = 0; oy < ow; ++oy) {
        const float* xr = xe + oy * w * n;
        float* yr = yo + oy * ow * n;
        axpy(v, xr, yr, ow * n);
      }
    }
  }
}

// y (out, n) from x (in, n).
NAC_CPU_CLONES void sparse_linear(const Sparse& s, const float* bias, const float* __restrict x, float* __restrict y,
                                  std::int64_t n) {
  for (std::size_t o = 0; o + 1 < s.start.size(); ++o) {
    float* yo = y + static_cast<std::int64_t>(o) * n;
    if (n == 1) {  // a dot product
      float acc = bias[o];
      for (std::int32_t e = s.start[o]; e < s.start[o + 1]; ++e)
        acc += s.value[static_cast<std::size_t>(e)] * x[s.offset[static_cast<std::size_t>(e)]];
      yo[0] = acc;
      continue;
    }
    for (std::int64_t i = 0; i < n; ++i) yo[i] = bias[o];
    for (std::int32_t e = s.start[o]; e < s.start[o + 1]; ++e) {
      const float v = s.value[static_cast<std::size_t>(e)];
      const float* xe = x + static_cast<std::int64_t>(s.offset[static_cast<std::size_t>(e)]) * n;
      axpy(v, xe, yo, n);
    }
  }
}

LayerSpec conv_layer() {
  return LayerSpec{"conv2d", "c2", {{"out_channels", std::int64_t{32}}, {"kernel", std::int64_t{3}}}, {}, {}, {},
                   {},       0};
}
LayerSpec linear_layer() { return LayerSpec{"linear", "fc", {{"out_features", std::int64_t{64}}}, {}, {}, {}, {}, 0}; }

// args: batch, sparsity in percent. The engine's masked dense layer, evaluation forward.
void dense(benchmark::State& state, const LayerSpec& layer, const Shape& input) {
  const std::int64_t batch = state.range(0);
  Model m = pruned(layer, input, static_cast<double>(state.range(1)) / 100);
  Shape shape{batch};
  shape.insert(shape.end(), input.begin(), input.end());
  Tensor x(shape);
  Rng rng(1);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(rng.normal());
  for (auto _ : state) benchmark::DoNotOptimize(m.forward(x, false).data());
  state.SetItemsProcessed(state.iterations() * batch);
}

void BM_DenseConv64to32(benchmark::State& s) { dense(s, conv_layer(), {64, 9, 9}); }
void BM_DenseLinear200to64(benchmark::State& s) { dense(s, linear_layer(), {200}); }

// The sparse convolution: input (C, 9, 9, N) and output (32, 7, 7, N), the batch innermost.
void BM_SparseConv64to32(benchmark::State& state) {
  const std::int64_t n = state.range(0), w = 9;
  Model m = pruned(conv_layer(), {64, 9, 9}, static_cast<double>(state.range(1)) / 100);
  const Sparse s = compress(m.param("c2.weight")->effective(), 3, w);
  const Tensor& bias = m.param("c2.bias")->value();
  std::vector<float> x(static_cast<std::size_t>(64 * w * w * n)), y(static_cast<std::size_t>(32 * 7 * 7 * n));
  Rng rng(1);
  for (auto& v : x) v = static_cast<float>(rng.normal());
  for (auto _ : state) {
    sparse_conv(s, bias.data(), x.data(), y.data(), n);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetItemsProcessed(state.iterations() * n);
}

// The sparse dense layer: input (200, N), output (64, N).
void BM_SparseLinear200to64(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  Model m = pruned(linear_layer(), {200}, static_cast<double>(state.range(1)) / 100);
  const Sparse s = compress(m.param("fc.weight")->effective(), 1, 1);
  const Tensor& bias = m.param("fc.bias")->value();
  std::vector<float> x(static_cast<std::size_t>(200 * n)), y(static_cast<std::size_t>(64 * n));
  Rng rng(1);
  for (auto& v : x) v = static_cast<float>(rng.normal());
  for (auto _ : state) {
    sparse_linear(s, bias.data(), x.data(), y.data(), n);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetItemsProcessed(state.iterations() * n);
}

void sweep(benchmark::internal::Benchmark* b) {
  for (std::int64_t batch : {1, 256})
    for (std::int64_t sparsity : {0, 50, 80, 95}) b->Args({batch, sparsity});
  b->Unit(benchmark::kMicrosecond)->UseRealTime();
}
BENCHMARK(BM_DenseConv64to32)->Apply(sweep);
BENCHMARK(BM_SparseConv64to32)->Apply(sweep);
BENCHMARK(BM_DenseLinear200to64)->Apply(sweep);
BENCHMARK(BM_SparseLinear200to64)->Apply(sweep);

}  // namespace
