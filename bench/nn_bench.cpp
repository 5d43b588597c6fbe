// The nn engine's speed on BraggNN (the exact model of the PyTorch peer, braggnn_torch.py):
// a full training step (forward, MSE, backward, Adam) at batch 256, inference at batch 1 and 256,
// and forward + backward of each heavy layer alone. items_per_second is samples per second,
// the figure the PyTorch peer prints.
//
//   OMP_NUM_THREADS=2 build/release/bin/nac_bench_nn --benchmark_min_time=3
#include <cstring>

#include <benchmark/benchmark.h>

#include "braggnn_patches.hpp"
#include "nac/nn/model_io.hpp"
#include "nac/nn/runtime.hpp"

#ifndef NAC_SOURCE_DIR
#error "NAC_SOURCE_DIR must point at the source tree"
#endif

namespace {

using namespace nac;
using namespace nac::nn;

ModelSpec braggnn() { return load_model_spec(std::string(NAC_SOURCE_DIR) + "/experiments/models/braggnn.json"); }

void BM_BraggnnTrainStep(benchmark::State& state) {
  const std::int64_t batch = state.range(0);
  Model model(braggnn(), 0);
  const Dataset data = bench::braggnn_patches(16384, 0);
  auto opt = make_optimizer(OptimizerConfig{"adam", 1e-3});
  const auto params = model.params();
  Tensor x, t, grad;
  std::int64_t i = 0;
  for (auto _ : state) {
    const std::int64_t j = (i++ * batch) % (16384 - batch);  // the peer's batching
    x.resize({batch, 1, 11, 11});
    t.resize({batch, 2});
    std::memcpy(x.data(), data.inputs.data() + j * 121, static_cast<std::size_t>(batch) * 121 * sizeof(float));
    std::memcpy(t.data(), data.targets.data() + j * 2, static_cast<std::size_t>(batch) * 2 * sizeof(float));
    const Tensor& y = model.forward(x, true);
    benchmark::DoNotOptimize(compute_loss(Loss{}, y, t, &grad));
    model.backward(grad);
    opt->step(params, 1e-3);
  }
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_BraggnnTrainStep)->Arg(256)->Arg(64)->Arg(512)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_BraggnnInference(benchmark::State& state) {
  const std::int64_t batch = state.range(0);
  Model model(braggnn(), 0);
  const Dataset data = bench::braggnn_patches(batch, 1);
  for (auto _ : state) benchmark::DoNotOptimize(model.forward(data.inputs, false).data());
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_BraggnnInference)->Arg(1)->Arg(256)->Unit(benchmark::kMicrosecond)->UseRealTime();

// One layer of BraggNN alone, forward + backward (with the input's gradient), batch 256.
void layer_bench(benchmark::State& state, std::vector<LayerSpec> layers, Shape input) {
  ModelSpec spec;
  spec.input = std::move(input);
  spec.layers = std::move(layers);
  Model model(spec, 0);
  Rng rng(1);
  Tensor x(batched(256, spec.input)), dx;
  for (std::size_t k = 0; k < x.size(); ++k) x[k] = static_cast<float>(rng.normal());
  Tensor dy(batched(256, model.spec().output()));
  dy.fill(1e-3f);
  for (auto _ : state) {
    model.forward(x, true);
    model.backward(dy, &dx);
  }
  state.SetItemsProcessed(state.iterations() * 256);
}

LayerSpec conv(std::string name, std::int64_t out, std::int64_t k) {
  return LayerSpec{"conv2d", std::move(name), {{"out_channels", out}, {"kernel", k}}, {}, {}, {}, {}, 0};
}

void BM_Conv64to32(benchmark::State& s) { layer_bench(s, {conv("c2", 32, 3)}, {64, 9, 9}); }
void BM_Conv1to64(benchmark::State& s) { layer_bench(s, {conv("c1", 64, 3)}, {1, 11, 11}); }
void BM_Attention64(benchmark::State& s) {
  layer_bench(s, {LayerSpec{"attention", "nlb", {{"hidden", std::int64_t{32}}}, {}, {}, {}, {}, 0}}, {64, 9, 9});
}
void BM_DenseHead(benchmark::State& s) {
  std::vector<LayerSpec> l;
  for (std::int64_t o : {64, 32, 16, 8, 2})
    l.push_back(LayerSpec{"linear", "fc" + std::to_string(o), {{"out_features", o}}, {}, {}, {}, {}, 0});
  layer_bench(s, l, {200});
}
BENCHMARK(BM_Conv64to32)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Conv1to64)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Attention64)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_DenseHead)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
