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

TaskData Task::load_data() const { throw Error("this task has no dataset: it evaluates configurations directly"); }

Metrics Task::score(const nn::Tensor&, const nn::Tensor&) const {
  throw Error("this task does not score predictions");
}

Shape Task::input_shape() const { throw Error("this task has no input data"); }
Shape Task::target_shape() const { throw Error("this task has no targets"); }


nn::Dataset Task::generate(std::int64_t, std::uint64_t) const { throw Error("this task cannot generate data"); }

nn::Dataset Task::read_data(const std::filesystem::path& file) const {
  throw Error(file.string() + ": this task reads no data files");
}

void Task::save_data(const nn::Dataset&, const std::filesystem::path& file) const {
  throw Error(file.string() + ": this task writes no data files");
}

BaselineReport Task::run_baseline(const std::string& name, const nn::Dataset&) const {
  throw Error("this task has no baseline '" + name + "'");
}

double MetricObjective::evaluate(const Candidate& candidate) const {
  auto it = candidate.metrics.find(info_.name);
  if (it == candidate.metrics.end()) throw Error("the task did not report metric '" + info_.name + "'");
  return it->second;
}

}  // namespace nac
