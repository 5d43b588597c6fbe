#pragma once
// Internal: evaluating one trial (a problem task directly, or a network: build, train, score).
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "nac/dataset_task.hpp"
#include "nac/run/experiment.hpp"
#include "nac/run/runner.hpp"

namespace nac::detail {

struct EvaluationEnvironment {
  const SearchSetup& setup;
  std::shared_ptr<const TaskData> data;  // dataset tasks
  std::uint64_t seed = 0;
  int threads = 1;
  std::filesystem::path out_dir;
  std::vector<std::string> objective_names;  // of setup.objectives, for the constraints
  PrunerConfig pruner;
};

/// Never throws for a bad candidate: failures become a failed record with the reason. `earlier`:
/// the learning curves the pruner compares with (those of the trials told before this one was asked).
TrialRecord evaluate_trial(const Trial& trial, const EvaluationEnvironment& env, const LearningCurves& earlier = {});

}  // namespace nac::detail
