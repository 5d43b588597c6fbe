#include <fstream>
#include <set>
#include <sstream>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "nac/error.hpp"
#include "nac/run/experiment.hpp"
#include "nac/pareto.hpp"
#include "nac/run/plugin_loader.hpp"
#include "nac/run/runner.hpp"
#include "test_support.hpp"

using namespace nac;
using nac::test::TempDir;
namespace fs = std::filesystem;

namespace {

Registry& plugins() { return test::build_plugins(); }

const char* kSmall = R"(name = "small"
seed = 5
[task]
name = "test_functions"
problem = "zdt1"
variables = 4
[strategy]
name = "random"
[search]
trials = 60
batch = 4
workers = 2
)";

fs::path write(const TempDir& dir, const std::string& text, const std::string& name = "exp.toml") {
  const fs::path f = dir.path() / name;
  test::write_file(f, text);
  return f;
}

}  // namespace

TEST_CASE("the ZDT1 experiment loads and sets up") {
  const Experiment ex = load_experiment(fs::path(NAC_SOURCE_DIR) / "experiments" / "zdt1_random.toml");
  CHECK(ex.name == "zdt1_random");
  CHECK(ex.task.name == "test_functions");
  const SearchSetup s = build_search(ex, plugins(), ex.seed);
  CHECK(s.space->size() == 30);
  CHECK(s.objectives.size() == 2);
  CHECK(s.reference_point == std::vector<double>{1.1, 1.1});
}

TEST_CASE("a run writes every trial - the front and the summary - consistently") {
  TempDir dir("run");
  const Experiment ex = load_experiment(write(dir, kSmall));
  SearchSetup setup = build_search(ex, plugins(), ex.seed);
  const RunSummary s = run_search(ex, setup, RunOptions{dir.path() / "out", false});
  CHECK(s.trials.size() == 60);
  const auto lines = test::read_json_lines(dir.path() / "out" / "trials.jsonl");
  REQUIRE(lines.size() == 60);
  std::vector<Point> points;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    CHECK(lines[i]["trial"] == i);
    CHECK(lines[i]["status"] == "complete");
    CHECK(lines[i]["params"].size() == 4);
    points.push_back({lines[i]["objectives"]["f1"].get<double>(), lines[i]["objectives"]["f2"].get<double>()});
  }
  // front.csv holds exactly the non-dominated trials, recomputed here from the JSON lines.
  std::set<std::uint64_t> expected;
  for (std::size_t i : non_dominated(points)) expected.insert(i);
  std::ifstream front(dir.path() / "out" / "front.csv");
  std::string line;
  std::getline(front, line);
  CHECK(line == "trial,status,x0,x1,x2,x3,f1,f2,seconds,message");
  std::set<std::uint64_t> got;
  while (std::getline(front, line)) got.insert(std::stoull(line.substr(0, line.find(','))));
  CHECK(got == expected);
  std::ifstream csv(dir.path() / "out" / "trials.csv");
  int rows = 0;
  while (std::getline(csv, line)) ++rows;
  CHECK(rows == 61);
  const auto summary = nlohmann::json::parse(test::read_file(dir.path() / "out" / "summary.json"));
  CHECK(summary["trials"] == 60);
  CHECK(summary["front_size"] == expected.size());
  CHECK(summary["hypervolume"].get<double>() == doctest::Approx(*s.hypervolume));
  CHECK(fs::exists(dir.path() / "out" / "experiment.toml"));
}

TEST_CASE("same seed and workers - same trials - another seed - other trials") {
  TempDir dir("seed");
  const Experiment ex = load_experiment(write(dir, kSmall));
  auto params_of = [&](std::uint64_t seed, const std::string& out) {
    SearchSetup setup = build_search(ex, plugins(), seed);
    run_search(ex, setup, RunOptions{dir.path() / out, false});
    std::vector<nlohmann::json> p;
    for (auto& l : test::read_json_lines(dir.path() / out / "trials.jsonl")) p.push_back(l["params"]);
    return p;
  };
  CHECK(params_of(5, "a") == params_of(5, "b"));
  CHECK(params_of(5, "c") != params_of(6, "d"));
}

TEST_CASE("an output folder with results is never overwritten") {
  TempDir dir("out");
  const Experiment ex = load_experiment(write(dir, kSmall));
  SearchSetup setup = build_search(ex, plugins(), ex.seed);
  run_search(ex, setup, RunOptions{dir.path() / "out", false});
  const std::string before = test::read_file(dir.path() / "out" / "trials.jsonl");
  SearchSetup again = build_search(ex, plugins(), ex.seed);
  CHECK_THROWS_WITH_AS(run_search(ex, again, RunOptions{dir.path() / "out", false}),
                       doctest::Contains("already holds the results of a run"), Error);
  CHECK(test::read_file(dir.path() / "out" / "trials.jsonl") == before);
}

TEST_CASE("experiment errors name file - line - column and key") {
  TempDir dir("errors");
  auto error_of = [&](const std::string& text) {
    const fs::path f = write(dir, text);
    try {
      const Experiment ex = load_experiment(f);
      build_search(ex, plugins(), 0);
    } catch (const Error& e) {
      const std::string m = e.what();
      return m.substr(f.string().size());  // drop the folder, keep ":line:col: ..."
    }
    return std::string("no error");
  };
  const std::string base = "[task]\nname = \"test_functions\"\nproblem = \"zdt1\"\n[strategy]\nname = \"random\"\n";
  CHECK(error_of(base + "[search]\ntrails = 5\n") == ":7:1: unknown key 'search.trails'; did you mean 'trials'?");
  CHECK(error_of(base + "[serach]\n") == ":6:2: unknown key 'serach'; did you mean 'search'?");
  CHECK(error_of(base + "[search]\ntrials = 0\n") == ":7:10: 'search.trials': expected an integer >= 1, found 0");
  CHECK(error_of(base + "[search]\nobjectives = [\"f3\"]\n")
            .rfind(":7:15: unknown objective 'f3'; did you mean 'f1'?; task 'test_functions' reports f1, f2", 0) == 0);
  CHECK(error_of(
            "[task]\nname = \"test_functions\"\nproblem = \"zdt1\"\nvariabels = 3\n[strategy]\nname = \"random\"\n") ==
        ":4:1: unknown key 'task.variabels'; did you mean 'variables'?");
  CHECK(error_of("[task]\nname = \"test_function\"\n[strategy]\nname = \"random\"\n")
            .rfind(":2:8: unknown task 'test_function'; did you mean 'test_functions'? (known: ", 0) == 0);
  CHECK(error_of(
            "[task]\nname = \"test_functions\"\nproblem = \"zdt1\"\n[strategy]\nname = \"random\"\npopulation = 4\n") ==
        ":6:1: unknown key 'strategy.population'; known keys here: name");
  CHECK(error_of(base).find("no error") == 0);
}

TEST_CASE("a failing evaluation is recorded as a failed trial - and the run goes on") {
  // The conditional problem evaluates fine; an objective that the task reports as NaN cannot be
  // produced by test functions, so use a task metric missing from a hand-made setup instead.
  TempDir dir("fail");
  const Experiment ex = load_experiment(write(dir, kSmall));
  SearchSetup setup = build_search(ex, plugins(), ex.seed);
  setup.objectives.push_back(std::make_unique<MetricObjective>(MetricInfo{"missing", Direction::Minimize, ""}));
  setup.objectives.erase(setup.objectives.begin());  // keep two objectives: f2 and "missing"
  const RunSummary s = run_search(ex, setup, RunOptions{dir.path() / "out", false});
  CHECK(s.failed == 60);
  CHECK(s.front.empty());
  const auto lines = test::read_json_lines(dir.path() / "out" / "trials.jsonl");
  CHECK(lines.at(0)["status"] == "failed");
  CHECK(lines.at(0)["message"] == "the task did not report metric 'missing'");
}

TEST_CASE("resuming with other versions warns - with the same versions it does not") {
  TempDir dir("versions");
  const Experiment ex = load_experiment(write(dir, kSmall));
  auto run = [&](const std::string& out, bool resume, std::size_t stop, const std::string& version) {
    SearchSetup setup = build_search(ex, plugins(), ex.seed);
    RunOptions o{dir.path() / out, false, resume, stop};
    o.versions = {{"nac", "0.2.0"}, {"plugin test_functions", version}};
    return run_search(ex, setup, o);
  };
  run("same", false, 20, "1.0.0");
  CHECK(run("same", true, 0, "1.0.0").warnings.empty());
  run("other", false, 20, "1.0.0");
  const RunSummary s = run("other", true, 0, "1.1.0");
  REQUIRE(s.warnings.size() == 1);
  CHECK(s.warnings[0] ==
        "the run started with plugin test_functions 1.0.0, it resumes with 1.1.0: trials from here on may differ "
        "(data, training or search)");
  CHECK(s.trials.size() == 60);
  // The state now holds the versions the run goes on with.
  const auto state = nlohmann::json::parse(test::read_file(dir.path() / "other" / "state.json"));
  CHECK(state["versions"]["plugin test_functions"] == "1.1.0");
}

namespace {
// A plugin objective that throws something other than a std::exception.
struct ThrowsInt final : Objective {
  std::string name() const override { return "throws_int"; }
  Direction direction() const override { return Direction::Minimize; }
  double evaluate(const Candidate&) const override { throw 42; }
};
}  // namespace

TEST_CASE("a non-standard exception thrown in a worker is a failed trial naming who threw") {
  TempDir dir("throw_int");
  const Experiment ex = load_experiment(write(dir, kSmall));  // 2 workers
  SearchSetup setup = build_search(ex, plugins(), ex.seed);
  setup.objectives.erase(setup.objectives.begin());
  setup.objectives.push_back(std::make_unique<ThrowsInt>());
  const RunSummary s = run_search(ex, setup, RunOptions{dir.path() / "out", false});
  CHECK(s.failed == 60);
  const auto lines = test::read_json_lines(dir.path() / "out" / "trials.jsonl");
  REQUIRE(lines.size() == 60);
  CHECK(lines.at(0)["status"] == "failed");
  CHECK(lines.at(0)["message"] ==
        "a non-standard exception (not derived from std::exception) was thrown by objective 'throws_int'");
}

TEST_CASE("a run that cannot copy its experiment file fails before any trial, naming the path and why") {
  TempDir dir("uncopiable");
  const Experiment ex = load_experiment(write(dir, kSmall));
  SearchSetup setup = build_search(ex, plugins(), ex.seed);
  const fs::path out = dir.path() / "out";
  fs::create_directories(out / "experiment.toml");  // a folder in the way (tests run as root)
  std::string message;
  try {
    run_search(ex, setup, RunOptions{out, false});
  } catch (const Error& e) {
    message = e.what();
  }
  CHECK(message.rfind((out / "experiment.toml").string() + ": cannot copy the experiment file " +
                          (dir.path() / "exp.toml").string() + " there: ",
                      0) == 0);
  CHECK(message.find("--resume needs this copy") != std::string::npos);
  CHECK_FALSE(fs::exists(out / "trials.jsonl"));  // nothing ran, nothing was written
  CHECK_FALSE(fs::exists(out / "journal.jsonl"));
  // With the way cleared, the same folder takes the run.
  fs::remove(out / "experiment.toml");
  SearchSetup again = build_search(ex, plugins(), ex.seed);
  CHECK(run_search(ex, again, RunOptions{out, false}).trials.size() == 60);
  CHECK(test::read_file(out / "experiment.toml") == kSmall);
}
