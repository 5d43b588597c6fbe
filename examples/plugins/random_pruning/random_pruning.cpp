// random_pruning: a compressor plugin built outside nac's tree (examples/plugins/README.md), the
// baseline that magnitude pruning must beat: each round masks a random `fraction` of the weights
// still unmasked, in every convolution and linear layer, then fine-tunes.
//
//   [compression]
//   compressors = ["random_pruning"]
//   [compression.random_pruning]
//   fraction = 0.2   rounds = 3   epochs = 1
#include <string>
#include <vector>

#include "nac/compressor.hpp"
#include "nac/config.hpp"
#include "nac/error.hpp"
#include "nac/nn/model.hpp"
#include "nac/plugin.hpp"
#include "nac/rng.hpp"
#include "nac/settings.hpp"

namespace {

const nac::Setting<double> kFraction{.key = "fraction",
                                     .fallback = 0.2,
                                     .range = nac::Range{0, 1, true, true},
                                     .help = "the fraction of the remaining weights masked per round"};
const nac::Setting<std::int64_t> kRounds{
    .key = "rounds", .fallback = 3, .range = nac::Range::between(1, 1000), .help = "pruning rounds"};
const nac::Setting<std::int64_t> kEpochs{
    .key = "epochs", .fallback = 1, .range = nac::Range::between(0, 100000), .help = "fine-tuning epochs per round"};

class RandomPruning final : public nac::Compressor {
 public:
  RandomPruning(double fraction, int rounds, int epochs) : fraction_(fraction), rounds_(rounds), epochs_(epochs) {}
  std::string name() const override { return "random_pruning"; }

  std::vector<nac::CompressionStep> compress(nac::CompressionContext& ctx) override {
    nac::nn::Model& m = ctx.model;
    std::vector<nac::nn::Param*> weights;
    for (nac::nn::Param* p : m.params()) {
      const nac::LayerSpec* layer = nac::find_layer(m.spec(), m.layer_of(*p));
      if ((layer->op == "conv2d" || layer->op == "linear") && nac::nn::Model::role_of(*p) == "weight")
        weights.push_back(p);
    }
    if (weights.empty()) throw nac::Error("random_pruning: the model has no convolution or linear layer");
    nac::Rng rng(ctx.seed);
    std::vector<nac::CompressionStep> steps;
    for (int r = 1; r <= rounds_; ++r) {
      double masked = 0, total = 0;
      for (nac::nn::Param* p : weights) {
        nac::nn::Tensor mask(p->value().shape());
        for (std::size_t i = 0; i < mask.size(); ++i) {
          const bool was = !p->mask() || (*p->mask())[i] != 0;
          mask[i] = was && rng.uniform(0, 1) >= fraction_ ? 1.0f : 0.0f;
          masked += mask[i] == 0;
        }
        total += static_cast<double>(mask.size());
        m.set_mask(*p, std::move(mask));
      }
      nac::CompressionStep step;
      step.label = "round " + std::to_string(r);
      step.round = r;
      step.sparsity = masked / total;
      const nac::FineTuneOutcome outcome = epochs_ > 0 ? ctx.fine_tune(m, epochs_, {}) : nac::FineTuneOutcome{};
      step.failed = outcome.diverged;
      step.message = outcome.message;
      if (!step.failed) step.metrics = ctx.evaluate(m);
      steps.push_back(step);
      if (ctx.on_step) ctx.on_step(step, m);
      if (step.failed) break;
    }
    return steps;
  }

 private:
  double fraction_;
  int rounds_, epochs_;
};

void register_factories(nac::Registry& registry) {
  registry.add_compressor(
      "random_pruning",
      [](const nac::ConfigTable& t) {
        return std::make_unique<RandomPruning>(t.get(kFraction), static_cast<int>(t.get(kRounds)),
                                               static_cast<int>(t.get(kEpochs)));
      },
      "masks a random fraction of the remaining weights per round (a baseline for magnitude pruning)",
      nac::describe_settings(kFraction, kRounds, kEpochs));
}

}  // namespace

NAC_PLUGIN("random_pruning", "1.0.0", "Random pruning, an example compressor built out of tree", register_factories)
