// A bench file (docs/bench.md): its keys read and checked, and every plugin it names made once.
#include <algorithm>
#include <set>

#include <toml++/toml.h>

#include "nac/config.hpp"
#include "nac/error.hpp"
#include "nac/registry.hpp"
#include "nac/run/bench.hpp"
#include "nac/search_strategy.hpp"
#include "nac/task.hpp"
#include "bench_problems.hpp"
#include "local_stage.hpp"
#include "nac/nn/model_io.hpp"
#include "nac/objective.hpp"
#include "nac/dataset_task.hpp"
#include "nac/nn/training_config.hpp"
#include "nac/run/compression_stage.hpp"

namespace nac {

namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kMeasures = {"hypervolume", "igd", "best"};

// `checkpoints` of a table (sorted, each once, the budget last), or 10 even steps to the budget
// (or `inherited`, when the table has no budget of its own).
std::vector<std::size_t> read_checkpoints(const ConfigTable& t, std::size_t evaluations,
                                          const std::vector<std::size_t>& inherited) {
  std::vector<std::size_t> out;
  if (t.has("checkpoints")) {
    for (auto e : t.integers("checkpoints", std::nullopt, Range::between(1, static_cast<double>(evaluations))))
      out.push_back(static_cast<std::size_t>(e));
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    if (out.empty()) t.fail("checkpoints", "expected at least one number of evaluations");
  } else if (!inherited.empty()) {
    for (std::size_t e : inherited)
      if (e < evaluations) out.push_back(e);
  } else {
    for (std::size_t k = 1; k <= 10; ++k) {
      const std::size_t e = (evaluations * k + 9) / 10;
      if (out.empty() || out.back() != e) out.push_back(e);
    }
  }
  if (out.empty() || out.back() != evaluations) out.push_back(evaluations);
  return out;
}

PluginChoice plugin_of(const ConfigTable& t) {
  return PluginChoice{t.string("name", std::nullopt), t, t.where("name")};
}

// Each label once.
void check_unique(const ConfigTable& root, const char* key, const std::vector<std::string>& labels) {
  std::set<std::string> seen;
  for (const auto& l : labels)
    if (!seen.insert(l).second) root.fail(key, "two entries labelled '" + l + "' (give each a different 'label')");
}

// A problem's `label` (default: its file's stem) where it names the problem's folder of the run.
std::string folder_label(const ConfigTable& t, const fs::path& file, const std::string& what) {
  const std::string label = t.string("label", file.stem().string());
  if (label.empty() || label.find('/') != std::string::npos || label == "." || label == "..")
    t.fail("label", what + "'s label names its folder: expected a name without '/'");
  return label;
}

}  // namespace

BenchConfig load_bench(const fs::path& file) {
  const std::string fname = file.string();
  ConfigTable root = root_table(parse_toml_file(fname), fname);
  BenchConfig c;
  c.file = file;
  c.name = root.string("name", file.stem().string());
  if (c.name.empty() || c.name.find('/') != std::string::npos)
    root.fail("name", "expected a non-empty name without '/', found \"" + c.name + "\"");
  c.output = root.string("output", "results/bench-" + c.name);
  for (const auto& d : root.strings("plugin_dirs", std::vector<std::string>{})) {
    const fs::path p(d);
    c.plugin_dirs.push_back(p.is_absolute() ? p : file.parent_path() / p);
  }
  // seeds = N (0 .. N-1) or a list of seeds.
  if (const toml::node* n = root.node("seeds"); n && n->is_array()) {
    for (auto s : root.integers("seeds", std::nullopt, Range::at_least(0)))
      c.seeds.push_back(static_cast<std::uint64_t>(s));
    if (c.seeds.empty()) root.fail("seeds", "expected at least one seed");
  } else {
    const auto count = root.integer("seeds", 10, Range::between(1, 100000));
    for (std::int64_t s = 0; s < count; ++s) c.seeds.push_back(static_cast<std::uint64_t>(s));
  }
  c.evaluations = static_cast<std::size_t>(root.integer("evaluations", std::nullopt, Range::between(1, 1e9)));
  c.seconds = root.real("seconds", 0.0, Range::at_least(0));
  c.checkpoints = read_checkpoints(root, c.evaluations, {});
  c.measures = root.strings("measures", std::nullopt);
  if (c.measures.empty()) root.fail("measures", "expected at least one of hypervolume, igd, best");
  for (const auto& m : c.measures)
    if (std::find(kMeasures.begin(), kMeasures.end(), m) == kMeasures.end())
      root.fail("measures", "unknown measure '" + m + "' (hypervolume, igd, best)");
  c.front_points = static_cast<std::size_t>(root.integer("front_points", 1000, Range::between(2, 1e6)));
  c.alpha = root.real("alpha", 0.05, Range::between(1e-9, 0.5));
  c.workers = static_cast<int>(root.integer("workers", 0, Range::between(0, 1024)));

  std::vector<std::string> labels;
  for (const ConfigTable& t : root.tables("contender")) {
    BenchContender k;
    if (t.has("compressors")) {  // a compression contender: a [compression] table of its own
      if (t.has("name")) t.fail("name", "a contender is a strategy 'name' or 'compressors', not both");
      std::string joined;
      for (const auto& n : t.strings("compressors", std::nullopt)) joined += (joined.empty() ? "" : "+") + n;
      k.label = t.string("label", joined);
      k.strategy = PluginChoice{"", t, t.where("compressors")};
      k.compression = true;
    } else {
      k.label = t.string("label", t.string("name", std::nullopt));
      k.strategy = plugin_of(t);
    }
    labels.push_back(k.label);
    c.contenders.push_back(std::move(k));
  }
  if (c.contenders.empty()) root.fail("contender", "expected at least one [[contender]] with a strategy 'name'");
  check_unique(root, "contender", labels);
  const std::vector<std::string> labels_k = labels;
  labels.clear();
  for (const ConfigTable& t : root.tables("problem")) {
    BenchProblem p;
    auto relative = [&](const std::string& key) {
      const fs::path f(t.string(key, std::nullopt));
      return f.is_absolute() ? f : file.parent_path() / f;
    };
    if (t.has("model")) {  // a model problem: compression contenders run on it
      for (const char* key : {"name", "experiment", "objectives"})
        if (t.has(key))
          t.fail(key,
                 "a model problem takes 'model', 'config' (its [task] and [training]) and 'metric'; its "
                 "objectives are the metric and bops");
      p.model = relative("model");
      p.config = relative("config");
      p.metric = t.string("metric", std::string());
      p.task = PluginChoice{"", t, t.where("model")};
      p.label = folder_label(t, p.model, "a model problem");
    } else if (t.has("experiment")) {  // an experiment problem: the experiment file says the rest
      if (t.has("name")) t.fail("name", "a problem is a task 'name' or an 'experiment' file, not both");
      if (t.has("objectives"))
        t.fail("objectives", "an experiment problem's objectives are its experiment's ([[objective]] there)");
      p.experiment = relative("experiment");
      if (t.has("recipes_of")) p.recipes_of = relative("recipes_of");
      p.task = PluginChoice{"", t, t.where("experiment")};
      p.label = folder_label(t, p.experiment, "an experiment problem");
    } else {
      p.task = plugin_of(t);
      p.label = t.string("label", t.has("problem") ? t.string("problem", std::nullopt) : p.task.name);
      p.objectives = t.strings("objectives", std::vector<std::string>{});
    }
    // (a problem's own budget: its checkpoints default to the bench's below it, then the budget)
    p.evaluations = static_cast<std::size_t>(
        t.integer("evaluations", static_cast<std::int64_t>(c.evaluations), Range::between(1, 1e9)));
    p.checkpoints =
        t.has("evaluations") || t.has("checkpoints")
            ? read_checkpoints(t, p.evaluations, t.has("checkpoints") ? std::vector<std::size_t>{} : c.checkpoints)
            : c.checkpoints;
    p.contenders = t.strings("contenders", std::vector<std::string>{});
    for (const auto& k : p.contenders) {
      const auto at = std::find(labels_k.begin(), labels_k.end(), k);
      if (at == labels_k.end()) t.fail("contenders", "no contender is labelled '" + k + "'");
      if (c.contenders[static_cast<std::size_t>(at - labels_k.begin())].compression != p.compresses())
        t.fail("contenders", "contender '" + k + "' " +
                                 (p.compresses() ? "is a strategy: it searches problems, not models"
                                                 : "compresses models: it runs on model problems"));
    }
    if (p.contenders.empty())  // every contender of the problem's kind
      for (const auto& k : c.contenders)
        if (k.compression == p.compresses()) p.contenders.push_back(k.label);
    if (p.contenders.empty())
      t.fail(p.compresses()        ? "model"
             : t.has("experiment") ? "experiment"
                                   : "name",
             "no contender runs problem '" + p.label + "': " +
                 (p.compresses() ? "a model is compressed by contenders with 'compressors'"
                                 : "a problem is searched by contenders with a strategy 'name'"));
    if (t.has("reference_point")) p.reference = t.reals("reference_point", std::nullopt);
    labels.push_back(p.label);
    c.problems.push_back(std::move(p));
  }
  if (c.problems.empty())
    root.fail("problem", "expected at least one [[problem]] with a task 'name', an 'experiment' or a 'model' file");
  check_unique(root, "problem", labels);
  root.finish();  // (the plugins' own keys are checked by check_bench, when their factories read them)
  return c;
}

namespace {

// Where a plugin's error happened: its place in the file, unless the message names one.
[[noreturn]] void rethrow_at(const Error& e, const BenchConfig& c, const std::string& where, const std::string& what) {
  const std::string message = e.what();
  if (message.starts_with(c.file.string())) throw e;
  throw Error(where + ": " + what + ": " + message);
}

struct Made {  // what a strategy is made with on the problem
  std::shared_ptr<const SearchSpace> space;
  std::vector<Direction> directions;
};

// The measures fit the problem: a reference point for the hypervolume, a true front for igd.
void check_measures(const BenchConfig& c, const BenchProblem& p, std::size_t objectives, bool has_reference,
                    bool has_front) {
  const std::string at = c.file.string() + ": problem '" + p.label + "': ";
  const bool many = objectives > 1;
  const auto measures = measures_for(c, objectives);
  if (measures.empty())
    throw Error(at + "none of the measures fits a problem of " + std::to_string(objectives) + " objective" +
                (many ? "s (measure hypervolume or igd)" : " (measure best)"));
  for (const auto& m : measures) {
    if (m == "hypervolume" && p.reference && p.reference->size() != objectives)
      p.task.config.fail("reference_point", "expected " + std::to_string(objectives) + " values");
    if (m == "hypervolume" && !p.reference && !has_reference)
      throw Error(at + "no reference point for the hypervolume: give it 'reference_point = [...]'");
    if (m == "igd" && !has_front)
      throw Error(at + "measure 'igd' needs the problem's true front, which " +
                  (p.experiment.empty() ? "its task does not know" : "an experiment does not have"));
  }
}

Made check_experiment(const BenchConfig& c, const BenchProblem& p, const Registry& registry) {
  const Experiment ex = load_experiment(p.experiment);
  SearchSetup s;
  try {
    s = experiment_setup(p, ex, registry);
  } catch (const Error& e) {
    rethrow_at(e, c, p.task.where, "problem '" + p.label + "'");
  }
  if (!s.space) throw Error(p.task.where + ": problem '" + p.label + "': its experiment has no search space");
  std::vector<Direction> directions;
  for (const auto& o : s.objectives) directions.push_back(o->direction());
  check_measures(c, p, directions.size(), !s.reference_point.empty(), false);
  p.task.config.finish();
  return Made{s.space, directions};
}

}  // namespace

SearchSetup experiment_setup(const BenchProblem& p, const Experiment& ex, const Registry& registry) {
  SearchSetup s = build_search(ex, registry, ex.seed);
  if (p.recipes_of.empty()) return s;
  const auto local = ex.stage_tables.find("local");
  if (local == ex.stage_tables.end())
    p.task.config.fail("recipes_of", "the experiment " + p.experiment.string() +
                                         " has no [stage.local] table (the recipes' space and metric)");
  const DatasetTask& task = as_dataset_task(*s.task, "nac bench (recipes_of)");
  const detail::LocalStageConfig lc = detail::local_stage_config(local->second, ex, registry, task);
  if (!std::filesystem::exists(p.recipes_of))
    p.task.config.fail("recipes_of", p.recipes_of.string() + ": no such file");
  s.model = std::make_shared<const ModelSpec>(nn::load_model(p.recipes_of).spec());
  s.architecture.reset();
  s.recipes = lc.recipes;
  s.training = std::make_shared<const nn::TrainConfig>(lc.recipes->base());
  s.space = lc.recipes->space();
  s.objectives.clear();
  s.objectives.push_back(std::make_unique<MetricObjective>(lc.metric));
  s.reference_point.clear();
  s.constraints.clear();
  return s;
}

ModelProblemParts model_problem_parts(const BenchProblem& p, const Registry& registry) {
  const std::string fname = p.config.string();
  ModelProblemParts out;
  out.file = std::make_shared<ConfigTable>(root_table(parse_toml_file(fname), fname));
  const ConfigTable& root = *out.file;
  const ConfigTable task_table = root.table("task", true);
  const std::string name = task_table.string("name", std::nullopt);
  out.task = registry.task(name)(task_table);
  const auto* dataset = dynamic_cast<const DatasetTask*>(out.task.get());
  if (!dataset) task_table.fail("name", "task '" + name + "' has no data to compress a model on (a dataset task)");
  task_table.finish();
  out.recipe = training_config(root.table("training", false), dataset->default_loss());
  root.table("training", false).finish();
  out.metric = p.metric;
  const auto metrics = dataset->metrics();
  if (out.metric.empty()) out.metric = metrics.front().name;
  const bool known = std::any_of(metrics.begin(), metrics.end(), [&](const MetricInfo& m) {
    return m.name == out.metric && m.direction == Direction::Minimize;
  });
  if (!known) p.task.config.fail("metric", "task '" + name + "' has no metric '" + out.metric + "' to minimise");
  if (!std::filesystem::exists(p.model)) p.task.config.fail("model", p.model.string() + ": no such file");
  return out;
}

namespace {

Made check_model_problem(const BenchConfig& c, const BenchProblem& p, const Registry& registry) {
  (void)model_problem_parts(p, registry);
  check_measures(c, p, 2, false, false);
  p.task.config.finish();
  return Made{nullptr, {Direction::Minimize, Direction::Minimize}};
}

Made check_problem(const BenchConfig& c, const BenchProblem& p, const Registry& registry) {
  if (p.compresses()) return check_model_problem(c, p, registry);
  if (!p.experiment.empty()) return check_experiment(c, p, registry);
  std::unique_ptr<Task> task;
  try {
    task = registry.task(p.task.name)(p.task.config);
  } catch (const Error& e) {
    rethrow_at(e, c, p.task.where, "problem '" + p.label + "'");
  }
  const ProblemTask& problem = as_problem_task(*task, "nac bench (problem '" + p.label + "')");
  std::vector<std::string> objectives = p.objectives;
  std::vector<Direction> directions;
  const auto metrics = problem.metrics();
  if (objectives.empty())
    for (const auto& m : metrics) objectives.push_back(m.name);
  for (const auto& o : objectives) {
    const auto m = std::find_if(metrics.begin(), metrics.end(), [&](const MetricInfo& i) { return i.name == o; });
    if (m == metrics.end()) p.task.config.fail("objectives", "problem '" + p.label + "' has no metric '" + o + "'");
    directions.push_back(m->direction);
  }
  check_measures(c, p, objectives.size(), problem.reference_point(objectives).has_value(),
                 problem.true_front(objectives, 2).has_value());
  p.task.config.finish();
  return Made{problem.search_space(), directions};
}

}  // namespace

bool BenchProblem::runs(const std::string& contender) const {
  return contenders.empty() || std::find(contenders.begin(), contenders.end(), contender) != contenders.end();
}

std::vector<std::string> measures_for(const BenchConfig& c, std::size_t objectives) {
  std::vector<std::string> out;
  for (const auto& m : c.measures)
    if ((m == "best") == (objectives == 1)) out.push_back(m);
  return out;
}

void check_bench(const BenchConfig& c, const Registry& registry) {
  std::vector<Made> made;
  for (const BenchProblem& p : c.problems) made.push_back(check_problem(c, p, registry));
  // A contender must be made for one problem at least (its settings are checked there).
  for (const BenchContender& k : c.contenders) {
    if (k.compression) {  // its table and compressors, made once
      try {
        (void)compression_config(k.strategy.config, registry);
      } catch (const Error& e) {
        rethrow_at(e, c, k.strategy.where, "contender '" + k.label + "'");
      }
      bool any = false;
      for (const auto& p : c.problems) any = any || p.runs(k.label);
      if (!any)
        throw Error(k.strategy.where + ": contender '" + k.label +
                    "' compresses models, and no [[problem]] "
                    "is a 'model'");
      continue;
    }
    std::optional<Error> first;
    bool any = false;
    for (std::size_t i = 0; i < c.problems.size() && !any; ++i) try {
        if (!c.problems[i].runs(k.label)) continue;
        auto s = registry.strategy(k.strategy.name)(
            k.strategy.config, StrategyContext{made[i].space, made[i].directions, c.seeds.front()});
        k.strategy.config.finish();
        any = true;
      } catch (const Error& e) {
        if (!first) first = e;
      }
    if (!any && first) rethrow_at(*first, c, k.strategy.where, "contender '" + k.label + "'");
    if (!any) throw Error(k.strategy.where + ": contender '" + k.label + "' runs on no problem");
  }
}

}  // namespace nac
