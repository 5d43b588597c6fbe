// The codesign pipeline (stages global, local, compress, backend) and the local stage's recipe
// space: the space against the documented ranges, recipes against hand-set values, a run killed at
// random points against an uninterrupted one, and bad stage settings.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <cmath>
#include <thread>
#include <set>
#include <filesystem>
#include <random>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include "nac/config.hpp"
#include "nac/error.hpp"
#include "nac/nn/model.hpp"
#include "nac/nn/model_io.hpp"
#include "nac/run/experiment.hpp"
#include "nac/run/recipe_space.hpp"
#include "test_support.hpp"

using namespace nac;
namespace fs = std::filesystem;

namespace {

// A RecipeSpace from the text of [stage.local.space] and of [training].
RecipeSpace recipe_space(const std::string& space, const std::string& training = "epochs = 10\nlr = 1.5e-3\n") {
  static std::vector<std::shared_ptr<const toml::table>> keep;  // the tables outlive the views
  keep.push_back(parse_toml_text("[space]\n" + space + "\n[training]\n" + training, "test.toml"));
  const ConfigTable root = root_table(keep.back(), "test.toml");
  return RecipeSpace(root.table("space"), root.table("training"), "mse");
}

const std::string kExperiment = R"(name = "tiny_pipeline"
seed = 3
stages = ["global", "local", "compress", "backend"]
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
[architecture.mlp]
layers = [1]
widths = [4, 8]
[training]
epochs = 2
batch = 64
optimizer = "adam"
lr = 1e-3
[strategy]
name = "random"
[search]
trials = 4
workers = 1
objectives = ["error", "bops"]
[stage.local]
select = "all"
top = 2
trials = 6
[stage.compress]
compressors = ["qat", "magnitude_pruning"]
bits = [8]
threads = 1
[stage.compress.qat]
mode = "fixed"
epochs = 2
[stage.compress.magnitude_pruning]
rounds = 3
epochs = 2
[stage.backend]
name = "hls"
)";

void replace(std::string& text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
}

// Runs `command` (a shell command line starting nac), kills it (SIGKILL) `seconds` after `path`
// appears (or lets it end), and returns its exit code (137 when killed).
int run_killed(const std::string& command, const fs::path& path, double seconds) {
  const std::string line = "exec " + command + " >/dev/null 2>&1";  // (the shell becomes nac)
  const char* argv[] = {"/bin/sh", "-c", line.c_str(), nullptr};
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char* const*>(argv), environ) == 0);
  int status = 0;
  while (!fs::exists(path))
    if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    else std::this_thread::sleep_for(std::chrono::microseconds(500));
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  ::kill(pid, SIGKILL);
  REQUIRE(waitpid(pid, &status, 0) == pid);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A stage's models.json without what depends on timing or on the folder's name.
std::string stage_result(const fs::path& run, const std::string& stage) {
  nlohmann::json j = nlohmann::json::parse(test::read_file(run / stage / "models.json"));
  for (auto& m : j) {
    for (const char* k : {"train_seconds", "compression_seconds"}) m["metrics"].erase(k);
    m.erase("note");
  }
  return j.dump();
}

}  // namespace

TEST_CASE("recipe space: Morph's ranges by default, conditional settings only where they apply") {
  const RecipeSpace r = recipe_space("");
  const SearchSpace& s = *r.space();
  CHECK(s.at("optimizer").choices() == std::vector<Value>{"sgd", "adam", "rmsprop"});
  CHECK(s.at("lr").low() == doctest::Approx(1e-5));
  CHECK(s.at("lr").high() == doctest::Approx(5e-3));
  CHECK(s.at("lr").log());
  CHECK(s.at("weight_decay").low() == doctest::Approx(1e-9));
  CHECK(s.at("weight_decay").high() == doctest::Approx(1e-3));
  CHECK(s.at("momentum").condition()->parent == "optimizer");
  CHECK(s.at("momentum").condition()->values == std::vector<Value>{"sgd", "rmsprop"});
  CHECK(s.at("lr_step_size").condition()->values == std::vector<Value>{"step"});
  CHECK(s.at("lr_step_size").high() == 10);  // the recipe's epochs
  CHECK(s.at("lr_gamma").condition()->values == std::vector<Value>{"step", "exponential"});
  CHECK(s.at("lr_t_max").condition()->values == std::vector<Value>{"cosine"});
  CHECK(!s.index_of("batch"));  // not searched by default: the base recipe's
  CHECK(!s.index_of("epochs"));
}

TEST_CASE("recipe space: an assignment becomes the recipe it names - fixed values and the base fill the rest") {
  const RecipeSpace r = recipe_space("weight_decay = 0\nbatch = [32, 64]\nmomentum = { low = 0.5, high = 0.9 }",
                                     "epochs = 7\nbatch = 256\nlr = 1.5e-3\npatience = 2\n");
  CHECK(!r.space()->index_of("weight_decay"));
  CHECK(r.space()->at("batch").choices() == std::vector<Value>{std::int64_t{32}, std::int64_t{64}});
  CHECK(r.space()->at("momentum").low() == doctest::Approx(0.5));
  Assignment a;
  a.set("optimizer", "sgd");
  a.set("schedule", "step");
  a.set("lr", 2e-4);
  a.set("momentum", 0.7);
  a.set("lr_step_size", std::int64_t{3});
  a.set("lr_gamma", 0.5);
  a.set("batch", std::int64_t{32});
  const nn::TrainConfig c = r.apply(a);
  CHECK(c.optimizer.kind == "sgd");
  CHECK(c.optimizer.lr == doctest::Approx(2e-4));
  CHECK(c.optimizer.momentum == doctest::Approx(0.7));
  CHECK(c.optimizer.weight_decay == 0);
  CHECK(c.schedule.kind == "step");
  CHECK(c.schedule.step_size == 3);
  CHECK(c.schedule.gamma == doctest::Approx(0.5));
  CHECK(c.batch == 32);
  CHECK(c.epochs == 7);    // the base's
  CHECK(c.patience == 2);  // the base's
  CHECK(r.base().optimizer.lr == doctest::Approx(1.5e-3));
  CHECK(r.base().batch == 256);
}

TEST_CASE("recipe space: bad settings are errors naming the key") {
  CHECK(test::error_of([] { recipe_space("learning_rate = 1e-3"); }).find("learning_rate") != std::string::npos);
  CHECK(test::error_of([] { recipe_space("learning_rat = 1e-3"); }).find("it searches optimizer, schedule, lr") !=
        std::string::npos);
  CHECK(test::error_of([] { recipe_space("lr = { low = 1e-2, high = 1e-3 }"); }).find("lr") != std::string::npos);
  CHECK(test::error_of([] { recipe_space("lr = { low = 0, high = 1e-3, log = true }"); }).find("low > 0") !=
        std::string::npos);
  CHECK(test::error_of([] {
          recipe_space("optimizer = \"adam\"\nmomentum = { low = 0.1, high = 0.9 }");
        }).find("applies only with optimizer sgd or rmsprop") != std::string::npos);
  CHECK(test::error_of([] { recipe_space("optimizer = [\"sgd\", 3]"); }).find("each choice is a string") !=
        std::string::npos);
  CHECK(test::error_of([] { recipe_space("lr = { low = 1e-4, high = 1e-3, slope = 2 }"); }).find("slope") !=
        std::string::npos);
  // A momentum left to the defaults simply does not apply when the optimizer is fixed to Adam.
  CHECK(!recipe_space("optimizer = \"adam\"").space()->index_of("momentum"));
  CHECK(test::error_of([] { recipe_space("defaults = false"); }).find("nothing to search") != std::string::npos);
}

TEST_CASE("experiment stages: order, names and tables are checked") {
  test::TempDir dir("stages_bad");
  auto error = [&](const std::string& edit_from, const std::string& edit_to) {
    std::string text = kExperiment;
    text.replace(text.find(edit_from), edit_from.size(), edit_to);
    test::write_file(dir.path() / "e.toml", text);
    return test::error_of([&] { load_experiment(dir.path() / "e.toml"); });
  };
  CHECK(error("\"global\", \"local\"", "\"local\", \"global\"").find("out of order") != std::string::npos);
  CHECK(error("\"global\", \"local\"", "\"global\", \"global\"").find("twice") != std::string::npos);
  CHECK(error("\"global\", \"local\"", "\"global\", \"locale\"").find("did you mean 'local'") != std::string::npos);
  CHECK(error("[stage.backend]", "[stage.global]").find("[search]") != std::string::npos);
  CHECK(error(", \"backend\"]", "]").find("stage 'backend' is not in `stages`") != std::string::npos);
}

TEST_CASE("pipeline: killed at random points inside every stage and resumed, it ends as an uninterrupted run") {
  test::TempDir dir("pipeline_resume");
  const fs::path exp = dir.path() / "pipeline.toml";
  test::write_file(exp, kExperiment);
  const fs::path whole = dir.path() / "whole", killed = dir.path() / "killed";
  const auto r = test::run_nac("run '" + exp.string() + "' --out '" + whole.string() + "' -q");
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  for (const char* s : {"global", "local", "compress", "backend"}) CHECK(fs::exists(whole / s / "models.json"));
  const auto local = nlohmann::json::parse(test::read_file(whole / "local" / "models.json"));
  REQUIRE(local.size() == 2);  // top = 2
  for (const auto& m : local) {
    CHECK(m["metrics"].contains("gain"));
    CHECK(fs::exists(whole / m["file"].get<std::string>()));
    CHECK(fs::exists(whole / "backend" / m["name"].get<std::string>() / "project"));
  }

  // The report: self-contained HTML (figures inlined, nothing fetched), Markdown whose tables
  // hold the stages' figures as models.json gives them.
  const std::string md = test::read_file(whole / "report.md"), html = test::read_file(whole / "report.html");
  for (const char* h : {"## Global search", "## Local search of the training recipe", "## Compression", "## Hardware"})
    CHECK(md.find(h) != std::string::npos);
  for (const auto& m : local) {
    char gain[32];
    std::snprintf(gain, sizeof gain, "%.4g", m["metrics"]["gain"].get<double>());
    CHECK(md.find("| " + m["name"].get<std::string>() + " |") != std::string::npos);
    CHECK(md.find("| " + std::string(gain) + " |") != std::string::npos);
  }
  const auto compressed = nlohmann::json::parse(test::read_file(whole / "compress" / "models.json"));
  for (const auto& m : compressed) {
    char ratio[32];
    std::snprintf(ratio, sizeof ratio, "%.4g",
                  m["metrics"]["dense_bops"].get<double>() / m["metrics"]["bops"].get<double>());
    CHECK(md.find(std::string(ratio) + " |") != std::string::npos);
  }
  CHECK(html.find("<svg") != std::string::npos);
  CHECK(html.find("<img") == std::string::npos);
  CHECK(html.find("src=") == std::string::npos);  // nothing loaded from elsewhere
  CHECK(html.find("<link") == std::string::npos);
  CHECK(html.find("url(") == std::string::npos);

  // Per stage, a kill (SIGKILL) a random moment after the stage's folder appears (again if it
  // landed after the stage ended), each attempt resuming the folder; then a resume to the end.
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> delay(0.0, 0.008);
  int attempts = 0, finished = 1;
  std::set<std::string> interrupted;  // the stage each kill landed in
  auto attempt = [&](const std::string& stage) {
    ++attempts;
    // (a kill before the run wrote pipeline.json leaves nothing to resume: it starts again)
    const std::string args = fs::exists(killed / "pipeline.json")
                                 ? "run --resume '" + killed.string() + "' -q"
                                 : "run '" + exp.string() + "' --out '" + killed.string() + "' -q";
    finished = stage.empty() ? test::run_nac(args + " >/dev/null 2>&1").exit_code
                             : run_killed(test::nac_command(args), killed / stage, delay(rng));
    if (finished != 0 && finished != 137) FAIL("attempt " << attempts << " exited with " << finished);
    if (finished == 137)
      for (const char* s : {"global", "local", "compress", "backend"})
        if (!fs::exists(killed / s / "models.json")) {
          interrupted.insert(s);
          break;
        }
  };
  for (const char* stage : {"global", "local", "compress", "backend"})  // (a kill may land after the stage ended)
    for (int tries = 0; tries < 4 && finished != 0 && !fs::exists(killed / stage / "models.json"); ++tries) {
      attempt(stage);
      if (interrupted.count(stage)) break;
    }
  if (finished != 0) attempt("");
  std::string stages;
  for (const auto& s : interrupted) stages += s + " ";
  MESSAGE(attempts << " attempts, killed inside: " << stages);
  REQUIRE(finished == 0);
  CHECK(interrupted == std::set<std::string>{"global", "local", "compress", "backend"});
  for (const char* s : {"global", "local", "compress", "backend"}) {
    CAPTURE(s);
    CHECK(stage_result(killed, s) == stage_result(whole, s));
  }
  CHECK(test::told_trials(killed / "global") == test::told_trials(whole / "global"));
  for (const auto& m : local) {
    const std::string sub = "local/" + m["name"].get<std::string>();
    CHECK(test::told_trials(killed / sub) == test::told_trials(whole / sub));
  }
}

TEST_CASE("pipeline: --from reruns a stage with the file's new settings - bad stages and folders are errors") {
  test::TempDir dir("pipeline_from");
  const fs::path exp = dir.path() / "p.toml", run = dir.path() / "run";
  std::string text = kExperiment;
  replace(text, "\"global\", \"local\", \"compress\", \"backend\"", "\"global\", \"compress\"");
  text = text.substr(0, text.find("[stage.local]")) + text.substr(text.find("[stage.compress]"));
  text = text.substr(0, text.find("[stage.backend]"));
  test::write_file(exp, text);
  auto r = test::run_nac("run '" + exp.string() + "' --out '" + run.string() + "' -q");
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const std::string global = stage_result(run, "global");
  const auto before = nlohmann::json::parse(test::read_file(run / "compress" / "models.json"));
  CHECK(before.at(0)["metrics"]["weight_bits"] == 8);

  // The same folder again without --resume: refused, nothing touched.
  r = test::run_nac("run '" + exp.string() + "' --out '" + run.string() + "' -q");
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("holds a run already") != std::string::npos);

  // 6 bits instead of 8, from the compress stage: the global stage's results stay as they were.
  replace(text, "bits = [8]", "bits = [6]");
  test::write_file(exp, text);
  r = test::run_nac("run --resume '" + run.string() + "' --from compress -q");
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  CHECK(stage_result(run, "global") == global);
  const auto after = nlohmann::json::parse(test::read_file(run / "compress" / "models.json"));
  CHECK(after.at(0)["metrics"]["weight_bits"] == 6);

  r = test::run_nac("run --resume '" + run.string() + "' --from backend -q");
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("--from backend: the experiment's stages are global, compress") != std::string::npos);

  // A first stage after the global one needs models to work on, and they must exist.
  replace(text, "\"global\", \"compress\"", "\"compress\"");
  test::write_file(exp, text);
  r = test::run_nac("validate '" + exp.string() + "'");
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("needs the models to work on") != std::string::npos);
  replace(text, "threads = 1", "threads = 1\nmodels = [\"missing.nacm\"]");
  test::write_file(exp, text);
  r = test::run_nac("validate '" + exp.string() + "'");
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("missing.nacm: no such model file") != std::string::npos);

  // A model made for another task (the jets' 16 features in, 5 classes out).
  {
    nn::Model jets(nn::load_model_spec(fs::path(NAC_SOURCE_DIR) / "experiments/models/jets_mlp.json"), 1);
    nn::save_model(jets, dir.path() / "jets.nacm");
  }
  replace(text, "missing.nacm", (dir.path() / "jets.nacm").string());
  test::write_file(exp, text);
  r = test::run_nac("validate '" + exp.string() + "'");
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("the model takes samples (16), the task gives (1, 11, 11) (a model for another task?)") !=
        std::string::npos);
}
