// nac bench's runs: every (problem, contender, seed), spread over worker threads, each written to
// RUN/runs.jsonl the moment it ends (an interrupted bench resumes from there).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <exception>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>

#include <nlohmann/json.hpp>

#include "nac/detail/value_json.hpp"
#include "nac/error.hpp"
#include "nac/hypervolume.hpp"
#include "nac/pareto.hpp"
#include "nac/registry.hpp"
#include "nac/run/bench.hpp"
#include "nac/search_strategy.hpp"
#include "nac/task.hpp"
#include "bench_problems.hpp"
#include "nac/dataset_task.hpp"
#include "nac/run/compression_stage.hpp"
#include "run_folder.hpp"
#include "trial_evaluation.hpp"

namespace nac {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// An experiment problem's evaluations, each configuration once for the whole bench (a
// NAS-Bench-style table built as the bench runs): LABEL/configurations.jsonl holds every
// configuration evaluated, its objectives (or why it failed), metrics and seconds, one line as
// each ends; a resumed bench reads it back. A configuration's training seed and model file
// (LABEL/models/trial_ID.nacm) follow from the configuration alone (ID: a hash of it), so its
// result does not depend on which contender or seed asked first.
class Configurations {
 public:
  Configurations(const fs::path& dir, const std::function<void(const std::string&)>& progress)
      : file_(dir / "configurations.jsonl") {
    fs::create_directories(dir);
    if (fs::exists(file_)) {
      std::vector<std::string> notes;
      const auto lines = detail::read_json_lines(file_, /*repair=*/true, &notes);
      for (const auto& n : notes)
        if (progress) progress(n);
      for (std::size_t i = 0; i < lines.json.size(); ++i) try {
          const auto& j = lines.json[i];
          Entry e;
          e.ok = j.at("status").get<std::string>() == "complete";
          if (e.ok) e.objectives = j.at("objectives").get<std::vector<double>>();
          e.message = j.value("message", std::string());
          entries_[j.at("params").dump()] = std::move(e);
        } catch (const std::exception& ex) {
          throw Error(file_.string() + ":" + std::to_string(i + 1) + ": not a configuration: " + ex.what());
        }
    }
    out_.open(file_, std::ios::app);
    if (!out_) throw WriteError(file_.string() + ": cannot be written");
  }

  /// The objectives of `params`, from the table or from `evaluate(id)` (then added to it);
  /// nac::Error with the recorded message for a configuration that failed.
  std::vector<double> get(const Assignment& params, const std::function<TrialRecord(std::uint64_t)>& evaluate) {
    nlohmann::json key = nlohmann::json::object();
    for (const auto& [name, v] : params.values()) key[name] = detail::value_json(v);
    const std::string text = key.dump();
    {
      // Asked while another run trains it: wait for that run's result.
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [&] { return !in_flight_.count(text); });
      if (auto it = entries_.find(text); it != entries_.end()) {
        ++reused_;
        return answer(it->second);
      }
      in_flight_.insert(text);
    }
    // Whatever happens below, the configuration is not in flight afterwards (the runs waiting for
    // it then find its entry, or train it themselves when its evaluation threw).
    struct Landed {
      Configurations& table;
      const std::string& key;
      ~Landed() {
        const std::lock_guard lock(table.mutex_);
        table.in_flight_.erase(key);
        table.ready_.notify_all();
      }
    } landed{*this, text};
    std::uint64_t id = 1469598103934665603ull;  // FNV-1a of the key
    for (unsigned char ch : text) id = (id ^ ch) * 1099511628211ull;
    id &= (1ull << 53) - 1;  // (exact in JSON's numbers)
    const TrialRecord r = evaluate(id);
    Entry e;
    e.ok = r.status == TrialStatus::Complete;
    e.objectives = r.objectives;
    e.message = r.message;
    nlohmann::json line{{"params", key},
                        {"id", id},
                        {"status", e.ok ? "complete" : "failed"},
                        {"objectives", e.objectives},
                        {"message", e.message},
                        {"seconds", r.seconds}};
    nlohmann::json metrics = nlohmann::json::object();
    for (const auto& [m, v] : r.metrics)
      if (std::isfinite(v)) metrics[m] = v;
    line["metrics"] = metrics;
    const std::lock_guard lock(mutex_);
    ++trained_;
    out_ << line.dump() << '\n';
    out_.flush();
    if (!out_) throw WriteError(file_.string() + ": writing failed (disk full?)");
    return answer(entries_.emplace(text, std::move(e)).first->second);
  }
  std::string summary() const {
    return std::to_string(trained_) + " configurations evaluated, " + std::to_string(reused_) +
           " evaluations answered from the table (" + file_.string() + ", " + std::to_string(entries_.size()) +
           " in all)";
  }

 private:
  struct Entry {
    bool ok = true;
    std::vector<double> objectives;
    std::string message;
  };
  static std::vector<double> answer(const Entry& e) {
    if (!e.ok) throw Error(e.message);
    return e.objectives;
  }
  fs::path file_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::set<std::string> in_flight_;  // being evaluated now
  std::map<std::string, Entry> entries_;
  std::ofstream out_;
  std::size_t trained_ = 0, reused_ = 0;
};

// A problem made once for all its runs (a task's const functions may be called from several
// threads at once), with what the measures need, in minimisation.
struct Prepared {
  std::unique_ptr<Task> task;
  const ProblemTask* problem = nullptr;  // a problem task's
  // An experiment problem's: its setup, data, evaluation and table of configurations.
  std::unique_ptr<Experiment> experiment;
  std::unique_ptr<SearchSetup> setup;
  std::unique_ptr<detail::EvaluationEnvironment> env;
  std::unique_ptr<Configurations> configurations;
  // A model problem's: its task and recipe, its data, the run folders' root.
  std::unique_ptr<ModelProblemParts> model;
  std::shared_ptr<const TaskData> data;
  fs::path folder;
  std::shared_ptr<const SearchSpace> space;
  std::vector<std::string> objectives;
  std::vector<Direction> directions;
  std::vector<double> sign;           // +1 minimised, -1 maximised: minimised = sign * value
  std::vector<std::string> measures;  // those of the bench that fit the problem
  Point reference;                    // minimised
  std::vector<Point> front;           // minimised

  /// The objectives' values of a trial (as reported); throws for a failed evaluation.
  std::vector<double> evaluate(const Trial& t, std::uint64_t seed) const {
    if (configurations)
      return configurations->get(t.params, [&](std::uint64_t id) {
        return detail::evaluate_trial(Trial{id, t.genome, t.params}, *env);
      });
    const Metrics m = problem->evaluate(t.params, EvalContext{t.id, seed, 1, {}});
    std::vector<double> values;
    for (const auto& o : objectives) values.push_back(m.at(o));
    return values;
  }
};

Prepared prepare_experiment(const BenchProblem& p, const Registry& registry, const fs::path& out,
                            const std::function<void(const std::string&)>& progress) {
  Prepared r;
  r.experiment = std::make_unique<Experiment>(load_experiment(p.experiment));
  r.setup = std::make_unique<SearchSetup>(experiment_setup(p, *r.experiment, registry));
  r.space = r.setup->space;
  for (const auto& o : r.setup->objectives) {
    r.objectives.push_back(o->name());
    r.directions.push_back(o->direction());
  }
  std::shared_ptr<const TaskData> data;
  if (r.setup->trains_networks()) {
    if (progress) progress("problem '" + p.label + "': loading the task's data...");
    data = std::make_shared<const TaskData>(as_dataset_task(*r.setup->task, "nac bench").load_data());
  }
  const fs::path dir = out / p.label;
  // One thread per evaluation: the bench's workers run one run each.
  r.env.reset(new detail::EvaluationEnvironment{*r.setup, data, Rng::derive(r.experiment->seed, 0x5eed).next(), 1, dir,
                                                r.objectives, PrunerConfig{}});
  r.configurations = std::make_unique<Configurations>(dir, progress);
  return r;
}

Prepared prepare(const BenchConfig& c, const BenchProblem& p, const Registry& registry, const fs::path& out,
                 const std::function<void(const std::string&)>& progress) {
  Prepared out_p;
  if (p.compresses()) {
    out_p.model = std::make_unique<ModelProblemParts>(model_problem_parts(p, registry));
    if (progress) progress("problem '" + p.label + "': loading the task's data...");
    out_p.data = std::make_shared<const TaskData>(as_dataset_task(*out_p.model->task, "nac bench").load_data());
    out_p.folder = out / p.label;
    out_p.objectives = {out_p.model->metric, "bops"};
    out_p.directions = {Direction::Minimize, Direction::Minimize};
  } else if (!p.experiment.empty()) {
    out_p = prepare_experiment(p, registry, out, progress);
  } else {
    out_p.task = registry.task(p.task.name)(p.task.config);
    out_p.problem = &as_problem_task(*out_p.task, "nac bench");
    out_p.space = out_p.problem->search_space();
    out_p.objectives = p.objectives;
    const auto metrics = out_p.problem->metrics();
    if (out_p.objectives.empty())
      for (const auto& m : metrics) out_p.objectives.push_back(m.name);
    for (const auto& o : out_p.objectives)
      for (const auto& m : metrics)
        if (m.name == o) out_p.directions.push_back(m.direction);
  }
  for (Direction d : out_p.directions) out_p.sign.push_back(d == Direction::Minimize ? 1.0 : -1.0);
  auto minimised = [&](std::vector<double> v) {
    for (std::size_t i = 0; i < v.size(); ++i) v[i] *= out_p.sign[i];
    return v;
  };
  out_p.measures = measures_for(c, out_p.objectives.size());
  const bool hv = std::find(out_p.measures.begin(), out_p.measures.end(), "hypervolume") != out_p.measures.end();
  const bool igd = std::find(out_p.measures.begin(), out_p.measures.end(), "igd") != out_p.measures.end();
  if (hv)
    out_p.reference = minimised(p.reference   ? *p.reference
                                : out_p.setup ? out_p.setup->reference_point
                                              : *out_p.problem->reference_point(out_p.objectives));
  if (igd && out_p.problem) {
    const auto front = out_p.problem->true_front(out_p.objectives, c.front_points);
    for (const auto& f : *front) out_p.front.push_back(minimised(f));
  }
  return out_p;
}

// A run's points so far (minimised) and its measures at the problem's checkpoints.
class Measures {
 public:
  Measures(const Prepared& p, const std::vector<std::size_t>& checkpoints, BenchRun& run)
      : p_(p), checkpoints_(checkpoints), run_(run), nearest_(p.front.size(), INFINITY) {}
  /// A complete evaluation's values (as reported).
  void add(std::vector<double> v) {
    for (std::size_t i = 0; i < v.size(); ++i) v[i] *= p_.sign[i];
    best_ = std::min(best_, v[0]);
    for (std::size_t j = 0; j < p_.front.size(); ++j) {
      double d = 0;
      for (std::size_t i = 0; i < v.size(); ++i) d += (v[i] - p_.front[j][i]) * (v[i] - p_.front[j][i]);
      nearest_[j] = std::min(nearest_[j], std::sqrt(d));
    }
    points_.push_back(std::move(v));
  }
  /// After the `evaluations`-th evaluation: the measures, when it is a checkpoint.
  void evaluated(std::size_t evaluations) {
    if (next_ < checkpoints_.size() && evaluations == checkpoints_[next_]) take(checkpoints_[next_++]);
  }
  /// The run ended early (a finished compression): the later checkpoints see its last points.
  void finish() {
    while (next_ < checkpoints_.size()) take(checkpoints_[next_++]);
  }

 private:
  void take(std::size_t evaluations) {
    run_.evaluations.push_back(evaluations);
    for (const auto& m : p_.measures) {
      double value = NAN;
      if (m == "best") {
        value = std::isfinite(best_) ? best_ * p_.sign[0] : NAN;
      } else if (m == "igd") {
        double sum = 0;
        for (double d : nearest_) sum += d;
        value = points_.empty() ? NAN : sum / static_cast<double>(nearest_.size());
      } else {
        std::vector<Point> front;
        for (std::size_t i : non_dominated(points_)) front.push_back(points_[i]);
        value = hypervolume(front, p_.reference);
      }
      run_.values[m].push_back(value);
    }
  }

  const Prepared& p_;
  const std::vector<std::size_t>& checkpoints_;
  std::size_t next_ = 0;  // the next checkpoint
  BenchRun& run_;
  std::vector<Point> points_;    // minimised, of complete evaluations
  std::vector<double> nearest_;  // igd: each front point's nearest
  double best_ = INFINITY;       // minimised
};

// A compression contender on a model problem: the stage once, its steps in order as the
// evaluations; checkpoints past its last step see the finished compression.
void compress_one(const Prepared& p, const BenchContender& k, const BenchProblem& problem, std::uint64_t seed,
                  const Registry& registry, std::mutex& config_mutex, BenchRun& run) {
  CompressionConfig config;
  {
    const std::lock_guard lock(config_mutex);
    config = compression_config(k.strategy.config, registry);
  }
  nn::TrainConfig recipe = p.model->recipe;
  recipe.seed = seed;
  recipe.threads = 1;  // one run per worker
  recipe.progress = false;
  const fs::path dir = p.folder / k.label / ("seed-" + std::to_string(seed));
  std::error_code ec;
  fs::remove_all(dir, ec);  // an interrupted run's files
  if (ec) throw WriteError(dir.string() + ": cannot be removed: " + ec.message());
  const CompressionReport report =
      run_compression(problem.model, as_dataset_task(*p.model->task, "nac bench"), *p.data, recipe, config, dir, false);
  Measures measures(p, problem.checkpoints, run);
  for (std::size_t e = 1; e <= std::min(report.rows.size(), problem.evaluations); ++e) {
    const CompressionRow& row = report.rows[e - 1];
    ++run.trials;
    if (row.step.failed) ++run.failed_trials;
    else measures.add({row.step.metrics.at(p.model->metric), row.bops});
    measures.evaluated(e);
  }
  measures.finish();
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
    if (k.compression) {
      compress_one(p, k, problem, seed, registry, config_mutex, run);
    } else {
      std::unique_ptr<SearchStrategy> s;
      {
        const std::lock_guard lock(config_mutex);
        s = registry.strategy(k.strategy.name)(k.strategy.config, StrategyContext{p.space, p.directions, seed});
      }
      Measures measures(p, problem.checkpoints, run);
      const auto deadline =
          c.seconds > 0 ? start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(c.seconds))
                        : Clock::time_point::max();
      for (std::size_t e = 1; e <= problem.evaluations && Clock::now() < deadline; ++e) {
        auto t0 = Clock::now();
        const Trial t = s->ask();
        sampler += Clock::now() - t0;
        TrialResult r;
        try {
          r.values = p.evaluate(t, seed);
        } catch (const WriteError&) {
          throw;  // the machine's fault (a full disk), not the configuration's: the run fails
        } catch (const std::exception& ex) {
          r = TrialResult::failed(ex.what());
          ++run.failed_trials;
        }
        t0 = Clock::now();
        s->tell(t.id, r);
        sampler += Clock::now() - t0;
        ++run.trials;
        if (r.status == TrialStatus::Complete) measures.add(r.values);
        measures.evaluated(e);
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
  const std::string text = detail::read_text(c.file);
  fs::create_directories(out);
  detail::FolderLock lock(out);
  const fs::path saved = out / "bench.toml", log = out / "runs.jsonl";
  // The runs of an earlier, interrupted bench of the same file are kept.
  using Key = std::tuple<std::string, std::string, std::uint64_t>;
  std::map<Key, BenchRun> done;
  if (fs::exists(saved)) {
    if (detail::read_text(saved) != text)
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
  for (const auto& p : c.problems) problems.push_back(prepare(c, p, registry, out, progress));
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
  for (std::size_t i = 0; i < problems.size(); ++i)
    if (problems[i].configurations && progress)
      progress("problem '" + c.problems[i].label + "': " + problems[i].configurations->summary());

  std::vector<BenchRun> runs;
  for (const auto& p : c.problems)
    for (const auto& k : c.contenders)
      if (p.runs(k.label))
        for (std::uint64_t seed : c.seeds) runs.push_back(done.at({p.label, k.label, seed}));
  return runs;
}

}  // namespace nac
