#include "nac/runner.hpp"

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <thread>

#include "nac/error.hpp"
#include "nac/hypervolume.hpp"
#include "nac/pareto.hpp"
#include "nac/results_writer.hpp"

namespace nac {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::string clock_text(double seconds) {
  const long s = std::lround(seconds);
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

TrialRecord evaluate(const Trial& trial, const SearchSetup& setup, std::uint64_t seed, const fs::path& out_dir) {
  TrialRecord r;
  r.id = trial.id;
  r.params = trial.params;
  const auto t0 = Clock::now();
  try {
    EvalContext context{trial.id, Rng::derive(seed, trial.id).next(), 1, out_dir / "trials" / std::to_string(trial.id)};
    r.metrics = setup.task->evaluate(trial.params, context);
    const Candidate candidate{r.params, r.metrics, nullptr};
    for (const auto& o : setup.objectives) {
      const double v = o->evaluate(candidate);
      if (!std::isfinite(v)) throw Error("objective '" + o->name() + "' is not finite (" + std::to_string(v) + ")");
      r.objectives.push_back(v);
    }
  } catch (const std::exception& e) {
    r.status = TrialStatus::Failed;
    r.objectives.clear();
    r.message = e.what();
  }
  r.seconds = since(t0);
  return r;
}

std::vector<Point> minimized_points(const std::vector<TrialRecord>& trials, const std::vector<std::size_t>& idx,
                                    const SearchStrategy& strategy) {
  std::vector<Point> pts;
  for (std::size_t i : idx) pts.push_back(strategy.minimized(trials[i].objectives));
  return pts;
}

std::vector<std::size_t> front_of(const std::vector<TrialRecord>& trials, const SearchStrategy& strategy) {
  std::vector<std::size_t> complete;
  for (std::size_t i = 0; i < trials.size(); ++i)
    if (trials[i].status == TrialStatus::Complete) complete.push_back(i);
  const auto nd = non_dominated(minimized_points(trials, complete, strategy));
  std::vector<std::size_t> front;
  for (std::size_t k : nd) front.push_back(complete[k]);
  return front;
}

}  // namespace

RunSummary run_search(const Experiment& ex, SearchSetup& setup, const RunOptions& options) {
  std::vector<std::string> objective_names, metric_names;
  for (const auto& o : setup.objectives) objective_names.push_back(o->name());
  for (const auto& m : setup.task->metrics()) metric_names.push_back(m.name);
  ResultsWriter writer(options.out_dir, *setup.space, objective_names, metric_names);
  std::error_code ec;
  fs::copy_file(ex.file, options.out_dir / "experiment.toml", fs::copy_options::overwrite_existing, ec);

  RunSummary summary;
  summary.out_dir = options.out_dir;
  SearchStrategy& strategy = *setup.strategy;
  const auto t0 = Clock::now();
  auto last_print = Clock::now() - std::chrono::seconds(1);
  const std::uint64_t seed = Rng::derive(ex.seed, 0x5eed).next();
  const auto total = static_cast<std::size_t>(ex.search.trials);

  auto print_progress = [&](bool final) {
    if (!options.progress) return;
    if (!final && Clock::now() - last_print < std::chrono::milliseconds(100)) return;
    last_print = Clock::now();
    const double elapsed = since(t0);
    const std::size_t done = summary.trials.size();
    const double left = done ? elapsed / static_cast<double>(done) * static_cast<double>(total - done) : 0;
    std::fprintf(stderr, "\r\033[Ktrial %zu of %zu | %s elapsed | ~%s left | front %zu | failed %zu", done, total,
                 clock_text(elapsed).c_str(), clock_text(left).c_str(), front_of(summary.trials, strategy).size(),
                 summary.failed);
    if (final) std::fputc('\n', stderr);
    std::fflush(stderr);
  };

  while (summary.trials.size() < total) {
    const std::size_t n = std::min<std::size_t>(static_cast<std::size_t>(ex.search.batch), total - summary.trials.size());
    const std::vector<Trial> batch = strategy.ask(n);
    std::vector<TrialRecord> records(batch.size());
    const std::size_t workers = std::min<std::size_t>(static_cast<std::size_t>(ex.search.workers), batch.size());
    if (workers <= 1) {
      for (std::size_t i = 0; i < batch.size(); ++i) records[i] = evaluate(batch[i], setup, seed, options.out_dir);
    } else {
      std::atomic<std::size_t> next{0};
      std::vector<std::thread> pool;
      for (std::size_t w = 0; w < workers; ++w)
        pool.emplace_back([&] {
          for (std::size_t i; (i = next++) < batch.size();) records[i] = evaluate(batch[i], setup, seed, options.out_dir);
        });
      for (auto& t : pool) t.join();
    }
    for (auto& r : records) {  // told and written in trial order: same seed, same run
      strategy.tell(r.id, r.status == TrialStatus::Complete ? TrialResult{TrialStatus::Complete, r.objectives, {}, {}}
                                                            : TrialResult::failed(r.message));
      writer.append(r);
      if (r.status == TrialStatus::Failed) ++summary.failed;
      summary.trials.push_back(std::move(r));
    }
    print_progress(false);
  }
  summary.seconds = since(t0);
  print_progress(true);

  summary.front = front_of(summary.trials, strategy);
  if (!setup.reference_point.empty())
    summary.hypervolume = summary.front.empty() ? 0.0 : hypervolume(minimized_points(summary.trials, summary.front, strategy),
                                      strategy.minimized(setup.reference_point));
  writer.write_front(summary.trials, summary.front);
  writer.write_summary(ex.name, summary, setup.reference_point);
  return summary;
}

}  // namespace nac
