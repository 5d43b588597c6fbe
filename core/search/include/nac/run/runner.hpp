#pragma once
// The search loop: ask the strategy, evaluate (in parallel workers), score the objectives, tell,
// and write every finished trial to disk at once.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nac/run/experiment.hpp"
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac {

struct TaskData;

struct TrialRecord {
  std::uint64_t id = 0;
  Assignment params;
  TrialStatus status = TrialStatus::Complete;
  std::vector<double> objectives;   // one per objective, as reported (not negated)
  std::vector<double> constraints;  // violations, one per constraint of the search (<= 0: holds)
  Metrics metrics;
  double seconds = 0;
  std::string message;
  /// Networks: the validation loss after each epoch trained (what the pruners compare); a pruned
  /// trial's is shorter than the recipe's epochs and its metrics hold pruned_at_epoch.
  std::vector<double> curve;

  /// Complete and within every constraint: what may enter the front.
  bool feasible() const;
};

struct RunOptions {
  std::filesystem::path out_dir;
  bool progress = false;  // a live progress line on stderr
  /// Continue the run in out_dir: its journal (trials.jsonl) and strategy state (state.json)
  /// are read back, finished trials are not repeated.
  bool resume = false;
  /// Stop after this many new trials (0: run to the experiment's total); what a killed run looks
  /// like, for tests, and a budget for a session.
  std::size_t stop_after = 0;
  /// The versions of nac and of its plugins (name -> version), kept in state.json; resuming with
  /// other versions gives a warning (e.g. a task whose generator changed makes other data).
  std::map<std::string, std::string> versions = {};
  /// The task's data, when the caller has loaded it (the stages of a pipeline share it); null:
  /// run_search loads it.
  std::shared_ptr<const TaskData> data = nullptr;
};

struct RunSummary {
  std::filesystem::path out_dir;
  std::vector<TrialRecord> trials;
  std::vector<std::size_t> front;  // indices into trials (complete, non-dominated)
  std::optional<double> hypervolume;
  double seconds = 0;
  double worker_seconds = 0;  // time the workers spent evaluating trials (this session)
  std::size_t workers = 0;    // how many evaluated at once
  std::size_t failed = 0;
  std::size_t infeasible = 0;         // complete trials that break a constraint
  std::vector<std::string> warnings;  // also printed on stderr, e.g. versions changed on resume
};

/// Runs the global search of an experiment. Refuses an output folder that already holds results
/// unless resuming. Dataset tasks: each candidate is built from the architecture template,
/// trained with the [training] recipe on the task's data (loaded once), scored on the validation
/// split, and saved to models/trial_ID.nacm.
RunSummary run_search(const Experiment& experiment, SearchSetup& setup, const RunOptions& options);

}  // namespace nac
NAC_PUBLIC_END
