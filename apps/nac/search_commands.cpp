#include "cli_support.hpp"

#include <cstdio>
#include <iostream>

#include "nac/error.hpp"
#include "nac/experiment.hpp"
#include "nac/plugin_loader.hpp"
#include "nac/runner.hpp"
#include "nac/text.hpp"

namespace nac::cli {

namespace fs = std::filesystem;

int run(const CommonOptions& common, const RunArgs& args) {
  const Experiment ex = load_experiment(args.experiment);
  Registry registry;
  PluginLoader loader(registry);
  load_plugins(loader, common, ex.plugin_dirs);
  const std::uint64_t seed = args.seed.value_or(ex.seed);
  SearchSetup setup = build_search(ex, registry, seed);
  Experiment seeded = ex;
  seeded.seed = seed;
  RunOptions options;
  options.out_dir = args.out ? fs::path(*args.out) : ex.output;
  options.progress = !args.quiet && stderr_is_terminal();
  const RunSummary s = run_search(seeded, setup, options);

  std::printf("%s: %zu trials (%zu complete, %zu failed) in %.2f s, seed %llu\n", ex.name.c_str(), s.trials.size(),
              s.trials.size() - s.failed, s.failed, s.seconds, static_cast<unsigned long long>(seed));
  std::printf("non-dominated set: %zu trials\n", s.front.size());
  if (s.hypervolume)
    std::printf("hypervolume (reference point %s): %.6f\n", point_text(setup.reference_point).c_str(), *s.hypervolume);
  if (setup.objectives.size() == 1 && !s.front.empty()) {
    const auto& best = s.trials[s.front.front()];
    std::printf("best %s: %.6g (trial %llu)\n", setup.objectives[0]->name().c_str(), best.objectives[0],
                static_cast<unsigned long long>(best.id));
  }
  std::printf("results: %s/ (trials.csv, trials.jsonl, front.csv, summary.json)\n", options.out_dir.string().c_str());
  return 0;
}

int validate(const CommonOptions& common, const std::string& experiment) {
  const Experiment ex = load_experiment(experiment);
  Registry registry;
  PluginLoader loader(registry);
  load_plugins(loader, common, ex.plugin_dirs);
  SearchSetup setup = build_search(ex, registry, ex.seed);
  std::vector<std::string> objectives;
  for (const auto& o : setup.objectives) objectives.push_back(o->name() + " (" + to_string(o->direction()) + ")");
  std::printf("%s: ok\n", experiment.c_str());
  std::printf("  task %s: %zu parameters\n", ex.task.name.c_str(), setup.space->size());
  std::printf("  strategy %s, %lld trials, batch %lld, %lld workers\n", ex.strategy.name.c_str(),
              static_cast<long long>(ex.search.trials), static_cast<long long>(ex.search.batch),
              static_cast<long long>(ex.search.workers));
  std::printf("  objectives: %s\n", join(objectives).c_str());
  if (!setup.reference_point.empty())
    std::printf("  hypervolume reference point: %s\n", point_text(setup.reference_point).c_str());
  return 0;
}

int plugins(const CommonOptions& common) {
  Registry registry;
  PluginLoader loader(registry);
  load_plugins(loader, common);
  if (loader.plugins().empty()) {
    std::printf("no plugins found (searched the default folders, NAC_PLUGIN_PATH and --plugin-dir)\n");
    return 0;
  }
  std::printf("%-11s %-18s %-18s %-8s %s\n", "KIND", "NAME", "PLUGIN", "VERSION", "FILE");
  for (const auto& e : registry.entries()) {
    std::string version;
    for (const auto& p : loader.plugins())
      if (p.file == e.origin.file) version = p.version;
    std::printf("%-11s %-18s %-18s %-8s %s\n", to_string(e.kind), e.name.c_str(), e.origin.plugin.c_str(),
                version.c_str(), e.origin.file.string().c_str());
  }
  return 0;
}

}  // namespace nac::cli
