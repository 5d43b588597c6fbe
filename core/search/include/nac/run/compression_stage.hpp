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
//
// The output folder holds compression.csv (a row per step, written as each finishes: the sweep's
// bits, the model's weight bits, compressor, step, round, sparsity, status, every metric, BOPs,
// effective BOPs, the model file), models/ (every step's model), chosen.nacm (the step with
// the fewest BOPs within the tolerance), summary.json and compression.svg (the metric against
// sparsity, one line per bit width, and against BOPs).
#include <filesystem>
#include <string>
#include <vector>

#include "nac/compressor.hpp"
#include "nac/config.hpp"
#include "nac/dataset_task.hpp"
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac {

class Registry;

struct CompressionConfig {
  std::vector<std::string> compressors;
  std::vector<int> bits;  // empty: one pass, the compressors' own settings
  std::string metric;     // empty: the task's first metric
  double tolerance = 0.05;
  double lr = 0;  // the fine-tuning learning rate; 0: [training]'s
};

/// Reads and checks the [compression] table, making each compressor once to check its table.
CompressionConfig compression_config(const ConfigTable& table, const Registry& registry);

struct CompressionRow {
  int sweep_bits = 0;    // the pass's bit width (0: as configured)
  int weight_bits = 32;  // the widest weight type of the model after the step
  std::string compressor;
  CompressionStep step;
  double bops = 0, effective_bops = 0;
  std::string model_file;  // relative to the output folder
};

struct CompressionReport {
  Metrics dense;  // the model before compression
  double dense_bops = 0;
  std::vector<CompressionRow> rows;
  int chosen = -1;  // index into rows, -1: no step within the tolerance
};

/// Runs the stage (see above). `recipe` fine-tunes (its epochs are set per call). Throws
/// nac::Error naming the compressor for one that cannot work on the model; rows finished before
/// stay in the folder.
CompressionReport run_compression(const std::filesystem::path& model_file, const DatasetTask& task,
                                  const TaskData& data, const nn::TrainConfig& recipe, const CompressionConfig& config,
                                  const ConfigTable& table, const Registry& registry, const std::filesystem::path& out,
                                  bool progress);

}  // namespace nac
NAC_PUBLIC_END
