// Pruning trials on learning curves: the median and successive-halving rules against hand-worked
// cases, their settings, and a pruned search that repeats itself exactly, also across a resume.
#include <filesystem>

#include <doctest/doctest.h>
#include <toml++/toml.h>

#include "nac/config.hpp"
#include "nac/error.hpp"
#include "nac/run/experiment.hpp"
#include "nac/run/runner.hpp"
#include "nac/run/trial_pruner.hpp"
#include "test_support.hpp"

using namespace nac;
namespace fs = std::filesystem;

namespace {

PrunerConfig config(const std::string& text) {
  static std::vector<std::shared_ptr<const toml::table>> keep;
  keep.push_back(parse_toml_text(text, "p.toml"));
  return pruner_config(root_table(keep.back(), "p.toml"));
}

const std::string kSearch = R"(name = "pruned"
seed = 4
[task]
name = "bragg"
train_samples = 256
validation_samples = 128
test_samples = 0
[architecture]
slots = 1
blocks = ["conv", "none"]
[architecture.projection]
channels = [4, 8]
[architecture.conv]
channels = [2, 4]
[architecture.mlp]
layers = [1]
widths = [4, 8]
[training]
epochs = 4
batch = 64
optimizer = "adam"
lr = 1e-3
[strategy]
name = "random"
[search]
trials = 10
workers = 2
objectives = ["error", "bops"]
pruner = { name = "median", warmup = 0, startup = 2 }
)";

}  // namespace

TEST_CASE("median pruner: above the median of the earlier trials at the same epoch, after warm-up and start-up") {
  const PrunerConfig c = config("pruner = { name = \"median\", warmup = 1, startup = 3 }");
  const LearningCurves earlier = {{1, 2}, {2, 3}, {3, 4, 5}};
  CHECK(!should_prune(c, earlier, 0, 100));  // warm-up: epoch 0 is never pruned
  CHECK(should_prune(c, earlier, 1, 3.5));   // median of 2, 3, 4 is 3
  CHECK(!should_prune(c, earlier, 1, 3.0));  // not above it
  CHECK(!should_prune(c, earlier, 2, 9));    // one earlier trial reached epoch 2: fewer than start-up
  CHECK(should_prune(c, earlier, 1, NAN));   // a diverged loss stops
  const PrunerConfig even = config("pruner = { name = \"median\", warmup = 0, startup = 2 }");
  CHECK(should_prune(even, {{1}, {2}}, 0, 1.6));  // median of 1 and 2 is 1.5
  CHECK(!should_prune(even, {{1}, {2}}, 0, 1.5));
  CHECK(!should_prune(config(""), earlier, 1, 1e9));  // no pruner
}

TEST_CASE("asha pruner: at the rungs min_epochs x reduction^k the best 1/reduction go on") {
  const PrunerConfig c = config("pruner = { name = \"asha\", min_epochs = 1, reduction = 2, startup = 3 }");
  const LearningCurves earlier = {{1, 1, 1, 1}, {2, 2, 2, 2}, {3, 3, 3, 3}};
  // Rung at 1 epoch (index 0): the values 1, 2, 3 and the trial's own; the best 4 / 2 = 2 go on.
  CHECK(!should_prune(c, earlier, 0, 1.5));  // 1, 1.5 | 2, 3
  CHECK(should_prune(c, earlier, 0, 2.5));   // 1, 2 | 2.5, 3
  CHECK(!should_prune(c, earlier, 2, 100));  // 3 epochs: no rung
  CHECK(should_prune(c, earlier, 3, 2.5));   // 4 epochs: a rung
  CHECK(!should_prune(c, earlier, 1, 0.5));  // 2 epochs: a rung, the best
}

TEST_CASE("pruner settings: a name or a table, unknown names and keys are errors") {
  CHECK(config("pruner = \"median\"").kind == PrunerConfig::Kind::Median);
  CHECK(config("pruner = \"none\"").kind == PrunerConfig::Kind::None);
  CHECK(config("pruner = { name = \"asha\", reduction = 4 }").reduction == 4);
  CHECK(test::error_of([] { config("pruner = \"hyperband\""); }).find("unknown pruner 'hyperband'") !=
        std::string::npos);
  CHECK(test::error_of([] { config("pruner = { name = \"asha\", warmup = 3 }"); }).find("warmup") != std::string::npos);
  CHECK(test::error_of([] { config("pruner = { name = \"median\", startup = 0 }"); }).find("startup") !=
        std::string::npos);
}

TEST_CASE("a pruned search: trials stop early on their curves, the run repeats itself, also across a resume") {
  test::TempDir dir("pruned_search");
  const fs::path file = dir.path() / "e.toml";
  test::write_file(file, kSearch);
  const Experiment ex = load_experiment(file);
  SearchSetup full = build_search(ex, test::build_plugins(), ex.seed);
  const RunSummary s = run_search(ex, full, RunOptions{dir.path() / "full", false});
  int pruned = 0;
  for (const auto& t : s.trials) {
    CAPTURE(t.id);
    REQUIRE(t.status == TrialStatus::Complete);
    if (t.metrics.count("pruned_at_epoch")) {
      ++pruned;
      CHECK(t.metrics.at("pruned_at_epoch") < 4);
      CHECK(t.curve.size() == static_cast<std::size_t>(t.metrics.at("pruned_at_epoch")));
    } else {
      CHECK(t.curve.size() == 4);
    }
  }
  CHECK(pruned > 0);
  CHECK(pruned < 8);

  SearchSetup again = build_search(ex, test::build_plugins(), ex.seed);
  run_search(ex, again, RunOptions{dir.path() / "again", false});
  CHECK(test::told_trials(dir.path() / "again") == test::told_trials(dir.path() / "full"));

  SearchSetup part = build_search(ex, test::build_plugins(), ex.seed);
  RunOptions first{dir.path() / "part", false};
  first.stop_after = 5;
  run_search(ex, part, first);
  SearchSetup rest = build_search(ex, test::build_plugins(), ex.seed);
  RunOptions second{dir.path() / "part", false};
  second.resume = true;
  run_search(ex, rest, second);
  CHECK(test::told_trials(dir.path() / "part") == test::told_trials(dir.path() / "full"));
  const auto lines = test::read_json_lines(dir.path() / "full" / "trials.jsonl");
  CHECK(lines.at(0).contains("curve"));
}
