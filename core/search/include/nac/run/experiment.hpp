#pragma once
// An experiment file, read and checked. The core keys are validated here; the tables that go to
// plugins (task, strategy, objectives) are validated by the plugins themselves when the search is
// set up (build_search), and unknown keys in them are reported after the plugin has read its own.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nac/config.hpp"
#include "nac/constraints.hpp"
#include "nac/objective.hpp"
#include "nac/registry.hpp"
#include "nac/run/trial_pruner.hpp"
#include "nac/search_strategy.hpp"
#include "nac/task.hpp"
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac {

/// A plugin named in the file and the table of settings it receives.
struct PluginChoice {
  std::string name;
  ConfigTable config = ConfigTable::empty("");
  std::string where;  // file:line:col of the name, for messages
};

/// How finished trials reach the strategy and workers get new ones (docs/architecture_search.md).
enum class Schedule {
  Ordered,  // a trial is asked when the oldest is told; told in trial order: same seed, same run
  Async,    // told as they finish, a freed worker gets a new trial at once; depends on timing
  Batch,    // `batch` trials asked at once, all told after the last finished (nac 0.2's runs)
};

struct SearchSettings {
  std::int64_t trials = 100;
  Schedule schedule = Schedule::Ordered;
  std::int64_t batch = 0;    // most trials asked and not yet told; 0: the schedule's default
  std::int64_t workers = 0;  // trials evaluated in parallel; 0: one per core
  std::int64_t threads = 1;  // threads of each worker (training)
  std::optional<std::vector<double>> reference_point;
  bool seed_known = true;  // enqueue the task's known configurations first
  PrunerConfig pruner;     // networks: stop trials early on their learning curves
};

/// A known configuration evaluated first ([search.seeds.NAME]).
struct NamedSeed {
  std::string name;
  Assignment params;
  std::string where;  // file:line:col
};

struct Experiment {
  std::filesystem::path file;
  std::string name;
  std::uint64_t seed = 0;
  std::vector<std::filesystem::path> plugin_dirs;  // resolved against the file's folder
  std::filesystem::path output;                    // default results/<name>
  PluginChoice task;
  PluginChoice strategy;
  std::vector<PluginChoice> objectives;
  SearchSettings search;
  std::vector<NamedSeed> seeds;
  std::vector<Constraint> constraints;                    // [constraints]
  std::optional<ConfigTable> architecture;                // [architecture], for dataset tasks
  ConfigTable training = ConfigTable::empty("training");  // [training]
  std::optional<ConfigTable> compression;                 // [compression]: every candidate compressed
  /// `stages`: the codesign pipeline (docs/pipeline.md), a subset of global, local, compress,
  /// backend in that order; empty: the global search alone, its files in the run folder itself.
  std::vector<std::string> stages;
  std::map<std::string, ConfigTable> stage_tables;  // [stage.local], [stage.compress], [stage.backend]

  bool has_stage(const std::string& name) const;
};

/// The stages a pipeline may list, in the order they run.
inline const std::vector<std::string>& pipeline_stage_names() {
  static const std::vector<std::string> names = {"global", "local", "compress", "backend"};
  return names;
}

/// Reads and validates an experiment file. Throws nac::Error with file:line:col and the key.
/// `relative_to` is the folder that relative paths of the file (plugin_dirs) are resolved
/// against; empty: the file's own folder. (A run's copy of its experiment resolves against the
/// original's folder, the place those paths were written for.)
Experiment load_experiment(const std::filesystem::path& file, const std::filesystem::path& relative_to = {});

/// The objects of a search, made from the plugins an experiment names.
class ArchitectureTemplate;
class RecipeSpace;
struct CompressionConfig;
namespace nn {
struct TrainConfig;
}

struct SearchSetup {
  std::unique_ptr<Task> task;
  std::shared_ptr<const ArchitectureTemplate> architecture;  // dataset tasks
  std::shared_ptr<const nn::TrainConfig> training;           // dataset tasks
  std::shared_ptr<const CompressionConfig> compression;      // [compression]: after training
  // The local stage (docs/pipeline.md): one network, `model`, trained with each trial's recipe
  // (`recipes`, whose space is `space`) instead of a template's networks.
  std::shared_ptr<const ModelSpec> model;
  std::shared_ptr<const RecipeSpace> recipes;
  std::shared_ptr<const SearchSpace> space;
  std::vector<std::unique_ptr<Objective>> objectives;
  std::unique_ptr<SearchStrategy> strategy;
  std::vector<double> reference_point;  // empty: no hypervolume
  std::vector<std::string> seed_names;  // the names of the first trials, in order
  std::vector<Constraint> constraints;  // checked against the objectives and the task's metrics
  // Who runs, for the last words of a crash (nac/detail/crash_context.hpp): e.g. "task 'bragg'
  // of plugin bragg (/path/nac_bragg.so)".
  std::string task_label, strategy_label;

  /// Trials train networks (a template's or the local stage's): the task's data is loaded.
  bool trains_networks() const { return architecture || model; }
};

/// Instantiates task, objectives and strategy (each validates its own table) with `seed`.
SearchSetup build_search(const Experiment& experiment, const Registry& registry, std::uint64_t seed);

}  // namespace nac
NAC_PUBLIC_END
