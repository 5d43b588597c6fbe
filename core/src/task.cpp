#include "nac/task.hpp"

#include "nac/error.hpp"
#include "nac/objective.hpp"

namespace nac {

Metrics Task::evaluate(const Assignment&, const EvalContext&) const {
  throw Error("this task is evaluated by training a model, not directly");
}

std::optional<std::vector<double>> Task::reference_point(const std::vector<std::string>&) const {
  return std::nullopt;
}

double MetricObjective::evaluate(const Candidate& candidate) const {
  auto it = candidate.metrics.find(info_.name);
  if (it == candidate.metrics.end()) throw Error("the task did not report metric '" + info_.name + "'");
  return it->second;
}

}  // namespace nac
