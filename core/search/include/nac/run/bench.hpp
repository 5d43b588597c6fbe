#pragma once
// nac bench: strategies against each other on problems, over seeds (docs/bench.md). A bench
// file names contenders (strategy plugins with settings), problems (problem tasks with
// settings), seeds, a budget and measures; every (problem, contender, seed) is one run, runs
// go on at once over the cores, each run's curve lands in RUN/runs.jsonl as it ends (so an
// interrupted bench resumes), and the report compares the contenders with rank tests.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nac/run/experiment.hpp"
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac {

class Registry;

struct BenchContender {
  std::string label;      // unique in the bench; default: the strategy's name (compressors: joined by '+')
  PluginChoice strategy;  // its name and settings; a compression contender's: its whole table
  /// A compression contender (`compressors = [...]` and their tables, as a [compression] table):
  /// it runs on model problems, a strategy on the others.
  bool compression = false;
};

struct BenchProblem {
  std::string label;  // unique in the bench; default: the task's problem setting or its name
  PluginChoice task;  // a problem task (its name and settings), or the table of an experiment problem
  /// An experiment problem: the experiment file (e.g. a small architecture search on a dataset
  /// task) whose search space, objectives and evaluation (training a network) the contenders
  /// share; each configuration is evaluated once for the whole bench and cached (RUN/LABEL/
  /// configurations.jsonl, with the trained models). Empty: a problem task.
  std::filesystem::path experiment;
  /// With `experiment`: search the training recipes of this trained model's network instead of
  /// networks, over the experiment's [stage.local] space and metric (the local stage's search).
  std::filesystem::path recipes_of;
  /// A model problem (for compression contenders): a trained model file and the file of its
  /// [task] and [training] tables (as `nac compress --config` takes); the objectives are
  /// `metric` (default: the task's first) and bops, each compression step one evaluation; its
  /// run folders are RUN/LABEL/CONTENDER/seed-N (the stage's compression.csv, models, figure).
  std::filesystem::path model, config;
  std::string metric;
  bool compresses() const { return !model.empty(); }
  std::vector<std::string> objectives;           // default: every metric of the task (experiments: theirs)
  std::optional<std::vector<double>> reference;  // hypervolume's reference point (else the task's)
  std::size_t evaluations = 0;                   // its budget (default: the bench's)
  std::vector<std::size_t> checkpoints;          // (default: the bench's; the budget last)
  std::vector<std::string> contenders;           // the labels of those that run it (default: all)
  /// Whether the contender with this label runs on the problem.
  bool runs(const std::string& contender) const;
};

struct BenchConfig {
  std::filesystem::path file;
  std::string name, output;
  std::vector<std::uint64_t> seeds;
  std::size_t evaluations = 0;           // the budget of a run
  double seconds = 0;                    // and a time limit per run (0: none)
  std::vector<std::size_t> checkpoints;  // evaluations after which the measures are taken
  std::vector<std::string> measures;     // hypervolume, igd (several objectives), best (one)
  std::size_t front_points = 1000;       // of the true front, for igd
  double alpha = 0.05;                   // significance level of the verdicts (after Holm)
  int workers = 0;                       // runs at once (0: every core)
  std::vector<std::filesystem::path> plugin_dirs;
  std::vector<BenchContender> contenders;
  std::vector<BenchProblem> problems;
};

/// The bench's measures that fit a problem of `objectives` objectives: best for one, hypervolume
/// and igd for several.
std::vector<std::string> measures_for(const BenchConfig& config, std::size_t objectives);

/// Reads and checks a bench file's shape; nac::Error names the place of a bad or unknown key.
BenchConfig load_bench(const std::filesystem::path& file);
/// Makes every problem's task and every contender's strategy once, so that a wrong setting, an
/// unknown plugin, a problem none of the measures fits, igd of a problem without a known front
/// fail before any run. A contender that cannot be made for some problems (but for one at least)
/// is left to fail there: its runs on them are recorded as failed.
void check_bench(const BenchConfig& config, const Registry& registry);

/// One run: a contender on a problem with a seed (a strategy's search, or a compression of a
/// model: its steps are the evaluations).
struct BenchRun {
  std::string problem, contender;
  std::uint64_t seed = 0;
  std::vector<Direction> directions;  // of the problem's objectives ('best' follows the first's)
  bool ok = true;
  std::string error;                                  // why a failed run failed
  std::vector<std::size_t> evaluations;               // the checkpoints reached
  std::map<std::string, std::vector<double>> values;  // measure -> its value at each of them
  std::size_t trials = 0, failed_trials = 0;
  double sampler_us_per_trial = 0;  // the strategy's own time (ask + tell) per trial
  double seconds = 0;               // the run's wall time
};

/// Runs a bench into `out` (bench.toml, runs.jsonl). Runs already in out/runs.jsonl (of the same
/// bench file) are kept; `progress` gets a line per finished run. Returns every run, in a fixed
/// order, for write_bench_report.
std::vector<BenchRun> run_bench(const BenchConfig& config, const Registry& registry, const std::filesystem::path& out,
                                const std::function<void(const std::string&)>& progress = {});

/// The runs of a runs.jsonl file (nac bench's, or a peer's written in its format, e.g. by
/// scripts/peers/optuna_bench.py); nac::Error names a line that is not a run.
std::vector<BenchRun> read_bench_runs(const std::filesystem::path& file);

/// The report of finished runs into `out`: summary.csv, verdicts.csv, report.md and a figure per
/// problem and measure. Returns the verdicts as a plain-text table, for a terminal.
std::string write_bench_report(const BenchConfig& config, const std::vector<BenchRun>& runs,
                               const std::filesystem::path& out);

}  // namespace nac
NAC_PUBLIC_END
