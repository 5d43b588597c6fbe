#pragma once
// Shared by the strategy suites: save a strategy's state mid-run, restore it into a new one,
// and check both continue with the same trials and end in the same state; the hypervolume a
// strategy plugin reaches on a two-objective test_functions problem.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "nac/config.hpp"
#include "nac/hypervolume.hpp"
#include "nac/pareto.hpp"
#include "nac/registry.hpp"
#include "nac/search_strategy.hpp"
#include "nac/task.hpp"
#include "search/variation.hpp"

namespace nac::test {

/// A strategy's settings table from TOML text.
inline ConfigTable settings_of(const std::string& text) {
  return root_table(parse_toml_text(text, "strategy.toml"), "strategy.toml");
}

/// `a` has asked the trials in `outstanding` (oldest first) and not told them yet; `make` gives
/// a fresh strategy with a's settings; `result` scores a trial. Runs `rounds` rounds of asking two
/// and telling the two oldest, on `a` and on a copy restored from a's saved state.
inline void check_resume_continues(SearchStrategy& a, const std::function<std::unique_ptr<SearchStrategy>()>& make,
                                   std::vector<Trial> outstanding,
                                   const std::function<TrialResult(const Trial&)>& result, int rounds) {
  const std::string saved = a.save_state().dump();
  auto b = make();
  b->load_state(nlohmann::json::parse(saved));
  CHECK(b->save_state().dump() == saved);
  std::vector<Trial> outstanding_b = outstanding;
  for (int i = 0; i < rounds; ++i) {
    const auto ta = a.ask(2), tb = b->ask(2);
    for (std::size_t k = 0; k < 2; ++k) {
      CHECK(ta[k].id == tb[k].id);
      CHECK(ta[k].genome == tb[k].genome);
    }
    outstanding.insert(outstanding.end(), ta.begin(), ta.end());
    outstanding_b.insert(outstanding_b.end(), tb.begin(), tb.end());
    for (int k = 0; k < 2; ++k) {
      a.tell(outstanding.front().id, result(outstanding.front()));
      b->tell(outstanding_b.front().id, result(outstanding_b.front()));
      outstanding.erase(outstanding.begin());
      outstanding_b.erase(outstanding_b.begin());
    }
  }
  CHECK(a.save_state() == b->save_state());
}

/// Every gene inside its internal bounds and on its grid, and the decoded assignment valid: only
/// parameters whose condition holds are active, each value in its domain.
inline void check_genome(const SearchSpace& s, const std::vector<double>& g) {
  REQUIRE(g.size() == s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const Parameter& p = s.parameters()[i];
    CHECK(g[i] >= p.internal_low());
    CHECK(g[i] <= p.internal_high());
    CHECK(search::snap(p, g[i]) == g[i]);
  }
  CHECK_NOTHROW(s.validate(s.decode(g)));
}

/// Runs the strategy plugin `strategy` (default settings, `seed`) for `trials` trials on the
/// test_functions task set up by `task_settings` (two objectives, f1 and f2), and returns the
/// hypervolume of its non-dominated points at (1.1, 1.1).
inline double plugin_front_hypervolume(const Registry& r, const std::string& strategy, const std::string& task_settings,
                                       int trials, std::uint64_t seed) {
  const auto made = r.task("test_functions")(settings_of(task_settings));
  const ProblemTask* task = &as_problem_task(*made, "the test");
  auto s =
      r.strategy(strategy)(ConfigTable::empty("strategy"),
                           StrategyContext{task->search_space(), {Direction::Minimize, Direction::Minimize}, seed});
  std::vector<Point> points;
  for (int i = 0; i < trials; ++i) {
    const Trial t = s->ask();
    const Metrics m = task->evaluate(t.params, EvalContext{});
    points.push_back({m.at("f1"), m.at("f2")});
    s->tell(t.id, TrialResult{TrialStatus::Complete, points.back(), {}, {}});
  }
  std::vector<Point> front;
  for (std::size_t i : non_dominated(points)) front.push_back(points[i]);
  return hypervolume(front, {1.1, 1.1});
}

}  // namespace nac::test
