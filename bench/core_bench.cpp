// Core costs that every strategy pays: drawing and decoding genomes, Pareto fronts, hypervolume.
#include <cmath>

#include <benchmark/benchmark.h>

#include "nac/hypervolume.hpp"
#include "nac/search_space.hpp"

namespace {

nac::SearchSpace conditional_space(int slots) {
  nac::SearchSpace s;
  for (int i = 0; i < slots; ++i) {
    const std::string b = "b" + std::to_string(i);
    s.add(nac::Parameter::categorical(b, {"conv", "attn", "none"}));
    s.add(nac::Parameter::integer(b + "_ch", 4, 64).log_scale().when(b, {"conv", "attn"}));
    s.add(nac::Parameter::categorical(b + "_k", {std::int64_t{1}, std::int64_t{3}, std::int64_t{5}}).when(b, {"conv"}));
  }
  s.add(nac::Parameter::real("lr", 1e-5, 1e-1).log_scale());
  return s;
}

void BM_SampleAndDecode(benchmark::State& state) {
  const nac::SearchSpace s = conditional_space(static_cast<int>(state.range(0)));
  nac::Rng rng(1);
  for (auto _ : state) benchmark::DoNotOptimize(s.decode(s.sample(rng)));
}
BENCHMARK(BM_SampleAndDecode)->Arg(3)->Arg(10);

std::vector<nac::Point> zdt1_front(int n) {
  std::vector<nac::Point> pts;
  for (int i = 0; i < n; ++i) pts.push_back({double(i) / n, 1 - std::sqrt(double(i) / n)});
  return pts;
}

void BM_Hypervolume2D(benchmark::State& state) {
  const auto pts = zdt1_front(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(nac::hypervolume(pts, {1.1, 1.1}));
  state.SetComplexityN(state.range(0));
}
BENCHMARK(BM_Hypervolume2D)->Range(64, 8192)->Complexity();

void BM_NonDominated(benchmark::State& state) {
  nac::Rng rng(2);
  std::vector<nac::Point> pts;
  for (int i = 0; i < state.range(0); ++i) pts.push_back({rng.uniform(), rng.uniform()});
  for (auto _ : state) benchmark::DoNotOptimize(nac::non_dominated(pts));
}
BENCHMARK(BM_NonDominated)->Arg(100)->Arg(1000);

}  // namespace
