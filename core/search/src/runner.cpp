#include "nac/run/runner.hpp"

#include <atomic>
#include <chrono>
#include <exception>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "nac/error.hpp"
#include "nac/detail/crash_context.hpp"
#include "nac/hypervolume.hpp"
#include "nac/pareto.hpp"
#include "nac/run/results_writer.hpp"
#include "pareto_plot.hpp"
#include "run_folder.hpp"
#include "trial_evaluation.hpp"
#include "worker_pool.hpp"

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

std::vector<Point> minimized_points(const std::vector<TrialRecord>& trials, const std::vector<std::size_t>& idx,
                                    const SearchStrategy& strategy) {
  std::vector<Point> pts;
  for (std::size_t i : idx) pts.push_back(strategy.minimized(trials[i].objectives));
  return pts;
}

// The non-dominated trials among the feasible ones.
std::vector<std::size_t> front_of(const std::vector<TrialRecord>& trials, const SearchStrategy& strategy) {
  std::vector<std::size_t> complete;
  for (std::size_t i = 0; i < trials.size(); ++i)
    if (trials[i].feasible()) complete.push_back(i);
  const auto nd = non_dominated(minimized_points(trials, complete, strategy));
  std::vector<std::size_t> front;
  for (std::size_t k : nd) front.push_back(complete[k]);
  return front;
}

// Files a stop left half written (FILE.tmp, before their rename): nothing refers to them.
void remove_leftovers(const fs::path& dir) {
  std::error_code ec;
  for (const fs::path& d : {dir, dir / "models"}) {
    if (!fs::is_directory(d, ec)) continue;
    for (const auto& e : fs::directory_iterator(d, ec))
      if (e.path().extension() == ".tmp") fs::remove(e.path(), ec);
  }
}

// Copies the experiment file into the run's folder as experiment.toml (what --resume reads).
void copy_experiment(const fs::path& file, const fs::path& out_dir) {
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) throw Error("output folder " + out_dir.string() + ": cannot be created: " + ec.message());
  const fs::path copy = out_dir / "experiment.toml", tmp = out_dir / "experiment.toml.tmp";
  fs::copy_file(file, tmp, fs::copy_options::overwrite_existing, ec);  // then renamed: never half a copy
  if (!ec) fs::rename(tmp, copy, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw Error(copy.string() + ": cannot copy the experiment file " + file.string() + " there: " + ec.message() +
                " (nac run --resume needs this copy)");
  }
}

}  // namespace

bool TrialRecord::feasible() const { return status == TrialStatus::Complete && nac::feasible(constraints); }

RunSummary run_search(const Experiment& ex, SearchSetup& setup, const RunOptions& options) {
  std::vector<std::string> objective_names, metric_names;
  for (const auto& o : setup.objectives) objective_names.push_back(o->name());
  for (const auto& m : setup.task->metrics()) metric_names.push_back(m.name);
  std::vector<std::string> constraint_names;
  for (const auto& c : setup.constraints) constraint_names.push_back(c.describe());
  SearchStrategy& strategy = *setup.strategy;
  bool resumable = true;
  try {
    (void)strategy.save_state();
  } catch (const Error&) {
    resumable = false;  // the strategy cannot save its state: state.json holds no strategy state
  }
  if (options.resume && !resumable)
    throw Error(options.out_dir.string() + ": cannot resume: strategy '" + ex.strategy.name +
                "' keeps no saved state (it does not implement save_own_state), so the search cannot go on "
                "where it stopped; start the run again in a new folder");
  // One process per folder, from before anything in it is read or written until the end.
  const detail::FolderLock lock(options.out_dir);
  if (!options.resume) ResultsWriter::check_unused(options.out_dir);
  // The task's data before anything is written: a data file that cannot be used leaves no folder
  // that a new run would have to be told to take.
  detail::EvaluationEnvironment env{setup,
                                    nullptr,
                                    Rng::derive(ex.seed, 0x5eed).next(),
                                    static_cast<int>(ex.search.threads),
                                    options.out_dir,
                                    objective_names,
                                    ex.search.pruner};
  if (setup.trains_networks()) {
    env.data = options.data;
    if (!env.data) {
      if (options.progress) std::fprintf(stderr, "loading the task's data...\n");
      env.data = std::make_shared<const TaskData>(as_dataset_task(*setup.task, "an architecture search").load_data());
    }
  }

  RunSummary summary;
  summary.out_dir = options.out_dir;
  // Where the run comes from, for --resume (which also needs it to find the plugin folders of
  // the experiment when it falls back to the copy): written before any trial runs, then after
  // each batch with the strategy's state. A strategy without state gets null and a warning.
  // (On resume: the original experiment the state names, even when this run reads the copy.)
  fs::path origin = fs::absolute(ex.file);
  auto write_state = [&] {
    ResultsWriter::write_state(options.out_dir,
                               nlohmann::json{{"strategy", resumable ? strategy.save_state() : nlohmann::json()},
                                              {"told", summary.trials.size()},
                                              {"experiment", origin.string()},
                                              {"seed", ex.seed},
                                              {"versions", options.versions}});
  };
  // A new run writes state.json, then the copy of the experiment (what --resume reads, so a run
  // that cannot make it must not start), then the trial files: a folder stopped part way holds
  // no trial files (a new run may take it) or all it needs to resume.
  if (!options.resume) {  // (the folder was checked to hold no run, above, under the lock)
    write_state();
    copy_experiment(ex.file, options.out_dir);
    if (!resumable) {
      summary.warnings.push_back("strategy '" + ex.strategy.name +
                                 "' keeps no saved state: this run cannot be continued with --resume if it stops");
      std::fprintf(stderr, "warning: %s\n", summary.warnings.back().c_str());
    }
  }
  ResultsWriter writer(options.out_dir, *setup.space, objective_names, metric_names, options.resume, constraint_names);

  // Resume: the strategy's state after the last finished batch, the trials told so far, and the
  // journal of trials that finished after that (reused when the strategy asks for them again).
  std::map<std::uint64_t, TrialRecord> finished;
  if (options.resume) {
    const fs::path state_file = options.out_dir / "state.json";
    if (fs::exists(state_file)) {
      std::ifstream in(state_file);
      try {
        const nlohmann::json state = nlohmann::json::parse(in);
        if (state.at("strategy").is_null())
          throw Error(state_file.string() +
                      ": cannot resume: the run was started with a strategy that keeps no "
                      "saved state");
        try {
          strategy.load_state(state.at("strategy"));
        } catch (const Error& e) {
          throw Error(state_file.string() + ": the strategy's saved state: " + e.what());
        }
        if (state.contains("experiment") && !state.at("experiment").get<std::string>().empty())
          origin = state.at("experiment").get<std::string>();
        if (state.contains("versions"))  // (state files of older builds have none)
          for (const auto& [name, version] : state.at("versions").items()) {
            const auto now = options.versions.find(name);
            const std::string was = version.get<std::string>();
            if (now == options.versions.end() || now->second != was)
              summary.warnings.push_back("the run started with " + name + " " + was + ", it resumes with " +
                                         (now == options.versions.end() ? std::string("none") : now->second) +
                                         ": trials from here on may differ (data, training or search)");
          }
      } catch (const nlohmann::json::exception& e) {
        throw Error(state_file.string() + ": corrupt: " + e.what());
      }
      for (const auto& w : summary.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
    } else if (!detail::read_json_lines(options.out_dir / "trials.jsonl", false, nullptr).json.empty()) {
      throw Error(options.out_dir.string() + ": no state.json to resume from (the strategy cannot save its state)");
    }
    // The trial files as the stop left them, made to agree with the state.
    remove_leftovers(options.out_dir);
    detail::ResumedTrials resumed =
        detail::resume_trials(options.out_dir, strategy.trials_asked(), strategy.pending(), writer);
    for (const auto& n : resumed.notes) std::fprintf(stderr, "note: %s\n", n.c_str());
    writer.rewrite_trials(resumed.told_lines, resumed.told);
    summary.trials = std::move(resumed.told);
    finished = std::move(resumed.finished);
    for (const auto& r : summary.trials) {
      summary.failed += r.status == TrialStatus::Failed;
      summary.infeasible += r.status == TrialStatus::Complete && !r.feasible();
    }
  }

  std::size_t workers = static_cast<std::size_t>(ex.search.workers);
  if (workers == 0) {
    const std::size_t cores = std::max(1u, std::thread::hardware_concurrency());
    workers = std::max<std::size_t>(1, cores / static_cast<std::size_t>(ex.search.threads));
  }
  const Schedule schedule = ex.search.schedule;
  // The most trials asked and not yet told: with the ordered schedule twice the workers by
  // default, so that a long trial does not hold up the others until the window is full.
  const std::size_t window = ex.search.batch > 0             ? static_cast<std::size_t>(ex.search.batch)
                             : schedule == Schedule::Ordered ? 2 * workers
                                                             : workers;
  const auto t0 = Clock::now();
  auto last_print = Clock::now() - std::chrono::seconds(1);
  const auto total = static_cast<std::size_t>(ex.search.trials);
  const std::size_t start = summary.trials.size();

  auto print_progress = [&](bool final) {
    if (!options.progress) return;
    if (!final && Clock::now() - last_print < std::chrono::milliseconds(100)) return;
    last_print = Clock::now();
    const double elapsed = since(t0);
    const std::size_t done = summary.trials.size();
    const double left =
        done > start ? elapsed / static_cast<double>(done - start) * static_cast<double>(total - done) : 0;
    std::fprintf(stderr, "\r\033[Ktrial %zu of %zu | %s elapsed | ~%s left | front %zu | failed %zu", done, total,
                 clock_text(elapsed).c_str(), clock_text(left).c_str(), summary.front.size(), summary.failed);
    if (!setup.constraints.empty()) std::fprintf(stderr, " | infeasible %zu", summary.infeasible);
    if (final) std::fputc('\n', stderr);
    std::fflush(stderr);
  };

  std::mutex journal_mutex;
  bool journal_failed = false;
  // The pruner's reference: the learning curves of the trials told (complete, not pruned) before a
  // trial was asked. With the ordered schedule trial t is asked when trials 0 .. t - window are
  // told, with the batch schedule when the batches before its own are: those trials, whatever the
  // timing and across a resume. (Async: the trials told at the moment it is asked.)
  std::vector<std::pair<std::uint64_t, std::vector<double>>> told_curves;
  auto add_curve = [&](const TrialRecord& r) {
    if (env.pruner.kind != PrunerConfig::Kind::None && r.status == TrialStatus::Complete && !r.curve.empty() &&
        !r.metrics.count("pruned_at_epoch"))
      told_curves.emplace_back(r.id, r.curve);
  };
  for (const auto& r : summary.trials) add_curve(r);
  auto curves_before = [&](std::uint64_t id) {
    auto out = std::make_shared<LearningCurves>();
    if (env.pruner.kind == PrunerConfig::Kind::None) return out;
    const auto w = static_cast<std::uint64_t>(std::max<std::size_t>(window, 1));
    const std::uint64_t limit = ex.search.schedule == Schedule::Ordered ? (id + 1 > w ? id + 1 - w : 0)
                                : ex.search.schedule == Schedule::Batch ? id / w * w
                                                                        : UINT64_MAX;
    for (const auto& [told, curve] : told_curves)
      if (told < limit) out->push_back(curve);
    return out;
  };
  std::mutex snapshot_mutex;
  std::map<std::uint64_t, std::shared_ptr<const LearningCurves>> snapshots;
  try {  // (a file that cannot be written stops the run: below)
    const std::size_t stop = options.stop_after ? std::min(total, start + options.stop_after) : total;
    // Every finished trial goes to the journal at once, from its worker.
    detail::WorkerPool pool(std::min(workers, std::max<std::size_t>(window, 1)), [&](const Trial& trial) {
      std::shared_ptr<const LearningCurves> earlier;
      {
        const std::lock_guard<std::mutex> lock(snapshot_mutex);
        earlier = snapshots.at(trial.id);
        snapshots.erase(trial.id);
      }
      TrialRecord r = detail::evaluate_trial(trial, env, *earlier);
      const std::lock_guard<std::mutex> journal_lock(journal_mutex);
      if (!journal_failed) try {
          writer.journal(r);
        } catch (...) {
          journal_failed = true;
          throw;
        }
      return r;
    });
    std::map<std::uint64_t, TrialRecord> done;  // finished, not yet told
    // A run told to stop early asks what the whole run would ask (so that it resumes into the
    // same run) but evaluates only the trials up to the stop; the others stay asked, for the resume.
    std::size_t started = summary.trials.size(), held = 0;
    auto dispatch = [&](const Trial& trial) {
      if (started >= stop) {
        ++held;
        return;
      }
      ++started;
      auto reuse = finished.find(trial.id);
      if (reuse != finished.end() && reuse->second.params == trial.params) {
        done.insert_or_assign(trial.id, reuse->second);  // finished before the interruption
        finished.erase(reuse);
      } else {
        {
          const std::lock_guard<std::mutex> lock(snapshot_mutex);
          snapshots[trial.id] = curves_before(trial.id);
        }
        pool.submit(trial);
      }
    };
    // Asks as many trials as the schedule allows now (the same ones for the same tells).
    auto fill = [&] {
      const std::size_t asked = summary.trials.size() + strategy.pending().size();
      const std::size_t limit = std::min(total, summary.trials.size() + window);
      if (asked >= limit || (schedule == Schedule::Batch && !strategy.pending().empty())) return;
      const std::vector<Trial> trials = [&] {
        const detail::CrashContext crash("asking " + setup.strategy_label + " for trials");
        return strategy.ask(limit - asked);
      }();
      for (const Trial& t : trials) dispatch(t);
    };
    auto tell = [&](TrialRecord r) {
      strategy.tell(r.id, r.status == TrialStatus::Complete
                              ? TrialResult{TrialStatus::Complete, r.objectives, r.constraints, {}}
                              : TrialResult::failed(r.message));
      writer.append(r);
      add_curve(r);
      if (r.status == TrialStatus::Failed) ++summary.failed;
      if (r.status == TrialStatus::Complete && !r.feasible()) ++summary.infeasible;
      summary.trials.push_back(std::move(r));
    };
    // The trials a resumed run had asked and not told, then as many as the window holds.
    for (const auto& [id, trial] : strategy.pending()) dispatch(trial);
    fill();
    auto last_state = Clock::now();
    while (summary.trials.size() < stop) {
      auto ready = [&] {  // what the schedule tells next has finished
        switch (schedule) {
          case Schedule::Async: return !done.empty();
          case Schedule::Ordered: return done.count(strategy.pending().begin()->first) > 0;
          case Schedule::Batch: return done.size() + held == strategy.pending().size();
        }
        return false;
      };
      while (!ready()) {
        TrialRecord r = pool.next();
        done.insert_or_assign(r.id, std::move(r));
        while (auto more = pool.try_next()) done.insert_or_assign(more->id, std::move(*more));
      }
      // Told in the schedule's order; each tell of the ordered schedule asks the next trial at
      // once, so what the strategy sees when it proposes depends on the tells alone.
      if (schedule == Schedule::Async) {
        for (auto& [id, r] : done) tell(std::move(r));
        done.clear();
        fill();
      } else if (schedule == Schedule::Ordered) {
        for (auto it = done.begin(); it != done.end() && it->first == strategy.pending().begin()->first;) {
          tell(std::move(it->second));
          it = done.erase(it);
          fill();
          if (strategy.pending().empty()) break;
        }
      } else {  // the batch is complete
        for (auto& [id, r] : done) tell(std::move(r));
        done.clear();
        fill();
      }
      // The state after the tells and the asks they allowed. Ordered and batch runs replay the
      // same asks on resume (trials told since the state are reused), so they save it at most
      // once a second; an asynchronous run's asks depend on timing, so it saves every time.
      const bool last = summary.trials.size() >= stop;
      if (resumable && (last || schedule == Schedule::Async || since(last_state) >= 1.0)) {
        write_state();
        last_state = Clock::now();
      }
      if (setup.trains_networks() || options.progress) summary.front = front_of(summary.trials, strategy);
      if (setup.objectives.size() >= 2 && setup.trains_networks() && !last)  // (the last: below)
        write_pareto_plot(options.out_dir / "pareto.svg", summary.trials, summary.front, objective_names,
                          setup.seed_names);
      print_progress(false);
    }
    summary.worker_seconds = pool.busy_seconds();
    summary.seconds = since(t0);
    summary.workers = std::min(workers, std::max<std::size_t>(window, 1));
    summary.front = front_of(summary.trials, strategy);
    print_progress(true);

    if (!setup.reference_point.empty())
      summary.hypervolume = summary.front.empty()
                                ? 0.0
                                : hypervolume(minimized_points(summary.trials, summary.front, strategy),
                                              strategy.minimized(setup.reference_point));
    writer.write_front(summary.trials, summary.front);
    std::vector<std::string> directions;
    for (const auto& o : setup.objectives) directions.emplace_back(to_string(o->direction()));
    writer.write_summary(ex.name, summary, setup.reference_point, setup.seed_names, directions);
    if (setup.objectives.size() >= 2)
      write_pareto_plot(options.out_dir / "pareto.svg", summary.trials, summary.front, objective_names,
                        setup.seed_names);
  } catch (const WriteError& e) {
    throw Error(std::string(e.what()) + "; the search stopped, every trial finished before is kept in " +
                options.out_dir.string() + ": continue it with nac run --resume " + options.out_dir.string());
  }
  return summary;
}

}  // namespace nac
