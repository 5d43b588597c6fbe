#include "nac/task.hpp"

#include "nac/dataset_task.hpp"
#include "nac/error.hpp"
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
