// nac bench and the test problems behind it: the problems' fronts against their equations and
// their hypervolumes against the integrals, a bench end to end with its measures recomputed here,
// a failing contender recorded, an interrupted bench resumed to the same results, bad files.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "nac/config.hpp"
#include "nac/hypervolume.hpp"
#include "nac/pareto.hpp"
#include "nac/registry.hpp"
#include "nac/search_strategy.hpp"
#include "nac/task.hpp"
#include "problems.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
namespace tf = nac::test_functions;

namespace {

nac::Assignment genes_to_assignment(const std::vector<double>& x) {
  nac::Assignment a;
  for (std::size_t i = 0; i < x.size(); ++i) a.set("x" + std::to_string(i), nac::Value(x[i]));
  return a;
}

}  // namespace

TEST_CASE("test problems: the true fronts of ZDT and DTLZ obey their equations, optimal genes land on them") {
  for (int which : {1, 2, 3, 4, 6}) {
    CAPTURE(which);
    const auto front = tf::make_zdt(which, 6).true_front(200);
    REQUIRE(front.size() >= (which == 3 ? 40u : 200u));
    CHECK(tf::nondominated(front).size() == front.size());
    for (const auto& f : front) {
      const double curve = which == 2 || which == 6 ? 1 - f[0] * f[0]
                           : which == 3             ? 1 - std::sqrt(f[0]) - f[0] * std::sin(10 * M_PI * f[0])
                                                    : 1 - std::sqrt(f[0]);
      CHECK(f[1] == doctest::Approx(curve).epsilon(1e-12));
      if (which == 6) CHECK(f[0] >= 0.2807753);
    }
    // x0 = 0.3 and every other gene at its optimum (0) give a point of the curve.
    const auto p = tf::zdt(which, {0.3, 0, 0, 0, 0, 0});
    if (which != 3 && which != 6) CHECK(p[1] == doctest::Approx(which == 2 ? 1 - 0.09 : 1 - std::sqrt(0.3)));
  }
  // Hypervolume at (1.1, 1.1) of 1000 front points against the integral: ZDT1 0.1 + 2/3 + 0.11,
  // ZDT2 0.1 + 1/3 + 0.11 (the staircase of 1000 points lies below by less than 1e-3).
  CHECK(nac::hypervolume(tf::make_zdt(1, 6).true_front(1000), {1.1, 1.1}) ==
        doctest::Approx(0.1 + 2.0 / 3 + 0.11).epsilon(1e-3));
  CHECK(nac::hypervolume(tf::make_zdt(2, 6).true_front(1000), {1.1, 1.1}) ==
        doctest::Approx(0.1 + 1.0 / 3 + 0.11).epsilon(1e-3));
  for (int which : {1, 2, 3, 4, 7})
    for (std::size_t m : {2u, 3u}) {
      CAPTURE(which);
      CAPTURE(m);
      const tf::Problem p = tf::make_dtlz(which, static_cast<std::int64_t>(m),
                                          tf::dtlz_default_variables(which, static_cast<std::int64_t>(m)));
      const auto front = p.true_front(300);
      REQUIRE(front.size() >= 20);
      CHECK(front.size() <= 300);
      // Genes of a point on the front: positions 0.3, 0.6, ...; distance genes 0.5 (0 for DTLZ7).
      std::vector<double> x(static_cast<std::size_t>(tf::dtlz_default_variables(which, static_cast<std::int64_t>(m))),
                            which == 7 ? 0.0 : 0.5);
      for (std::size_t i = 0; i + 1 < m; ++i) x[i] = 0.3 * static_cast<double>(i + 1);
      std::vector<std::vector<double>> points = front;
      points.push_back(p.evaluate(genes_to_assignment(x)));
      for (const auto& f : points) {
        double sum = 0, squares = 0, h = static_cast<double>(m);
        for (std::size_t i = 0; i < m; ++i) sum += f[i], squares += f[i] * f[i];
        for (std::size_t i = 0; i + 1 < m; ++i) h -= f[i] / 2 * (1 + std::sin(3 * M_PI * f[i]));
        if (which == 1) CHECK(sum == doctest::Approx(0.5));
        else if (which == 7) CHECK(f[m - 1] == doctest::Approx(2 * h));
        else CHECK(squares == doctest::Approx(1.0));
      }
      CHECK(tf::nondominated(front).size() == front.size());
    }
  CHECK(tf::simplex_lattice(3, 21).size() == 21);  // 5 divisions: C(7, 2)
  CHECK(tf::simplex_lattice(2, 1000).size() == 1000);
}

namespace {

const char* kBench = R"(name = "tiny"
seeds = 3
evaluations = 24
checkpoints = [8, 16]
measures = ["hypervolume", "igd", "best"]
workers = 2

[[contender]]
name = "nsga2"
population = 8

[[contender]]
name = "random"

[[contender]]
name = "grid"
label = "grid-2"
points = 2

[[problem]]
name = "test_functions"
problem = "zdt1"
variables = 2

[[problem]]
name = "test_functions"
label = "cond"
problem = "conditional"
slots = 1
)";

std::vector<nlohmann::json> runs_of(const fs::path& dir) { return nac::test::read_json_lines(dir / "runs.jsonl"); }

}  // namespace

TEST_CASE("nac bench: runs, measures recomputed from the runs' own points, a failing contender, resume, report") {
  nac::test::TempDir dir("bench");
  const fs::path file = dir.path() / "tiny.toml";
  nac::test::write_file(file, kBench);
  const auto r = nac::test::run_nac("bench " + nac::test::q(file) + " --out " + nac::test::q(dir.path() / "out"));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("18 runs (6 failed)") != std::string::npos);  // grid-2 runs out of points on both
  CHECK(r.out.find("zdt1             hypervolume  nsga2 vs random  ") != std::string::npos);  // the verdicts
  const auto runs = runs_of(dir.path() / "out");
  REQUIRE(runs.size() == 18);
  int grid_failures = 0;
  for (const auto& run : runs) {
    CHECK(run["evaluations"].size() == (run["ok"] ? 3u : run["evaluations"].size()));
    if (run["contender"] == "grid-2" && run["problem"] == "zdt1") {
      CHECK_FALSE(run["ok"].get<bool>());
      CHECK(run["error"].get<std::string>().find("grid: all 4 points") != std::string::npos);
      ++grid_failures;
    }
    if (run["problem"] == "cond") CHECK(run["values"].contains("best"));
    if (run["problem"] == "zdt1" && run["ok"]) CHECK(run["values"].contains("igd"));
  }
  CHECK(grid_failures == 3);
  for (const char* f : {"report.md", "report.html", "summary.csv", "verdicts.csv", "figures/zdt1_hypervolume.svg",
                        "figures/zdt1_igd.svg", "figures/cond_best.svg", "bench.toml"})
    CHECK(fs::exists(dir.path() / "out" / f));
  // The values at the budget as boxes: nsga2's and random's; grid-2 failed every run on zdt1.
  const std::string boxes = nac::test::read_file(dir.path() / "out/figures/zdt1_hypervolume_final.svg");
  std::size_t box_count = 0;
  for (auto at = boxes.find("fill='#cfe0f3'"); at != std::string::npos; at = boxes.find("fill='#cfe0f3'", at + 1))
    ++box_count;
  CHECK(box_count == 2);
  CHECK(boxes.find(">no values<") != std::string::npos);
  const std::string report = nac::test::read_file(dir.path() / "out/report.md");
  CHECK(report.find("## zdt1") != std::string::npos);
  CHECK(report.find("Failed runs: grid-2, seed 0: grid: all 4 points") != std::string::npos);

  // The random contender's measures, recomputed from the same sampler here: its seed-1 run on
  // ZDT1 sees the same points (random search draws them from the seed alone).
  {
    const nac::Registry& registry = nac::test::build_plugins();
    auto cfg = nac::root_table(nac::parse_toml_text("problem = \"zdt1\"\nvariables = 2\n", "t"), "t");
    const auto task = registry.task("test_functions")(cfg);
    const auto& problem = nac::as_problem_task(*task, "test");
    auto empty = nac::root_table(nac::parse_toml_text("", "s"), "s");
    auto s = registry.strategy("random")(
        empty, nac::StrategyContext{problem.search_space(), {nac::Direction::Minimize, nac::Direction::Minimize}, 1});
    std::vector<std::vector<double>> points;
    for (int i = 0; i < 24; ++i) {
      const nac::Trial t = s->ask();
      const auto m = problem.evaluate(t.params, nac::EvalContext{});
      points.push_back({m.at("f1"), m.at("f2")});
      s->tell(t.id, nac::TrialResult{nac::TrialStatus::Complete, points.back(), {}, {}});
    }
    // Hypervolume of a 2-D set by its staircase; IGD from 1000 front points f2 = 1 - sqrt(f1).
    std::vector<std::vector<double>> sorted = points;
    std::sort(sorted.begin(), sorted.end());
    double hv = 0, level = 1.1;
    for (const auto& p : sorted)
      if (p[0] < 1.1 && p[1] < level) hv += (1.1 - p[0]) * (level - p[1]), level = p[1];
    double igd = 0;
    for (int i = 0; i < 1000; ++i) {
      const double a = i / 999.0, b = 1 - std::sqrt(a);
      double nearest = INFINITY;
      for (const auto& p : points) nearest = std::min(nearest, std::hypot(a - p[0], b - p[1]));
      igd += nearest / 1000;
    }
    bool found = false;
    for (const auto& run : runs)
      if (run["contender"] == "random" && run["problem"] == "zdt1" && run["seed"] == 1) {
        found = true;
        CHECK(run["values"]["hypervolume"][2].get<double>() == doctest::Approx(hv).epsilon(1e-12));
        CHECK(run["values"]["igd"][2].get<double>() == doctest::Approx(igd).epsilon(1e-12));
      }
    CHECK(found);
  }

  // An interrupted bench: 5 runs kept and half a line; the rest runs again, to the same results.
  const std::string summary = nac::test::read_file(dir.path() / "out/summary.csv");
  const std::string verdicts = nac::test::read_file(dir.path() / "out/verdicts.csv");
  {
    std::ofstream cut(dir.path() / "out/runs.jsonl", std::ios::trunc);
    for (int i = 0; i < 5; ++i) cut << runs[static_cast<std::size_t>(i)].dump() << '\n';
    cut << runs[5].dump().substr(0, 40);
  }
  const auto again = nac::test::run_nac("bench " + nac::test::q(file) + " --out " + nac::test::q(dir.path() / "out"));
  INFO(again.err);
  REQUIRE(again.exit_code == 0);
  CHECK(again.err.find("resuming: 5 of 18 runs done before") != std::string::npos);
  CHECK(runs_of(dir.path() / "out").size() == 18);
  CHECK(nac::test::read_file(dir.path() / "out/summary.csv") == summary);
  CHECK(nac::test::read_file(dir.path() / "out/verdicts.csv") == verdicts);

  // A peer's runs beside nac's: 3 seeds of hypervolumes 2, 2.1, 2.2, above any run's (at most
  // 1.21), so each pair with it has A = 0 and the exact p of 3 against 3 separated values without
  // ties: 2 / C(6, 3) = 0.1.
  {
    std::ofstream peer(dir.path() / "peer.jsonl");
    for (int seed = 0; seed < 3; ++seed)
      peer << R"({"problem": "zdt1", "contender": "peer-x", "seed": )" << seed
           << R"(, "directions": ["minimize", "minimize"], "ok": true, "error": "", "evaluations": [8, 16, 24],)"
           << R"( "values": {"hypervolume": [2, 2, )" << 2 + 0.1 * seed
           << R"(], "igd": [0.5, 0.4, 0.3]}, "trials": 24, "failed_trials": 0,)"
           << R"( "sampler_us_per_trial": 1, "seconds": 0.1})" << '\n';
  }
  const auto with_peer =
      nac::test::run_nac("bench " + nac::test::q(file) + " --out " + nac::test::q(dir.path() / "out") +
                         " --quiet --peer-runs " + nac::test::q(dir.path() / "peer.jsonl"));
  INFO(with_peer.err);
  REQUIRE(with_peer.exit_code == 0);
  const std::string peer_verdicts = nac::test::read_file(dir.path() / "out/verdicts.csv");
  CHECK(peer_verdicts.find("zdt1,hypervolume,24,nsga2,peer-x,0,0.1,") != std::string::npos);
  CHECK(peer_verdicts.find("zdt1,hypervolume,24,random,peer-x,0,0.1,") != std::string::npos);
  const std::string peer_report = nac::test::read_file(dir.path() / "out/report.md");
  CHECK(peer_report.find("| peer-x |") != std::string::npos);
  REQUIRE(peer_report.find("## cond") != std::string::npos);
  CHECK(peer_report.find("peer-x", peer_report.find("## cond")) == std::string::npos);  // (it ran zdt1 only)
  CHECK(runs_of(dir.path() / "out").size() == 18);  // (the peer's runs are not the bench's)

  // Another bench file into the same folder is refused.
  std::string other = kBench;
  other.replace(other.find("seeds = 3"), 9, "seeds = 2");
  nac::test::write_file(file, other);
  const auto refused = nac::test::run_nac("bench " + nac::test::q(file) + " --out " + nac::test::q(dir.path() / "out"));
  CHECK(refused.exit_code == 1);
  CHECK(refused.err.find("holds the runs of another bench file") != std::string::npos);
}

TEST_CASE("nac bench: bad files are clear errors before any run") {
  nac::test::TempDir dir("bench_bad");
  auto error_of = [&](const std::string& from, const std::string& to) {
    std::string text = kBench;
    REQUIRE(text.find(from) != std::string::npos);
    text.replace(text.find(from), from.size(), to);
    nac::test::write_file(dir.path() / "b.toml", text);
    const auto r = nac::test::run_nac("bench " + nac::test::q(dir.path() / "b.toml") + " --out " +
                                      nac::test::q(dir.path() / "out") + " --quiet");
    CHECK(r.exit_code == 1);
    CHECK_FALSE(fs::exists(dir.path() / "out/runs.jsonl"));
    return r.err;
  };
  const std::string f = (dir.path() / "b.toml").string();
  CHECK(error_of("\"best\"]", "\"best\", \"speed\"]").find(f + ":5:") != std::string::npos);
  CHECK(error_of("\"best\"]", "\"best\", \"speed\"]").find("unknown measure 'speed'") != std::string::npos);
  CHECK(error_of("evaluations = 24", "evaluations = 0").find("evaluations") != std::string::npos);
  CHECK(error_of("variables = 2", "variables = 2\nobjectives = [\"f2\", \"f1\"]\nreference_point = [1.1, 1.1]")
            .find("measure 'igd' needs the problem's true front") != std::string::npos);
  CHECK(error_of("name = \"random\"", "name = \"randon\"").find("contender 'randon'") != std::string::npos);
  CHECK(error_of("population = 8", "populaton = 8").find("did you mean 'population'") != std::string::npos);
  CHECK(error_of("measures = [\"hypervolume\", \"igd\", \"best\"]", "measures = [\"best\"]")
            .find("problem 'zdt1': none of the measures fits") != std::string::npos);
}

namespace {

// A Bragg search space of 4 configurations (the slot: conv or none; the head's width: 4 or 8),
// trained on 64 patches for one epoch.
const char* kTinySearch = R"(name = "tiny_search"
seed = 3
[task]
name = "bragg"
train_samples = 64
validation_samples = 32
test_samples = 0
[architecture]
slots = 1
blocks = ["conv", "none"]
[architecture.projection]
channels = [2]
[architecture.conv]
layers = 1
channels = [2]
kernels = [1]
activations = ["relu"]
norms = ["none"]
[architecture.mlp]
layers = [1]
widths = [4, 8]
activations = ["relu"]
norms = ["none"]
[training]
epochs = 1
batch = 32
[strategy]
name = "random"
[search]
objectives = ["error", "bops"]
reference_point = [1.0, 1e9]
)";

std::string experiment_bench(const std::string& contenders) {
  return "name = \"eb\"\nseeds = 2\nevaluations = 8\nmeasures = [\"hypervolume\"]\n" + contenders +
         "[[problem]]\nexperiment = \"tiny_search.toml\"\n";
}

std::map<std::string, std::vector<double>> configurations_of(const fs::path& file) {
  std::map<std::string, std::vector<double>> out;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    const auto j = nlohmann::json::parse(line);
    CHECK(j["status"] == "complete");
    CHECK(out.emplace(j["params"].dump(), j["objectives"].get<std::vector<double>>()).second);  // each once
  }
  return out;
}

}  // namespace

TEST_CASE("nac bench on an experiment: each configuration trains once for the whole bench, whoever asks first") {
  nac::test::TempDir dir("bench_experiment");
  nac::test::write_file(dir.path() / "tiny_search.toml", kTinySearch);
  nac::test::write_file(dir.path() / "a.toml",
                        experiment_bench("[[contender]]\nname = \"random\"\n[[contender]]\nname = \"tpe\"\n"));
  nac::test::write_file(dir.path() / "b.toml", experiment_bench("[[contender]]\nname = \"tpe\"\n"));
  const auto a = nac::test::run_nac("bench " + nac::test::q(dir.path() / "a.toml") + " --out " +
                                    nac::test::q(dir.path() / "a") + " --workers 2");
  INFO(a.err);
  REQUIRE(a.exit_code == 0);
  CHECK(a.out.find("4 runs (0 failed)") != std::string::npos);
  // 32 evaluations of at most 4 configurations: each trained once, its model kept.
  const auto trained = configurations_of(dir.path() / "a/tiny_search/configurations.jsonl");
  CHECK(trained.size() >= 2);
  CHECK(trained.size() <= 4);
  std::size_t models = 0;
  for (const auto& e : fs::directory_iterator(dir.path() / "a/tiny_search/models"))
    models += e.path().extension() == ".nacm";
  CHECK(models == trained.size());
  CHECK(a.err.find(std::to_string(trained.size()) + " configurations evaluated, " +
                   std::to_string(32 - trained.size()) + " evaluations answered from the table") != std::string::npos);
  for (const auto& run : runs_of(dir.path() / "a")) CHECK(run["trials"] == 8);

  // Another bench, another first asker: the same configurations give the same objectives.
  const auto b = nac::test::run_nac("bench " + nac::test::q(dir.path() / "b.toml") + " --out " +
                                    nac::test::q(dir.path() / "b") + " --quiet");
  REQUIRE(b.exit_code == 0);
  std::size_t shared = 0;
  for (const auto& entry : configurations_of(dir.path() / "b/tiny_search/configurations.jsonl"))
    if (trained.count(entry.first)) {
      ++shared;
      CHECK(entry.second == trained.at(entry.first));
    }
  CHECK(shared >= 1);

  // A finished bench run again trains nothing.
  const std::string before = nac::test::read_file(dir.path() / "a/tiny_search/configurations.jsonl");
  REQUIRE(nac::test::run_nac("bench " + nac::test::q(dir.path() / "a.toml") + " --out " +
                             nac::test::q(dir.path() / "a") + " --quiet")
              .exit_code == 0);
  CHECK(nac::test::read_file(dir.path() / "a/tiny_search/configurations.jsonl") == before);

  // Bad problems: a task and an experiment at once, objectives beside an experiment, igd.
  auto error_of = [&](const std::string& text) {
    nac::test::write_file(dir.path() / "bad.toml", text);
    const auto r = nac::test::run_nac("bench " + nac::test::q(dir.path() / "bad.toml") + " --out " +
                                      nac::test::q(dir.path() / "bad") + " --quiet");
    CHECK(r.exit_code == 1);
    CHECK_FALSE(fs::exists(dir.path() / "bad/runs.jsonl"));
    return r.err;
  };
  const std::string one = "[[contender]]\nname = \"random\"\n";
  std::string text = experiment_bench(one) + "name = \"bragg\"\n";
  CHECK(error_of(text).find("a task 'name' or an 'experiment' file, not both") != std::string::npos);
  text = experiment_bench(one) + "objectives = [\"error\"]\n";
  CHECK(error_of(text).find("an experiment problem's objectives are its experiment's") != std::string::npos);
  text = experiment_bench(one);
  text.replace(text.find("[\"hypervolume\"]"), 15, "[\"igd\"]");
  CHECK(error_of(text).find("which an experiment does not have") != std::string::npos);
  text = experiment_bench(one) + "problem = \"zdt1\"\n";  // a key no experiment problem takes
  CHECK(error_of(text).find("problem") != std::string::npos);
}

namespace {

// 256 Bragg patches, one epoch of Adam: a model problem's [task] and [training].
const std::string kTinyTask =
    "[task]\nname = \"bragg\"\ntrain_samples = 256\nvalidation_samples = 64\n"
    "test_samples = 0\n[training]\nepochs = 1\nbatch = 32\noptimizer = \"adam\"\n";

// DIR/m/model.nacm: a conv 1 -> 4, 3x3, and a linear layer to 2, trained on kTinyTask (DIR/task.toml).
void train_tiny_model(const fs::path& dir) {
  nac::test::write_file(dir / "tiny.json", R"({"input": [1, 11, 11], "layers": [
    {"op": "conv2d", "name": "c", "attrs": {"out_channels": 4, "kernel": 3}}, {"op": "relu", "name": "r"},
    {"op": "flatten", "name": "f"}, {"op": "linear", "name": "l", "attrs": {"out_features": 2}}]})");
  nac::test::write_file(dir / "task.toml", kTinyTask);
  REQUIRE(nac::test::run_nac("train " + nac::test::q(dir / "tiny.json") + " --config " +
                             nac::test::q(dir / "task.toml") + " --out " + nac::test::q(dir / "m") +
                             " --quiet --threads 1")
              .exit_code == 0);
}

}  // namespace

TEST_CASE("nac bench with compressors on a model: each step an evaluation, measures from the stage's own table") {
  nac::test::TempDir dir("bench_compress");
  train_tiny_model(dir.path());
  auto contender = [](const std::string& label, const std::string& fraction) {
    return "[[contender]]\nlabel = \"" + label +
           "\"\ncompressors = [\"magnitude_pruning\"]\ntolerance = 100.0\nsave = \"chosen\"\n"
           "[contender.magnitude_pruning]\nfraction = " +
           fraction + "\nrounds = 3\nepochs = 1\n";
  };
  const std::string problem =
      "[[problem]]\nmodel = \"m/model.nacm\"\nconfig = \"task.toml\"\n"
      "reference_point = [2.0, 1e8]\n";
  const std::string head = "name = \"cb\"\nseeds = 2\nevaluations = 4\nmeasures = [\"hypervolume\"]\n";
  nac::test::write_file(dir.path() / "b.toml", head + contender("p20", "0.2") + contender("p50", "0.5") + problem);
  const auto r = nac::test::run_nac("bench " + nac::test::q(dir.path() / "b.toml") + " --out " +
                                    nac::test::q(dir.path() / "out") + " --quiet");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("4 runs (0 failed)") != std::string::npos);
  const auto runs = runs_of(dir.path() / "out");
  REQUIRE(runs.size() == 4);
  for (const auto& run : runs) {
    CAPTURE(run.dump());
    CHECK(run["trials"] == 3);  // 3 rounds for a budget of 4: the last checkpoint sees the finished stage
    REQUIRE(run["values"]["hypervolume"].size() == 4);
    // The hypervolume after the 3 rounds, recomputed from the stage's compression.csv.
    const fs::path csv = dir.path() / "out/model" / run["contender"].get<std::string>() /
                         ("seed-" + std::to_string(run["seed"].get<int>())) / "compression.csv";
    std::ifstream in(csv);
    std::string line;
    REQUIRE(std::getline(in, line));
    std::vector<std::string> header;
    for (std::size_t at = 0; at != std::string::npos;) {
      const std::size_t comma = line.find(',', at);
      header.push_back(line.substr(at, comma == std::string::npos ? comma : comma - at));
      at = comma == std::string::npos ? comma : comma + 1;
    }
    const auto col = [&](const std::string& name) {
      return static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin());
    };
    std::vector<std::vector<double>> points;
    while (std::getline(in, line)) {
      std::vector<std::string> cells;
      for (std::size_t at = 0; at != std::string::npos;) {
        const std::size_t comma = line.find(',', at);
        cells.push_back(line.substr(at, comma == std::string::npos ? comma : comma - at));
        at = comma == std::string::npos ? comma : comma + 1;
      }
      if (cells[col("step")] == "dense") continue;  // the model before: not a step
      points.push_back({std::stod(cells[col("error")]), std::stod(cells[col("bops")])});
    }
    REQUIRE(points.size() == 3);
    std::vector<std::vector<double>> front;
    for (std::size_t i : nac::non_dominated(points)) front.push_back(points[i]);
    CHECK(run["values"]["hypervolume"][3].get<double>() ==
          doctest::Approx(nac::hypervolume(front, {2.0, 1e8})).epsilon(1e-6));
    CHECK(run["values"]["hypervolume"][2].get<double>() == run["values"]["hypervolume"][3].get<double>());
  }

  // Kinds that do not meet: clear errors before any run.
  int bad = 0;
  auto error_of = [&](const std::string& text) {
    const fs::path out = dir.path() / ("bad" + std::to_string(++bad));
    nac::test::write_file(dir.path() / "bad.toml", text);
    const auto e = nac::test::run_nac("bench " + nac::test::q(dir.path() / "bad.toml") + " --out " + nac::test::q(out) +
                                      " --quiet");
    CHECK(e.exit_code == 1);
    CHECK_FALSE(fs::exists(out / "runs.jsonl"));
    return e.err;
  };
  CHECK(error_of(head + "[[contender]]\nname = \"random\"\n" + contender("p20", "0.2") + problem +
                 "contenders = [\"random\"]\n")
            .find("contender 'random' is a strategy: it searches problems, not models") != std::string::npos);
  CHECK(error_of(head + contender("p20", "0.2") +
                 "[[problem]]\nname = \"test_functions\"\nproblem = \"zdt1\"\nvariables = 2\n")
            .find("no contender runs problem 'zdt1': a problem is searched by contenders with a strategy") !=
        std::string::npos);
  std::string missing = head + contender("p20", "0.2") + problem;
  missing.replace(missing.find("m/model.nacm"), 12, "m/nothing.nacm");
  CHECK(error_of(missing).find("nothing.nacm: no such file") != std::string::npos);
  std::string unknown = head + contender("p20", "0.2") + problem;
  unknown.replace(unknown.find("fraction"), 8, "fractio");
  CHECK(error_of(unknown).find("fractio") != std::string::npos);
}

TEST_CASE("nac bench on a model's training recipes (recipes_of): the local stage's search, one metric, best") {
  nac::test::TempDir dir("bench_recipes");
  train_tiny_model(dir.path());
  const std::string& task = kTinyTask;
  nac::test::write_file(dir.path() / "local.toml",
                        "name = \"local\"\nstages = [\"local\"]\n" + task +
                            "[stage.local]\nmetric = \"error\"\n[stage.local.space]\nbatch = [32]\n");
  const std::string bench =
      "name = \"rb\"\nseeds = 2\nevaluations = 4\nmeasures = [\"best\"]\n"
      "[[contender]]\nname = \"random\"\n[[contender]]\nname = \"tpe\"\n"
      "[[problem]]\nlabel = \"recipes\"\nexperiment = \"local.toml\"\nrecipes_of = \"m/model.nacm\"\n";
  nac::test::write_file(dir.path() / "b.toml", bench);
  const auto r = nac::test::run_nac("bench " + nac::test::q(dir.path() / "b.toml") + " --out " +
                                    nac::test::q(dir.path() / "out") + " --quiet");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("4 runs (0 failed)") != std::string::npos);
  // Each configuration a recipe of the one network: its objective is the error it trained to.
  std::ifstream in(dir.path() / "out/recipes/configurations.jsonl");
  std::size_t lines = 0;
  for (std::string line; std::getline(in, line); ++lines) {
    const auto j = nlohmann::json::parse(line);
    CHECK(j["params"].contains("lr"));
    CHECK_FALSE(j["params"].contains("slot0"));
    CHECK(j["objectives"][0].get<double>() == j["metrics"]["error"].get<double>());
    CHECK(j["metrics"]["parameters"].get<double>() == 4 * 9 + 4 + 4 * 81 * 2 + 2);  // the model's network
  }
  CHECK(lines >= 4);
  for (const auto& run : runs_of(dir.path() / "out")) CHECK(run["values"].contains("best"));

  // Without a [stage.local] table: a clear error.
  nac::test::write_file(dir.path() / "local.toml", "name = \"local\"\nstages = [\"local\"]\n" + task);
  const auto e = nac::test::run_nac("bench " + nac::test::q(dir.path() / "b.toml") + " --out " +
                                    nac::test::q(dir.path() / "out2") + " --quiet");
  CHECK(e.exit_code == 1);
  CHECK(e.err.find("has no [stage.local] table") != std::string::npos);
}
