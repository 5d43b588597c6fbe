#include "trial_evaluation.hpp"

#include <chrono>
#include <cmath>

#include "nac/dataset_task.hpp"
#include "nac/run/architecture.hpp"
#include "nac/error.hpp"
#include "nac/detail/crash_context.hpp"
#include "nac/nn/model_io.hpp"
#include "nac/nn/runtime.hpp"
#include "nac/run/compression_stage.hpp"
#include "nac/run/recipe_space.hpp"
#include "nac/text.hpp"

namespace nac::detail {

namespace {

// Records the learning curve, and stops a training whose validation loss is worse than the earlier
// trials' (nac/run/trial_pruner.hpp).
class PruningCallback final : public nn::TrainCallback {
 public:
  PruningCallback(const PrunerConfig& config, const LearningCurves& earlier, std::vector<double>& curve)
      : config_(config), earlier_(earlier), curve_(curve) {}
  bool on_epoch_end(nn::Model&, const nn::EpochRecord& e) override {
    curve_.push_back(e.val_loss);
    if (!should_prune(config_, earlier_, e.epoch - 1, e.val_loss)) return true;  // (e.epoch counts from 1)
    pruned_at = e.epoch;
    return false;
  }
  int pruned_at = 0;  // epochs trained when pruned; 0: not pruned

 private:
  const PrunerConfig& config_;
  const LearningCurves& earlier_;
  std::vector<double>& curve_;
};

// Trains the candidate network of a trial and returns the task's validation metrics.
Metrics train_candidate(const Trial& trial, const EvaluationEnvironment& env, std::uint64_t seed, ModelSpec& spec,
                        const LearningCurves& earlier, std::vector<double>& curve) {
  spec = env.setup.model ? *env.setup.model : env.setup.architecture->build(trial.params);
  nn::Model model(spec, seed);
  nn::TrainConfig config = env.setup.recipes ? env.setup.recipes->apply(trial.params) : *env.setup.training;
  config.seed = seed;
  config.threads = env.threads;
  config.progress = false;
  const TaskData& data = *env.data;
  PruningCallback pruning(env.pruner, earlier, curve);
  if (config.validate_every_epoch) config.callbacks.push_back(&pruning);
  const nn::TrainResult r = nn::train(model, data.train, data.validation, config);
  if (r.status == nn::TrainStatus::Diverged && r.best_epoch < 1) throw Error(r.message);
  Metrics m = as_dataset_task(*env.setup.task, "training a candidate")
                  .score(nn::predict(model, data.validation.inputs, 1024), data.validation.targets);
  m["train_seconds"] = r.seconds;
  m["epochs"] = static_cast<double>(r.history.size());
  m["val_loss"] = r.best_val_loss;
  m["parameters"] = static_cast<double>(model.parameter_count());
  if (pruning.pruned_at > 0) m["pruned_at_epoch"] = pruning.pruned_at;
  const auto dir = env.out_dir / "models";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw WriteError(dir.string() + ": cannot be created: " + ec.message());
  nn::save_model(model, dir / ("trial_" + std::to_string(trial.id) + ".nacm"));
  return m;
}

// The experiment's [compression] on the trained candidate (models/trial_N.nacm): the stage's
// files go to compression/trial_N/; the task's metrics and the spec become the chosen step's
// (the dense model's if no step kept the metric within the tolerance), the dense values stay as
// dense_<metric>.
void compress_candidate(const Trial& trial, const EvaluationEnvironment& env, std::uint64_t seed, Metrics& metrics,
                        ModelSpec& spec) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::string name = "trial_" + std::to_string(trial.id);
  const auto dir = env.out_dir / "compression" / name;
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);  // an interrupted attempt's files
  if (ec) throw WriteError(dir.string() + ": cannot be removed: " + ec.message());
  nn::TrainConfig recipe = *env.setup.training;
  recipe.seed = seed;
  recipe.threads = env.threads;
  recipe.progress = false;
  const DatasetTask& task = as_dataset_task(*env.setup.task, "compressing a candidate");
  const CompressionReport report = run_compression(env.out_dir / "models" / (name + ".nacm"), task, *env.data, recipe,
                                                   *env.setup.compression, dir, false);
  const CompressionRow* chosen = report.chosen >= 0 ? &report.rows[static_cast<std::size_t>(report.chosen)] : nullptr;
  for (const auto& info : task.metrics()) {  // both from the stage's own scoring, which the tolerance compares
    metrics["dense_" + info.name] = report.dense.at(info.name);
    metrics[info.name] = chosen ? chosen->step.metrics.at(info.name) : report.dense.at(info.name);
  }
  if (chosen) spec = report.chosen_spec;
  metrics["dense_bops"] = report.dense_bops;
  metrics["sparsity"] = chosen ? chosen->step.sparsity : 0.0;
  metrics["weight_bits"] = chosen ? chosen->weight_bits : 32;
  metrics["compression_seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

TrialRecord evaluate_trial(const Trial& trial, const EvaluationEnvironment& env, const LearningCurves& earlier) {
  TrialRecord r;
  r.id = trial.id;
  r.params = trial.params;
  const auto t0 = std::chrono::steady_clock::now();
  std::string stage = "the task";  // who runs now, for a throw that carries no message
  const CrashContext crash("evaluating trial " + std::to_string(trial.id) + " in " + env.setup.task_label +
                           (env.setup.trains_networks()
                                ? " (or in a block, the training of its network, its compression or an objective)"
                                : " (or in an objective)"));
  try {
    const std::uint64_t seed = Rng::derive(env.seed, trial.id).next();
    ModelSpec spec;
    const ModelSpec* model = nullptr;
    if (env.setup.trains_networks()) {
      nn::set_threads(env.threads);  // this worker thread's OpenMP threads
      stage = "the task or the training of the network";
      r.metrics = train_candidate(trial, env, seed, spec, earlier, r.curve);
      if (env.setup.compression) {
        stage = "the compression of the network (compressors " + join(env.setup.compression->compressors) + ")";
        compress_candidate(trial, env, seed, r.metrics, spec);
      }
      model = &spec;
    } else {
      EvalContext context{trial.id, seed, env.threads, env.out_dir / "trials" / std::to_string(trial.id)};
      r.metrics = as_problem_task(*env.setup.task, "evaluating a configuration").evaluate(trial.params, context);
    }
    const Candidate candidate{r.params, r.metrics, model};
    for (const auto& o : env.setup.objectives) {
      stage = "objective '" + o->name() + "'";
      const double v = o->evaluate(candidate);
      if (!std::isfinite(v)) throw Error("objective '" + o->name() + "' is not finite (" + std::to_string(v) + ")");
      r.objectives.push_back(v);
    }
    stage = "the constraints";
    if (!env.setup.constraints.empty())
      r.constraints = constraint_violations(env.setup.constraints, env.objective_names, r.objectives, r.metrics);
  } catch (const WriteError&) {
    throw;  // the machine's fault, not the trial's: the runner stops the search
  } catch (const std::exception& e) {
    r.status = TrialStatus::Failed;
    r.objectives.clear();
    r.constraints.clear();
    r.message = e.what();
  } catch (...) {
    // Anything else thrown in a worker thread would end the process: a failed trial instead.
    r.status = TrialStatus::Failed;
    r.objectives.clear();
    r.constraints.clear();
    r.message = "a non-standard exception (not derived from std::exception) was thrown by " + stage;
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace nac::detail
