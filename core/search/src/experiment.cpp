#include "nac/run/experiment.hpp"

#include <algorithm>
#include <new>
#include <thread>

#include <toml++/toml.h>

#include "nac/run/architecture.hpp"
#include "nac/run/compression_stage.hpp"
#include "nac/dataset_task.hpp"
#include "nac/nn/training_config.hpp"

#include "nac/error.hpp"
#include "nac/detail/crash_context.hpp"
#include "nac/text.hpp"

namespace nac {

namespace fs = std::filesystem;

namespace {

PluginChoice plugin_table(const ConfigTable& root, const std::string& key) {
  ConfigTable t = root.table(key, /*required=*/true);
  std::string name = t.string("name", std::nullopt);
  return PluginChoice{std::move(name), t, t.where("name")};
}

std::vector<PluginChoice> objective_list(const ConfigTable& search) {
  std::vector<PluginChoice> out;
  const toml::node* n = search.node("objectives");
  if (!n) return out;
  if (!n->is_array()) search.fail("objectives", "expected an array of objective names or tables");
  const toml::array& arr = *n->as_array();
  for (std::size_t i = 0; i < arr.size(); ++i) {
    const toml::node& e = arr[i];
    if (const auto s = e.value<std::string>(); s && e.is_string()) {
      ConfigTable empty = ConfigTable::empty(search.dotted("objectives") + "[" + std::to_string(i) + "]");
      out.push_back(PluginChoice{*s, empty, search.where_node(e)});
    } else if (e.is_table()) {
      ConfigTable t = search.view(*e.as_table(), search.dotted("objectives") + "[" + std::to_string(i) + "]");
      out.push_back(PluginChoice{t.string("name", std::nullopt), t, t.where("name")});
    } else {
      search.fail_at(e, "objectives", "expected an objective name or a table with a 'name'");
    }
  }
  return out;
}

// Runs a plugin's factory for a choice of the experiment file: an unknown name, or an error the
// plugin raises without a position of its own, is reported at the place that named the plugin.
template <class Make>
auto make_plugin(const PluginChoice& choice, const char* kind, Make&& make) {
  try {
    auto object = make();
    choice.config.allow("name");
    choice.config.finish();
    return object;
  } catch (const Error& e) {
    const std::string m = e.what();
    if (m.rfind(choice.config.file() + ":", 0) == 0) throw;
    if (m.rfind("unknown ", 0) == 0) throw Error(choice.where + ": " + m);
    throw Error(choice.where + ": " + kind + " '" + choice.name + "': " + m);
  } catch (const std::bad_alloc&) {
    throw Error(choice.where + ": " + kind + " '" + choice.name +
                "' ran out of memory while it was made from its settings (are its sizes what you meant?)");
  } catch (const std::exception& e) {
    throw Error(choice.where + ": " + kind + " '" + choice.name +
                "' failed while it was made from its settings: " + e.what());
  } catch (...) {
    throw Error(choice.where + ": " + kind + " '" + choice.name +
                "' threw a non-standard exception while it was made from its settings");
  }
}

// `stages = [...]` and the [stage.NAME] tables of the stages after the global one.
void read_stages(const ConfigTable& root, Experiment& ex) {
  const auto& all = pipeline_stage_names();
  if (root.has("stages")) {
    ex.stages = root.strings("stages", std::nullopt);
    if (ex.stages.empty()) root.fail("stages", "expected at least one of " + join(all));
    std::size_t next = 0;  // the stages' order: each after the one before it in `all`
    for (const auto& s : ex.stages) {
      const auto at = std::find(all.begin(), all.end(), s);
      if (at == all.end())
        root.fail("stages", "unknown stage '" + s + "'" + did_you_mean(s, all) + "; stages are " + join(all));
      const auto index = static_cast<std::size_t>(at - all.begin());
      if (index < next)
        root.fail("stages", "'" + s + "' is listed " +
                                (std::count(ex.stages.begin(), ex.stages.end(), s) > 1 ? "twice" : "out of order") +
                                ": stages run in the order " + join(all) + ", each once");
      next = index + 1;
    }
  }
  if (!root.has("stage")) return;
  const ConfigTable stage = root.table("stage");
  if (ex.stages.empty())
    root.fail("stage", "[stage.*] tables configure the stages of a pipeline: list them in `stages`");
  for (const auto& [key, node] : stage.toml()) {
    const std::string name(key.str());
    if (name == "global")
      stage.fail(name, "the global stage is configured by [search], [strategy] and [architecture], not [stage.global]");
    if (std::find(all.begin(), all.end(), name) == all.end())
      stage.fail(name, "unknown stage '" + name + "'" + did_you_mean(name, all) + "; stages are " + join(all));
    if (!ex.has_stage(name)) stage.fail(name, "stage '" + name + "' is not in `stages` (" + join(ex.stages) + ")");
    if (!node.is_table()) stage.fail(name, "expected a table of the stage's settings");
    ex.stage_tables.emplace(name, stage.table(name));
  }
}

}  // namespace

bool Experiment::has_stage(const std::string& name) const {
  return std::find(stages.begin(), stages.end(), name) != stages.end();
}

Experiment load_experiment(const fs::path& file, const fs::path& relative_to) {
  const std::string fname = file.string();
  ConfigTable root = root_table(parse_toml_file(fname), fname);
  Experiment ex;
  ex.file = file;
  ex.name = root.string("name", file.stem().string());
  if (ex.name.empty() || ex.name.find('/') != std::string::npos)
    root.fail("name", "expected a non-empty name without '/', found \"" + ex.name + "\"");
  ex.seed = static_cast<std::uint64_t>(root.integer("seed", 0, Range::at_least(0)));
  for (const auto& d : root.strings("plugin_dirs", std::vector<std::string>{})) {
    fs::path p(d);
    ex.plugin_dirs.push_back(p.is_absolute() ? p : (relative_to.empty() ? file.parent_path() : relative_to) / p);
  }
  ex.output = root.string("output", "results/" + ex.name);

  ex.task = plugin_table(root, "task");
  read_stages(root, ex);
  // A pipeline without the global stage searches no architectures: no strategy of its own.
  if (ex.stages.empty() || ex.has_stage("global") || root.has("strategy")) ex.strategy = plugin_table(root, "strategy");

  ConfigTable search = root.table("search");
  ex.search.trials = search.integer("trials", 100, Range::at_least(1));
  ex.search.workers = search.integer("workers", 0, Range::between(0, 1024));
  ex.search.batch = search.integer("batch", 0, Range::at_least(0));
  const std::string schedule = search.string("schedule", "ordered", {"ordered", "async", "batch"});
  ex.search.schedule = schedule == "async"   ? Schedule::Async
                       : schedule == "batch" ? Schedule::Batch
                                             : Schedule::Ordered;
  ex.search.threads = search.integer("threads", 1, Range::between(1, 1024));
  const ConfigTable seeds = search.table("seeds");
  for (const auto& [key, node] : seeds.toml()) {
    const std::string name(key.str());
    if (!node.is_table()) seeds.fail_at(node, name, "expected a table of parameter values");
    const ConfigTable one = seeds.table(name);
    NamedSeed seed{name, {}, one.where_node(node)};
    for (const auto& [pk, pv] : *node.as_table()) {
      const std::string pname(pk.str());
      one.allow(pname);
      if (pv.is_integer()) seed.params.set(pname, *pv.value<std::int64_t>());
      else if (pv.is_floating_point()) seed.params.set(pname, *pv.value<double>());
      else if (pv.is_string()) seed.params.set(pname, *pv.value<std::string>());
      else one.fail_at(pv, pname, "expected a number or a string");
    }
    ex.seeds.push_back(std::move(seed));
  }
  if (search.has("reference_point")) ex.search.reference_point = search.reals("reference_point", std::nullopt);
  ex.search.seed_known = search.boolean("seed_known", true);
  ex.search.pruner = pruner_config(search);
  ex.objectives = objective_list(search);
  search.finish();
  ex.constraints = read_constraints(root.table("constraints"));
  if (root.has("architecture")) ex.architecture = root.table("architecture");
  ex.training = root.table("training");
  if (root.has("compression")) ex.compression = root.table("compression");
  root.finish();
  return ex;
}

// "task 'bragg' of plugin bragg (/path/nac_bragg.so)", or "... (built in)".
static std::string label(const Registry& registry, PluginKind kind, const char* what, const std::string& name) {
  const RegistryEntry* e = registry.entry(kind, name);
  std::string out = std::string(what) + " '" + name + "'";
  if (e && !e->origin.file.empty()) out += " of plugin " + e->origin.plugin + " (" + e->origin.file.string() + ")";
  else if (e) out += " (built in)";
  return out;
}

SearchSetup build_search(const Experiment& ex, const Registry& registry, std::uint64_t seed) {
  SearchSetup s;
  s.task_label = label(registry, PluginKind::Task, "task", ex.task.name);
  s.strategy_label = label(registry, PluginKind::Strategy, "strategy", ex.strategy.name);
  s.task = make_plugin(ex.task, "task", [&] {
    const detail::CrashContext context("making " + s.task_label + " from its settings");
    return registry.task(ex.task.name)(ex.task.config);
  });
  if (!s.task) throw Error(ex.task.where + ": task '" + ex.task.name + "' made no task");

  if (const auto* problem = dynamic_cast<const ProblemTask*>(s.task.get())) {
    if (ex.architecture)
      throw Error(ex.architecture->where("slots") + ": task '" + ex.task.name +
                  "' defines its own search space; remove the [architecture] table");
    if (ex.compression)
      throw Error(ex.compression->where("compressors") + ": task '" + ex.task.name +
                  "' has no networks to compress; remove the [compression] table");
    if (ex.search.pruner.kind != PrunerConfig::Kind::None)
      throw Error(ex.file.string() + ": [search] pruner: task '" + ex.task.name +
                  "' trains no networks, so its trials have no learning curves to prune on");
    s.space = problem->search_space();
    if (!s.space) throw Error(ex.task.where + ": task '" + ex.task.name + "' gave no search space");
  } else if (const auto* dataset = dynamic_cast<const DatasetTask*>(s.task.get())) {
    const bool searches = ex.stages.empty() || ex.has_stage("global");
    if (!ex.architecture && searches)
      throw Error(ex.task.where + ": task '" + ex.task.name +
                  "' has no search space of its own: add an [architecture] table to search networks for it");
    if (ex.architecture) {
      s.architecture = std::make_shared<ArchitectureTemplate>(*ex.architecture, registry, dataset->input_shape(),
                                                              dataset->target_shape());
      ex.architecture->finish();
      s.space = s.architecture->space();
    }
    s.training = std::make_shared<const nn::TrainConfig>(training_config(ex.training, dataset->default_loss()));
    if (ex.search.pruner.kind != PrunerConfig::Kind::None && !s.training->validate_every_epoch)
      ex.training.fail("validate", "\"last_epoch\" leaves the pruner ([search] pruner) no learning curve to watch");
    ex.training.finish();
    if (ex.compression) {
      s.compression = std::make_shared<const CompressionConfig>(compression_config(*ex.compression, registry, true));
      check_compression_metric(*ex.compression, *s.compression, *dataset);
    }
  } else {
    throw Error(ex.task.where + ": task '" + ex.task.name +
                "' is neither a problem task nor a dataset task (derive it from nac::ProblemTask or nac::DatasetTask)");
  }

  const auto metrics = s.task->metrics();
  std::vector<std::string> metric_names;
  for (const auto& m : metrics) metric_names.push_back(m.name);
  if (ex.objectives.empty())
    for (const auto& m : metrics) s.objectives.push_back(std::make_unique<MetricObjective>(m));
  for (const auto& o : ex.objectives) {
    if (registry.contains(PluginKind::Objective, o.name)) {
      s.objectives.push_back(make_plugin(o, "objective", [&] { return registry.objective(o.name)(o.config); }));
      continue;
    }
    auto m = std::find_if(metrics.begin(), metrics.end(), [&](const MetricInfo& i) { return i.name == o.name; });
    if (m == metrics.end()) {
      std::vector<std::string> all = metric_names;
      for (const auto& n : registry.names(PluginKind::Objective)) all.push_back(n);
      throw Error(o.where + ": unknown objective '" + o.name + "'" + did_you_mean(o.name, all) + "; task '" +
                  ex.task.name + "' reports " + join(metric_names) +
                  (registry.names(PluginKind::Objective).empty()
                       ? std::string()
                       : "; objective plugins: " + join(registry.names(PluginKind::Objective))));
    }
    o.config.allow("name");
    o.config.finish();
    s.objectives.push_back(std::make_unique<MetricObjective>(*m));
  }

  std::vector<std::string> names;
  StrategyContext context{s.space, {}, seed};
  for (const auto& o : s.objectives) {
    names.push_back(o->name());
    context.directions.push_back(o->direction());
  }
  for (std::size_t i = 0; i < names.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (names[i] == names[j])
        throw Error((i < ex.objectives.size() ? ex.objectives[i].where : ex.task.where) + ": objective '" + names[i] +
                    "' is listed twice; each objective once");
  if (ex.strategy.name.empty()) return s;  // a pipeline without the global stage: its task and recipe only
  s.strategy = make_plugin(ex.strategy, "strategy", [&] {
    const detail::CrashContext crash("making " + s.strategy_label + " from its settings");
    return registry.strategy(ex.strategy.name)(ex.strategy.config, context);
  });
  if (!s.strategy) throw Error(ex.strategy.where + ": strategy '" + ex.strategy.name + "' made no strategy");

  for (const auto& seed : ex.seeds) {
    try {
      s.strategy->enqueue(seed.params);
    } catch (const Error& e) {
      throw Error(seed.where + ": seed '" + seed.name + "': " + e.what());
    }
    s.seed_names.push_back(seed.name);
  }
  if (ex.search.seed_known)
    for (const auto& a : s.task->known_configurations()) {
      s.strategy->enqueue(a);
      s.seed_names.push_back("known " + std::to_string(s.seed_names.size()));
    }

  // Constraints may bound any objective or metric, including what training adds to a network's.
  std::vector<std::string> known = names;
  known.insert(known.end(), metric_names.begin(), metric_names.end());
  if (s.architecture)
    for (const char* m : {"train_seconds", "epochs", "val_loss", "parameters"}) known.emplace_back(m);
  if (s.compression) {
    for (const auto& m : metric_names) known.push_back("dense_" + m);
    for (const char* m : compression_metric_names) known.emplace_back(m);
  }
  for (std::size_t i = known.size(); i-- > 0;)  // each name once, first place kept
    if (std::find(known.begin(), known.begin() + static_cast<std::ptrdiff_t>(i), known[i]) !=
        known.begin() + static_cast<std::ptrdiff_t>(i))
      known.erase(known.begin() + static_cast<std::ptrdiff_t>(i));
  check_constraint_names(ex.constraints, known);
  s.constraints = ex.constraints;

  if (ex.search.reference_point) s.reference_point = *ex.search.reference_point;
  else if (auto r = s.task->reference_point(names)) s.reference_point = *r;
  if (!s.reference_point.empty() && s.reference_point.size() != names.size())
    throw Error(ex.file.string() + ": 'search.reference_point' has " + std::to_string(s.reference_point.size()) +
                " values for " + std::to_string(names.size()) + " objectives (" + join(names) + ")");
  return s;
}

}  // namespace nac
