// Compression: the trainer's callbacks, magnitude pruning's thresholds and schedules against
// independent computations, the pruning and QAT plugins through their interface, and the
// compression stage end to end (`nac compress`).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include <doctest/doctest.h>

#include "nac/compressor.hpp"
#include "nac/config.hpp"
#include "nac/error.hpp"
#include "nac/nn/model_io.hpp"
#include "nac/nn/trainer.hpp"
#include "nac/registry.hpp"
#include "pruning.hpp"
#include "nn_test_support.hpp"
#include "test_support.hpp"

using namespace nac;
using namespace nac::nn;
using I = std::int64_t;
using test::layer;
namespace fs = std::filesystem;

namespace {

ModelSpec small_cnn() {
  ModelSpec s;
  s.input = {1, 6, 6};
  s.layers = {layer("conv2d", "c", {{"out_channels", I{4}}, {"kernel", I{3}}}), layer("batchnorm", "bn"),
              layer("relu", "r"), layer("flatten", "f"), layer("linear", "fc", {{"out_features", I{3}}})};
  return s;
}

Dataset cnn_data(std::size_t n, Rng& rng) {
  Dataset d{Tensor({static_cast<I>(n), 1, 6, 6}), Tensor({static_cast<I>(n), 3})};
  for (std::size_t i = 0; i < d.inputs.size(); ++i) d.inputs[i] = static_cast<float>(rng.uniform(-1, 1));
  for (std::size_t i = 0; i < d.targets.size(); ++i) d.targets[i] = static_cast<float>(rng.uniform(-1, 1));
  return d;
}

ConfigTable table_of(const std::string& text, const std::string& key) {
  return root_table(parse_toml_text(text, "c.toml"), "c.toml").table(key);
}

std::size_t zeros(const Tensor& m) { return static_cast<std::size_t>(std::count(m.data(), m.data() + m.size(), 0.0f)); }

class Recorder final : public TrainCallback {
 public:
  void on_train_begin(Model&, const TrainConfig&) override { log += "B"; }
  void on_epoch_begin(Model&, int epoch) override { log += "e" + std::to_string(epoch); }
  void on_step_end(Model&, std::int64_t step, int) override {
    steps.push_back(step);
    log += ".";
  }
  bool on_epoch_end(Model&, const EpochRecord& rec) override {
    log += "E" + std::to_string(rec.epoch);
    return rec.epoch < stop_after;
  }
  void on_train_end(Model&, const TrainResult&) override { log += "T"; }
  std::string log;
  std::vector<std::int64_t> steps;
  int stop_after = 1000;
};

}  // namespace

TEST_CASE("training callbacks: called in order, steps counted over the run, and a callback can stop it") {
  Rng rng(1);
  const Dataset train = cnn_data(40, rng), val = cnn_data(10, rng);
  TrainConfig c;
  c.epochs = 3;
  c.batch = 16;  // 3 steps per epoch
  Recorder rec;
  c.callbacks = {&rec};
  Model m(small_cnn(), 1);
  const TrainResult r = nn::train(m, train, val, c);
  CHECK(rec.log == "Be0...E1e1...E2e2...E3T");
  CHECK(rec.steps == std::vector<std::int64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9});
  CHECK(r.status == TrainStatus::Completed);
  Recorder stopper;
  stopper.stop_after = 2;
  c.callbacks = {&stopper};
  c.validate_every_epoch = false;  // on_epoch_end comes after the epoch's last step then
  Model m2(small_cnn(), 1);
  const TrainResult r2 = nn::train(m2, train, val, c);
  CHECK(stopper.log == "Be0...E1e1...E2T");
  CHECK(r2.status == TrainStatus::Stopped);
  CHECK(r2.history.size() == 2);
}

TEST_CASE("global and per-layer magnitude thresholds against a sort of all magnitudes") {
  Model m(small_cnn(), 3);
  const std::vector<Param*> params = pruning::prunable(m, false, false);
  REQUIRE(params.size() == 2);  // c.weight and fc.weight: no biases, no norms
  CHECK(params[0]->name() == "c.weight");
  CHECK(params[1]->name() == "fc.weight");
  // min_weights: c.weight (36 values) stays dense below 37, fc.weight (192) below 193.
  const auto small = pruning::prunable(m, false, false, 37);
  REQUIRE(small.size() == 1);
  CHECK(small[0]->name() == "fc.weight");
  CHECK(test::error_of([&] { pruning::prunable(m, false, false, 193); }).find("min_weights = 193") !=
        std::string::npos);
  const std::vector<const Param*> view(params.begin(), params.end());
  // Global: the 40% smallest of all 36 + 192 magnitudes, found here by sorting them.
  std::vector<float> all;
  for (const Param* p : view) all.insert(all.end(), p->value().data(), p->value().data() + p->value().size());
  std::vector<float> mags(all.size());
  std::transform(all.begin(), all.end(), mags.begin(), [](float v) { return std::abs(v); });
  std::vector<float> sorted = mags;
  std::sort(sorted.begin(), sorted.end());
  const std::size_t k = static_cast<std::size_t>(std::llround(0.4 * static_cast<double>(mags.size())));
  const float threshold = sorted[k - 1];
  const auto masks =
      pruning::magnitude_masks(view, 0.4, pruning::Scope::Global, pruning::Structure::Unstructured, pruning::Norm::L1);
  std::size_t at = 0, pruned = 0;
  for (std::size_t p = 0; p < masks.size(); ++p)
    for (std::size_t i = 0; i < masks[p].size(); ++i, ++at) {
      if (masks[p][i] == 0) {
        ++pruned;
        CHECK(mags[at] <= threshold);
      } else {
        CHECK(mags[at] >= threshold);
      }
    }
  CHECK(pruned == k);
  // Per layer: each tensor's own 40%, by its own sort.
  const auto per_layer =
      pruning::magnitude_masks(view, 0.4, pruning::Scope::Layer, pruning::Structure::Unstructured, pruning::Norm::L1);
  for (std::size_t p = 0; p < per_layer.size(); ++p) {
    std::vector<float> own(params[p]->value().size());
    for (std::size_t i = 0; i < own.size(); ++i) own[i] = std::abs(params[p]->value()[i]);
    std::vector<float> s = own;
    std::sort(s.begin(), s.end());
    const std::size_t kk = static_cast<std::size_t>(std::llround(0.4 * static_cast<double>(own.size())));
    CHECK(zeros(per_layer[p]) == kk);
    for (std::size_t i = 0; i < own.size(); ++i)
      CHECK((per_layer[p][i] == 0 ? own[i] <= s[kk - 1] : own[i] >= s[kk - 1]));
  }
  // Masked entries stay masked at the next, higher target.
  m.set_mask(*params[0], masks[0]);
  m.set_mask(*params[1], masks[1]);
  const auto next =
      pruning::magnitude_masks(view, 0.6, pruning::Scope::Global, pruning::Structure::Unstructured, pruning::Norm::L1);
  for (std::size_t p = 0; p < next.size(); ++p)
    for (std::size_t i = 0; i < next[p].size(); ++i)
      if (masks[p][i] == 0) CHECK(next[p][i] == 0);
  CHECK(pruning::masked_fraction(view) == doctest::Approx(static_cast<double>(k) / static_cast<double>(all.size())));
}

TEST_CASE("filter pruning masks the output channels of the smallest L1 and L2 norms") {
  Model m(small_cnn(), 4);
  Param& w = *m.param("c.weight");  // (4, 1, 3, 3): 4 filters of 9
  const float scale[4] = {0.5f, 3.0f, 0.1f, 2.0f};
  for (int f = 0; f < 4; ++f)
    for (int i = 0; i < 9; ++i) w.value()[static_cast<std::size_t>(f * 9 + i)] = scale[f] * (i % 2 ? 1.0f : -1.0f);
  // L2 differs from L1 here: filter 0 gets one large weight.
  w.value()[0] = -2.5f;  // L1 = 2.5 + 8 * 0.5 = 6.5, L2 = sqrt(6.25 + 2) = 2.87; filter 3: L1 18, L2 6
  const std::vector<const Param*> view{&w};
  auto l1 = pruning::magnitude_masks(view, 0.5, pruning::Scope::Layer, pruning::Structure::Filters, pruning::Norm::L1);
  // L1 norms: 6.5, 27, 0.9, 18 -> filters 2 and 0 go.
  for (int f = 0; f < 4; ++f)
    for (int i = 0; i < 9; ++i) CHECK(l1[0][static_cast<std::size_t>(f * 9 + i)] == (f == 0 || f == 2 ? 0.0f : 1.0f));
  CHECK(test::error_of([&] {
          pruning::magnitude_masks(view, 0.5, pruning::Scope::Global, pruning::Structure::Filters, pruning::Norm::L1);
        }).find("use scope = \"layer\"") != std::string::npos);
}

TEST_CASE("pruning schedules: iterative, one-shot and AGP targets by hand") {
  const auto it = pruning::schedule_targets(pruning::Schedule::Iterative, 0.2, 3, 0);
  REQUIRE(it.size() == 3);
  CHECK(it[0] == doctest::Approx(0.2));
  CHECK(it[1] == doctest::Approx(0.36));
  CHECK(it[2] == doctest::Approx(0.488));
  CHECK(pruning::schedule_targets(pruning::Schedule::Iterative, 0.2, 20, 0).back() ==
        doctest::Approx(1 - std::pow(0.8, 20)));  // 98.8%, the paper's 20 rounds
  CHECK(pruning::schedule_targets(pruning::Schedule::OneShot, 0.2, 5, 0.7) == std::vector<double>{0.7});
  const auto agp = pruning::schedule_targets(pruning::Schedule::Agp, 0, 4, 0.8);
  CHECK(agp[0] == doctest::Approx(0.8 * (1 - 0.421875)));  // (1 - 1/4)^3 = 0.421875
  CHECK(agp[1] == doctest::Approx(0.8 * (1 - 0.125)));
  CHECK(agp[3] == doctest::Approx(0.8));
}

namespace {

// A compression context on a small model whose fine-tuning is a function the test chooses.
struct FakeStage {
  Model model{small_cnn(), 5};
  std::vector<CompressionStep> seen;
  std::function<FineTuneOutcome(Model&, int)> tune = [](Model&, int) { return FineTuneOutcome{}; };
  double metric = 1.0;
  CompressionContext context() {
    return CompressionContext{
        model,
        [this](Model&) {
          return Metrics{{"loss", metric}};
        },
        [this](Model& m, int epochs, const std::vector<TrainCallback*>&) { return tune(m, epochs); },
        "loss",
        1.0,
        0.05,
        0,
        [this](const CompressionStep& s, Model&) { seen.push_back(s); },
        5,
        std::nullopt};
  }
};

std::unique_ptr<Compressor> make(const std::string& name, const std::string& settings) {
  const ConfigTable t = table_of("[x]\n" + settings, "x");
  auto c = test::build_plugins().compressor(name)(t);
  t.finish();
  return c;
}

}  // namespace

TEST_CASE("magnitude_pruning rounds: masks stay, rewinding to init restores the saved values exactly") {
  FakeStage stage;
  const Model fresh(small_cnn(), 5);  // the initialisation of the recipe's seed
  int calls = 0;
  std::size_t checked = 0;
  stage.tune = [&](Model& m, int epochs) {
    CHECK(epochs == 2);
    ++calls;
    // Rewound: every unmasked weight holds its initial value, bit for bit; masked ones are 0.
    for (std::size_t k = 0; k < m.params().size(); ++k) {
      const Param& p = *m.params()[k];
      const Tensor& init = fresh.params()[k]->value();
      for (std::size_t i = 0; i < p.value().size(); ++i) {
        const bool masked = p.mask() && (*p.mask())[i] == 0;
        const float now = p.value()[i], then = init[i];
        if (!masked) CHECK(std::memcmp(&now, &then, sizeof(float)) == 0);
        if (masked) CHECK(p.value()[i] == 0);
        ++checked;
      }
    }
    for (Param* p : m.params()) {  // "training" moves every weight
      for (std::size_t i = 0; i < p->value().size(); ++i) p->value()[i] += 0.25f;
      p->apply_mask();
    }
    return FineTuneOutcome{};
  };
  auto pruner = make("magnitude_pruning", "rounds = 3\nepochs = 2\nrewind = \"init\"\n");
  CompressionContext ctx = stage.context();
  const auto steps = pruner->compress(ctx);
  CHECK(calls == 3);
  CHECK(checked > 0);
  REQUIRE(steps.size() == 3);
  CHECK(stage.seen.size() == 3);
  CHECK(steps[2].sparsity == doctest::Approx(0.488).epsilon(0.02));
  CHECK(stage.model.spec().layers[0].sparsity > 0);
}

TEST_CASE("magnitude_pruning: a diverging round is recorded and the model keeps the previous round") {
  FakeStage stage;
  int round = 0;
  stage.tune = [&](Model& m, int) {
    if (++round == 2) {
      for (Param* p : m.params()) p->value().fill(NAN);
      return FineTuneOutcome{true, "training diverged: the loss became NaN at epoch 1, batch 1", 1};
    }
    return FineTuneOutcome{};
  };
  auto pruner = make("magnitude_pruning", "rounds = 5\nepochs = 1\n");
  CompressionContext ctx = stage.context();
  const auto steps = pruner->compress(ctx);
  REQUIRE(steps.size() == 2);
  CHECK(!steps[0].failed);
  CHECK(steps[1].failed);
  CHECK(steps[1].message.find("diverged") != std::string::npos);
  CHECK(steps[1].sparsity == doctest::Approx(steps[0].sparsity));  // back to round 1's masks
  for (Param* p : stage.model.params())
    for (std::size_t i = 0; i < p->value().size(); ++i) CHECK(std::isfinite(p->value()[i]));
  // Beyond the tolerance: recorded, then the rounds stop.
  FakeStage worse;
  worse.metric = 1.2;
  auto pruner2 = make("magnitude_pruning", "rounds = 5\nepochs = 1\n");
  CompressionContext ctx2 = worse.context();
  CHECK(pruner2->compress(ctx2).size() == 1);
}

TEST_CASE("compressors refuse bad settings and models they cannot work on") {
  CHECK(test::error_of([] { make("magnitude_pruning", "fraction = 1.0\n"); }).find("fraction") != std::string::npos);
  CHECK(test::error_of([] { make("magnitude_pruning", "fraction = 0\n"); }).find("fraction") != std::string::npos);
  CHECK(test::error_of([] { make("magnitude_pruning", "target = 1.5\n"); }).find("target") != std::string::npos);
  CHECK(test::error_of([] { make("magnitude_pruning", "rewind = \"epoch:x\"\n"); }).find("epoch:K") !=
        std::string::npos);
  CHECK(test::error_of([] { make("magnitude_pruning", "structure = \"filters\"\n"); }).find("scope = \"layer\"") !=
        std::string::npos);
  CHECK(test::error_of([] { make("magnitude_pruning", "shedule = \"agp\"\n"); }).find("shedule") != std::string::npos);
  CHECK(test::error_of([] { make("qat", "bits = 20\n"); }).find("2 to 16 bits, or 32") != std::string::npos);
  CHECK(test::error_of([] { make("qat", "bits = 1\n"); }).find("bits") != std::string::npos);
  CHECK(test::error_of([] { make("qat", "integer_bits = 3\n"); }).find("only with mode = \"fixed\"") !=
        std::string::npos);
  CHECK(test::error_of([] {
          make("qat", "[x.layers.c]\nweight = \"ap_fixed<8,3,AP_RUND>\"\n");
        }).find("unknown rounding mode") != std::string::npos);
  // No prunable layer.
  ModelSpec s;
  s.input = {4};
  s.layers = {layer("relu", "r")};
  Model m(s, 1);
  CompressionContext ctx{m,
                         [](Model&) {
                           return Metrics{{"loss", 1.0}};
                         },
                         [](Model&, int, const std::vector<TrainCallback*>&) { return FineTuneOutcome{}; },
                         "loss",
                         1.0,
                         0.05,
                         0,
                         nullptr,
                         0,
                         std::nullopt};
  CHECK(test::error_of([&] { make("magnitude_pruning", "")->compress(ctx); }).find("no prunable layer") !=
        std::string::npos);
}

TEST_CASE("qat sets every weighted layer's precision from the bits of the pass, fixed mode on SNAC-Pack's grid") {
  FakeStage stage;
  int tuned = 0;
  stage.tune = [&](Model&, int) {
    ++tuned;
    return FineTuneOutcome{};
  };
  auto qat = make("qat", "mode = \"fixed\"\nepochs = 1\n[x.layers.fc]\nweight = \"ap_fixed<6,2>\"\n");
  CompressionContext ctx = stage.context();
  ctx.bits = 8;
  const auto steps = qat->compress(ctx);
  REQUIRE(steps.size() == 1);
  CHECK(steps[0].label == "8 bits");
  CHECK(tuned == 1);
  const auto& layers = stage.model.spec().layers;
  CHECK(to_string(layers[0].precision.at("weight")) == "ap_fixed<8,3,AP_RND_CONV,AP_SAT>");  // (8, 3)
  CHECK(to_string(layers[0].precision.at("input")) == "ap_fixed<8,3,AP_RND_CONV,AP_SAT>");
  CHECK(to_string(layers[4].precision.at("weight")) == "ap_fixed<6,2>");  // the override
  CHECK(layers[1].precision.empty());                                     // batchnorm: left alone
  CHECK(!layers[0].precision.count("bias"));
  // Every weight lies on the grid of its type.
  const Tensor& w = stage.model.param("c.weight")->effective();
  for (std::size_t i = 0; i < w.size(); ++i) CHECK(w[i] * 32 == std::round(w[i] * 32));  // step 2^-5
  // Scaled mode (the default): the last weighted layer's input at 16 bits; inputs unsigned where
  // they cannot be negative: fc reads relu -> flatten, c the model's input, when the data is >= 0.
  for (const bool nonnegative : {false, true}) {
    FakeStage scaled;
    CompressionContext cs = scaled.context();
    cs.bits = 6;
    cs.inputs_nonnegative = nonnegative;
    make("qat", "epochs = 0\n")->compress(cs);
    const auto& l = scaled.model.spec().layers;
    CHECK(l[0].precision.at("weight") == NumberType::scaled_int(6));
    CHECK(l[0].precision.at("input") == NumberType::scaled_int(6, !nonnegative));
    CHECK(l[4].precision.at("weight") == NumberType::scaled_int(6));
    CHECK(l[4].precision.at("input") == NumberType::scaled_int(16, false));  // last layer, after a relu
  }
  // ... and with input_sign = "signed" and last_input_bits = 0, int<6> everywhere.
  FakeStage uniform;
  CompressionContext cu = uniform.context();
  cu.bits = 6;
  cu.inputs_nonnegative = true;
  make("qat", "epochs = 0\ninput_sign = \"signed\"\nlast_input_bits = 0\n")->compress(cu);
  for (std::size_t i : {0u, 4u})
    CHECK(uniform.model.spec().layers[i].precision.at("input") == NumberType::scaled_int(6));
  // 32 bits: float, nothing changed.
  FakeStage plain;
  CompressionContext c32 = plain.context();
  c32.bits = 32;
  CHECK(make("qat", "")->compress(c32)[0].label == "float32");
  CHECK(plain.model.spec().layers[0].precision.empty());
}

TEST_CASE("nac compress: a QAT and pruning sweep, every step saved, the chosen model, the figure, bad input") {
  test::TempDir dir("compress");
  const fs::path d = dir.path();
  test::write_file(d / "m.json", R"({"input": [1, 11, 11], "layers": [
    {"op": "conv2d", "name": "c1", "attrs": {"out_channels": 4, "kernel": 3}},
    {"op": "relu", "name": "a1"}, {"op": "flatten", "name": "f"},
    {"op": "linear", "name": "fc1", "attrs": {"out_features": 8}}, {"op": "relu", "name": "a2"},
    {"op": "linear", "name": "fc2", "attrs": {"out_features": 2}}]})");
  const std::string common = R"([task]
name = "bragg"
train_samples = 400
validation_samples = 200
test_samples = 100
[training]
epochs = 2
batch = 64
lr = 2e-3
seed = 1
)";
  test::write_file(d / "c.toml", common + R"([compression]
compressors = ["qat", "magnitude_pruning"]
bits = [8, 32]
tolerance = 10.0
[compression.qat]
epochs = 1
[compression.magnitude_pruning]
rounds = 2
epochs = 1
)");
  const auto q = [](const fs::path& p) { return "'" + p.string() + "'"; };
  auto r = test::run_nac("train " + q(d / "m.json") + " --config " + q(d / "c.toml") + " --out " + q(d / "t") +
                         " -q --threads 1");
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  r = test::run_nac("compress " + q(d / "t" / "model.nacm") + " --config " + q(d / "c.toml") + " --out " +
                    q(d / "out") + " --threads 1");
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  CHECK(r.err.find("8 bits | magnitude_pruning round 2") != std::string::npos);
  const std::string csv = test::read_file(d / "out" / "compression.csv");
  std::vector<std::string> lines;
  for (std::size_t a = 0, b; (b = csv.find('\n', a)) != std::string::npos; a = b + 1)
    lines.push_back(csv.substr(a, b - a));
  REQUIRE(lines.size() == 1 + 1 + 2 * 3);  // header, dense, (qat + 2 rounds) x 2 bit widths
  CHECK(lines[0].rfind("bits,weight_bits,compressor,step,round,sparsity,status,loss,error", 0) == 0);
  CHECK(lines[2].rfind("8,8,qat,8 bits,0,0,ok", 0) == 0);
  CHECK(lines[3].rfind("8,8,magnitude_pruning,round 1,1,0.2", 0) == 0);
  CHECK(lines[5].rfind("32,32,qat,float32,0,0,ok", 0) == 0);
  // Each step's model is there and reloads with its compression.
  const Model m = load_model(d / "out" / "models" / "8bits_magnitude_pruning_round_2.nacm");
  CHECK(m.spec().layers[0].precision.at("weight") == NumberType::scaled_int(8));
  CHECK(m.spec().layers[3].sparsity > 0.2);
  CHECK(fs::exists(d / "out" / "chosen.nacm"));  // (the tolerance lets every step through)
  const std::string summary = test::read_file(d / "out" / "summary.json");
  CHECK(summary.find("\"chosen\"") != std::string::npos);
  CHECK(summary.find("8bits_magnitude_pruning_round_2") != std::string::npos);  // the fewest BOPs
  const std::string svg = test::read_file(d / "out" / "compression.svg");
  CHECK(svg.find("error against sparsity") != std::string::npos);
  CHECK(svg.find("8 bits") != std::string::npos);
  // The same folder again: refused, nothing overwritten.
  r = test::run_nac("compress " + q(d / "t" / "model.nacm") + " --config " + q(d / "c.toml") + " --out " +
                    q(d / "out"));
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("already holds a compression") != std::string::npos);
  // Bad settings are said before any work, naming the file and key.
  test::write_file(d / "bad.toml", common + "[compression]\ncompressors = [\"qat\"]\nbits = [20]\n");
  r = test::run_nac("compress " + q(d / "t" / "model.nacm") + " --config " + q(d / "bad.toml") + " --out " +
                    q(d / "o2"));
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("c.toml") == std::string::npos);
  CHECK(r.err.find("bad.toml") != std::string::npos);
  CHECK(r.err.find("2 to 16, or 32") != std::string::npos);
  test::write_file(d / "bad2.toml", common + "[compression]\ncompressors = [\"qat\"]\n[compression.qat]\nbitz = 4\n");
  r = test::run_nac("compress " + q(d / "t" / "model.nacm") + " --config " + q(d / "bad2.toml") + " --out " +
                    q(d / "o3"));
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("bitz") != std::string::npos);
  CHECK(!fs::exists(d / "o3" / "compression.csv"));
  test::write_file(d / "bad3.toml", common + "[compression]\ncompressors = [\"prune\"]\n");
  r = test::run_nac("compress " + q(d / "t" / "model.nacm") + " --config " + q(d / "bad3.toml"));
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("prune") != std::string::npos);
}
