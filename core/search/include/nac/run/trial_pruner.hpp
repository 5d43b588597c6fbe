#pragma once
// Pruning trials on their learning curves (docs/pipeline.md, "Pruning trials"): a trial reports its
// validation loss after every epoch and stops early when it is worse than what earlier trials
// reached at the same epoch.
//
//   pruner = "median"                                    # or a table:
//   pruner = { name = "median", warmup = 2, startup = 5 }
//   pruner = { name = "asha", min_epochs = 1, reduction = 3, startup = 5 }
//
// median (Optuna's MedianPruner): from epoch `warmup` on, once `startup` earlier trials reached
// the epoch, a trial whose loss is above their median stops. asha (successive halving, Optuna's
// SuccessiveHalvingPruner): at the rungs min_epochs x reduction^k, a trial goes on only if its loss
// is among the best 1/reduction of the earlier trials' at that rung (and its own).
//
// "Earlier trials" are those told before the trial was asked: with the ordered and batch schedules
// that set is the same in every run, so a pruned search is as repeatable as any other.
#include <cstdint>
#include <string>
#include <vector>

#include "nac/config.hpp"
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac {

struct PrunerConfig {
  enum class Kind { None, Median, Asha } kind = Kind::None;
  int warmup = 1;      // median: epochs before any pruning
  int startup = 5;     // earlier trials that must have reached the epoch
  int min_epochs = 1;  // asha: the first rung
  int reduction = 3;   // asha: the rungs' factor, and 1/reduction of trials go on
};

/// Reads `key` of `table` (absent: no pruning): a name or a table with a `name`.
PrunerConfig pruner_config(const ConfigTable& table, const std::string& key = "pruner");

/// Learning curves: per earlier trial, its validation loss after each epoch it ran.
using LearningCurves = std::vector<std::vector<double>>;

/// Whether a trial with `loss` after epoch `epoch` (0-based) stops, given the earlier trials' curves.
bool should_prune(const PrunerConfig& config, const LearningCurves& earlier, int epoch, double loss);

}  // namespace nac
NAC_PUBLIC_END
