// Sampler cost of the search strategies per trial (ask + tell, the trivial evaluation included)
// as the number of past trials grows: NSGA-II on ZDT1 (30 variables) after 1k and 10k trials,
// TPE (multivariate and univariate) on the three-slot conditional space after 300 and 1k trials.
// Each benchmark iteration restores the strategy saved after the past trials (untimed) and times
// a block of further trials, so the history stays at the stated size; the counter per_trial
// (seconds per trial, with an SI prefix) is the figure to read.
#include <chrono>
#include <cmath>
#include <memory>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include "nsga2.hpp"
#include "tpe.hpp"

namespace {

std::shared_ptr<nac::SearchSpace> zdt1_space() {
  auto s = std::make_shared<nac::SearchSpace>();
  for (int i = 0; i < 30; ++i) s->add(nac::Parameter::real("x" + std::to_string(i), 0, 1));
  return s;
}

std::vector<double> zdt1(const std::vector<double>& x) {
  double s = 0;
  for (std::size_t i = 1; i < x.size(); ++i) s += x[i];
  const double g = 1 + 9 * s / double(x.size() - 1);
  return {x[0], g * (1 - std::sqrt(x[0] / g))};
}

std::shared_ptr<nac::SearchSpace> conditional_space() {
  auto s = std::make_shared<nac::SearchSpace>();
  for (int i = 0; i < 3; ++i) {
    const std::string b = "b" + std::to_string(i);
    s->add(nac::Parameter::categorical(b, {"conv", "attn", "none"}));
    s->add(nac::Parameter::integer(b + "_ch", 4, 64).log_scale().when(b, {"conv", "attn"}));
    s->add(nac::Parameter::categorical(b + "_k", {std::int64_t{1}, std::int64_t{3}, std::int64_t{5}}).when(b, {"conv"}));
  }
  s->add(nac::Parameter::real("lr", 1e-5, 1e-1).log_scale());
  return s;
}

double conditional(const nac::Assignment& a) {
  double total = 0;
  for (int i = 0; i < 3; ++i) {
    const std::string b = "b" + std::to_string(i);
    const std::string& kind = a.label(b);
    if (kind == "conv") total += std::pow(std::log2(a.real(b + "_ch")) - 3.3, 2) + std::pow(a.real(b + "_k") - 3, 2) * 0.3;
    else if (kind == "attn") total += std::pow(std::log2(a.real(b + "_ch")) - 4, 2) + 0.5;
    else total += 1.0;
  }
  return total + std::pow(std::log10(a.real("lr")) + 3, 2);
}

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
  state.counters["per_trial"] = benchmark::Counter(static_cast<double>(trials),
                                                   benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_Nsga2AskTell(benchmark::State& state) {
  nac::search::Nsga2 s(nac::StrategyContext{zdt1_space(), {nac::Direction::Minimize, nac::Direction::Minimize}, 1},
                       nac::search::Nsga2Settings{});
  measure(state, s, state.range(0), 200, [](const nac::Trial& t) { return zdt1(t.genome); });
}
BENCHMARK(BM_Nsga2AskTell)->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond);

void BM_TpeAskTell(benchmark::State& state) {
  nac::search::TpeSettings settings;
  settings.multivariate = state.range(1) != 0;
  nac::search::Tpe s(nac::StrategyContext{conditional_space(), {nac::Direction::Minimize}, 1}, settings);
  measure(state, s, state.range(0), 10, [](const nac::Trial& t) { return std::vector<double>{conditional(t.params)}; });
}
BENCHMARK(BM_TpeAskTell)
    ->ArgNames({"past", "multivariate"})
    ->Args({300, 1})
    ->Args({1000, 1})
    ->Args({300, 0})
    ->Args({1000, 0})
    ->Unit(benchmark::kMillisecond);

}  // namespace
