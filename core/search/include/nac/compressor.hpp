#pragma once
// A Compressor shrinks a trained model while keeping its accuracy: magnitude pruning, QAT. It
// works on the model itself: precision and masks set through nn::Model (set_precision,
// set_mask), which also annotate the model's description (LayerSpec::precision and sparsity),
// so BOPs, the model file and the backends see the result. docs/compression.md has the recipes.
//
// The compression stage (`nac compress`, docs/compression.md) runs compressors one after the
// other on a copy of the trained model for each bit width of its sweep: a quantizing compressor
// reads the sweep's bit width from the context, a pruning one runs its rounds after it. Every
// step (a round, a bit width) is reported through `on_step` as soon as it is done, so the stage
// saves its model and its row before the next step starts: finished work is never lost.
//
// Threads: a compressor works on one model at a time: compress() is never called concurrently on
// one object.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "nac/metrics.hpp"
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac {

namespace nn {
class Model;
class TrainCallback;
}  // namespace nn

/// What fine-tuning did (a diverged run keeps its best weights; see nn::train).
struct FineTuneOutcome {
  bool diverged = false;
  std::string message;
  int epochs = 0;
};

/// One row per step of a compression schedule.
struct CompressionStep {
  std::string label;    // e.g. "round 3", "qat 8 bits"
  int round = 0;        // pruning round (0: none)
  double sparsity = 0;  // of the prunable weights, after the step
  Metrics metrics;      // validation metrics after the step
  bool failed = false;  // the step's fine-tuning diverged: the model is the previous step's
  std::string message;  // why it failed
};

struct CompressionContext {
  nn::Model& model;
  /// Validation metrics of the model (the task's, and "loss").
  std::function<Metrics(nn::Model&)> evaluate;
  /// Trains the model further for `epochs` with the stage's recipe (masks and quantizers
  /// honoured); the callbacks run inside that training.
  std::function<FineTuneOutcome(nn::Model&, int epochs, const std::vector<nn::TrainCallback*>& callbacks)> fine_tune;
  /// The metric that decides (lower is better) and its value for the model before compression.
  std::string metric = "loss";
  double reference = 0;
  /// A step keeps the accuracy when its metric is at most reference * (1 + tolerance).
  double tolerance = 0.05;
  /// The bit width of this pass of the stage's sweep (0: the compressor's own setting).
  int bits = 0;
  /// Called after every step, with the model as the step left it.
  std::function<void(const CompressionStep&, nn::Model&)> on_step;
  std::uint64_t seed = 0;
  /// Whether every value of the model's input data (the training split) is >= 0, for
  /// compressors that choose a grid for it; empty: unknown.
  std::optional<bool> inputs_nonnegative;
};

class Compressor {
 public:
  virtual ~Compressor() = default;
  virtual std::string name() const = 0;
  /// Compresses the model in place; returns every step (also given to on_step as it finished).
  /// Throws nac::Error for a model it cannot work on (no prunable layer, ...).
  virtual std::vector<CompressionStep> compress(CompressionContext& context) = 0;
};

}  // namespace nac
NAC_PUBLIC_END
