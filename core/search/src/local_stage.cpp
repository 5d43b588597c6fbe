#include "local_stage.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <thread>

#include <toml++/toml.h>

#include "nac/error.hpp"
#include "nac/nn/model_io.hpp"
#include "nac/nn/runtime.hpp"
#include "nac/objective.hpp"
#include "nac/rng.hpp"
#include "nac/run/runner.hpp"
#include "nac/text.hpp"

namespace nac::detail {

namespace fs = std::filesystem;

namespace {

PluginChoice strategy_choice(const ConfigTable& table) {
  const toml::node* n = table.node("strategy");
  if (!n) return PluginChoice{"tpe", ConfigTable::empty(table.dotted("strategy")), table.where("strategy")};
  if (n->is_string())
    return PluginChoice{*n->value<std::string>(), ConfigTable::empty(table.dotted("strategy")),
                        table.where("strategy")};
  if (!n->is_table()) table.fail("strategy", "expected a strategy's name or a table with a 'name'");
  const ConfigTable t = table.table("strategy");
  return PluginChoice{t.string("name", std::nullopt), t, t.where("name")};
}

std::unique_ptr<SearchStrategy> make_strategy(const LocalStageConfig& c, const Registry& registry, std::uint64_t seed) {
  if (!registry.contains(PluginKind::Strategy, c.strategy.name))
    throw Error(c.strategy.where + ": unknown strategy '" + c.strategy.name + "'" +
                did_you_mean(c.strategy.name, registry.names(PluginKind::Strategy)) +
                "; strategies: " + join(registry.names(PluginKind::Strategy)));
  const StrategyContext context{c.recipes->space(), {c.metric.direction}, seed};
  auto s = registry.strategy(c.strategy.name)(c.strategy.config, context);
  c.strategy.config.allow("name");
  c.strategy.config.finish();
  if (!s) throw Error(c.strategy.where + ": strategy '" + c.strategy.name + "' made no strategy");
  return s;
}

int total_threads(const Experiment& ex) {
  const auto cores = static_cast<std::int64_t>(std::max(1u, std::thread::hardware_concurrency()));
  return static_cast<int>(ex.search.workers > 0 ? ex.search.workers * ex.search.threads : cores);
}

// Trains the model afresh with `recipe` and scores it on the validation split.
Metrics retrain(const ModelSpec& spec, nn::TrainConfig recipe, std::uint64_t seed, const StageContext& ctx,
                const DatasetTask& task, const fs::path& file) {
  recipe.seed = seed;
  recipe.threads = total_threads(ctx.experiment);
  recipe.progress = false;
  nn::set_threads(recipe.threads);
  nn::Model model(spec, seed);
  const nn::TrainResult r = nn::train(model, ctx.data->train, ctx.data->validation, recipe);
  if (r.status == nn::TrainStatus::Diverged && r.best_epoch < 1) throw Error(file.string() + ": " + r.message);
  Metrics m = task.score(nn::predict(model, ctx.data->validation.inputs, 1024), ctx.data->validation.targets);
  m["train_seconds"] = r.seconds;
  m["epochs"] = static_cast<double>(r.history.size());
  nn::save_model(model, file);
  std::ofstream history(fs::path(file).replace_extension(".history.csv"));  // the report's training curves
  history << "epoch,train_loss,val_loss,lr\n";
  for (const auto& e : r.history) history << e.epoch << ',' << e.train_loss << ',' << e.val_loss << ',' << e.lr << '\n';
  if (!history) throw WriteError(fs::path(file).replace_extension(".history.csv").string() + ": cannot be written");
  return m;
}

}  // namespace

LocalStageConfig local_stage_config(const ConfigTable& table, const Experiment& ex, const Registry& registry,
                                    const DatasetTask& task) {
  LocalStageConfig c;
  const auto metrics = task.metrics();
  const std::string metric = table.string("metric", metrics.front().name);
  const auto m = std::find_if(metrics.begin(), metrics.end(), [&](const MetricInfo& i) { return i.name == metric; });
  if (m == metrics.end()) {
    std::vector<std::string> names;
    for (const auto& i : metrics) names.push_back(i.name);
    table.fail("metric",
               "unknown metric '" + metric + "'" + did_you_mean(metric, names) + "; the task reports " + join(names));
  }
  c.metric = *m;
  c.selection = read_selection(table, metrics, metric);
  c.trials = table.integer("trials", 20, Range::between(1, 1e6));
  c.retrains = static_cast<int>(table.integer("retrains", 3, Range::between(1, 100)));
  c.pruner = pruner_config(table);
  c.strategy = strategy_choice(table);
  c.recipes = std::make_shared<const RecipeSpace>(table.table("space"), ex.training, task.default_loss());
  table.allow("models");  // (the first stage's own models: read by the pipeline)
  table.finish();
  (void)make_strategy(c, registry, 0);
  return c;
}

std::vector<StageModel> run_local_stage(const LocalStageConfig& c, const std::vector<StageModel>& models,
                                        const StageContext& ctx) {
  const Experiment& ex = ctx.experiment;
  std::vector<StageModel> out;
  for (std::size_t i = 0; i < models.size(); ++i) {
    const StageModel& in = models[i];
    const fs::path dir = ctx.run_dir / "local" / in.name;
    const std::uint64_t seed = Rng::derive(ctx.seed, i).next();
    if (ctx.options.progress)
      std::fprintf(stderr, "local stage: model %zu of %zu (%s), %lld trials of %s over its recipe\n", i + 1,
                   models.size(), in.name.c_str(), static_cast<long long>(c.trials), c.strategy.name.c_str());
    if (stage_finished(ctx.run_dir, "local/" + in.name)) {
      out.push_back(read_stage_models(ctx.run_dir, "local/" + in.name).at(0));
      continue;
    }
    // The model's search: a run folder of its own (resumed when it holds a started run).
    SearchSetup setup;
    setup.task = ctx.registry.task(ex.task.name)(ex.task.config);
    const auto& task = as_dataset_task(*setup.task, "the local stage");
    setup.model = std::make_shared<const ModelSpec>(nn::load_model(ctx.run_dir / in.file).spec());
    setup.recipes = c.recipes;
    setup.training = std::make_shared<const nn::TrainConfig>(c.recipes->base());
    setup.space = c.recipes->space();
    setup.objectives.push_back(std::make_unique<MetricObjective>(c.metric));
    setup.strategy = make_strategy(c, ctx.registry, seed);
    setup.task_label = "task '" + ex.task.name + "'";
    setup.strategy_label = "strategy '" + c.strategy.name + "'";
    Experiment local = ex;
    local.name = ex.name + "_local_" + in.name;
    local.seed = seed;
    local.strategy = c.strategy;
    local.search.trials = c.trials;
    local.search.schedule = Schedule::Ordered;
    local.search.batch = 0;
    local.search.reference_point.reset();
    local.search.pruner = c.pruner;
    local.seeds.clear();
    local.constraints.clear();
    local.compression.reset();
    local.stages.clear();
    RunOptions options;
    options.out_dir = dir;
    options.resume = fs::exists(dir / "experiment.toml");
    if (!options.resume) fs::remove_all(dir);  // (a start that wrote no trial yet)
    options.versions = ctx.options.versions;
    options.data = ctx.data;
    options.progress = ctx.options.progress;
    const RunSummary run = run_search(local, setup, options);

    StageModel m = in;
    m.metrics["global_" + c.metric.name] = in.metrics.count(c.metric.name) ? in.metrics.at(c.metric.name) : NAN;
    if (run.front.empty()) {
      m.note = "every trial of the local stage failed: the global model goes on";
      write_stage_models(ctx.run_dir, "local/" + in.name, {m});
      out.push_back(m);
      continue;
    }
    // The best recipe and the base one, each retrained from the same `retrains` initialisations:
    // their mean difference is the recipe's, not one initialisation's luck.
    const TrialRecord& best = run.trials[run.front.front()];
    const bool minimize = c.metric.direction == Direction::Minimize;
    struct Retrained {
      double mean = 0, sd = 0;
      Metrics best_metrics;
      std::string best_file;
    };
    auto retrain_all = [&](const nn::TrainConfig& recipe, const std::string& stem) {
      Retrained r;
      std::vector<double> v;
      for (int k = 0; k < c.retrains; ++k) {
        const std::string file = stem + "_" + std::to_string(k) + ".nacm";
        const Metrics m = retrain(*setup.model, recipe, Rng::derive(seed, 1 + static_cast<std::uint64_t>(k)).next(),
                                  ctx, task, dir / file);
        v.push_back(m.at(c.metric.name));
        if (k == 0 ||
            (minimize ? v.back() < r.best_metrics.at(c.metric.name) : v.back() > r.best_metrics.at(c.metric.name)))
          r.best_metrics = m, r.best_file = file;
      }
      for (double x : v) r.mean += x / static_cast<double>(v.size());
      for (double x : v) r.sd += (x - r.mean) * (x - r.mean) / std::max<double>(1, static_cast<double>(v.size()) - 1);
      r.sd = std::sqrt(r.sd);
      return r;
    };
    const Retrained base = retrain_all(c.recipes->base(), "baseline"),
                    tuned = retrain_all(c.recipes->apply(best.params), "best");
    const bool better = minimize ? tuned.mean <= base.mean : tuned.mean >= base.mean;
    m.metrics = better ? tuned.best_metrics : base.best_metrics;
    m.metrics["global_" + c.metric.name] = in.metrics.count(c.metric.name) ? in.metrics.at(c.metric.name) : NAN;
    m.metrics["baseline_" + c.metric.name] = base.mean;
    m.metrics["baseline_" + c.metric.name + "_sd"] = base.sd;
    m.metrics["tuned_" + c.metric.name] = tuned.mean;
    m.metrics["tuned_" + c.metric.name + "_sd"] = tuned.sd;
    m.metrics["best_trial"] = static_cast<double>(best.id);
    m.metrics["best_trial_" + c.metric.name] = best.metrics.count(c.metric.name) ? best.metrics.at(c.metric.name) : NAN;
    m.metrics["gain"] = minimize ? base.mean / tuned.mean : tuned.mean / base.mean;  // > 1: the tuned recipe is better
    for (const char* k : {"bops", "macs", "parameters"})
      if (in.metrics.count(k)) m.metrics[k] = in.metrics.at(k);
    m.file = fs::relative(dir / (better ? tuned.best_file : base.best_file), ctx.run_dir);
    m.note = (better ? "tuned recipe: " : "the base recipe stays (the tuned one retrained worse on average): ") +
             RecipeSpace::describe(best.params);
    write_stage_models(ctx.run_dir, "local/" + in.name, {m});
    out.push_back(m);
  }
  return out;
}

}  // namespace nac::detail
