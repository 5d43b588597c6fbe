#pragma once
// Internal to nac bench: what a model problem's files give (its task, fine-tuning recipe and the
// metric it is measured by), read and checked once by check_bench and again by the runs.
#include <memory>
#include <string>

#include "nac/config.hpp"
#include "nac/nn/trainer.hpp"
#include "nac/run/bench.hpp"
#include "nac/run/experiment.hpp"
#include "nac/task.hpp"

namespace nac {

struct ModelProblemParts {
  std::shared_ptr<ConfigTable> file;  // the problem's config file, parsed
  std::unique_ptr<Task> task;         // a dataset task
  nn::TrainConfig recipe;             // its [training]
  std::string metric;                 // minimised
};

/// nac::Error naming the file and key for a bad task, recipe, metric or a missing model file.
ModelProblemParts model_problem_parts(const BenchProblem& p, const Registry& registry);

/// An experiment problem's search: build_search's, or with `recipes_of` the local stage's search
/// over that model's training recipes (its [stage.local] space, metric as the one objective).
SearchSetup experiment_setup(const BenchProblem& p, const Experiment& ex, const Registry& registry);

}  // namespace nac
