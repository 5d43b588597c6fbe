#include "nac/run/pipeline.hpp"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include "local_stage.hpp"
#include "nac/backend.hpp"
#include "nac/error.hpp"
#include "nac/nn/model_io.hpp"
#include "nac/nn/runtime.hpp"
#include "nac/rng.hpp"
#include "nac/run/compression_stage.hpp"
#include "nac/text.hpp"
#include "run_folder.hpp"
#include "stage_models.hpp"

namespace nac {

namespace fs = std::filesystem;
using detail::read_stage_models;
using detail::Selection;
using detail::stage_finished;
using detail::write_stage_models;

namespace {

struct CompressStage {
  Selection selection;
  CompressionConfig config;
  int threads = 0;
};

struct BackendStage {
  Selection selection;
  std::string name;
  const ConfigTable* table = nullptr;
};

// Every stage's settings, read and checked before anything runs.
struct Plan {
  std::optional<detail::LocalStageConfig> local;
  std::optional<CompressStage> compress;
  std::optional<BackendStage> backend;
  std::vector<fs::path> first_models;  // `models` of the first stage when it is not the global one
};

const ConfigTable& stage_table(const Experiment& ex, const std::string& stage) {
  static const ConfigTable empty = ConfigTable::empty("stage");
  const auto it = ex.stage_tables.find(stage);
  return it == ex.stage_tables.end() ? empty : it->second;
}

Plan make_plan(const Experiment& ex, const Registry& registry, const SearchSetup& setup) {
  Plan plan;
  const auto* task = dynamic_cast<const DatasetTask*>(setup.task.get());
  if (!task)
    throw Error(ex.task.where + ": the stages after the global search train networks; task '" + ex.task.name +
                "' has no data to train them on");
  const auto metrics = task->metrics();
  const std::string first = ex.stages.front();
  if (first != "global") {
    const ConfigTable& t = stage_table(ex, first);
    if (!t.has("models"))
      throw Error(ex.file.string() + ": the first stage, '" + first + "', needs the models to work on: [stage." +
                  first + "] models = [\"MODEL.nacm\", ...]");
    for (const auto& f : t.strings("models", std::nullopt)) {
      const fs::path p = fs::path(f).is_absolute() ? fs::path(f) : ex.file.parent_path() / f;
      if (!fs::exists(p)) t.fail("models", p.string() + ": no such model file");
      try {
        check_model_fits_task(nn::load_model(p).spec(), *task, p.string());
      } catch (const Error& e) {
        t.fail("models", std::string(e.what()) + " (a model for another task?)");
      }
      plan.first_models.push_back(fs::absolute(p));
    }
  }
  for (const auto& stage : ex.stages) {
    const ConfigTable& t = stage_table(ex, stage);
    if (stage == "local") {
      plan.local = detail::local_stage_config(t, ex, registry, *task);
    } else if (stage == "compress") {
      if (!t.has("compressors"))
        throw Error(ex.file.string() + ": the compress stage needs [stage.compress] with `compressors`");
      CompressStage c;
      c.selection = detail::read_selection(t, metrics, metrics.front().name);
      c.threads = static_cast<int>(t.integer("threads", 0, Range::between(0, 1024)));
      t.allow("models");
      c.config = compression_config(t, registry, false);
      check_compression_metric(t, c.config, *task);
      plan.compress = std::move(c);
    } else if (stage == "backend") {
      BackendStage b;
      b.selection = detail::read_selection(t, metrics, metrics.front().name);
      b.name = t.string("name", "hls");
      if (!registry.contains(PluginKind::Backend, b.name))
        t.fail("name", "unknown backend '" + b.name + "'" + did_you_mean(b.name, registry.names(PluginKind::Backend)) +
                           "; backends: " + join(registry.names(PluginKind::Backend)));
      b.table = &t;
      t.allow("models");
      (void)registry.backend(b.name)(t);  // reads (and so checks) its settings
      t.finish();
      plan.backend = b;
    }
  }
  return plan;
}

Metrics with_objectives(const TrialRecord& r, const SearchSetup& setup) {
  Metrics m = r.metrics;
  for (std::size_t k = 0; k < setup.objectives.size() && k < r.objectives.size(); ++k)
    m[setup.objectives[k]->name()] = r.objectives[k];
  return m;
}

std::vector<StageModel> run_global(const Experiment& ex, SearchSetup& setup, const detail::StageContext& ctx,
                                   std::optional<RunSummary>& summary) {
  const fs::path dir = ctx.run_dir / "global";
  RunOptions options;
  options.out_dir = dir;
  options.resume = fs::exists(dir / "experiment.toml");
  if (!options.resume) fs::remove_all(dir);
  options.progress = ctx.options.progress;
  options.versions = ctx.options.versions;
  options.data = ctx.data;
  summary = run_search(ex, setup, options);
  std::vector<StageModel> out;
  for (std::size_t i = 0; i < summary->trials.size(); ++i) {
    const TrialRecord& r = summary->trials[i];
    if (!r.feasible()) continue;
    const std::string name = "trial_" + std::to_string(r.id);
    const bool front = std::find(summary->front.begin(), summary->front.end(), i) != summary->front.end();
    out.push_back(
        StageModel{name, fs::path("global") / "models" / (name + ".nacm"), with_objectives(r, setup), front, {}});
  }
  return out;
}

// Runs `one` (index, model, its folder, its key "STAGE/NAME") for each model that did not finish in
// an earlier session (STAGE/NAME/models.json), in a fresh folder; an error names the model.
template <class One>
std::vector<StageModel> per_model(const std::string& stage, const std::vector<StageModel>& models,
                                  const detail::StageContext& ctx, One&& one) {
  std::vector<StageModel> out;
  for (std::size_t i = 0; i < models.size(); ++i) {
    const StageModel& in = models[i];
    const std::string key = stage + "/" + in.name;
    if (stage_finished(ctx.run_dir, key)) {
      out.push_back(read_stage_models(ctx.run_dir, key).at(0));
      continue;
    }
    if (ctx.options.progress)
      std::fprintf(stderr, "%s stage: model %zu of %zu (%s)\n", stage.c_str(), i + 1, models.size(), in.name.c_str());
    const fs::path dir = ctx.run_dir / key;
    fs::remove_all(dir);  // an interrupted model's files: run again (the same seeds give the same results)
    StageModel m = [&] {
      try {
        return one(i, in, dir, key);
      } catch (const WriteError&) {
        throw;
      } catch (const Error& e) {
        throw Error("model " + in.name + " (" + in.file.string() + "): " + e.what());
      }
    }();
    write_stage_models(ctx.run_dir, key, {m});
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<StageModel> run_compress(const CompressStage& c, const std::vector<StageModel>& models,
                                     const DatasetTask& task, const SearchSetup& setup,
                                     const detail::StageContext& ctx) {
  const int threads = c.threads > 0 ? c.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return per_model(
      "compress", models, ctx, [&](std::size_t i, const StageModel& in, const fs::path& dir, const std::string& key) {
        nn::TrainConfig recipe = *setup.training;
        recipe.seed = Rng::derive(ctx.seed, i).next();
        recipe.threads = threads;
        nn::set_threads(threads);
        const CompressionReport report =
            run_compression(ctx.run_dir / in.file, task, *ctx.data, recipe, c.config, dir, ctx.options.progress);
        StageModel m = in;
        for (const auto& [k, v] : report.dense) m.metrics["dense_" + k] = v;
        m.metrics["dense_bops"] = report.dense_bops;
        if (report.chosen >= 0) {
          const CompressionRow& row = report.rows[static_cast<std::size_t>(report.chosen)];
          for (const auto& [k, v] : row.step.metrics) m.metrics[k] = v;
          m.metrics["bops"] = row.bops;
          m.metrics["effective_bops"] = row.effective_bops;
          m.metrics["sparsity"] = row.step.sparsity;
          m.metrics["weight_bits"] = row.weight_bits;
          m.file = fs::path(key) / "chosen.nacm";
          m.note = "compressed: " + std::to_string(row.weight_bits) + "-bit weights, " +
                   std::to_string(static_cast<int>(row.step.sparsity * 100 + 0.5)) + "% sparse";
        } else {
          m.note = "no compression step kept the metric within the tolerance: the dense model goes on";
        }
        return m;
      });
}

std::vector<StageModel> run_backend(const BackendStage& b, const std::vector<StageModel>& models,
                                    const Registry& registry, const detail::StageContext& ctx) {
  return per_model("backend", models, ctx,
                   [&](std::size_t, const StageModel& in, const fs::path& dir, const std::string&) {
                     fs::create_directories(dir);
                     nn::Model model = nn::load_model(ctx.run_dir / in.file);
                     auto backend = registry.backend(b.name)(*b.table);
                     const BackendReport report = backend->run(BackendContext{model.spec(), &model, dir / "project"});
                     StageModel m = in;
                     for (const auto& [k, v] : report.estimates) m.metrics[k] = v;
                     m.note = report.summary;
                     return m;
                   });
}

// DIR/pipeline.json: where the run comes from (as state.json says for a search), for --resume.
void write_pipeline_state(const fs::path& dir, const Experiment& ex, const PipelineOptions& o) {
  const nlohmann::json j{{"experiment", fs::absolute(ex.file).string()},
                         {"seed", ex.seed},
                         {"stages", ex.stages},
                         {"versions", o.versions}};
  // The copy first: a folder with pipeline.json always has what --resume reads.
  detail::replace_file(dir / "experiment.toml", [&](std::ofstream& out) {
    std::ifstream in(ex.file, std::ios::binary);
    out << in.rdbuf();
  });
  detail::replace_file(dir / "pipeline.json", [&](std::ofstream& out) { out << j.dump(2) << '\n'; });
}

}  // namespace

void check_pipeline(const Experiment& ex, const Registry& registry, const SearchSetup& setup) {
  (void)make_plan(ex, registry, setup);
}

PipelineSummary run_pipeline(const Experiment& ex, const Registry& registry, SearchSetup& setup,
                             const PipelineOptions& options) {
  const Plan plan = make_plan(ex, registry, setup);
  const fs::path& dir = options.out_dir;
  const detail::FolderLock lock(dir);
  if (!options.resume) {
    std::error_code ec;
    if (fs::exists(dir / "pipeline.json") || fs::exists(dir / "trials.jsonl"))
      throw Error(dir.string() + ": holds a run already; continue it with nac run --resume " + dir.string() +
                  ", or choose another folder with --out");
    for (const auto& s : pipeline_stage_names())
      if (fs::exists(dir / s)) throw Error((dir / s).string() + ": exists already; choose another folder with --out");
    write_pipeline_state(dir, ex, options);
  } else {
    if (!options.from.empty()) {
      if (!ex.has_stage(options.from))
        throw Error("--from " + options.from + ": the experiment's stages are " + join(ex.stages));
      bool remove = false;
      for (const auto& s : ex.stages) {
        remove = remove || s == options.from;
        if (remove) fs::remove_all(dir / s);
      }
    }
    write_pipeline_state(dir, ex, options);  // (a --from run's settings are the file's as it is now)
  }

  const auto& task = as_dataset_task(*setup.task, "the pipeline");
  std::shared_ptr<const TaskData> data;
  PipelineSummary summary;
  std::vector<StageModel> models;
  for (const auto& f : plan.first_models)
    models.push_back(StageModel{f.stem().string(), f, {}, true, "given in the experiment"});
  for (std::size_t k = 0; k < ex.stages.size(); ++k) {
    const std::string& stage = ex.stages[k];
    StageOutcome outcome{stage, {}, 0};
    if (stage_finished(dir, stage)) {
      models = read_stage_models(dir, stage);
      outcome.models = models;
      summary.stages.push_back(std::move(outcome));
      continue;
    }
    if (!data) {
      if (options.progress) std::fprintf(stderr, "loading the task's data...\n");
      data = std::make_shared<const TaskData>(task.load_data());
    }
    const auto t0 = std::chrono::steady_clock::now();
    const auto index =
        static_cast<std::uint64_t>(std::find(pipeline_stage_names().begin(), pipeline_stage_names().end(), stage) -
                                   pipeline_stage_names().begin());
    const detail::StageContext ctx{ex, registry, Rng::derive(ex.seed, 0x57a9e0 + index).next(), dir, data, options};
    const bool after_global = k > 0 && ex.stages[k - 1] == "global";
    try {
      if (stage == "global") {
        models = run_global(ex, setup, ctx, summary.global);
      } else if (stage == "local") {
        models = detail::run_local_stage(*plan.local,
                                         detail::select_models(models, plan.local->selection, after_global), ctx);
      } else if (stage == "compress") {
        models = run_compress(*plan.compress, detail::select_models(models, plan.compress->selection, after_global),
                              task, setup, ctx);
      } else if (stage == "backend") {
        models = run_backend(*plan.backend, detail::select_models(models, plan.backend->selection, after_global),
                             registry, ctx);
      }
    } catch (const WriteError&) {
      throw;
    } catch (const Error& e) {
      std::string done;
      for (std::size_t j = 0; j < k; ++j) done += (j ? ", " : "") + ex.stages[j];
      throw Error("the " + stage + " stage: " + e.what() +
                  (done.empty() ? std::string() : "; the finished stages (" + done + ") are kept") +
                  ": after a fix, continue with nac run --resume " + dir.string() +
                  " (or rerun a stage with changed settings: --from STAGE)");
    }
    write_stage_models(dir, stage, models);
    outcome.models = models;
    outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    summary.stages.push_back(std::move(outcome));
  }
  return summary;
}

}  // namespace nac
