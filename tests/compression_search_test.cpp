// A search whose experiment has a [compression] table: every candidate is compressed after its
// training, and its objectives are those of the chosen step, checked against the saved models.
#include <filesystem>

#include <doctest/doctest.h>

#include "nac/dataset_task.hpp"
#include "nac/error.hpp"
#include "nac/model_cost.hpp"
#include "nac/nn/model_io.hpp"
#include "nac/nn/trainer.hpp"
#include "nac/run/experiment.hpp"
#include "nac/run/runner.hpp"
#include "test_support.hpp"

using namespace nac;
namespace fs = std::filesystem;

namespace {

const std::string kHead = R"(name = "tiny_compressed"
seed = 5
[task]
name = "bragg"
train_samples = 256
validation_samples = 128
test_samples = 0
[architecture]
slots = 1
blocks = ["conv", "none"]
[architecture.projection]
channels = [4]
[architecture.conv]
channels = [2, 4]
norms = ["batch"]
[architecture.mlp]
layers = [1]
widths = [4, 8]
[training]
epochs = 1
batch = 64
[strategy]
name = "random"
[search]
trials = 3
workers = 1
objectives = ["error", "bops"]
)";

// The tiny search with a [compression] table of QAT at `bits` and `tolerance`, run into dir/name.
RunSummary search(const fs::path& dir, const std::string& name, const std::string& bits, const std::string& tolerance,
                  std::unique_ptr<Task>* task = nullptr) {
  const fs::path file = dir / (name + ".toml");
  test::write_file(file, kHead + "[compression]\ncompressors = [\"qat\"]\nbits = " + bits +
                             "\ntolerance = " + tolerance + "\n[compression.qat]\nepochs = 1\n");
  const Experiment ex = load_experiment(file);
  SearchSetup setup = build_search(ex, test::build_plugins(), ex.seed);
  RunSummary s = run_search(ex, setup, RunOptions{dir / name, false});
  if (task) *task = std::move(setup.task);
  return s;
}

}  // namespace

TEST_CASE("[compression] in an experiment: each candidate's objectives are its chosen step's, dense values kept") {
  test::TempDir dir("compressed_search");
  // A tolerance no step exceeds: the chosen step is the one with the fewest BOPs, the 4-bit pass.
  std::unique_ptr<Task> task_object;
  const RunSummary s = search(dir.path(), "run", "[8, 4]", "1000.0", &task_object);
  const fs::path out = dir.path() / "run";
  REQUIRE(s.trials.size() == 3);
  const auto& task = as_dataset_task(*task_object, "the test");
  const TaskData data = task.load_data();
  for (const auto& t : s.trials) {
    CAPTURE(t.id);
    CAPTURE(t.message);
    REQUIRE(t.status == TrialStatus::Complete);
    const fs::path folder = out / "compression" / ("trial_" + std::to_string(t.id));
    CHECK(fs::exists(folder / "compression.csv"));
    CHECK(!fs::exists(folder / "models"));  // a search keeps only the chosen model
    REQUIRE(fs::exists(folder / "chosen.nacm"));
    nn::Model chosen = nn::load_model(folder / "chosen.nacm");
    nn::Model dense = nn::load_model(out / "models" / ("trial_" + std::to_string(t.id) + ".nacm"));
    // The objectives, recomputed from the saved models: BOPs from the reloaded description,
    // the error by scoring the reloaded model on the validation patches.
    CHECK(t.objectives.at(1) == doctest::Approx(total_bops(chosen.spec())).epsilon(1e-12));
    CHECK(t.metrics.at("dense_bops") == doctest::Approx(total_bops(dense.spec())).epsilon(1e-12));
    CHECK(t.metrics.at("weight_bits") == 4);
    CHECK(t.metrics.at("sparsity") == 0);
    CHECK(chosen.spec().layers.at(0).precision.at("weight").width == 4);
    // Batch norms after a convolution or linear layer were folded before quantizing.
    const auto& layers = chosen.spec().layers;
    for (std::size_t i = 1; i < layers.size(); ++i)
      CHECK_FALSE((layers[i].op == "batchnorm" && (layers[i - 1].op == "conv2d" || layers[i - 1].op == "linear")));
    // 4-bit weights and inputs: far fewer BOPs than at 32 bits.
    CHECK(t.objectives.at(1) < t.metrics.at("dense_bops") / 10);
    const double error =
        task.score(nn::predict(chosen, data.validation.inputs, 256), data.validation.targets).at("error");
    const double dense_error =
        task.score(nn::predict(dense, data.validation.inputs, 256), data.validation.targets).at("error");
    CHECK(t.objectives.at(0) == doctest::Approx(error).epsilon(1e-6));
    CHECK(t.metrics.at("error") == doctest::Approx(error).epsilon(1e-6));
    CHECK(t.metrics.at("dense_error") == doctest::Approx(dense_error).epsilon(1e-6));
  }
  // trials.jsonl has the dense values and the compression's metrics.
  const auto lines = test::read_json_lines(out / "trials.jsonl");
  REQUIRE(lines.size() == 3);
  CHECK(lines[0]["metrics"]["dense_error"].get<double>() == s.trials[0].metrics.at("dense_error"));
  CHECK(lines[0]["metrics"]["weight_bits"].get<double>() == 4);

  // With no tolerance at all, a step must not be worse than the dense model: where none is, the
  // candidate stays dense (and says so with 32-bit weights).
  const RunSummary s2 = search(dir.path(), "strict", "[2]", "0.0");
  for (const auto& t : s2.trials) {
    CAPTURE(t.id);
    REQUIRE(t.status == TrialStatus::Complete);
    const bool kept =
        fs::exists(dir.path() / "strict" / "compression" / ("trial_" + std::to_string(t.id)) / "chosen.nacm");
    if (kept) {
      CHECK(t.metrics.at("error") <= t.metrics.at("dense_error"));
      CHECK(t.metrics.at("weight_bits") == 2);
    } else {
      CHECK(t.metrics.at("error") == t.metrics.at("dense_error"));
      CHECK(t.metrics.at("weight_bits") == 32);
      CHECK(t.objectives.at(1) == t.metrics.at("dense_bops"));
    }
  }
}

TEST_CASE("[compression] in an experiment: bad tables are refused before any trial, naming the key") {
  test::TempDir dir("compressed_search_bad");
  auto error_for = [&](const std::string& text) {
    const fs::path file = dir.path() / "bad.toml";
    test::write_file(file, text);
    return test::error_of([&] {
      const Experiment ex = load_experiment(file);
      (void)build_search(ex, test::build_plugins(), ex.seed);
    });
  };
  CHECK(error_for(kHead + "[compression]\ncompressors = [\"qat\"]\nmetric = \"distance\"\n")
            .find("'distance' is not a metric of the task; it reports loss, error") != std::string::npos);
  CHECK(error_for(kHead + "[compression]\ncompressors = [\"qat\"]\nsave = \"some\"\n")
            .find("expected one of every_step, chosen") != std::string::npos);
  CHECK(error_for(kHead + "[compression]\ncompressors = [\"qat\"]\n[compression.qat]\nbitz = 3\n").find("bitz") !=
        std::string::npos);
  CHECK(error_for("[task]\nname = \"test_functions\"\nproblem = \"zdt1\"\n[strategy]\nname = \"random\"\n"
                  "[compression]\ncompressors = [\"qat\"]\n")
            .find("has no networks to compress") != std::string::npos);
  // A compression metric a constraint can bound.
  CHECK(error_for(kHead + "[constraints]\ndense_errror = { max = 1.0 }\n[compression]\ncompressors = [\"qat\"]\n")
            .find("dense_error") != std::string::npos);
}
