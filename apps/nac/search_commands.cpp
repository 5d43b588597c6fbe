#include "cli_support.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <cstdio>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "nac/run/architecture.hpp"
#include "nac/error.hpp"
#include "nac/run/experiment.hpp"
#include "nac/run/pipeline.hpp"
#include "nac/run/plugin_loader.hpp"
#include "nac/run/report.hpp"
#include "nac/run/runner.hpp"
#include "nac/text.hpp"
#include "nac/version.hpp"

namespace nac::cli {

namespace fs = std::filesystem;

namespace {

struct Resumed {
  std::string file;      // the experiment to load
  fs::path relative_to;  // the folder its relative paths (plugin_dirs) were written for
  std::uint64_t seed = 0;
};

// The experiment of a run to resume: the original file when it is still there and unchanged,
// else the copy in the run's folder (its relative paths still resolved against the original's
// folder); and the seed the run used.
Resumed resumed_experiment(const fs::path& dir, bool prefer_original) {
  // (a pipeline's folder: pipeline.json; a search's: state.json)
  const fs::path state = fs::exists(dir / "pipeline.json") ? dir / "pipeline.json" : dir / "state.json",
                 copy = dir / "experiment.toml";
  if (!fs::exists(copy)) {
    if (fs::exists(state) && !fs::exists(dir / "trials.jsonl"))
      throw Error(dir.string() +
                  ": the run stopped before its first trial (it holds no experiment.toml yet): start it again "
                  "with nac run EXPERIMENT --out " +
                  dir.string());
    throw Error(dir.string() + ": not a nac run folder (no experiment.toml)");
  }
  if (!fs::exists(state))
    throw Error(dir.string() +
                ": no state.json: this run cannot be resumed (it was made by an older nac, or "
                "its folder was not written fully)");
  nlohmann::json j;
  try {
    std::ifstream in(state);
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw Error(state.string() + ": corrupt: " + e.what());
  }
  const std::string original = j.value("experiment", std::string());
  auto text = [](const fs::path& f) {
    std::ifstream in(f, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  const std::uint64_t seed = j.value("seed", std::uint64_t{0});
  if (!original.empty() && fs::exists(original) && (prefer_original || text(original) == text(copy)))
    return {original, {}, seed};
  if (prefer_original)
    std::fprintf(stderr, "warning: %s is gone: the run's copy, %s, gives the settings\n", original.c_str(),
                 copy.string().c_str());
  return {copy.string(), original.empty() ? fs::path() : fs::path(original).parent_path(), seed};
}

// Ctrl-C or SIGTERM ends the run as a kill does (the folder resumes), with a word on what to do.
char interrupt_text[4096];
void on_interrupt(int sig) {
  const char* name = sig == SIGINT ? "\nnac: interrupted (SIGINT)" : "\nnac: stopped (SIGTERM)";
  if (::write(STDERR_FILENO, name, std::strlen(name)) < 0 ||
      ::write(STDERR_FILENO, interrupt_text, std::strlen(interrupt_text)) < 0) {
    // nothing more can be said
  }
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

void say_on_interrupt(const fs::path& out_dir) {
  const std::string text = ": every finished trial is kept in " + out_dir.string() +
                           "; continue the run with: nac run --resume " + out_dir.string() + "\n";
  std::snprintf(interrupt_text, sizeof interrupt_text, "%s", text.c_str());
  for (int sig : {SIGINT, SIGTERM})  // (a signal ignored by who started nac, as nohup does, stays ignored)
    if (::signal(sig, on_interrupt) == SIG_IGN) ::signal(sig, SIG_IGN);
}

// The run's report; a report that cannot be written costs the run nothing (nac report DIR retries).
void write_report_or_warn(const fs::path& dir) {
  try {
    write_report(dir);
  } catch (const std::exception& e) {
    std::fprintf(stderr,
                 "warning: the report of %s was not written: %s (the results are complete; try nac report %s)\n",
                 dir.string().c_str(), e.what(), dir.string().c_str());
  }
}

// What each stage handed on: a line per model with the stage's main figures.
void print_pipeline(const Experiment& ex, const PipelineSummary& s, const fs::path& dir) {
  for (const auto& stage : s.stages) {
    std::printf("%s stage: %zu model%s%s\n", stage.stage.c_str(), stage.models.size(),
                stage.models.size() == 1 ? "" : "s",
                stage.seconds > 0 ? (" in " + std::to_string(static_cast<int>(stage.seconds + 0.5)) + " s").c_str()
                                  : " (finished before)");
    if (stage.stage == "global") continue;  // (its front is in global/front.csv)
    for (const auto& m : stage.models) {
      std::printf("  %-12s", m.name.c_str());
      for (const auto& [k, v] : m.metrics)
        if (k == "error" || k == "accuracy" || k == "bops" || k == "gain" || k.rfind("baseline_", 0) == 0 ||
            k == "sparsity" || k == "weight_bits" || k.rfind("latency", 0) == 0)
          std::printf(" %s=%.4g", k.c_str(), v);
      std::printf("\n    %s\n", m.note.c_str());
    }
  }
  std::printf("results: %s/ (%s: each stage's folder and models.json)\n", dir.string().c_str(),
              join(ex.stages).c_str());
}

}  // namespace

int run(const CommonOptions& common, const RunArgs& args) {
  std::string file = args.experiment;
  if (!args.resume && fs::is_directory(file))
    throw Error(file + ": is a folder, not an experiment file; to continue the run in it: nac run --resume " + file);
  std::optional<std::uint64_t> seed_override = args.seed;
  fs::path relative_to;
  if (args.resume) {
    const Resumed r = resumed_experiment(*args.resume, args.from.has_value());
    if (args.seed && *args.seed != r.seed)
      throw Error("--seed " + std::to_string(*args.seed) + " differs from the seed of the run being resumed (" +
                  std::to_string(r.seed) + ")");
    file = r.file;
    relative_to = r.relative_to;
    seed_override = r.seed;
  }
  const Experiment ex = load_experiment(file, relative_to);
  Registry registry;
  PluginLoader loader(registry);
  load_plugins(loader, common, ex.plugin_dirs);
  const std::uint64_t seed = seed_override.value_or(ex.seed);
  SearchSetup setup = build_search(ex, registry, seed);
  Experiment seeded = ex;
  seeded.seed = seed;
  RunOptions options;
  options.out_dir = args.resume ? fs::path(*args.resume) : args.out ? fs::path(*args.out) : ex.output;
  options.resume = args.resume.has_value();
  options.progress = !args.quiet && stderr_is_terminal();
  options.versions["nac"] = NAC_VERSION;
  for (const auto& p : loader.plugins()) options.versions["plugin " + p.name] = p.version;
  say_on_interrupt(options.out_dir);
  if (!ex.stages.empty()) {
    PipelineOptions p;
    p.out_dir = options.out_dir;
    p.resume = options.resume;
    p.progress = options.progress;
    p.versions = options.versions;
    p.from = args.from.value_or("");
    print_pipeline(ex, run_pipeline(seeded, registry, setup, p), options.out_dir);
    write_report_or_warn(options.out_dir);
    return 0;
  }
  if (args.from) throw Error("--from " + *args.from + ": the experiment lists no `stages`: it is a search alone");
  const RunSummary s = run_search(seeded, setup, options);

  std::printf("%s: %zu trials (%zu complete, %zu failed) in %.2f s, seed %llu\n", ex.name.c_str(), s.trials.size(),
              s.trials.size() - s.failed, s.failed, s.seconds, static_cast<unsigned long long>(seed));
  if (!setup.constraints.empty()) {
    std::vector<std::string> described;
    for (const auto& c : setup.constraints) described.push_back(c.describe());
    std::printf("constraints: %s; %zu complete trials break them (kept off the front)\n", join(described, ", ").c_str(),
                s.infeasible);
  }
  std::printf("non-dominated set: %zu trials\n", s.front.size());
  if (s.hypervolume)
    std::printf("hypervolume (reference point %s): %.6f\n", point_text(setup.reference_point).c_str(), *s.hypervolume);
  if (setup.objectives.size() == 1 && !s.front.empty()) {
    const auto& best = s.trials[s.front.front()];
    std::printf("best %s: %.6g (trial %llu)\n", setup.objectives[0]->name().c_str(), best.objectives[0],
                static_cast<unsigned long long>(best.id));
  }
  // The front beside the seeds (e.g. BraggNN): each objective and its ratio to the first seed's.
  if (!setup.seed_names.empty() && setup.objectives.size() >= 2 && !s.trials.empty() &&
      s.trials[0].status == TrialStatus::Complete) {
    const auto& ref = s.trials[0].objectives;
    std::printf("\n%-12s", "trial");
    for (const auto& o : setup.objectives)
      std::printf(" %14s %9s", o->name().c_str(), ("/" + setup.seed_names[0]).c_str());
    std::printf("\n");
    auto row = [&](const TrialRecord& t, const std::string& label) {
      std::printf("%-12s", label.c_str());
      for (std::size_t k = 0; k < t.objectives.size(); ++k)
        std::printf(" %14.6g %9.3g", t.objectives[k], ref[k] != 0 ? t.objectives[k] / ref[k] : 0.0);
      std::printf("%s\n", t.feasible() ? "" : "  (infeasible)");
    };
    for (std::size_t i = 0; i < setup.seed_names.size() && i < s.trials.size(); ++i)
      if (s.trials[i].status == TrialStatus::Complete) row(s.trials[i], setup.seed_names[i]);
    for (std::size_t i : s.front) row(s.trials[i], "front " + std::to_string(s.trials[i].id));
  }
  write_report_or_warn(options.out_dir);
  std::printf("results: %s/ (report.html, report.md, trials.csv, trials.jsonl, front.csv, summary.json%s)\n",
              options.out_dir.string().c_str(), setup.architecture ? ", pareto.svg, models/" : "");
  return 0;
}

int report(const std::string& dir) {
  write_report(dir);
  std::printf("%s/report.html (self-contained) and %s/report.md\n", dir.c_str(), dir.c_str());
  return 0;
}

int validate(const CommonOptions& common, const std::string& experiment) {
  const Experiment ex = load_experiment(experiment);
  Registry registry;
  PluginLoader loader(registry);
  load_plugins(loader, common, ex.plugin_dirs);
  SearchSetup setup = build_search(ex, registry, ex.seed);
  if (!ex.stages.empty()) check_pipeline(ex, registry, setup);
  std::vector<std::string> objectives;
  for (const auto& o : setup.objectives) objectives.push_back(o->name() + " (" + to_string(o->direction()) + ")");
  std::printf("%s: ok\n", experiment.c_str());
  std::printf("  task %s%s\n", ex.task.name.c_str(),
              setup.architecture ? "" : (": " + std::to_string(setup.space->size()) + " parameters").c_str());
  const char* schedule = ex.search.schedule == Schedule::Async   ? "async"
                         : ex.search.schedule == Schedule::Batch ? "batch"
                                                                 : "ordered";
  std::printf("  strategy %s, %lld trials, %s workers x %lld threads, schedule %s, batch %s\n",
              ex.strategy.name.c_str(), static_cast<long long>(ex.search.trials),
              ex.search.workers ? std::to_string(ex.search.workers).c_str() : "one per core",
              static_cast<long long>(ex.search.threads), schedule,
              ex.search.batch                           ? std::to_string(ex.search.batch).c_str()
              : ex.search.schedule == Schedule::Ordered ? "2 x workers"
                                                        : "= workers");
  if (setup.architecture) std::printf("  architecture template: %zu parameters\n", setup.space->size());
  if (!setup.seed_names.empty()) std::printf("  seeds: %s\n", join(setup.seed_names).c_str());
  std::printf("  objectives: %s\n", join(objectives).c_str());
  if (!setup.reference_point.empty())
    std::printf("  hypervolume reference point: %s\n", point_text(setup.reference_point).c_str());
  if (!ex.stages.empty()) std::printf("  stages: %s (docs/pipeline.md)\n", join(ex.stages, ", ").c_str());
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
  int name_width = 4, plugin_width = 6;  // the columns fit the longest name
  for (const auto& e : registry.entries()) {
    name_width = std::max(name_width, static_cast<int>(e.name.size()));
    plugin_width = std::max(plugin_width, static_cast<int>(e.origin.plugin.size()));
  }
  std::printf("%-11s %-*s %-*s %-8s %s\n", "KIND", name_width, "NAME", plugin_width, "PLUGIN", "VERSION", "FILE");
  for (const auto& e : registry.entries()) {
    std::string version;
    for (const auto& p : loader.plugins())
      if (p.file == e.origin.file) version = p.version;
    std::printf("%-11s %-*s %-*s %-8s %s\n", to_string(e.kind), name_width, e.name.c_str(), plugin_width,
                e.origin.plugin.c_str(), version.c_str(), e.origin.file.string().c_str());
  }
  return 0;
}

namespace {

void print_settings(const std::vector<SettingInfo>& settings, const char* none) {
  if (settings.empty()) {
    std::printf("  %s\n", none);
    return;
  }
  std::size_t key = 3, type = 4, fallback = 7, range = 5;
  for (const auto& s : settings) {
    key = std::max(key, s.key.size());
    type = std::max(type, s.type.size());
    fallback = std::max(fallback, s.fallback.size());
    range = std::max(range, s.range.size());
  }
  const auto row = [&](const std::string& k, const std::string& t, const std::string& f, const std::string& r,
                       const std::string& h) {
    std::printf("  %-*s  %-*s  %-*s  %-*s  %s\n", static_cast<int>(key), k.c_str(), static_cast<int>(type), t.c_str(),
                static_cast<int>(fallback), f.c_str(), static_cast<int>(range), r.c_str(), h.c_str());
  };
  row("KEY", "TYPE", "DEFAULT", "RANGE", "MEANING");
  for (const auto& s : settings) row(s.key, s.type, s.fallback, s.range, s.help);
}

}  // namespace

int describe_plugin(const CommonOptions& common, const std::string& name) {
  Registry registry;
  PluginLoader loader(registry);
  load_plugins(loader, common);
  bool found = false;
  for (const auto& e : registry.entries()) {
    if (e.name != name && e.origin.plugin != name) continue;
    found = true;
    std::string version;
    for (const auto& p : loader.plugins())
      if (p.file == e.origin.file) version = p.version;
    std::printf("%s %s: %s\n  plugin %s %s (%s)\n", to_string(e.kind), e.name.c_str(), e.description.c_str(),
                e.origin.plugin.c_str(), version.c_str(), e.origin.file.string().c_str());
    print_settings(e.settings, e.kind == PluginKind::Op ? "attributes: none" : "settings: none");
  }
  if (const OpDef* op = lookup_op(name); op && op_owner(name) == "nac") {  // a built-in op
    found = true;
    std::printf("op %s: %s\n  built into nac\n", name.c_str(), op->description.c_str());
    print_settings(describe_attrs(*op), "attributes: none");
  }
  if (!found) {
    std::vector<std::string> known;
    for (const auto& e : registry.entries()) {
      known.push_back(e.name);
      if (std::find(known.begin(), known.end(), e.origin.plugin) == known.end()) known.push_back(e.origin.plugin);
    }
    for (const auto& op : op_names()) known.push_back(op);
    throw Error("nac plugins --describe: nothing is named '" + name + "'" + did_you_mean(name, known));
  }
  return 0;
}

}  // namespace nac::cli
