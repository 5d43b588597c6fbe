// Sampler cost of the search strategies per trial (ask + tell, the trivial evaluation included)
// as the number of past trials grows: NSGA-II on ZDT1 (30 variables) after 1k and 10k trials,
// TPE (multivariate and univariate) on the three-slot conditional space after 300 and 1k trials.
// Each benchmark iteration restores the strategy saved after the past trials (untimed) and times
// a block of further trials, so the history stays at the stated size; the counter per_trial
// (seconds per trial, with an SI prefix) is the figure to read.
#include <chrono>
#include <memory>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include "nsga2.hpp"
#include "problems.hpp"
#include "tpe.hpp"

namespace {

template <class Evaluate>
void trial(nac::SearchStrategy& s, Evaluate&& evaluate) {
  const nac::Trial t = s.ask();
  s.tell(t.id, nac::TrialResult{nac::TrialStatus::Complete, evaluate(t), {}, {}});
}

// Runs `past` trials, then times blocks of `block` trials, each block from the saved state.
template <class Evaluate>
void measure(benchmark::State& state, nac::SearchStrategy& s, std::int64_t past, int block, Evaluate evaluate) {
  for (std::int64_t i = 0; i < past; ++i) trial(s, evaluate);
  const nlohmann::json saved = s.save_state();
  std::int64_t trials = 0;
  for (auto _ : state) {
    state.PauseTiming();
    s.load_state(saved);
    state.ResumeTiming();
    for (int i = 0; i < block; ++i) trial(s, evaluate);
    trials += block;
  }
  // Seconds per trial, printed with an SI prefix (u: microseconds, m: milliseconds).
  state.counters["per_trial"] =
      benchmark::Counter(static_cast<double>(trials), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_Nsga2AskTell(benchmark::State& state) {
  using nac::Direction;
  nac::search::Nsga2 s(
      nac::StrategyContext{nac::test_functions::make_zdt(1, 30).space, {Direction::Minimize, Direction::Minimize}, 1},
      nac::search::Nsga2Settings{});
  measure(state, s, state.range(0), 200, [](const nac::Trial& t) { return nac::test_functions::zdt(1, t.genome); });
}
BENCHMARK(BM_Nsga2AskTell)->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond);

void BM_TpeAskTell(benchmark::State& state) {
  nac::search::TpeSettings settings;
  settings.multivariate = state.range(1) != 0;
  nac::search::Tpe s(nac::StrategyContext{nac::test_functions::conditional_space(3), {nac::Direction::Minimize}, 1},
                     settings);
  measure(state, s, state.range(0), 10,
          [](const nac::Trial& t) { return std::vector<double>{nac::test_functions::conditional_value(t.params, 3)}; });
}
BENCHMARK(BM_TpeAskTell)
    ->ArgNames({"past", "multivariate"})
    ->Args({300, 1})
    ->Args({1000, 1})
    ->Args({300, 0})
    ->Args({1000, 0})
    ->Unit(benchmark::kMillisecond);

}  // namespace
