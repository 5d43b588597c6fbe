#include <sys/stat.h>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.hpp"

using nac::test::run_nac;
using nac::test::TempDir;
namespace fs = std::filesystem;

namespace {
const std::string source = NAC_SOURCE_DIR;
using nac::test::fixtures;
using nac::test::q;
}  // namespace

TEST_CASE("nac --version and --help") {
  auto r = run_nac("--version");
  CHECK(r.exit_code == 0);
  CHECK(r.out.rfind("nac ", 0) == 0);
  r = run_nac("run --help");
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("--seed") != std::string::npos);
  r = run_nac("");
  CHECK(r.exit_code == 2);
  r = run_nac("frobnicate");
  CHECK(r.exit_code == 2);
}

TEST_CASE("nac plugins lists random and test_functions with their files") {
  const auto r = run_nac("plugins");
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("strategy    random") != std::string::npos);
  CHECK(r.out.find("task        test_functions") != std::string::npos);
  CHECK(r.out.find("plugins/nac_random.so") != std::string::npos);
  CHECK(r.out.find("plugins/nac_test_functions.so") != std::string::npos);
}

TEST_CASE("nac plugins with broken plugin folders: one clear message naming the file - exit 1") {
  const std::pair<const char*, const char*> cases[] = {
      {"not_a_library", "nac_not_a_library.so: not a shared library"},
      {"no_entry", "nac_fixture_no_entry.so: no entry point 'nac_plugin'"},
      {"wrong_abi", "nac_fixture_wrong_abi.so: built for nac 9.9.0 (plugin ABI"},
      {"wrong_nac_version", "nac_fixture_wrong_nac_version.so: built against nac 0.1.7; this is nac"},
      {"partial_registration", "registers strategy 'random', which plugin 'random'"},
      {"bad_entry_type", "nac_fixture_bad_entry_type.so: its symbol 'nac_plugin' is not NAC_PLUGIN's entry point"},
      {"throwing_registration",
       "nac_fixture_throwing_registration.so: its register function threw a non-standard exception"},
      {"duplicate_strategy", "registers strategy 'random', which plugin 'random'"},
      {"duplicate_plugin_name", "nac_fixture_duplicate_plugin_name.so: its name 'random' is taken by"},
  };
  for (const auto& item : cases) {
    const auto& folder = item.first;  // (not a structured binding: CAPTURE makes a lambda)
    const auto& message = item.second;
    CAPTURE(folder);
    const auto r = run_nac("plugins --plugin-dir " + q(fs::path(fixtures) / folder));
    CHECK(r.exit_code == 1);
    CHECK(r.err.rfind("nac: error: ", 0) == 0);
    CHECK(r.err.find(message) != std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
}

TEST_CASE("nac validate: a typo in a key gives file:line:col and a suggestion") {
  TempDir dir("validate");
  const fs::path f = dir.path() / "typo.toml";
  nac::test::write_file(f,
                        "seed = 1\n[task]\nname = \"test_functions\"\nproblem = \"zdt1\"\n"
                        "[strategy]\nname = \"random\"\n[search]\ntrails = 10\n");
  auto r = run_nac("validate " + q(f));
  CHECK(r.exit_code == 1);
  CHECK(r.err == "nac: error: " + f.string() + ":8:1: unknown key 'search.trails'; did you mean 'trials'?\n");
  r = run_nac("validate " + q(fs::path(source) / "experiments" / "zdt1_random.toml"));
  CHECK(r.exit_code == 0);
  CHECK(r.out.find(": ok") != std::string::npos);
  r = run_nac("validate " + q(dir.path() / "absent.toml"));
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("absent.toml: no such file") != std::string::npos);
}

TEST_CASE("nac run experiments/zdt1_random.toml completes and writes the trial and front files") {
  TempDir dir("zdt1");
  const fs::path out = dir.path() / "results";
  const auto r = run_nac("run " + q(fs::path(source) / "experiments" / "zdt1_random.toml") + " --out " + q(out));
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("zdt1_random: 2000 trials (2000 complete, 0 failed)") != std::string::npos);
  CHECK(r.out.find("hypervolume (reference point (1.1, 1.1)): ") != std::string::npos);
  for (const char* f : {"trials.csv", "trials.jsonl", "front.csv", "summary.json"}) CHECK(fs::exists(out / f));
  const auto summary = nlohmann::json::parse(nac::test::read_file(out / "summary.json"));
  CHECK(summary["trials"] == 2000);
  // The seed flag changes the run; a second run into the same folder is refused.
  const auto again = run_nac("run " + q(fs::path(source) / "experiments" / "zdt1_random.toml") + " --out " + q(out));
  CHECK(again.exit_code == 1);
  CHECK(again.err.find("already holds the results of a run") != std::string::npos);
}

TEST_CASE("every ready experiment validates") {
  for (const auto& e : fs::directory_iterator(fs::path(source) / "experiments")) {
    // (*_train.toml and *_compress.toml are for nac train and nac compress, not searches)
    const std::string stem = e.path().stem().string();
    auto ends_with = [&](const std::string& tail) {
      return stem.size() >= tail.size() && stem.compare(stem.size() - tail.size(), tail.size(), tail) == 0;
    };
    if (e.path().extension() != ".toml" || ends_with("_train") || ends_with("_compress")) continue;
    CAPTURE(e.path().string());
    const auto r = run_nac("validate " + q(e.path()));
    CHECK(r.exit_code == 0);
    CHECK(r.err == "");
  }
}

TEST_CASE("nac plugins --describe prints the declared settings - an unknown name is an error with a suggestion") {
  const auto r = run_nac("plugins --describe nsga2");
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("strategy nsga2:") != std::string::npos);
  // The defaults of NSGA-II as docs/strategies.md gives them (population 20, crossover 0.9).
  CHECK(r.out.find("population             integer  20 ") != std::string::npos);
  CHECK(r.out.find("crossover_probability  real     0.9") != std::string::npos);
  const auto op = run_nac("plugins --describe conv2d");
  CHECK(op.exit_code == 0);
  CHECK(op.out.find("groups ") != std::string::npos);
  const auto bad = run_nac("plugins --describe nsga3");
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("nothing is named 'nsga3'; did you mean 'nsga2'?") != std::string::npos);
}

namespace {
// An experiment in its own folder that loads a plugin folder given relative to that folder.
fs::path plugin_experiment(const TempDir& dir, const std::string& strategy) {
  const fs::path exp_dir = dir.path() / "exp";
  fs::create_directories(exp_dir);
  const fs::path rel = fs::relative(fs::path(fixtures) / "stateless_strategy", exp_dir);
  REQUIRE(rel.is_relative());
  const fs::path f = exp_dir / "exp.toml";
  nac::test::write_file(f, "plugin_dirs = [\"" + rel.string() +
                               "\"]\nseed = 3\n[task]\nname = \"test_functions\"\n"
                               "problem = \"zdt1\"\nvariables = 3\n[strategy]\nname = \"" +
                               strategy +
                               "\"\n"
                               "[search]\ntrials = 8\nbatch = 4\nworkers = 1\n");
  return f;
}
}  // namespace

TEST_CASE("a strategy without saved state: the run warns, --resume names the strategy and what is missing") {
  TempDir dir("stateless");
  const fs::path f = plugin_experiment(dir, "stateless"), out = dir.path() / "runs" / "first" / "out";
  const auto r = run_nac("run " + q(f) + " --out " + q(out) + " --quiet");
  CHECK(r.exit_code == 0);
  CHECK(r.err ==
        "warning: strategy 'stateless' keeps no saved state: this run cannot be continued with --resume "
        "if it stops\n");
  const auto again = run_nac("run --resume " + q(out));
  CHECK(again.exit_code == 1);
  CHECK(again.err.find("cannot resume: strategy 'stateless' keeps no saved state") != std::string::npos);
  CHECK(again.err.find("not a folder") == std::string::npos);
}

TEST_CASE("--resume from the run's copy of the experiment finds the plugin folders of the original") {
  TempDir dir("resume_plugins");
  // (The run folder is deeper than the experiment's, so that a path meant for one misses from the other.)
  const fs::path f = plugin_experiment(dir, "random"), out = dir.path() / "runs" / "first" / "out";
  auto r = run_nac("run " + q(f) + " --out " + q(out) + " --quiet");
  REQUIRE(r.exit_code == 0);
  CHECK(r.err == "");
  // The original changed: resume reads the copy, whose relative plugin_dirs were written for the
  // original's folder. Twice: the state must keep naming the original after a resume.
  nac::test::write_file(f, nac::test::read_file(f) + "# edited\n");
  for (int k = 0; k < 2; ++k) {
    CAPTURE(k);
    r = run_nac("run --resume " + q(out) + " --quiet");
    CHECK(r.exit_code == 0);
    CHECK(r.err == "");
    CHECK(r.out.find(": 8 trials (8 complete, 0 failed)") != std::string::npos);
  }
  const auto state = nlohmann::json::parse(nac::test::read_file(out / "state.json"));
  CHECK(state["experiment"] == fs::absolute(f).string());
}

namespace {

// The row of a setting in `nac plugins --describe`'s table, its columns split at blanks.
std::vector<std::string> setting_row(const std::string& out, const std::string& key) {
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::vector<std::string> row;
    for (std::string w; words >> w;) row.push_back(w);
    if (!row.empty() && row[0] == key) return row;
  }
  return {};
}

}  // namespace

TEST_CASE("nac plugins --describe lists the settings of the bragg task and the conv block") {
  const auto bragg = run_nac("plugins --describe bragg");
  CHECK(bragg.exit_code == 0);
  CHECK(bragg.out.find("task bragg:") != std::string::npos);
  // The defaults the task reads (bragg_task.cpp, generator.hpp; docs/bragg.md's table).
  const auto train = setting_row(bragg.out, "train_samples");
  REQUIRE(train.size() >= 3);
  CHECK(train[1] == "integer");
  CHECK(train[2] == "50000");
  const auto patch = setting_row(bragg.out, "patch");
  REQUIRE(patch.size() >= 3);
  CHECK(patch[1] == "integer");
  CHECK(patch[2] == "11");
  const auto conv = run_nac("plugins --describe conv");
  CHECK(conv.exit_code == 0);
  const auto channels = setting_row(conv.out, "channels");
  REQUIRE(channels.size() >= 2);
  CHECK(channels[1] == "integers");
}

TEST_CASE("a named pipe given as a data file is refused at once, not read forever") {
  TempDir dir("fifo");
  const fs::path fifo = dir.path() / "patches.npz";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const auto r = run_nac("data info " + q(fifo));
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("patches.npz: is not a regular file") != std::string::npos);
}

TEST_CASE("nac data info shows string arrays by their first values") {
  const auto r = run_nac("data info " + q(fs::path(NAC_SOURCE_DIR) / "tests/fixtures/jets/jets_150p.h5"));
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("  jetFeatureNames  (59) ") != std::string::npos);
  CHECK(r.out.find(" string   'j_ptfrac', 'j_pt', 'j_eta', 'j_mass', ...\n") != std::string::npos);
  CHECK(r.out.find("jetConstituentList (12, 150, 16)") != std::string::npos);
}

TEST_CASE("nac train --threads is checked before anything runs") {
  for (const char* threads : {"0", "-3", "100000"}) {
    CAPTURE(threads);
    const auto r = run_nac(std::string("train ") + q(fs::path(NAC_SOURCE_DIR) / "experiments/models/braggnn.json") +
                           " --task bragg --threads " + threads);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("--threads") != std::string::npos);
  }
}

TEST_CASE("nac run FOLDER says it is a folder and how to resume - a folder or a pipe as a TOML file is refused") {
  TempDir dir("run_folder");
  const auto r = run_nac("run " + q(dir.path()));
  CHECK(r.exit_code == 1);
  CHECK(r.err.find(dir.path().string() +
                   ": is a folder, not an experiment file; to continue the run in it: nac run --resume") !=
        std::string::npos);
  const auto v = run_nac("validate " + q(dir.path()));
  CHECK(v.exit_code == 1);
  CHECK(v.err.find(": is a folder, not a TOML file") != std::string::npos);
  const fs::path fifo = dir.path() / "exp.toml";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const auto p = run_nac("validate " + q(fifo));
  CHECK(p.exit_code == 1);
  CHECK(p.err.find("exp.toml: is not a regular file") != std::string::npos);
}

TEST_CASE("nac train --profile accounts for the training's steps and names every layer") {
  TempDir dir("profile");
  const auto r = run_nac("train " + q(fs::path(NAC_SOURCE_DIR) / "bench/models/norms_100k.json") +
                         " --task bragg --set train_samples=600 --set validation_samples=64 --set test_samples=0"
                         " --epochs 2 --batch 256 --threads 1 --quiet --profile --out " +
                         q(dir.path() / "t"));
  REQUIRE(r.exit_code == 0);
  std::ifstream in(dir.path() / "t" / "profile.txt");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // 600 samples at batch 256 are 3 steps an epoch (the last one partial).
  CHECK(text.find("profile: 6 training steps of batch 256, 1 thread(s)") == 0);
  for (const char* layer : {"projection", "conv2d+leaky_relu", "slot0.norm0", "batchnorm", "slot0.norm1", "layernorm",
                            "head.fc0", "output", "step: forward", "step: backward", "validation"})
    CHECK_MESSAGE(text.find(layer) != std::string::npos, layer);
  CHECK(r.out.find(text.substr(0, 40)) != std::string::npos);  // printed as well
}
