// nac compress MODEL.nacm --config FILE.toml: the compression stage (nac/run/compression_stage.hpp)
// on a trained model, fine-tuning on the task's data with the file's [training] recipe.
#include <chrono>
#include <cstdio>

#include <toml++/toml.h>

#include "cli_support.hpp"
#include "nac/dataset_task.hpp"
#include "nac/error.hpp"
#include "nac/nn/model_io.hpp"
#include "nac/nn/training_config.hpp"
#include "nac/run/compression_stage.hpp"

namespace nac::cli {

namespace fs = std::filesystem;

int compress(const CommonOptions& common, const CompressArgs& args) {
  if (!args.task.config) throw Error("nac compress needs --config FILE.toml with a [compression] table");
  Registry registry;
  PluginLoader loader(registry);
  load_plugins(loader, common);
  (void)nn::load_model(args.model);  // a missing or corrupt model is said before anything else
  const auto task_object = make_task(registry, args.task);
  const DatasetTask& task = as_dataset_task(*task_object, "nac compress");
  nn::TrainConfig recipe = training_config(config_table(args.task, "training"), task.default_loss());
  if (args.threads) recipe.threads = *args.threads;
  if (args.seed) recipe.seed = *args.seed;
  const ConfigTable table = config_table(args.task, "compression");
  if (table.toml().empty()) throw Error(*args.task.config + ": no [compression] table");
  const CompressionConfig config = compression_config(table, registry);
  check_compression_metric(table, config, task);

  const fs::path out =
      args.out ? fs::path(*args.out) : fs::path("results") / ("compress-" + fs::path(args.model).stem().string());
  if (fs::exists(out / "compression.csv"))
    throw Error("output folder " + out.string() + " already holds a compression; choose another with --out");
  const auto t0 = std::chrono::steady_clock::now();
  std::fprintf(stderr, "loading data...\n");
  const TaskData data = task.load_data();
  const CompressionReport report = run_compression(args.model, task, data, recipe, config, out, !args.quiet);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%zu compression steps in %.1f s; dense model: %.4g BOPs\n", report.rows.size(), seconds,
              report.dense_bops);
  if (report.chosen >= 0) {
    const auto& c = report.rows[static_cast<std::size_t>(report.chosen)];
    std::printf("chosen: %s %s (%d-bit weights, sparsity %.1f%%): %.4g BOPs, %.1fx fewer than dense\n",
                c.compressor.c_str(), c.step.label.c_str(), c.weight_bits, 100 * c.step.sparsity, c.bops,
                report.dense_bops / c.bops);
  } else {
    std::printf("no step kept the metric within the tolerance; the dense model stays the best\n");
  }
  std::printf("results: %s/ (compression.csv, compression.svg, summary.json%s%s)\n", out.string().c_str(),
              config.save_every_step ? ", models/" : "", report.chosen >= 0 ? ", chosen.nacm" : "");
  return 0;
}

}  // namespace nac::cli
