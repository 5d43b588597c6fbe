// Search constraints: reading [constraints], the violations by hand, and a search whose front
// keeps to them, with a stop and a resume.
#include <fstream>
#include <set>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "nac/constraints.hpp"
#include "nac/error.hpp"
#include "nac/run/experiment.hpp"
#include "nac/pareto.hpp"
#include "nac/run/runner.hpp"
#include "test_support.hpp"

using namespace nac;
using nac::test::TempDir;
namespace fs = std::filesystem;

namespace {

// ZDT1 with 4 variables; f1 = x0, so "f1 >= 0.5" cuts the front in half.
const char* kConstrained = R"(name = "constrained"
seed = 3
[task]
name = "test_functions"
problem = "zdt1"
variables = 4
[strategy]
name = "nsga2"
population = 8
[search]
trials = 48
batch = 8
workers = 2
[constraints]
f1 = { min = 0.5 }
f2 = { max = "f1" }
)";

Experiment load_text(const TempDir& dir, const std::string& text) {
  const fs::path f = dir.path() / "exp.toml";
  test::write_file(f, text);
  return load_experiment(f);
}

}  // namespace

TEST_CASE("constraints are read with numbers and names as bounds") {
  TempDir dir("constraints-read");
  const Experiment ex = load_text(dir, kConstrained);
  REQUIRE(ex.constraints.size() == 2);
  CHECK(ex.constraints[0].describe() == "f1 >= 0.5");
  CHECK_FALSE(ex.constraints[0].upper);
  CHECK(ex.constraints[1].describe() == "f2 <= f1");
  CHECK(ex.constraints[1].where.find("exp.toml:16:") != std::string::npos);
}

TEST_CASE("violations by hand") {
  const std::vector<Constraint> cs{{"error", true, 0, "constant_error", ""},
                                   {"bops", true, 1e8, "", ""},
                                   {"parameters", false, 1000, "", ""},
                                   {"offset", true, 0, "", ""}};
  const Metrics m{{"error", 0.3}, {"constant_error", 0.4}, {"parameters", 800}, {"offset", 0.25}};
  const auto v = constraint_violations(cs, {"error", "bops"}, {0.5, 2e8}, m);
  REQUIRE(v.size() == 4);
  CHECK(v[0] == doctest::Approx((0.5 - 0.4) / 0.4));  // the objective's value wins over the metric
  CHECK(v[1] == doctest::Approx(1.0));                // 2e8 against 1e8: 100% over
  CHECK(v[2] == doctest::Approx(0.2));                // 800 against at least 1000
  CHECK(v[3] == doctest::Approx(0.25));               // a bound of 0: the plain difference
  CHECK_FALSE(feasible(v));
  CHECK(feasible(constraint_violations(cs, {"error", "bops"}, {0.1, 1e8},
                                       Metrics{{"constant_error", 0.4}, {"parameters", 1000}, {"offset", -1}})));
  CHECK_THROWS_WITH_AS(constraint_violations(cs, {"error"}, {0.1}, Metrics{{"constant_error", 0.4}}),
                       doctest::Contains("no value for 'bops'"), Error);
}

TEST_CASE("constraint errors name file - line - column") {
  TempDir dir("constraints-bad");
  const std::string head = R"(name = "c"
[task]
name = "test_functions"
problem = "zdt1"
variables = 4
[strategy]
name = "random"
[constraints]
)";
  CHECK_THROWS_WITH_AS(load_text(dir, head + "f1 = 0.5\n"), doctest::Contains("exp.toml:9:"), Error);
  CHECK_THROWS_WITH_AS(
      load_text(dir, head + "f1 = { maximum = 0.5 }\n"),
      doctest::Contains("exp.toml:9:8: unknown key 'constraints.f1.maximum'; known keys here: max, min"), Error);
  CHECK_THROWS_WITH_AS(load_text(dir, head + "f1 = { max = true }\n"), doctest::Contains("a number or the name"),
                       Error);
  CHECK_THROWS_WITH_AS(load_text(dir, head + "f1 = { max = \"f1\" }\n"), doctest::Contains("by itself"), Error);
  CHECK_THROWS_WITH_AS(
      load_text(dir, head + "f1 = { min = 2, max = 1 }\n"),
      doctest::Contains("exp.toml:9:14: 'constraints.f1.min': min 2 is above max 1: no value meets both"), Error);
  CHECK_NOTHROW(load_text(dir, head + "f1 = { min = 1, max = 1 }\n"));  // (exactly 1: fine)
  // The same objective twice is refused, where the second names it.
  const Experiment twice = load_text(
      dir, std::string(head).replace(head.find("[constraints]"), 13, "[search]\nobjectives = [\"f1\", \"f1\"]\n"));
  CHECK_THROWS_WITH_AS(build_search(twice, test::build_plugins(), 0),
                       doctest::Contains(": objective 'f1' is listed twice; each objective once"), Error);
  const Experiment typo = load_text(dir, head + "f3 = { max = 1 }\n");
  CHECK_THROWS_WITH_AS(
      build_search(typo, test::build_plugins(), 0),
      doctest::Contains(
          "exp.toml:9:14: constraint 'f3 <= 1': unknown metric or objective 'f3'; did you mean 'f1'?; known: f1, f2"),
      Error);
}

TEST_CASE("the front keeps to the constraints - through a stop and a resume") {
  TempDir dir("constraints-run");
  const Experiment ex = load_text(dir, kConstrained);
  SearchSetup first = build_search(ex, test::build_plugins(), ex.seed);
  RunOptions stop{dir.path() / "out", false};
  stop.stop_after = 16;
  run_search(ex, first, stop);
  SearchSetup second = build_search(ex, test::build_plugins(), ex.seed);
  RunOptions resume{dir.path() / "out", false, true};
  const RunSummary s = run_search(ex, second, resume);
  REQUIRE(s.trials.size() == 48);

  // Recompute feasibility and the front from the JSON lines alone.
  const auto lines = test::read_json_lines(dir.path() / "out" / "trials.jsonl");
  REQUIRE(lines.size() == 48);
  std::vector<Point> feasible_points;
  std::vector<std::uint64_t> feasible_ids;
  std::size_t infeasible = 0;
  for (const auto& l : lines) {
    const double f1 = l["objectives"]["f1"], f2 = l["objectives"]["f2"];
    const bool ok = f1 >= 0.5 && f2 <= f1;
    CHECK(l["feasible"] == ok);
    CHECK(l["constraints"]["f1 >= 0.5"].get<double>() == doctest::Approx((0.5 - f1) / 0.5));
    if (ok) feasible_points.push_back({f1, f2}), feasible_ids.push_back(l["trial"]);
    else ++infeasible;
  }
  CHECK(infeasible > 0);
  CHECK(feasible_points.size() > 0);
  CHECK(s.infeasible == infeasible);
  std::set<std::uint64_t> expected, got;
  for (std::size_t k : non_dominated(feasible_points)) expected.insert(feasible_ids[k]);
  for (std::size_t i : s.front) got.insert(s.trials[i].id);
  CHECK(got == expected);
  const auto summary = nlohmann::json::parse(test::read_file(dir.path() / "out" / "summary.json"));
  CHECK(summary["infeasible"] == infeasible);
  CHECK(summary["constraints"] == nlohmann::json::array({"f1 >= 0.5", "f2 <= f1"}));
  std::ifstream csv(dir.path() / "out" / "trials.csv");
  std::string header;
  std::getline(csv, header);
  CHECK(header == "trial,status,x0,x1,x2,x3,f1,f2,violation: f1 >= 0.5,violation: f2 <= f1,feasible,seconds,message");
}
