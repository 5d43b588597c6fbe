#pragma once
// A Compressor shrinks a trained model while keeping its accuracy: magnitude pruning, QAT.
// It works through the hooks of the nn engine (masks, fake-quantizers) and annotates the
// ModelSpec (per-layer bits, pruned fractions) so BOPs and backends see the result.
//
// Threads: a compressor works on one model at a time: compress() is never called concurrently on
// one object. (The compression stage that runs compressors is the next step of the codesign; this
// interface is what it will call.)
#include <functional>
#include <string>
#include <vector>

#include "nac/metrics.hpp"
#include "nac/model_spec.hpp"
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac {

namespace nn {
class Model;
}

struct CompressionContext {
  nn::Model& model;
  ModelSpec& spec;
  /// Scores the model on the validation split.
  std::function<Metrics(nn::Model&)> evaluate;
  /// Trains the model further for the given number of epochs (masks and quantizers honoured).
  std::function<void(nn::Model&, int epochs)> fine_tune;
  std::uint64_t seed = 0;
};

/// One row per step of a compression schedule (a pruning round, a bit width).
struct CompressionStep {
  std::string label;  // e.g. "prune 50%", "8 bits"
  Metrics metrics;    // validation metrics after the step
};

class Compressor {
 public:
  virtual ~Compressor() = default;
  virtual std::string name() const = 0;
  /// Compresses the model in place; returns what each step achieved.
  virtual std::vector<CompressionStep> compress(CompressionContext& context) = 0;
};

}  // namespace nac
NAC_PUBLIC_END
