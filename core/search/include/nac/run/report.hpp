#pragma once
// The report of a run folder (docs/pipeline.md, "The report"): report.md and a self-contained
// report.html (its figures inlined, no network) with the experiment, each stage's outcome, the
// Pareto front beside the seeds with ratios to the first, hypervolume against trials, the front's
// architectures as a table and a diagram, the local stage's gains and training curves, the
// compression figures and the hardware estimates. `nac report DIR` writes it; `nac run` writes it
// at the end of every run.
#include <filesystem>

#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac {

/// Writes DIR/report.md, DIR/report.html and the report's own figures (DIR/report_*.svg), from the
/// folder's files alone (a search's run folder, or a pipeline's). Throws nac::Error naming the
/// folder when it holds no run, WriteError when a file cannot be written.
void write_report(const std::filesystem::path& dir);

}  // namespace nac
NAC_PUBLIC_END
