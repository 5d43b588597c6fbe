#pragma once
// Internal: the pipeline's local stage. Per selected model, a search (TPE by default) over its
// training recipe, each trial training the model afresh; then the best recipe and the base recipe
// ([training]) retrained from the same initialisations, so that their difference is the recipe's.
//
//   [stage.local]
//   select = "front"        # or "all": which of the global stage's models (then `top`, `by`)
//   top = 3                 # the 3 best by `by` (0: all)
//   metric = "error"        # minimised (or maximised, as the task says); default the task's first
//   trials = 20             # per model
//   retrains = 3            # the best and the base recipe each retrained from 3 initialisations
//   strategy = "tpe"        # or a table { name = "tpe", ... } of the strategy's settings
//   pruner = "median"       # nac/run/trial_pruner.hpp; default none
//   [stage.local.space]     # the recipe's ranges (nac/run/recipe_space.hpp)
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "nac/dataset_task.hpp"
#include "nac/run/pipeline.hpp"
#include "nac/run/recipe_space.hpp"
#include "stage_models.hpp"

namespace nac::detail {

struct LocalStageConfig {
  Selection selection;
  MetricInfo metric;
  std::int64_t trials = 20;
  int retrains = 3;
  PrunerConfig pruner;  // stops a recipe early on its learning curve  // initialisations each of the best and the base
                        // recipe is retrained from
  PluginChoice strategy;
  std::shared_ptr<const RecipeSpace> recipes;
};

/// Reads and checks [stage.local] (the strategy is made once to check its settings).
LocalStageConfig local_stage_config(const ConfigTable& table, const Experiment& experiment, const Registry& registry,
                                    const DatasetTask& task);

struct StageContext {
  const Experiment& experiment;
  const Registry& registry;
  std::uint64_t seed = 0;  // the stage's
  std::filesystem::path run_dir;
  std::shared_ptr<const TaskData> data;
  const PipelineOptions& options;
};

/// Runs the stage on `models` (already selected); resumes each model's search where it stopped.
std::vector<StageModel> run_local_stage(const LocalStageConfig& config, const std::vector<StageModel>& models,
                                        const StageContext& context);

}  // namespace nac::detail
