// The nn engine's speed on BraggNN (the exact model of the PyTorch peer, braggnn_torch.py):
// a full training step (forward, MSE, backward, Adam) at batch 256, inference at batch 1 and 256,
// and forward + backward of each heavy layer alone. items_per_second is samples per second,
// the figure the PyTorch peer prints.
//
//   OMP_NUM_THREADS=2 build/release/bin/nac_bench_nn --benchmark_min_time=3
#include <cstring>

#include <benchmark/benchmark.h>

#include "braggnn_patches.hpp"
#include "nac/nn/fixed_inference.hpp"
#include "nac/nn/model_io.hpp"
#include "nac/nn/runtime.hpp"

#ifndef NAC_SOURCE_DIR
#error "NAC_SOURCE_DIR must point at the source tree"
#endif

namespace {

using namespace nac;
using namespace nac::nn;

ModelSpec braggnn() { return load_model_spec(std::string(NAC_SOURCE_DIR) + "/experiments/models/braggnn.json"); }

// One training step at a batch size; with `bits` < 32 every convolution, linear and attention
// layer gets int<bits> weights and inputs (qat's default), and `sparsity` of their weights masked
// (as the PyTorch peer braggnn_torch_qat.py does).
void train_steps(benchmark::State& state, std::int64_t batch, int bits, double sparsity) {
  Model model(braggnn(), 0);
  if (bits < 32) {
    for (const auto& l : model.spec().layers)
      if (l.op == "conv2d" || l.op == "linear" || l.op == "attention") {
        model.set_precision(l.name, "weight", NumberType::scaled_int(bits));
        model.set_precision(l.name, "input", NumberType::scaled_int(bits));
      }
  }
  if (sparsity > 0) {
    Rng rng(3);
    for (Param* p : model.params()) {
      if (Model::role_of(*p) != "weight") continue;
      Tensor mask(p->value().shape());
      for (std::size_t i = 0; i < mask.size(); ++i) mask[i] = rng.uniform(0, 1) < sparsity ? 0.0f : 1.0f;
      model.set_mask(*p, std::move(mask));
    }
  }
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

void BM_BraggnnTrainStep(benchmark::State& state) { train_steps(state, state.range(0), 32, 0); }
BENCHMARK(BM_BraggnnTrainStep)->Arg(256)->Arg(64)->Arg(512)->Unit(benchmark::kMillisecond)->UseRealTime();

// Quantization-aware training: args batch, bits, sparsity in percent (norms excluded).
void BM_BraggnnQatStep(benchmark::State& state) {
  train_steps(state, state.range(0), static_cast<int>(state.range(1)), static_cast<double>(state.range(2)) / 100);
}
BENCHMARK(BM_BraggnnQatStep)->Args({256, 8, 0})->Args({256, 8, 80})->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_BraggnnInference(benchmark::State& state) {
  const std::int64_t batch = state.range(0);
  Model model(braggnn(), 0);
  const Dataset data = bench::braggnn_patches(batch, 1);
  for (auto _ : state) benchmark::DoNotOptimize(model.forward(data.inputs, false).data());
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_BraggnnInference)->Arg(1)->Arg(256)->Unit(benchmark::kMicrosecond)->UseRealTime();

// BraggNN at 8 bits (int<8> weights and inputs of every convolution, linear and attention layer:
// qat with input_sign = "signed", last_input_bits = 0), evaluated: args batch, integer (0: the fake-quantized float
// forward; 1: Model::set_integer_inference, the int8 kernels). Compare with BM_BraggnnInference (fp32).
void BM_BraggnnQuantizedInference(benchmark::State& state) {
  const std::int64_t batch = state.range(0);
  Model model(braggnn(), 0);
  for (const auto& l : model.spec().layers)
    if (l.op == "conv2d" || l.op == "linear" || l.op == "attention") {
      model.set_precision(l.name, "weight", NumberType::scaled_int(8));
      model.set_precision(l.name, "input", NumberType::scaled_int(8));
    }
  const Dataset data = bench::braggnn_patches(batch, 1);
  model.forward(data.inputs, true);  // the inputs' running maxima
  model.set_integer_inference(state.range(1) != 0);
  for (auto _ : state) benchmark::DoNotOptimize(model.forward(data.inputs, false).data());
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_BraggnnQuantizedInference)
    ->Args({1, 0})
    ->Args({1, 1})
    ->Args({256, 0})
    ->Args({256, 1})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

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
// The search's conv-attention blocks: channels, hidden size, side of the image (81, 49 or 25
// positions).
void BM_AttentionSizes(benchmark::State& s) {
  layer_bench(s, {LayerSpec{"attention", "att", {{"hidden", s.range(1)}}, {}, {}, {}, {}, 0}},
              {s.range(0), s.range(2), s.range(2)});
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
BENCHMARK(BM_AttentionSizes)
    ->ArgNames({"c", "h", "side"})
    ->Args({16, 1, 9})
    ->Args({32, 8, 9})
    ->Args({64, 32, 9})
    ->Args({16, 4, 7})
    ->Args({32, 16, 5})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_DenseHead)->Unit(benchmark::kMillisecond)->UseRealTime();

// nac's fixed-point inference (nac/nn/fixed_inference.hpp) of BraggNN, one sample at a time on
// one thread, at the hls backend's default type: compare with the C simulation of the same model
// (nac export hls, then the project's ./csim over its testbench samples; docs/hls_backend.md).
void BM_BraggnnFixedPoint(benchmark::State& state) {
  Model model(braggnn(), 0);
  const FixedPointModel fixed(model,
                              FixedInferenceOptions{NumberType::fixed(16, 6, true, Rounding::Rnd, Overflow::Sat)});
  const Dataset data = bench::braggnn_patches(64, 1);
  std::int64_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(fixed.run_raw(data.inputs.data() + (i++ % 64) * 121).data());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BraggnnFixedPoint)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
