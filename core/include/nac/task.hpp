#pragma once
// A Task is a dataset plus its metrics, or a benchmark problem that evaluates a configuration
// directly. Problem tasks (test functions) define their own search space and evaluate();
// dataset tasks (Bragg peaks, jets) return no space: the architecture template supplies it, and
// the runner trains each candidate on the task's data and asks the task to score predictions.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nac/assignment.hpp"
#include "nac/metrics.hpp"
#include "nac/nn/trainer.hpp"
#include "nac/search_space.hpp"

namespace nac {

/// What an evaluation may use besides the configuration itself.
/// The splits of a dataset task, in memory.
struct TaskData {
  nn::Dataset train, validation, test;
};

/// What a task's baseline method achieved (e.g. a classical fit the networks replace).
struct BaselineReport {
  Metrics metrics;                // scored as the task scores networks
  double seconds_per_sample = 0;  // on one thread
  std::string summary;            // a few lines for a person
};

struct EvalContext {
  std::uint64_t trial_id = 0;
  std::uint64_t seed = 0;   // derived from the experiment seed and the trial id
  int threads = 1;          // threads this evaluation may use
  std::filesystem::path work_dir;  // a folder of this trial's own, for artefacts
};

class Task {
 public:
  virtual ~Task() = default;

  /// Every metric the task can report, with its natural direction.
  virtual std::vector<MetricInfo> metrics() const = 0;

  /// Problem tasks: their search space. Dataset tasks: nullptr.
  virtual std::shared_ptr<const SearchSpace> search_space() const { return nullptr; }

  /// Problem tasks: the metrics of one configuration. May throw nac::Error (reported as a failed
  /// trial). The default throws: dataset tasks are evaluated by training.
  virtual Metrics evaluate(const Assignment& params, const EvalContext& context) const;

  /// A reference point for the hypervolume of the given objectives, when the task knows one
  /// (e.g. (1.1, 1.1) for ZDT problems); the experiment file can set its own.
  virtual std::optional<std::vector<double>> reference_point(
      const std::vector<std::string>& objectives) const;

  /// Known good configurations (e.g. a published model) that strategies may enqueue as seeds.
  virtual std::vector<Assignment> known_configurations() const { return {}; }

  // ---- dataset tasks ----

  /// The train, validation and test splits (generated or read from files, as configured).
  /// The default throws: problem tasks have no data.
  virtual TaskData load_data() const;
  /// Scores predictions against targets, both (N, ...), in the task's metrics.
  virtual Metrics score(const nn::Tensor& predictions, const nn::Tensor& targets) const;
  /// The shape of one input sample and of one target (dataset tasks; defaults throw).
  virtual Shape input_shape() const;
  virtual Shape target_shape() const;
  /// The loss networks train with ("mse", ...).
  virtual std::string default_loss() const { return "mse"; }
  /// n new samples (`nac data generate`); the default throws: not every task can generate data.
  virtual nn::Dataset generate(std::int64_t n, std::uint64_t seed) const;
  /// Reads and writes a dataset file in the task's own layout (`nac data`); defaults throw.
  virtual nn::Dataset read_data(const std::filesystem::path& file) const;
  virtual void save_data(const nn::Dataset& data, const std::filesystem::path& file) const;
  /// Classical methods to compare networks with (`nac baseline`).
  virtual std::vector<std::string> baselines() const { return {}; }
  virtual BaselineReport run_baseline(const std::string& name, const nn::Dataset& data) const;
};

}  // namespace nac
