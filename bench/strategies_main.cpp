// nac_bench_strategies: how good and how cheap the search strategies are, on the test_functions
// task, loaded as plugins exactly as `nac run` loads them.
//
//   NSGA-II (and random, for reference) on ZDT1, ZDT2, ZDT3 (30 variables), ZDT4, ZDT6 (10
//   variables) and DTLZ2 (3 objectives, 12 variables): hypervolume of every evaluated point at
//   the reference point (1.1, ..., 1.1) after --evals evaluations;
//   TPE and random on the conditional space (3 slots): best value after --trials trials.
// Each figure is the median over --seeds seeds (0, 1, ...), with the smallest and largest, and
// the sampler's own time per trial (ask + tell, the evaluation excluded).
//
//   nac_bench_strategies [--seeds 5] [--evals 2000] [--trials 300] [--nsga2 'population = 40']
//                        [--tpe 'multivariate = false'] [--only nsga2|tpe] [--problems zdt1,zdt4]
//                        [--tsv] [--plugin-dir DIR]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "nac/config.hpp"
#include "nac/error.hpp"
#include "nac/hypervolume.hpp"
#include "nac/pareto.hpp"
#include "nac/run/plugin_loader.hpp"
#include "nac/registry.hpp"
#include "nac/search_strategy.hpp"
#include "nac/task.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Outcome {
  double score = 0;      // hypervolume, or best value
  double sampler_s = 0;  // seconds in ask + tell
  std::size_t trials = 0;
};

nac::ConfigTable table_of(const std::string& text, const std::string& what) {
  return nac::root_table(nac::parse_toml_text(text, what), what);
}

Outcome run(const nac::Registry& registry, const std::string& task_toml, const std::string& strategy,
            const std::string& strategy_toml, std::size_t trials, std::uint64_t seed) {
  const auto task_cfg = table_of(task_toml, "task");
  const auto made = registry.task("test_functions")(task_cfg);
  const nac::ProblemTask* task = &nac::as_problem_task(*made, "the benchmark");
  task_cfg.finish();
  std::vector<std::string> names;
  std::vector<nac::Direction> directions;
  for (const auto& m : task->metrics()) {
    names.push_back(m.name);
    directions.push_back(m.direction);
  }
  const auto cfg = table_of(strategy_toml, strategy);
  auto s = registry.strategy(strategy)(cfg, nac::StrategyContext{task->search_space(), directions, seed});
  cfg.finish();

  Outcome out;
  std::vector<nac::Point> points;
  Clock::duration sampler{};
  for (std::size_t i = 0; i < trials; ++i) {
    auto t0 = Clock::now();
    const nac::Trial t = s->ask();
    sampler += Clock::now() - t0;
    const nac::Metrics m = task->evaluate(t.params, nac::EvalContext{t.id, seed, 1, {}});
    nac::TrialResult r;
    for (const auto& n : names) r.values.push_back(m.at(n));
    points.push_back(r.values);
    t0 = Clock::now();
    s->tell(t.id, r);
    sampler += Clock::now() - t0;
  }
  out.sampler_s = std::chrono::duration<double>(sampler).count();
  out.trials = trials;
  if (names.size() == 1) {
    out.score = points.front()[0];
    for (const auto& p : points) out.score = std::min(out.score, p[0]);
  } else {
    const auto ref = task->reference_point(names).value_or(std::vector<double>(names.size(), 1.1));
    std::vector<nac::Point> front;
    for (std::size_t i : nac::non_dominated(points)) front.push_back(points[i]);
    out.score = nac::hypervolume(front, ref);
  }
  return out;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct Row {
  std::string problem, strategy, measure;
  std::size_t trials = 0;
  std::vector<double> scores, us_per_trial;
};

void print(const std::vector<Row>& rows, bool tsv) {
  if (tsv) {
    std::printf("problem\tstrategy\ttrials\tmeasure\tmedian\tmin\tmax\tsampler_us_per_trial\tscores\n");
    for (const auto& r : rows) {
      std::ostringstream all;
      for (std::size_t i = 0; i < r.scores.size(); ++i) all << (i ? "," : "") << r.scores[i];
      std::printf("%s\t%s\t%zu\t%s\t%.6g\t%.6g\t%.6g\t%.3f\t%s\n", r.problem.c_str(), r.strategy.c_str(), r.trials,
                  r.measure.c_str(), median(r.scores), *std::min_element(r.scores.begin(), r.scores.end()),
                  *std::max_element(r.scores.begin(), r.scores.end()), median(r.us_per_trial), all.str().c_str());
    }
    return;
  }
  std::printf("%-22s %-8s %6s  %-12s %9s  %-19s %14s\n", "problem", "strategy", "trials", "measure", "median",
              "[min, max]", "sampler/trial");
  for (const auto& r : rows) {
    const double lo = *std::min_element(r.scores.begin(), r.scores.end());
    const double hi = *std::max_element(r.scores.begin(), r.scores.end());
    char range[64];
    std::snprintf(range, sizeof range, "[%.4f, %.4f]", lo, hi);
    std::printf("%-22s %-8s %6zu  %-12s %9.4f  %-19s %11.1f us\n", r.problem.c_str(), r.strategy.c_str(), r.trials,
                r.measure.c_str(), median(r.scores), range, median(r.us_per_trial));
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Quality and cost of nac's search strategies on the test_functions task"};
  std::size_t seeds = 5, evals = 2000, trials = 300;
  std::string nsga2_toml, tpe_toml, only, problems_csv = "zdt1,zdt2,zdt3,zdt4,zdt6,dtlz2";
  std::vector<std::string> plugin_dirs;
  bool tsv = false, with_random = true;
  app.add_option("--seeds", seeds, "seeds 0 .. N-1 (median over them)")->check(CLI::Range(1, 1000));
  app.add_option("--evals", evals, "evaluations per multi-objective run")->check(CLI::Range(1, 10000000));
  app.add_option("--trials", trials, "trials per run on the conditional space")->check(CLI::Range(1, 10000000));
  app.add_option("--nsga2", nsga2_toml, "TOML settings of the nsga2 strategy, e.g. 'population = 40'");
  app.add_option("--tpe", tpe_toml, "TOML settings of the tpe strategy, e.g. 'multivariate = false'");
  app.add_option("--only", only, "run only the nsga2 part or the tpe part")->check(CLI::IsMember({"nsga2", "tpe"}));
  app.add_option("--problems", problems_csv, "comma-separated multi-objective problems");
  app.add_flag("!--no-random", with_random, "leave out the random-search reference rows");
  app.add_flag("--tsv", tsv, "tab-separated output");
  app.add_option("--plugin-dir", plugin_dirs, "plugin folder (default: the build's plugin folder)");
  CLI11_PARSE(app, argc, argv);

  try {
    nac::Registry registry;
    nac::PluginLoader loader(registry);
    if (plugin_dirs.empty())
      for (const auto& d : nac::default_plugin_dirs())
        if (std::filesystem::is_directory(d)) plugin_dirs.push_back(d.string());
    for (const std::string name : {"nac_test_functions.so", "nac_nsga2.so", "nac_tpe.so", "nac_random.so"}) {
      bool found = false;
      for (const auto& d : plugin_dirs)
        if (std::filesystem::exists(std::filesystem::path(d) / name)) {
          loader.load_file(std::filesystem::path(d) / name);
          found = true;
          break;
        }
      if (!found) throw nac::Error("plugin " + name + " not found (use --plugin-dir)");
    }

    std::vector<Row> rows;
    auto measure = [&](const std::string& label, const std::string& task_toml, const std::string& strategy,
                       const std::string& strategy_toml, std::size_t n, const char* what) {
      Row row{label, strategy, what, n, {}, {}};
      for (std::size_t seed = 0; seed < seeds; ++seed) {
        const Outcome o = run(registry, task_toml, strategy, strategy_toml, n, seed);
        row.scores.push_back(o.score);
        row.us_per_trial.push_back(o.sampler_s / static_cast<double>(o.trials) * 1e6);
      }
      rows.push_back(row);
      if (!tsv) std::fprintf(stderr, "  done: %s %s\n", label.c_str(), strategy.c_str());
    };
    if (only != "tpe") {
      std::stringstream list(problems_csv);
      for (std::string p; std::getline(list, p, ',');) {
        std::string task = "problem = \"" + p + "\"\n", label;
        if (p == "dtlz2") label = "dtlz2 (3 obj, 12 vars)";
        else if (p == "zdt4" || p == "zdt6") label = p + " (10 vars)";
        else if (p.rfind("zdt", 0) == 0) label = p + " (30 vars)";
        else throw nac::Error("unknown problem '" + p + "'");
        measure(label, task, "nsga2", nsga2_toml, evals, "HV");
        if (with_random) measure(label, task, "random", "", evals, "HV");
      }
    }
    if (only != "nsga2") {
      const std::string task = "problem = \"conditional\"\nslots = 3\n";
      measure("conditional (3 slots)", task, "tpe", tpe_toml, trials, "best");
      if (with_random) measure("conditional (3 slots)", task, "random", "", trials, "best");
    }
    if (!tsv)
      std::printf(
          "medians over seeds 0..%zu; HV at (1.1, ..., 1.1) of every evaluated point "
          "(ZDT1 ideal 0.8767); best: lowest value found (optimum about 0.0015)\n",
          seeds - 1);
    print(rows, tsv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nac_bench_strategies: %s\n", e.what());
    return 1;
  }
  return 0;
}
