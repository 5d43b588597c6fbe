// nac bench BENCH.toml: the contenders on the problems over the seeds, then the report.
#include <algorithm>
#include <cstdio>

#include "nac/error.hpp"

#include "cli_support.hpp"
#include "commands.hpp"
#include "nac/registry.hpp"
#include "nac/run/bench.hpp"
#include "nac/run/plugin_loader.hpp"

namespace nac::cli {

int bench(const CommonOptions& common, const BenchArgs& args) {
  BenchConfig config = load_bench(args.file);
  if (args.workers) config.workers = *args.workers;
  Registry registry;
  PluginLoader loader(registry);
  load_plugins(loader, common, config.plugin_dirs);
  const std::filesystem::path out = args.out ? std::filesystem::path(*args.out) : std::filesystem::path(config.output);
  // A peer's runs are read first: a bad file stops before any run.
  std::vector<BenchRun> peer = args.peer_runs ? read_bench_runs(*args.peer_runs) : std::vector<BenchRun>{};
  for (const BenchRun& r : peer) {
    if (std::none_of(config.problems.begin(), config.problems.end(),
                     [&](const BenchProblem& p) { return p.label == r.problem; }))
      throw Error(*args.peer_runs + ": a run of problem '" + r.problem + "', which the bench does not have");
    if (std::any_of(config.contenders.begin(), config.contenders.end(),
                    [&](const BenchContender& k) { return k.label == r.contender; }))
      throw Error(*args.peer_runs + ": the peer's contender '" + r.contender +
                  "' has the label of one of the bench's contenders: relabel one of them");
  }
  const auto runs = run_bench(config, registry, out, [&](const std::string& line) {
    if (!args.quiet) std::fprintf(stderr, "%s\n", line.c_str());
  });
  std::size_t failed = 0;
  for (const auto& r : runs) failed += !r.ok;
  // A peer's contenders join the report: each label once, on the problems it ran.
  std::vector<BenchRun> all = runs;
  for (BenchRun& r : peer) {
    const auto problem = std::find_if(config.problems.begin(), config.problems.end(),
                                      [&](const BenchProblem& p) { return p.label == r.problem; });
    if (std::none_of(config.contenders.begin(), config.contenders.end(),
                     [&](const BenchContender& k) { return k.label == r.contender; }))
      config.contenders.push_back(BenchContender{r.contender, PluginChoice{"(peer)", ConfigTable::empty(""), ""}});
    if (!problem->contenders.empty() && !problem->runs(r.contender)) problem->contenders.push_back(r.contender);
    all.push_back(std::move(r));
  }
  const std::string verdicts = write_bench_report(config, all, out);
  std::printf("%s\n", verdicts.c_str());
  std::printf("%zu runs (%zu failed)%s: %s/report.md, summary.csv, verdicts.csv, figures/\n", runs.size(), failed,
              peer.empty() ? "" : (" and " + std::to_string(peer.size()) + " of the peer").c_str(),
              out.string().c_str());
  return 0;
}

}  // namespace nac::cli
