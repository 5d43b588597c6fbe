// nac train MODEL --task NAME: trains one model on a task's data and reports the task's metrics
// on the test split (the validation split when there is no test data).
#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"
#include "nac/dataset_task.hpp"
#include "nac/error.hpp"
#include "nac/nn/model_io.hpp"
#include "nac/nn/optimizer.hpp"
#include "nac/nn/profile.hpp"
#include "nac/nn/runtime.hpp"
#include "nac/nn/training_config.hpp"

namespace nac::cli {

namespace fs = std::filesystem;

namespace {

// Seconds per sample of evaluation-mode inference at a batch size (median of a few rounds).
double inference_seconds(nn::Model& model, const nn::Tensor& inputs, std::int64_t batch) {
  batch = std::min<std::int64_t>(batch, inputs.dim(0));
  Shape shape = inputs.shape();
  shape[0] = batch;
  nn::Tensor x(shape);
  std::copy(inputs.data(), inputs.data() + x.size(), x.data());
  model.forward(x, false);  // warm up: primitives made, weights reordered
  std::vector<double> rounds;
  for (int r = 0; r < 5; ++r) {
    int reps = 0;
    const auto t0 = std::chrono::steady_clock::now();
    double elapsed = 0;
    do {
      model.forward(x, false);
      ++reps;
      elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    } while (elapsed < 0.05);
    rounds.push_back(elapsed / reps / static_cast<double>(batch));
  }
  std::sort(rounds.begin(), rounds.end());
  return rounds[rounds.size() / 2];
}

void write_history(const fs::path& file, const nn::TrainResult& r) {
  std::ofstream out(file);
  out << "epoch,train_loss,val_loss,lr,seconds";
  const auto& first = r.history.empty() ? Metrics{} : r.history.front().metrics;
  for (const auto& [k, v] : first) out << ',' << k;
  out << '\n';
  for (const auto& e : r.history) {
    out << e.epoch << ',' << e.train_loss << ',' << e.val_loss << ',' << e.lr << ',' << e.seconds;
    for (const auto& [k, v] : e.metrics) out << ',' << v;
    out << '\n';
  }
  if (!out) throw Error(file.string() + ": cannot be written");
}

}  // namespace

int train(const CommonOptions& common, const TrainArgs& args) {
  Registry registry;
  PluginLoader loader(registry);
  load_plugins(loader, common);
  // A model description (JSON), or a saved model (.nacm, e.g. a search's candidate): its
  // architecture, trained afresh.
  const ModelSpec spec =
      fs::path(args.model).extension() == ".nacm" ? nn::load_model(args.model).spec() : nn::load_model_spec(args.model);
  const auto task_object = make_task(registry, args.task);
  const DatasetTask& task = as_dataset_task(*task_object, "nac train");
  nn::TrainConfig config = training_config(config_table(args.task, "training"), task.default_loss());
  if (args.epochs) config.epochs = *args.epochs;
  if (args.batch) config.batch = *args.batch;
  if (args.lr) config.optimizer.lr = *args.lr;
  if (args.optimizer) config.optimizer.kind = *args.optimizer;
  if (args.seed) config.seed = *args.seed;
  if (args.threads) config.threads = *args.threads;
  config.progress = !args.quiet && stderr_is_terminal();
  // The recipe is checked now, not after minutes of data generation.
  if (config.epochs < 1) throw Error("--epochs: at least 1, found " + std::to_string(config.epochs));
  if (config.batch < 1) throw Error("--batch: at least 1, found " + std::to_string(config.batch));
  try {
    (void)nn::make_optimizer(config.optimizer);
  } catch (const Error& e) {
    throw Error(std::string(args.optimizer || args.lr ? "--optimizer/--lr: " : "") + e.what());
  }
  check_model_fits_task(spec, task, args.model);
  const DatasetTask& t = task;
  config.metrics = [&t](const nn::Tensor& p, const nn::Tensor& y) { return t.score(p, y); };

  const fs::path out =
      args.out ? fs::path(*args.out) : fs::path("results") / ("train-" + fs::path(args.model).stem().string());
  if (fs::exists(out / "model.nacm"))
    throw Error("output folder " + out.string() + " already holds a trained model; choose another with --out");
  fs::create_directories(out);

  const auto t0 = std::chrono::steady_clock::now();
  std::fprintf(stderr, "loading data...\n");
  const TaskData data = task.load_data();
  std::fprintf(stderr, "data: %zu training, %zu validation, %zu test samples (%.1f s)\n", data.train.size(),
               data.validation.size(), data.test.size(),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  nn::Model model(spec, config.seed);
  nn::Profile profile;
  std::optional<nn::ProfileScope> profiling;
  if (args.profile) profiling.emplace(profile);
  const nn::TrainResult result = nn::train(model, data.train, data.validation, config);
  {
    const nn::PhaseTimer timer("saving the model");
    nn::save_model(model, out / "model.nacm");
  }
  profiling.reset();
  write_history(out / "history.csv", result);

  const nn::Dataset& eval = data.test.size() ? data.test : data.validation;
  const char* split = data.test.size() ? "test" : "validation";
  const Metrics metrics = task.score(nn::predict(model, eval.inputs, 256), eval.targets);
  const double per_sample_256 = inference_seconds(model, eval.inputs, 256);
  const double per_sample_1 = inference_seconds(model, eval.inputs, 1);

  nlohmann::ordered_json j{{"model", args.model},
                           {"parameters", model.parameter_count()},
                           {"status", nn::to_string(result.status)},
                           {"message", result.message},
                           {"epochs_run", result.history.size()},
                           {"best_epoch", result.best_epoch},
                           {"best_val_loss", result.best_val_loss},
                           {"train_seconds", result.seconds},
                           {"split", split},
                           {"metrics", metrics},
                           {"inference_seconds_per_sample_batch256", per_sample_256},
                           {"inference_seconds_batch1", per_sample_1},
                           {"threads", nn::threads()}};
  std::ofstream(out / "metrics.json") << j.dump(2) << '\n';

  std::printf("%s: %d parameters, %zu epochs (%s) in %.1f s, best epoch %d (validation loss %.4g)\n",
              args.model.c_str(), static_cast<int>(model.parameter_count()), result.history.size(),
              nn::to_string(result.status), result.seconds, result.best_epoch, result.best_val_loss);
  if (result.status == nn::TrainStatus::Diverged) std::printf("  %s\n", result.message.c_str());
  std::printf("%s set (%zu samples):\n", split, eval.size());
  for (const auto& m : task.metrics())
    if (metrics.count(m.name))
      std::printf("  %-22s %.4f   %s\n", m.name.c_str(), metrics.at(m.name), m.description.c_str());
  std::printf("inference: %.2f us per sample at batch 256, %.1f us at batch 1 (%d threads)\n", per_sample_256 * 1e6,
              per_sample_1 * 1e6, nn::threads());
  if (args.profile) {
    const double total = result.seconds + profile.phase("saving the model");
    const std::string report = "profile: " + std::to_string(result.steps) + " training steps of batch " +
                               std::to_string(config.batch) + ", " + std::to_string(nn::threads()) + " thread(s)\n" +
                               profile.report(spec, total, result.steps);
    std::printf("\n%s\n", report.c_str());
    std::ofstream(out / "profile.txt") << report;
  }
  std::printf("results: %s/ (model.nacm, history.csv, metrics.json%s)\n", out.string().c_str(),
              args.profile ? ", profile.txt" : "");
  return result.status == nn::TrainStatus::Diverged ? 1 : 0;
}

}  // namespace nac::cli
