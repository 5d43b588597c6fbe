// Whole training epochs of fixed candidates of the 2023 search space, small to large (about 20k,
// 100k, 500k MACs per sample, bench/models/*.json, and BraggNN's 2.1M), as the search trains
// them: nn::train, one epoch of 10,000 patches at batch 256 with RMSprop 1.5e-3 and MSE, and a
// validation pass over 256 patches. items_per_second is training samples per second;
// GFLOP/s counts 6 FLOPs per MAC per sample (2 forward, 4 backward). The PyTorch peer is
// scripts/peers/epochs_torch.py, on the same model files (docs/nn_engine.md).
//
//   build/release/bin/nac_bench_epochs --benchmark_min_time=2      # one thread (as a search runs)
#include <benchmark/benchmark.h>

#include "braggnn_patches.hpp"
#include "nac/model_cost.hpp"
#include "nac/nn/model_io.hpp"
#include "nac/nn/runtime.hpp"

#ifndef NAC_SOURCE_DIR
#error "NAC_SOURCE_DIR must point at the source tree"
#endif

namespace {

using namespace nac;
using namespace nac::nn;

void BM_Epoch(benchmark::State& state, const std::string& file) {
  set_threads(static_cast<int>(state.range(0)));
  const ModelSpec spec = load_model_spec(std::string(NAC_SOURCE_DIR) + "/" + file);
  Model model(spec, 0);
  static const Dataset train_set = bench::braggnn_patches(10000, 0);
  static const Dataset val_set = bench::braggnn_patches(256, 1);
  TrainConfig c;
  c.epochs = 1;
  c.batch = 256;
  c.optimizer = OptimizerConfig{"rmsprop", 1.5e-3};
  std::uint64_t seed = 0;
  for (auto _ : state) {
    c.seed = seed++;
    benchmark::DoNotOptimize(train(model, train_set, val_set, c).history.back().val_loss);
  }
  const double samples = static_cast<double>(state.iterations()) * 10000;
  state.SetItemsProcessed(static_cast<std::int64_t>(samples));
  state.counters["MACs"] = total_macs(spec);
  state.counters["GFLOP/s"] = benchmark::Counter(6 * total_macs(spec) * samples / 1e9, benchmark::Counter::kIsRate);
}

#define NAC_EPOCH_BENCH(name, file) \
  BENCHMARK_CAPTURE(BM_Epoch, name, std::string(file))->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime()

NAC_EPOCH_BENCH(tiny_mlp_20k, "bench/models/tiny_mlp_20k.json");
NAC_EPOCH_BENCH(norms_100k, "bench/models/norms_100k.json");
NAC_EPOCH_BENCH(attention_500k, "bench/models/attention_500k.json");
NAC_EPOCH_BENCH(braggnn_2m, "experiments/models/braggnn.json");

}  // namespace
