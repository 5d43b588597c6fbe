#pragma once
// Internal: the models a pipeline stage hands to the next (STAGE/models.json), and which of them a
// stage takes (`select`, `top`, `by` of its [stage.NAME] table).
#include <filesystem>
#include <string>
#include <vector>

#include "nac/config.hpp"
#include "nac/metrics.hpp"
#include "nac/run/pipeline.hpp"

namespace nac::detail {

/// STAGE/models.json, written at once (a stop leaves none or all of it): its presence marks the
/// stage finished. Files are stored relative to `run_dir`.
void write_stage_models(const std::filesystem::path& run_dir, const std::string& stage,
                        const std::vector<StageModel>& models);
/// Reads STAGE/models.json; throws nac::Error naming the file when it is missing or corrupt.
std::vector<StageModel> read_stage_models(const std::filesystem::path& run_dir, const std::string& stage);
bool stage_finished(const std::filesystem::path& run_dir, const std::string& stage);

/// How a stage picks its models from the previous stage's.
struct Selection {
  bool front_only = true;  // `select = "front"` (the global stage's non-dominated models) or "all";
                           // after another stage (one model out per model in), every model goes on
  std::size_t top = 0;     // 0: every model selected
  std::string by;          // the metric `top` ranks by (empty: the stage's metric)
  Direction direction = Direction::Minimize;
};

/// Reads `select`, `top` and `by` of a stage's table (`by` checked against `metrics`).
Selection read_selection(const ConfigTable& table, const std::vector<MetricInfo>& metrics,
                         const std::string& default_by);
/// `after_global`: the models are the global stage's (`select` applies).
std::vector<StageModel> select_models(const std::vector<StageModel>& models, const Selection& selection,
                                      bool after_global);

}  // namespace nac::detail
