// magnitude_pruning: iterative, one-shot or gradual (AGP) magnitude pruning with fine-tuning
// between rounds, global or per layer, single weights or whole filters, with optional
// rewinding (lottery tickets). docs/compression.md has the recipe and every default.
//
//   [compression.magnitude_pruning]
//   schedule = "iterative"   fraction = 0.2   rounds = 20   epochs = 5
//   scope = "global"         structure = "unstructured"   norm = "l1"
//   rewind = "none"          # "init", "epoch:K"
#include <cmath>
#include <optional>

#include "nac/compressor.hpp"
#include "nac/error.hpp"
#include "nac/nn/trainer.hpp"
#include "nac/plugin.hpp"
#include "nac/settings.hpp"
#include "pruning.hpp"

namespace {

using namespace nac;
using nac::pruning::Norm;
using nac::pruning::Schedule;
using nac::pruning::Scope;
using nac::pruning::Structure;

const Setting<std::string> kSchedule{.key = "schedule",
                                     .fallback = "iterative",
                                     .choices = {"iterative", "one_shot", "agp"},
                                     .help =
                                         "iterative: a fraction of the remaining weights per round; one_shot: "
                                         "the target at once; agp: Zhu and Gupta's cubic ramp to the target"};
const Setting<double> kFraction{.key = "fraction",
                                .fallback = 0.2,
                                .range = Range{0, 1, true, true},
                                .help = "iterative: the fraction of the remaining weights pruned per round"};
const Setting<std::int64_t> kRounds{
    .key = "rounds", .fallback = 20, .range = Range::between(1, 1000), .help = "pruning rounds (iterative, agp)"};
const Setting<double> kTarget{
    .key = "target", .fallback = 0.8, .range = Range{0, 1, true, true}, .help = "the final sparsity (one_shot, agp)"};
const Setting<std::int64_t> kEpochs{
    .key = "epochs", .fallback = 5, .range = Range::between(0, 100000), .help = "fine-tuning epochs after each round"};
const Setting<std::string> kScope{.key = "scope",
                                  .fallback = "global",
                                  .choices = {"global", "layer"},
                                  .help =
                                      "global: one threshold over all prunable weights; layer: each layer "
                                      "pruned to the target"};
const Setting<std::string> kStructure{.key = "structure",
                                      .fallback = "unstructured",
                                      .choices = {"unstructured", "filters"},
                                      .help =
                                          "unstructured: single weights; filters: whole output channels or "
                                          "neurons (scope layer)"};
const Setting<std::string> kNorm{
    .key = "norm", .fallback = "l1", .choices = {"l1", "l2"}, .help = "the norm that ranks filters"};
const Setting<std::string> kRewind{.key = "rewind",
                                   .fallback = "none",
                                   .help =
                                       "after each round's pruning, reset the unpruned weights to: none; init "
                                       "(the initialisation of the fine-tuning recipe's seed); epoch:K (the "
                                       "weights after K epochs of the first round's fine-tuning)"};
const Setting<bool> kBiases{.key = "biases", .fallback = false, .help = "prune biases too"};
const Setting<std::int64_t> kMinWeights{
    .key = "min_weights",
    .fallback = 0,
    .range = Range::between(0, 1e15),
    .help = "tensors of fewer values stay dense (0: every tensor is pruned, as in the papers)"};
const Setting<bool> kNorms{.key = "norms", .fallback = false, .help = "prune the norms' scales and shifts too"};
const Setting<bool> kStop{.key = "stop_beyond_tolerance",
                          .fallback = true,
                          .help = "stop after the first round whose metric exceeds the stage's tolerance"};

struct Settings {
  Schedule schedule = Schedule::Iterative;
  double fraction = 0.2, target = 0.8;
  int rounds = 20, epochs = 5;
  Scope scope = Scope::Global;
  Structure structure = Structure::Unstructured;
  Norm norm = Norm::L1;
  std::string rewind = "none";
  int rewind_epoch = 0;
  bool biases = false, norms = false, stop = true;
  std::size_t min_weights = 0;
};

// Values, masks and buffers of a model, to go back to after a failed round.
struct State {
  std::vector<nn::Tensor> values;
  std::vector<std::optional<nn::Tensor>> masks;
  std::vector<nn::Tensor> buffers;
  void take(nn::Model& m) {
    values.clear();
    masks.clear();
    buffers.clear();
    for (nn::Param* p : m.params()) {
      values.push_back(std::as_const(*p).value());
      masks.push_back(p->mask());
    }
    for (auto& [name, t] : m.buffers()) buffers.push_back(*t);
  }
  void restore(nn::Model& m) const {
    m.clear_masks();
    for (std::size_t k = 0; k < m.params().size(); ++k) {
      nn::Param& p = *m.params()[k];
      p.value() = values[k];
      if (masks[k]) m.set_mask(p, *masks[k]);
    }
    std::size_t k = 0;
    for (auto& [name, t] : m.buffers()) *t = buffers[k++];
    m.refresh();
  }
};

// Keeps the weights after epoch K of a training run.
class CaptureEpoch final : public nn::TrainCallback {
 public:
  explicit CaptureEpoch(int epoch) : epoch_(epoch) {}
  bool on_epoch_end(nn::Model& m, const nn::EpochRecord& rec) override {
    if (rec.epoch == epoch_) {
      values.clear();
      for (nn::Param* p : m.params()) values.push_back(std::as_const(*p).value());
    }
    return true;
  }
  std::vector<nn::Tensor> values;

 private:
  int epoch_;
};

class MagnitudePruner final : public Compressor {
 public:
  explicit MagnitudePruner(Settings s) : s_(std::move(s)) {}
  std::string name() const override { return "magnitude_pruning"; }

  std::vector<CompressionStep> compress(CompressionContext& ctx) override {
    nn::Model& m = ctx.model;
    const std::vector<nn::Param*> params = pruning::prunable(m, s_.biases, s_.norms, s_.min_weights);
    const std::vector<const nn::Param*> view(params.begin(), params.end());
    if (s_.rewind == "epoch" && s_.rewind_epoch > s_.epochs)
      throw Error("magnitude_pruning: rewind = \"epoch:" + std::to_string(s_.rewind_epoch) + "\" needs at least " +
                  std::to_string(s_.rewind_epoch) + " fine-tuning epochs per round, found " +
                  std::to_string(s_.epochs));
    std::vector<nn::Tensor> rewind_to;
    if (s_.rewind == "init") {
      nn::Model fresh(m.spec(), ctx.seed);
      for (nn::Param* p : fresh.params()) rewind_to.push_back(std::as_const(*p).value());
    }
    std::vector<CompressionStep> steps;
    const auto targets = pruning::schedule_targets(s_.schedule, s_.fraction, s_.rounds, s_.target);
    for (std::size_t r = 0; r < targets.size(); ++r) {
      State before;
      before.take(m);
      const auto masks = pruning::magnitude_masks(view, targets[r], s_.scope, s_.structure, s_.norm);
      for (std::size_t k = 0; k < params.size(); ++k) m.set_mask(*params[k], masks[k]);
      if (!rewind_to.empty()) rewind(m, rewind_to);
      CaptureEpoch capture(s_.rewind_epoch);
      std::vector<nn::TrainCallback*> callbacks;
      if (s_.rewind == "epoch" && r == 0) callbacks.push_back(&capture);
      CompressionStep step;
      step.round = static_cast<int>(r + 1);
      step.label = "round " + std::to_string(r + 1);
      const FineTuneOutcome outcome = s_.epochs > 0 ? ctx.fine_tune(m, s_.epochs, callbacks) : FineTuneOutcome{};
      if (outcome.diverged) {
        before.restore(m);
        step.failed = true;
        step.message = outcome.message;
        step.sparsity = pruning::masked_fraction(view);
        steps.push_back(step);
        if (ctx.on_step) ctx.on_step(step, m);
        break;
      }
      if (s_.rewind == "epoch" && r == 0) rewind_to = capture.values;
      step.sparsity = pruning::masked_fraction(view);
      step.metrics = ctx.evaluate(m);
      steps.push_back(step);
      if (ctx.on_step) ctx.on_step(step, m);
      const auto it = step.metrics.find(ctx.metric);
      if (it == step.metrics.end())
        throw Error("magnitude_pruning: the evaluation gives no metric '" + ctx.metric + "'");
      if (s_.stop && !(it->second <= ctx.reference * (1 + ctx.tolerance))) break;
    }
    return steps;
  }

 private:
  // The unpruned weights back to their saved values (the masks stay).
  static void rewind(nn::Model& m, const std::vector<nn::Tensor>& values) {
    for (std::size_t k = 0; k < m.params().size(); ++k) {
      nn::Param& p = *m.params()[k];
      p.value() = values[k];
      p.apply_mask();
    }
    m.refresh();
  }

  Settings s_;
};

Settings read_settings(const ConfigTable& t) {
  Settings s;
  const std::string schedule = t.get(kSchedule);
  s.schedule = schedule == "iterative"  ? Schedule::Iterative
               : schedule == "one_shot" ? Schedule::OneShot
                                        : Schedule::Agp;
  s.fraction = t.get(kFraction);
  s.rounds = static_cast<int>(t.get(kRounds));
  s.target = t.get(kTarget);
  s.epochs = static_cast<int>(t.get(kEpochs));
  s.scope = t.get(kScope) == "global" ? Scope::Global : Scope::Layer;
  s.structure = t.get(kStructure) == "unstructured" ? Structure::Unstructured : Structure::Filters;
  s.norm = t.get(kNorm) == "l1" ? Norm::L1 : Norm::L2;
  if (s.structure == Structure::Filters && s.scope == Scope::Global)
    t.fail("structure", "filters are ranked within each layer: set scope = \"layer\"");
  const std::string rewind = t.get(kRewind);
  if (rewind == "none" || rewind == "init") {
    s.rewind = rewind;
  } else if (rewind.rfind("epoch:", 0) == 0) {
    s.rewind = "epoch";
    try {
      std::size_t used = 0;
      s.rewind_epoch = std::stoi(rewind.substr(6), &used);
      if (used != rewind.size() - 6 || s.rewind_epoch < 1) throw std::invalid_argument("");
    } catch (const std::exception&) {
      t.fail("rewind", "expected epoch:K with an integer K >= 1, found \"" + rewind + "\"");
    }
  } else {
    t.fail("rewind", "expected \"none\", \"init\" or \"epoch:K\", found \"" + rewind + "\"");
  }
  s.biases = t.get(kBiases);
  s.norms = t.get(kNorms);
  s.min_weights = static_cast<std::size_t>(t.get(kMinWeights));
  s.stop = t.get(kStop);
  return s;
}

void register_factories(Registry& r) {
  r.add_compressor(
      "magnitude_pruning", [](const ConfigTable& t) { return std::make_unique<MagnitudePruner>(read_settings(t)); },
      "magnitude pruning with fine-tuning between rounds (iterative, one-shot, AGP; global or per layer; "
      "weights or filters; rewinding)",
      describe_settings(kSchedule, kFraction, kRounds, kTarget, kEpochs, kScope, kStructure, kNorm, kRewind, kBiases,
                        kNorms, kMinWeights, kStop));
}

}  // namespace

NAC_PLUGIN("magnitude_pruning", "1.0.0", "Magnitude pruning compressor", register_factories)
