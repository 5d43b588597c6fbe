#pragma once
// The codesign pipeline: an experiment's stages (global, local, compress, backend; docs/pipeline.md),
// each reading the models the stage before it handed on and writing its own sub-folder of the run:
//
//   RUN/global/     the global search (a run folder as `nac run` writes without stages)
//   RUN/local/      per selected model, TPE over its training recipe (local/trial_N/, a run folder),
//                   then the best recipe and the base recipe retrained from the same initialisations: the gain
//   RUN/compress/   per model, the compression sweep (compress/trial_N/, as nac compress writes)
//   RUN/backend/    per model, a backend's project and estimates (backend/trial_N/)
//
// Each stage's models.json (the models it hands on, with their metrics) is written when the stage
// ends; a resumed run skips the stages that have one and resumes inside the one that has not.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nac/metrics.hpp"
#include "nac/registry.hpp"
#include "nac/run/experiment.hpp"
#include "nac/run/runner.hpp"
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac {

/// A model one stage hands to the next.
struct StageModel {
  std::string name;            // "trial_17": the global trial it descends from
  std::filesystem::path file;  // its .nacm, relative to the run folder
  Metrics metrics;             // the stage's figures (the task's metrics, bops, gains, estimates)
  bool front = false;          // on the global stage's front
  std::string note;            // e.g. the local stage's best recipe, or why compression kept it dense
};

struct StageOutcome {
  std::string stage;
  std::vector<StageModel> models;
  double seconds = 0;  // this session's (0: finished in an earlier session)
};

struct PipelineOptions {
  std::filesystem::path out_dir;
  bool progress = false;
  bool resume = false;
  /// Rerun from this stage: its folder and the later stages' are removed first (needs resume).
  std::string from;
  std::map<std::string, std::string> versions = {};
};

struct PipelineSummary {
  std::vector<StageOutcome> stages;
  std::optional<RunSummary> global;  // the global stage's, when it ran in this session
};

/// Checks every stage's table against the task and the registry (unknown keys, plugins, metrics),
/// before anything runs. Throws nac::Error naming the key.
void check_pipeline(const Experiment& experiment, const Registry& registry, const SearchSetup& setup);

/// Runs the stages of `experiment` (which lists them). `setup` is build_search's for the experiment
/// (its task, recipe and, with a global stage, strategy). Refuses a folder that holds a run unless
/// resuming.
PipelineSummary run_pipeline(const Experiment& experiment, const Registry& registry, SearchSetup& setup,
                             const PipelineOptions& options);

}  // namespace nac
NAC_PUBLIC_END
