#include "nac/task.hpp"

#include "nac/dataset_task.hpp"
#include "nac/error.hpp"
#include "nac/model_spec.hpp"
#include "nac/objective.hpp"

namespace nac {

// The key functions of the task interfaces: their type information lives in libnac_core, so a
// dynamic_cast from Task to a capability works across plugin libraries.
Task::~Task() = default;
ProblemTask::~ProblemTask() = default;
DatasetTask::~DatasetTask() = default;
DataGenerator::~DataGenerator() = default;
DataFiles::~DataFiles() = default;
BaselineMethods::~BaselineMethods() = default;

std::optional<std::vector<double>> Task::reference_point(const std::vector<std::string>&) const { return std::nullopt; }
std::optional<std::vector<std::vector<double>>> Task::true_front(const std::vector<std::string>&, std::size_t) const {
  return std::nullopt;
}

void check_model_fits_task(const ModelSpec& spec, const DatasetTask& task, const std::string& model_file) {
  if (task.input_shape() != spec.input)
    throw Error(model_file + ": the model takes samples " + to_string(spec.input) + ", the task gives " +
                to_string(task.input_shape()));
  if (task.target_shape() != spec.output())
    throw Error(model_file + ": the model's outputs are " + to_string(spec.output()) + ", the task's targets " +
                to_string(task.target_shape()));
}

const ProblemTask& as_problem_task(const Task& task, const std::string& what) {
  if (const auto* p = dynamic_cast<const ProblemTask*>(&task)) return *p;
  throw Error(
      what +
      " needs a problem task (one that evaluates configurations directly); this task has data and trains networks");
}

const DatasetTask& as_dataset_task(const Task& task, const std::string& what) {
  if (const auto* d = dynamic_cast<const DatasetTask*>(&task)) return *d;
  throw Error(
      what + " needs a dataset task (one with data to train networks on); this task evaluates configurations directly");
}

double MetricObjective::evaluate(const Candidate& candidate) const {
  auto it = candidate.metrics.find(info_.name);
  if (it == candidate.metrics.end()) throw Error("the task did not report metric '" + info_.name + "'");
  return it->second;
}

}  // namespace nac
