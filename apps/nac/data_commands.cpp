// nac data generate | nac data info | nac baseline
#include <chrono>
#include <cmath>
#include <cstdio>

#include "cli_support.hpp"
#include "nac/data/array_io.hpp"
#include "nac/dataset_task.hpp"
#include "nac/error.hpp"
#include "nac/nn/runtime.hpp"
#include "nac/text.hpp"

namespace nac::cli {

namespace fs = std::filesystem;

int data_generate(const CommonOptions& common, const DataGenerateArgs& args) {
  Registry registry;
  PluginLoader loader(registry);
  load_plugins(loader, common);
  auto task = make_task(registry, args.task);
  const auto& generator = task_capability<DataGenerator>(*task, args.task.name, "generate data");
  const auto& files = task_capability<DataFiles>(*task, args.task.name, "write data files");
  if (fs::exists(args.out)) throw Error(args.out + ": already exists; nac does not overwrite data files");
  if (args.threads) nn::set_threads(*args.threads);
  const auto t0 = std::chrono::steady_clock::now();
  const nn::Dataset d = generator.generate(args.count, args.seed);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  files.save_data(d, args.out);
  std::printf("%s: %zu samples, inputs %s, targets %s (generated in %.2f s, %.0f samples/s, threads: %d)\n",
              args.out.c_str(), d.size(), to_string(d.inputs.shape()).c_str(), to_string(d.targets.shape()).c_str(),
              seconds, static_cast<double>(d.size()) / std::max(seconds, 1e-9), nn::threads());
  return 0;
}

int data_info(const std::string& file) {
  const auto f = data::ArrayFile::open(file);
  std::printf("%s\n", file.c_str());
  for (const auto& name : f->names()) {
    if (f->dtype(name) == "string") {  // the first few values
      const std::vector<std::string> values = f->strings(name);
      std::string shown;
      for (std::size_t i = 0; i < values.size() && i < 4; ++i) shown += (i ? ", '" : "'") + values[i] + "'";
      if (values.size() > 4) shown += ", ...";
      std::printf("  %-16s %-18s %-8s %s\n", name.c_str(), to_string(f->shape(name)).c_str(), "string", shown.c_str());
      continue;
    }
    const data::Array a = f->read(name);
    double lo = INFINITY, hi = -INFINITY, sum = 0;
    std::size_t bad = 0;
    for (float v : a.values) {
      if (!std::isfinite(v)) {
        ++bad;
        continue;
      }
      lo = std::min(lo, static_cast<double>(v));
      hi = std::max(hi, static_cast<double>(v));
      sum += v;
    }
    const std::size_t good = a.values.size() - bad;
    std::printf("  %-16s %-18s %-8s min %-10.4g max %-10.4g mean %-10.4g", name.c_str(), to_string(a.shape).c_str(),
                a.stored_dtype.c_str(), good ? lo : NAN, good ? hi : NAN, good ? sum / static_cast<double>(good) : NAN);
    if (bad) std::printf(" NON-FINITE: %zu", bad);
    std::printf("\n");
  }
  return 0;
}

int baseline(const CommonOptions& common, const BaselineArgs& args) {
  Registry registry;
  PluginLoader loader(registry);
  load_plugins(loader, common);
  auto task = make_task(registry, args.task);
  const auto& baselines = task_capability<BaselineMethods>(*task, args.task.name, "run classical baselines");
  const auto methods = baselines.baselines();
  if (std::find(methods.begin(), methods.end(), args.method) == methods.end()) {
    throw Error("unknown baseline '" + args.method + "'" + did_you_mean(args.method, methods) +
                "; this task has: " + (methods.empty() ? std::string("none") : join(methods)));
  }
  const nn::Dataset d = args.data
                            ? task_capability<DataFiles>(*task, args.task.name, "read data files").read_data(*args.data)
                            : task_capability<DataGenerator>(*task, args.task.name, "generate data (give --data FILE)")
                                  .generate(args.count, args.seed);
  const BaselineReport r = baselines.run_baseline(args.method, d);
  std::printf("%s on %zu samples: %s\n", args.method.c_str(), d.size(), r.summary.c_str());
  for (const auto& m : task->metrics())
    if (r.metrics.count(m.name))
      std::printf("  %-22s %.4f   %s\n", m.name.c_str(), r.metrics.at(m.name), m.description.c_str());
  std::printf("time: %.1f us per sample (one thread)\n", r.seconds_per_sample * 1e6);
  return 0;
}

}  // namespace nac::cli
