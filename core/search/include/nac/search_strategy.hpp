#pragma once
// Search strategies: define-by-space, ask/tell, batches for parallel workers, seeds (known
// configurations evaluated first), failures, any number of objectives with their directions.
//
// A strategy proposes genomes (internal coordinates, one per parameter of the space, inactive
// genes included, see search_space.hpp); the base class turns them into Trials, serves enqueued
// seeds first, numbers trials, and keeps the set of trials asked but not yet told.
//
// Threads: a strategy is used from one thread only (the runner's): ask, tell, save_state and
// load_state are never called concurrently, so a strategy needs no locks; the trials it asks for
// are evaluated in parallel elsewhere. Resuming: save_own_state must return everything propose
// and observe depend on beyond what the base class keeps (its random generator, numbering, queue
// and pending trials), so that load_own_state continues exactly where the saved run stood; a
// strategy that cannot do so keeps the default, which throws, and its runs cannot be resumed.
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "nac/assignment.hpp"
#include "nac/metrics.hpp"
#include "nac/rng.hpp"
#include "nac/search_space.hpp"
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac {

struct Trial {
  std::uint64_t id = 0;
  std::vector<double> genome;  // internal coordinates of every parameter
  Assignment params;           // the active parameters, decoded from the genome
};

enum class TrialStatus { Complete, Failed };
const char* to_string(TrialStatus s);

struct TrialResult {
  TrialStatus status = TrialStatus::Complete;
  std::vector<double> values;       // one per objective, in the strategy's direction order
  std::vector<double> constraints;  // optional; a value <= 0 is satisfied, > 0 is the violation
  std::string message;              // why a trial failed

  static TrialResult failed(std::string why) { return TrialResult{TrialStatus::Failed, {}, {}, std::move(why)}; }
};

struct StrategyContext {
  std::shared_ptr<const SearchSpace> space;
  std::vector<Direction> directions;  // one per objective
  std::uint64_t seed = 0;
};

class SearchStrategy {
 public:
  explicit SearchStrategy(StrategyContext context);
  virtual ~SearchStrategy() = default;
  SearchStrategy(const SearchStrategy&) = delete;
  SearchStrategy& operator=(const SearchStrategy&) = delete;

  /// The next configuration to evaluate: an enqueued seed if any, else the strategy's proposal.
  Trial ask();
  /// n configurations at once (parallel workers); strategies that learn from results see the
  /// earlier ones of the batch as pending() while proposing the later ones.
  std::vector<Trial> ask(std::size_t n);
  /// The outcome of an asked trial. Throws nac::Error for an unknown trial id or a result with
  /// the wrong number of objective values.
  void tell(std::uint64_t trial_id, const TrialResult& result);
  /// A known configuration to evaluate before any proposal (validated against the space).
  void enqueue(const Assignment& params);

  const SearchSpace& space() const { return *context_.space; }
  const std::vector<Direction>& directions() const { return context_.directions; }
  const std::map<std::uint64_t, Trial>& pending() const { return pending_; }
  std::uint64_t trials_asked() const { return next_id_; }

  /// Objective values turned to minimisation (maximised objectives negated).
  std::vector<double> minimized(const std::vector<double>& values) const;

  /// Serialisable state, so a long search can resume; strategies that cannot resume throw.
  nlohmann::json save_state() const;
  void load_state(const nlohmann::json& state);

 protected:
  /// A new genome to evaluate (size space().size()); may consult pending() and past results.
  virtual std::vector<double> propose() = 0;
  /// Learns from a finished trial (complete or failed).
  virtual void observe(const Trial& trial, const TrialResult& result) = 0;
  /// The strategy's own part of the state (default: not resumable, throws nac::Error).
  virtual nlohmann::json save_own_state() const;
  virtual void load_own_state(const nlohmann::json& state);
  virtual std::string strategy_name() const = 0;

  Rng& rng() { return rng_; }

 private:
  StrategyContext context_;
  Rng rng_;
  std::uint64_t next_id_ = 0;
  std::deque<std::vector<double>> queued_;
  std::map<std::uint64_t, Trial> pending_;
};

}  // namespace nac
NAC_PUBLIC_END
