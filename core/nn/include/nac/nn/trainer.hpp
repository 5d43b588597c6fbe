#pragma once
// The trainer: seeded shuffling, mini-batches, epochs, a validation pass each epoch, early
// stopping on the best validation loss (the best weights are restored at the end), the
// learning-rate schedule, gradient clipping, a history, a progress line on a terminal, and
// detection of a diverging run (a NaN or infinite loss), which stops it with a failure report
// instead of crashing. Callbacks (TrainCallback) run schedules inside training.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "nac/metrics.hpp"
#include "nac/nn/loss.hpp"
#include "nac/nn/model.hpp"
#include "nac/nn/optimizer.hpp"
#include "nac/nn/schedule.hpp"
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac::nn {

/// Samples in memory: inputs (N, ...) and targets (N, ...).
struct Dataset {
  Tensor inputs;
  Tensor targets;
  std::size_t size() const { return inputs.rank() ? static_cast<std::size_t>(inputs.dim(0)) : 0; }
};

struct TrainConfig;
struct EpochRecord;
struct TrainResult;

/// Hooks into a training run, so that schedules run inside it (pruning rounds and gradual
/// pruning, rewinding, QAT warm-up). Epochs count from 0 in on_epoch_begin, steps from 1 over the
/// whole run. The trainer calls them in this order: on_train_begin; per epoch on_epoch_begin, per
/// optimizer step on_step_end, then on_epoch_end after the epoch's validation (or after its last
/// step when only the last epoch is validated); on_train_end after the best weights are restored.
/// A callback may change the model's masks and precision (not its shapes). Returning false from
/// on_epoch_end stops the run (TrainStatus::Stopped).
class TrainCallback {
 public:
  virtual ~TrainCallback() = default;
  virtual void on_train_begin(Model&, const TrainConfig&) {}
  virtual void on_epoch_begin(Model&, int /*epoch*/) {}
  virtual void on_step_end(Model&, std::int64_t /*step*/, int /*epoch*/) {}
  virtual bool on_epoch_end(Model&, const EpochRecord&) { return true; }
  virtual void on_train_end(Model&, const TrainResult&) {}
};

struct TrainConfig {
  int epochs = 10;
  int batch = 256;
  OptimizerConfig optimizer;
  ScheduleConfig schedule;
  Loss loss;
  double clip_norm = 0;    // 0: no clipping
  int patience = 0;        // early stopping after this many epochs without improvement; 0: off
  double min_delta = 0;    // improvement needed to count as better
  std::uint64_t seed = 0;  // shuffling and dropout
  /// Validate after every epoch (early stopping, the best epoch's weights kept) or only after the
  /// last one (the model is the last epoch's; needs patience 0 and no plateau schedule).
  bool validate_every_epoch = true;
  int threads = 0;        // 0: leave the process setting alone
  bool progress = false;  // a live line on stderr
  /// Extra validation metrics from (predictions, targets), reported each epoch.
  std::function<Metrics(const Tensor&, const Tensor&)> metrics;
  /// Called as TrainCallback says, in this order (not owned; they must outlive train()).
  std::vector<TrainCallback*> callbacks;
};

struct EpochRecord {
  int epoch = 0;
  double train_loss = 0, val_loss = 0, lr = 0, seconds = 0;
  Metrics metrics;
};

enum class TrainStatus { Completed, EarlyStopped, Diverged, Stopped };
const char* to_string(TrainStatus s);

struct TrainResult {
  TrainStatus status = TrainStatus::Completed;
  std::string message;  // why it diverged
  std::vector<EpochRecord> history;
  int best_epoch = -1;
  double best_val_loss = 0;
  double seconds = 0;
  std::size_t samples_seen = 0;
  std::int64_t steps = 0;  // optimizer steps taken
};

/// Trains in place. Throws nac::Error for inconsistent data or settings (shapes, empty sets).
TrainResult train(Model& model, const Dataset& train_set, const Dataset& val_set, const TrainConfig& config);

/// Predictions in evaluation mode, `batch` samples at a time.
Tensor predict(Model& model, const Tensor& inputs, int batch = 256);

/// The mean loss of a dataset in evaluation mode.
double evaluate_loss(Model& model, const Dataset& data, const Loss& loss, int batch = 256);

}  // namespace nac::nn
NAC_PUBLIC_END
