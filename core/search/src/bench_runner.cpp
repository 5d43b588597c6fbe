// nac bench's runs: every (problem, contender, seed), spread over worker threads, each written to
// RUN/runs.jsonl the moment it ends (an interrupted bench resumes from there).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>

#include <nlohmann/json.hpp>

#include "nac/error.hpp"
#include "nac/hypervolume.hpp"
#include "nac/pareto.hpp"
#include "nac/registry.hpp"
#include "nac/run/bench.hpp"
#include "nac/search_strategy.hpp"
#include "nac/task.hpp"
#include "run_folder.hpp"

namespace nac {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// A problem made once for all its runs (a task's const functions may be called from several
// threads at once), with what the measures need, in minimisation.
struct Prepared {
  std::unique_ptr<Task> task;
  const ProblemTask* problem = nullptr;
  std::vector<std::string> objectives;
  std::vector<Direction> directions;
  std::vector<double> sign;           // +1 minimised, -1 maximised: minimised = sign * value
  std::vector<std::string> measures;  // those of the bench that fit the problem
  Point reference;                    // minimised
  std::vector<Point> front;           // minimised
};

Prepared prepare(const BenchConfig& c, const BenchProblem& p, const Registry& registry) {
  Prepared out;
  out.task = registry.task(p.task.name)(p.task.config);
  out.problem = &as_problem_task(*out.task, "nac bench");
  out.objectives = p.objectives;
  const auto metrics = out.problem->metrics();
  if (out.objectives.empty())
    for (const auto& m : metrics) out.objectives.push_back(m.name);
  for (const auto& o : out.objectives)
    for (const auto& m : metrics)
      if (m.name == o) {
        out.directions.push_back(m.direction);
        out.sign.push_back(m.direction == Direction::Minimize ? 1.0 : -1.0);
      }
  auto minimised = [&](std::vector<double> v) {
    for (std::size_t i = 0; i < v.size(); ++i) v[i] *= out.sign[i];
    return v;
  };
  out.measures = measures_for(c, out.objectives.size());
  const bool hv = std::find(out.measures.begin(), out.measures.end(), "hypervolume") != out.measures.end();
  const bool igd = std::find(out.measures.begin(), out.measures.end(), "igd") != out.measures.end();
  if (hv) out.reference = minimised(p.reference ? *p.reference : *out.problem->reference_point(out.objectives));
  if (igd) {
    const auto front = out.problem->true_front(out.objectives, c.front_points);
    for (const auto& f : *front) out.front.push_back(minimised(f));
  }
  return out;
}

// One run. Strategy construction reads the contender's table, whose key bookkeeping is not
// thread-safe: `config_mutex` guards it.
BenchRun run_one(const BenchConfig& c, const Prepared& p, const BenchContender& k, const BenchProblem& problem,
                 std::uint64_t seed, const Registry& registry, std::mutex& config_mutex) {
  BenchRun run;
  run.problem = problem.label;
  run.contender = k.label;
  run.seed = seed;
  run.directions = p.directions;
  const auto start = Clock::now();
  Clock::duration sampler{};
  try {
    std::unique_ptr<SearchStrategy> s;
    {
      const std::lock_guard lock(config_mutex);
      s = registry.strategy(k.strategy.name)(k.strategy.config,
                                             StrategyContext{p.problem->search_space(), p.directions, seed});
    }
    std::vector<Point> points;                              // minimised, of complete trials
    std::vector<double> nearest(p.front.size(), INFINITY);  // igd: each front point's nearest
    double best = INFINITY;                                 // minimised
    std::size_t next = 0;                                   // the next checkpoint
    const auto deadline =
        c.seconds > 0 ? start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(c.seconds))
                      : Clock::time_point::max();
    const std::vector<std::size_t>& checkpoints = problem.checkpoints;
    for (std::size_t e = 1; e <= problem.evaluations && Clock::now() < deadline; ++e) {
      auto t0 = Clock::now();
      const Trial t = s->ask();
      sampler += Clock::now() - t0;
      TrialResult r;
      try {
        const Metrics m = p.problem->evaluate(t.params, EvalContext{t.id, seed, 1, {}});
        for (const auto& o : p.objectives) r.values.push_back(m.at(o));
      } catch (const std::exception& ex) {
        r = TrialResult::failed(ex.what());
        ++run.failed_trials;
      }
      t0 = Clock::now();
      s->tell(t.id, r);
      sampler += Clock::now() - t0;
      ++run.trials;
      if (r.status == TrialStatus::Complete) {
        Point v = r.values;
        for (std::size_t i = 0; i < v.size(); ++i) v[i] *= p.sign[i];
        best = std::min(best, v[0]);
        for (std::size_t j = 0; j < p.front.size(); ++j) {
          double d = 0;
          for (std::size_t i = 0; i < v.size(); ++i) d += (v[i] - p.front[j][i]) * (v[i] - p.front[j][i]);
          nearest[j] = std::min(nearest[j], std::sqrt(d));
        }
        points.push_back(std::move(v));
      }
      if (next < checkpoints.size() && e == checkpoints[next]) {
        run.evaluations.push_back(e);
        for (const auto& m : p.measures) {
          double value = NAN;
          if (m == "best") {
            value = std::isfinite(best) ? best * p.sign[0] : NAN;
          } else if (m == "igd") {
            double sum = 0;
            for (double d : nearest) sum += d;
            value = points.empty() ? NAN : sum / static_cast<double>(nearest.size());
          } else {
            std::vector<Point> front;
            for (std::size_t i : non_dominated(points)) front.push_back(points[i]);
            value = hypervolume(front, p.reference);
          }
          run.values[m].push_back(value);
        }
        ++next;
      }
    }
  } catch (const std::exception& ex) {
    run.ok = false;
    run.error = ex.what();
  }
  run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  run.sampler_us_per_trial =
      run.trials ? std::chrono::duration<double, std::micro>(sampler).count() / static_cast<double>(run.trials) : 0;
  return run;
}

nlohmann::json to_json(const BenchRun& r) {
  nlohmann::json directions = nlohmann::json::array();
  for (Direction d : r.directions) directions.push_back(to_string(d));
  nlohmann::json values = nlohmann::json::object();
  for (const auto& [m, v] : r.values) {
    nlohmann::json a = nlohmann::json::array();
    for (double x : v) a.push_back(std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr));
    values[m] = a;
  }
  return {{"problem", r.problem},
          {"contender", r.contender},
          {"seed", r.seed},
          {"directions", directions},
          {"ok", r.ok},
          {"error", r.error},
          {"evaluations", r.evaluations},
          {"values", values},
          {"trials", r.trials},
          {"failed_trials", r.failed_trials},
          {"sampler_us_per_trial", r.sampler_us_per_trial},
          {"seconds", r.seconds}};
}

BenchRun run_from_json(const nlohmann::json& j) {
  BenchRun r;
  r.problem = j.at("problem").get<std::string>();
  r.contender = j.at("contender").get<std::string>();
  r.seed = j.at("seed").get<std::uint64_t>();
  for (const auto& d : j.at("directions")) {
    const std::string text = d.get<std::string>();
    if (text != to_string(Direction::Minimize) && text != to_string(Direction::Maximize))
      throw Error("unknown direction '" + text + "'");
    r.directions.push_back(text == to_string(Direction::Minimize) ? Direction::Minimize : Direction::Maximize);
  }
  r.ok = j.at("ok").get<bool>();
  r.error = j.at("error").get<std::string>();
  r.evaluations = j.at("evaluations").get<std::vector<std::size_t>>();
  for (const auto& [m, a] : j.at("values").items()) {
    std::vector<double> v;
    for (const auto& x : a) v.push_back(x.is_null() ? NAN : x.get<double>());
    if (v.size() != r.evaluations.size()) throw Error("measure '" + m + "' has a value count unlike its checkpoints'");
    r.values[m] = std::move(v);
  }
  r.trials = j.at("trials").get<std::size_t>();
  r.failed_trials = j.at("failed_trials").get<std::size_t>();
  r.sampler_us_per_trial = j.at("sampler_us_per_trial").get<double>();
  r.seconds = j.at("seconds").get<double>();
  return r;
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(file.string() + ": cannot be read");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

std::vector<BenchRun> read_bench_runs(const fs::path& file) {
  if (!fs::exists(file)) throw Error(file.string() + ": no such file");
  const auto lines = detail::read_json_lines(file, /*repair=*/false, nullptr);
  std::vector<BenchRun> runs;
  for (std::size_t i = 0; i < lines.json.size(); ++i) try {
      runs.push_back(run_from_json(lines.json[i]));
    } catch (const std::exception& e) {
      throw Error(file.string() + ":" + std::to_string(i + 1) + ": not a bench run: " + e.what());
    }
  return runs;
}

std::vector<BenchRun> run_bench(const BenchConfig& c, const Registry& registry, const fs::path& out,
                                const std::function<void(const std::string&)>& progress) {
  check_bench(c, registry);
  const std::string text = read_text(c.file);
  fs::create_directories(out);
  detail::FolderLock lock(out);
  const fs::path saved = out / "bench.toml", log = out / "runs.jsonl";
  // The runs of an earlier, interrupted bench of the same file are kept.
  using Key = std::tuple<std::string, std::string, std::uint64_t>;
  std::map<Key, BenchRun> done;
  if (fs::exists(saved)) {
    if (read_text(saved) != text)
      throw Error(out.string() + " holds the runs of another bench file (its bench.toml differs from " +
                  c.file.string() + "): choose another --out, or delete the folder");
    std::vector<std::string> notes;
    const auto lines = detail::read_json_lines(log, /*repair=*/true, &notes);
    for (const auto& n : notes)
      if (progress) progress(n);
    for (std::size_t i = 0; i < lines.json.size(); ++i) try {
        BenchRun r = run_from_json(lines.json[i]);
        done[{r.problem, r.contender, r.seed}] = std::move(r);
      } catch (const std::exception& e) {
        throw Error(log.string() + ":" + std::to_string(i + 1) + ": not a bench run: " + e.what());
      }
  } else {
    detail::replace_file(saved, [&](std::ostream& o) { o << text; });
  }

  std::mutex config_mutex, write_mutex;
  std::vector<Prepared> problems;
  for (const auto& p : c.problems) problems.push_back(prepare(c, p, registry));
  struct Job {
    std::size_t problem, contender;
    std::uint64_t seed;
  };
  std::vector<Job> jobs;
  for (std::size_t p = 0; p < c.problems.size(); ++p)
    for (std::size_t k = 0; k < c.contenders.size(); ++k)
      for (std::uint64_t seed : c.seeds)
        if (c.problems[p].runs(c.contenders[k].label) &&
            !done.count({c.problems[p].label, c.contenders[k].label, seed}))
          jobs.push_back({p, k, seed});
  std::size_t total = 0;
  for (const auto& p : c.problems)
    for (const auto& k : c.contenders) total += p.runs(k.label) ? c.seeds.size() : 0;
  if (progress && !done.empty())
    progress("resuming: " + std::to_string(done.size()) + " of " + std::to_string(total) + " runs done before");

  std::ofstream append(log, std::ios::app);
  if (!append) throw WriteError(log.string() + ": cannot be written");
  std::atomic<std::size_t> next{0};
  std::exception_ptr write_failure;
  std::size_t finished = done.size();
  auto work = [&] {
    for (std::size_t j; (j = next++) < jobs.size();) {
      const Job& job = jobs[j];
      BenchRun r = run_one(c, problems[job.problem], c.contenders[job.contender], c.problems[job.problem], job.seed,
                           registry, config_mutex);
      const std::lock_guard lock(write_mutex);
      if (write_failure) return;
      append << to_json(r).dump() << '\n';
      append.flush();
      if (!append) {
        write_failure = std::make_exception_ptr(WriteError(log.string() + ": writing failed (disk full?)"));
        next = jobs.size();
        return;
      }
      ++finished;
      if (progress) {
        char line[256];
        std::snprintf(line, sizeof line, "[%zu/%zu] %s on %s, seed %llu: %s (%.2f s)", finished, total,
                      r.contender.c_str(), r.problem.c_str(), static_cast<unsigned long long>(r.seed),
                      r.ok ? "done" : ("failed: " + r.error).c_str(), r.seconds);
        progress(line);
      }
      done[{r.problem, r.contender, r.seed}] = std::move(r);
    }
  };
  const std::size_t workers =
      std::min<std::size_t>(jobs.size(), c.workers > 0 ? static_cast<std::size_t>(c.workers)
                                                       : std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::thread> threads;
  for (std::size_t w = 1; w < workers; ++w) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  if (write_failure) std::rethrow_exception(write_failure);

  std::vector<BenchRun> runs;
  for (const auto& p : c.problems)
    for (const auto& k : c.contenders)
      if (p.runs(k.label))
        for (std::uint64_t seed : c.seeds) runs.push_back(done.at({p.label, k.label, seed}));
  return runs;
}

}  // namespace nac
