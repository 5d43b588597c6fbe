// The runner's schedules ([search] schedule): ordered (the same trials for any number of workers
// and any timing), batch (the old barrier, checked against the strategy driven by hand) and
// async (every trial once, through a stop and a resume), on a ZDT1 task whose evaluations take
// different times.
#include <cmath>
#include <filesystem>
#include <set>
#include <string>

#include <doctest/doctest.h>

#include "nac/registry.hpp"
#include "nac/run/experiment.hpp"
#include "nac/run/runner.hpp"
#include "test_support.hpp"

using namespace nac;
namespace fs = std::filesystem;

namespace {

// 40 ZDT1 trials of NSGA-II; `search` is the rest of the [search] table, `cost` of the [task] one.
std::string experiment(const std::string& search, const std::string& cost) {
  return "name = \"schedules\"\nseed = 5\n[task]\nname = \"test_functions\"\nproblem = \"zdt1\"\nvariables = 6\n" +
         cost + "\n[strategy]\nname = \"nsga2\"\npopulation = 8\n[search]\ntrials = 40\n" + search + "\n";
}
// Evaluations of 2 to 10 ms, fixed by the parameters: trials finish out of order.
const std::string kSlow = "cost_ms = 2\ncost_spread = 4";

struct Run {
  test::TempDir dir{"schedule"};
  Experiment ex;
  explicit Run(const std::string& text) {
    test::write_file(dir.path() / "exp.toml", text);
    ex = load_experiment(dir.path() / "exp.toml");
  }
  RunSummary run(bool resume = false, std::size_t stop = 0) {
    SearchSetup setup = build_search(ex, test::build_plugins(), ex.seed);
    return run_search(ex, setup, RunOptions{dir.path() / "out", false, resume, stop});
  }
  fs::path out() const { return dir.path() / "out"; }
};

std::multiset<std::uint64_t> trial_ids(const fs::path& file) {
  std::multiset<std::uint64_t> ids;
  for (const auto& j : test::read_json_lines(file)) ids.insert(j["trial"].get<std::uint64_t>());
  return ids;
}

std::multiset<std::uint64_t> ids_below(std::uint64_t n) {
  std::multiset<std::uint64_t> ids;
  for (std::uint64_t i = 0; i < n; ++i) ids.insert(i);
  return ids;
}

}  // namespace

TEST_CASE("ordered schedule - the same trials for any number of workers and any timing") {
  Run ref(experiment("schedule = \"ordered\"\nbatch = 4\nworkers = 1", ""));
  ref.run();
  Run three(experiment("batch = 4\nworkers = 3", kSlow));  // (ordered: the default)
  const RunSummary s = three.run();
  CHECK(s.workers == 3);
  CHECK(s.worker_seconds > 0.04 * 2);  // 40 trials of at least 2 ms
  CHECK(test::told_trials(three.out()) == test::told_trials(ref.out()));
  CHECK(trial_ids(three.out() / "journal.jsonl") == ids_below(40));

  // A stop inside a window (13 is no multiple of 4), then a resume: the uninterrupted run.
  Run cut(experiment("batch = 4\nworkers = 2", kSlow));
  cut.run(false, 13);
  CHECK(test::read_json_lines(cut.out() / "trials.jsonl").size() == 13);
  cut.run(true);
  CHECK(test::told_trials(cut.out()) == test::told_trials(ref.out()));
  CHECK(trial_ids(cut.out() / "journal.jsonl") == ids_below(40));  // none ran twice
}

TEST_CASE("batch schedule - a batch is asked, evaluated and told whole, as the strategy driven by hand") {
  Run run(experiment("schedule = \"batch\"\nbatch = 8\nworkers = 2", kSlow));
  run.run();
  const auto lines = test::read_json_lines(run.out() / "trials.jsonl");
  REQUIRE(lines.size() == 40);

  // The oracle: ask 8, compute ZDT1 by hand, tell the 8 in order; five times.
  SearchSetup by_hand = build_search(run.ex, test::build_plugins(), run.ex.seed);
  std::size_t k = 0;
  for (int round = 0; round < 5; ++round) {
    for (const Trial& t : by_hand.strategy->ask(8)) {
      double sum = 0;
      for (int v = 1; v < 6; ++v) sum += t.params.real("x" + std::to_string(v));
      const double f1 = t.params.real("x0"), g = 1 + 9 * sum / 5, f2 = g * (1 - std::sqrt(f1 / g));
      const auto& line = lines[k++];
      CHECK(line["trial"] == t.id);
      CHECK(line["objectives"]["f1"].get<double>() == doctest::Approx(f1).epsilon(1e-12));
      CHECK(line["objectives"]["f2"].get<double>() == doctest::Approx(f2).epsilon(1e-12));
      by_hand.strategy->tell(t.id, TrialResult{TrialStatus::Complete, {f1, f2}, {}, {}});
    }
  }
}

TEST_CASE("async schedule - each trial evaluated and told once - through a stop and a resume") {
  Run run(experiment("schedule = \"async\"\nworkers = 2", kSlow));
  const RunSummary first = run.run(false, 13);
  CHECK(first.workers == 2);
  CHECK(first.trials.size() == 13);
  const RunSummary s = run.run(true);
  CHECK(s.trials.size() == 40);
  CHECK(trial_ids(run.out() / "trials.jsonl") == ids_below(40));
  CHECK(trial_ids(run.out() / "journal.jsonl") == ids_below(40));  // none ran twice
  // Each told trial's objectives are its parameters' (told to the right trial).
  for (const auto& l : test::read_json_lines(run.out() / "trials.jsonl"))
    CHECK(l["objectives"]["f1"].get<double>() == l["params"]["x0"].get<double>());
}

TEST_CASE("schedule - an unknown schedule is an error naming the choices") {
  test::TempDir dir("schedule-bad");
  test::write_file(dir.path() / "exp.toml", experiment("schedule = \"eager\"", ""));
  CHECK(test::error_of([&] {
          load_experiment(dir.path() / "exp.toml");
        }).find("exp.toml:13:12: 'search.schedule': expected one of ordered, async, batch, found \"eager\"") !=
        std::string::npos);
}
