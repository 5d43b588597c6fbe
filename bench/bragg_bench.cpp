// The Bragg task's data costs: generating synthetic patches (one thread), and the classical
// pseudo-Voigt fit per peak.
//   build/release/bin/nac_bench_bragg
#include <benchmark/benchmark.h>

#include "fit.hpp"
#include "generator.hpp"

namespace {

void BM_GeneratePatches(benchmark::State& state) {
  nac::bragg::PeakSettings s;
  std::uint64_t seed = 0;
  for (auto _ : state) benchmark::DoNotOptimize(nac::bragg::generate_patches(s, 1000, seed++).inputs.data());
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_GeneratePatches)->Unit(benchmark::kMillisecond);

void BM_PseudoVoigtFit(benchmark::State& state) {
  const auto d = nac::bragg::generate_patches(nac::bragg::PeakSettings{}, 1000, 1);
  std::size_t i = 0;
  for (auto _ : state)
    benchmark::DoNotOptimize(nac::bragg::fit_pseudo_voigt(d.inputs.data() + (i++ % 1000) * 121, 11).row);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PseudoVoigtFit)->Unit(benchmark::kMicrosecond);

}  // namespace
