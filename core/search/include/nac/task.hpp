#pragma once
// A Task is what a search optimises for. Two kinds, each its own interface:
//  - ProblemTask (test functions, any benchmark problem): defines its own search space and
//    evaluates a configuration directly; it needs nothing of the nn engine (this header).
//  - DatasetTask (Bragg peaks, jets; nac/dataset_task.hpp, which needs the engine): has data and
//    scores predictions; the architecture template supplies the space and the runner trains each
//    candidate on the task's data.
// Both report metrics(). Optional capabilities of dataset tasks (generating data, reading and
// writing data files, classical baselines) are separate interfaces in nac/dataset_task.hpp.
//
// Threads: a task object is made once per run and then only its const functions are called,
// from up to `search.workers` threads at once (evaluate, score), so they must not modify shared
// state without synchronising it.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nac/assignment.hpp"
#include "nac/metrics.hpp"
#include "nac/search_space.hpp"
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac {

/// What an evaluation may use besides the configuration itself.
struct EvalContext {
  std::uint64_t trial_id = 0;
  std::uint64_t seed = 0;          // derived from the experiment seed and the trial id
  int threads = 1;                 // threads this evaluation may use
  std::filesystem::path work_dir;  // a folder of this trial's own, for artefacts
};

class Task {
 public:
  virtual ~Task();

  /// Every metric the task can report, with its natural direction.
  virtual std::vector<MetricInfo> metrics() const = 0;

  /// A reference point for the hypervolume of the given objectives, when the task knows one
  /// (e.g. (1.1, 1.1) for ZDT problems); the experiment file can set its own. Default: none.
  virtual std::optional<std::vector<double>> reference_point(const std::vector<std::string>& objectives) const;

  /// About `points` points spread over the true Pareto front of the given objectives, when the
  /// task knows it (test problems): what IGD measures a search's front against. Default: none.
  virtual std::optional<std::vector<std::vector<double>>> true_front(const std::vector<std::string>& objectives,
                                                                     std::size_t points) const;

  /// Known good configurations (e.g. a published model) that strategies may enqueue as seeds.
  virtual std::vector<Assignment> known_configurations() const { return {}; }
};

/// A task that evaluates a configuration directly (no training).
class ProblemTask : public Task {
 public:
  ~ProblemTask() override;
  /// The space of configurations; the same object for the life of the task.
  virtual std::shared_ptr<const SearchSpace> search_space() const = 0;
  /// The metrics of one configuration. Called from several worker threads at once. May throw
  /// nac::Error (reported as a failed trial; the search goes on).
  virtual Metrics evaluate(const Assignment& params, const EvalContext& context) const = 0;
};

/// The problem task behind `task`, or nac::Error saying that `what` needs one.
const ProblemTask& as_problem_task(const Task& task, const std::string& what);

}  // namespace nac
NAC_PUBLIC_END
