#pragma once
// The compression stage: a trained model through a chain of compressor plugins (e.g. qat, then
// magnitude_pruning) for each bit width of a sweep, every step's model saved and scored, and the
// papers' figure. `nac compress MODEL.nacm --config FILE.toml` runs it (docs/compression.md):
//
//   [compression]
//   compressors = ["qat", "magnitude_pruning"]   # in order; each reads [compression.NAME]
//   bits = [4, 5, 6, 7, 8, 16, 32]                # the sweep (32 = float); absent: as configured
//   metric = "mean_distance"                      # lower is better; default the task's first
//   tolerance = 0.05                              # a step keeps the accuracy within +5%
//   lr = 1.5e-4                                   # fine-tuning's learning rate ([training]'s
//                                                 # recipe otherwise, whose lr trains from scratch)
//   save = "every_step"                           # or "chosen": only chosen.nacm (a search's default)
//   fold_batch_norms = true                       # fold each norm into its conv/linear layer first
//
// The output folder holds compression.csv (a row per step, written as each finishes: the sweep's
// bits, the model's weight bits, compressor, step, round, sparsity, status, every metric, BOPs,
// effective BOPs, the model file), models/ (every step's model, with save = "every_step"),
// chosen.nacm (the step with the fewest BOPs within the tolerance, written as soon as a step
// beats the one before), summary.json and compression.svg (the metric against sparsity, one line
// per bit width, and against BOPs).
//
// The same table in an experiment compresses every candidate of a search after its training
// (docs/compression.md, "In a search"): its objectives then see the chosen step's metrics and
// model.
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "nac/compressor.hpp"
#include "nac/config.hpp"
#include "nac/dataset_task.hpp"
#include "nac/export.hpp"
#include "nac/model_spec.hpp"

NAC_PUBLIC_BEGIN
namespace nac {

class Registry;

struct CompressionConfig {
  std::vector<std::string> compressors;
  std::vector<int> bits;  // empty: one pass, the compressors' own settings
  std::string metric;     // empty: the task's first metric
  double tolerance = 0.05;
  double lr = 0;                 // the fine-tuning learning rate; 0: [training]'s
  bool save_every_step = true;   // false: only chosen.nacm
  bool fold_batch_norms = true;  // before the compressors (nac/nn/fold.hpp): what hardware computes
  /// Makes a compressor of `compressors` with its [compression.NAME] table (callable from any
  /// thread: the stage makes a fresh one for each pass of the sweep).
  std::function<std::unique_ptr<Compressor>(const std::string& name)> make;
};

/// What a search's trial reports besides the task's metrics (which become the chosen step's) and
/// their dense values (dense_<metric>) when the experiment compresses its candidates.
inline constexpr const char* compression_metric_names[] = {"dense_bops", "sparsity", "weight_bits",
                                                           "compression_seconds"};

/// Reads and checks the [compression] table, making each compressor once to check its table.
/// `in_search`: the table of an experiment, whose `save` defaults to "chosen".
CompressionConfig compression_config(const ConfigTable& table, const Registry& registry, bool in_search = false);

/// Throws nac::Error (naming the table's key) unless `metric` is empty, "loss" or one of the
/// task's metrics.
void check_compression_metric(const ConfigTable& table, const CompressionConfig& config, const DatasetTask& task);

struct CompressionRow {
  int sweep_bits = 0;    // the pass's bit width (0: as configured)
  int weight_bits = 32;  // the widest weight type of the model after the step
  std::string compressor;
  CompressionStep step;
  double bops = 0, effective_bops = 0;
  std::string model_file;  // relative to the output folder; empty: not saved (save = "chosen")
};

struct CompressionReport {
  Metrics dense;  // the model before compression
  double dense_bops = 0;
  std::vector<CompressionRow> rows;
  int chosen = -1;        // index into rows, -1: no step within the tolerance
  ModelSpec chosen_spec;  // the chosen step's model description (chosen.nacm's)
};

/// Runs the stage (see above). `recipe` fine-tunes (its epochs are set per call; its threads and
/// seed are the stage's). Throws nac::Error naming the compressor for one that cannot work on the
/// model; rows finished before stay in the folder.
CompressionReport run_compression(const std::filesystem::path& model_file, const DatasetTask& task,
                                  const TaskData& data, const nn::TrainConfig& recipe, const CompressionConfig& config,
                                  const std::filesystem::path& out, bool progress);

}  // namespace nac
NAC_PUBLIC_END
