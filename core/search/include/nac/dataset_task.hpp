#pragma once
// Dataset tasks and their optional capabilities. This header uses the nn engine's types
// (nn::Dataset, nn::Tensor): a plugin that includes it links nac::nn as well as nac::core
// (nac_add_plugin(NAME ... ENGINE)). Problem tasks need only nac/task.hpp.
//
// Threads: as for every task (nac/task.hpp), only const functions are called after the factory
// returns. load_data() is called once per run, from the runner's thread; score() from up to
// `search.workers` threads at once.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "nac/error.hpp"
#include "nac/nn/trainer.hpp"
#include "nac/task.hpp"
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac {

/// The splits of a dataset task, in memory.
struct TaskData {
  nn::Dataset train, validation, test;
};

/// A task with data: networks are trained on it and scored by the task.
class DatasetTask : public Task {
 public:
  ~DatasetTask() override;
  /// The shape of one input sample and of one target.
  virtual Shape input_shape() const = 0;
  virtual Shape target_shape() const = 0;
  /// The train, validation and test splits (generated or read from files, as configured).
  virtual TaskData load_data() const = 0;
  /// Scores predictions against targets, both (N, ...), in the task's metrics.
  virtual Metrics score(const nn::Tensor& predictions, const nn::Tensor& targets) const = 0;
  /// The loss networks train with when [training] names none ("mse", "cross_entropy", ...).
  virtual std::string default_loss() const { return "mse"; }
};

/// Optional: the task makes new samples (`nac data generate`).
class DataGenerator {
 public:
  virtual ~DataGenerator();
  /// n new samples; the same seed gives the same samples.
  virtual nn::Dataset generate(std::int64_t n, std::uint64_t seed) const = 0;
};

/// Optional: the task reads and writes data files in its own layout (`nac data`, `--data`).
class DataFiles {
 public:
  virtual ~DataFiles();
  /// Throws nac::Error naming the file for a missing, corrupt or mis-shaped file.
  virtual nn::Dataset read_data(const std::filesystem::path& file) const = 0;
  virtual void save_data(const nn::Dataset& data, const std::filesystem::path& file) const = 0;
  /// A model's outputs (N, ...), in the task's own convention, rewritten in the convention its
  /// settings give data files' targets (`nac predict --task`), as save_data writes targets. By
  /// default the two are the same.
  virtual void outputs_to_file_convention(nn::Tensor& outputs) const { (void)outputs; }
};

/// What a task's baseline method achieved (e.g. a classical fit the networks replace).
struct BaselineReport {
  Metrics metrics;                // scored as the task scores networks
  double seconds_per_sample = 0;  // on one thread
  std::string summary;            // a few lines for a person
};

/// Optional: classical methods to compare networks with (`nac baseline`).
class BaselineMethods {
 public:
  virtual ~BaselineMethods();
  virtual std::vector<std::string> baselines() const = 0;
  /// `name` is one of baselines().
  virtual BaselineReport run_baseline(const std::string& name, const nn::Dataset& data) const = 0;
};

/// The dataset task behind `task`, or nac::Error saying that `what` needs one.
const DatasetTask& as_dataset_task(const Task& task, const std::string& what);

/// nac::Error naming `model_file` unless the model takes the task's samples and gives its targets'
/// shape (a model made for another task).
void check_model_fits_task(const ModelSpec& spec, const DatasetTask& task, const std::string& model_file);

/// A capability of a task (DataGenerator, DataFiles, BaselineMethods), or nac::Error saying that
/// `task_name` cannot do `what`.
template <class Capability>
const Capability& task_capability(const Task& task, const std::string& task_name, const std::string& what) {
  if (const auto* c = dynamic_cast<const Capability*>(&task)) return *c;
  throw Error("task '" + task_name + "' cannot " + what);
}

}  // namespace nac
NAC_PUBLIC_END
