#pragma once
// Internal: the runner's workers. Trials go in as they are asked and come out as they finish, so
// a worker that is done takes the next trial at once (no batch barrier). One worker runs on the
// caller's thread (inside next()), more on threads of their own.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "nac/run/runner.hpp"
#include "nac/search_strategy.hpp"

namespace nac::detail {

class WorkerPool {
 public:
  /// `evaluate` runs on the workers, several at once; it may throw (a file that cannot be
  /// written): the pool then starts no further trial and next() rethrows once the running ones end.
  WorkerPool(std::size_t workers, std::function<TrialRecord(const Trial&)> evaluate);
  ~WorkerPool();  // lets the running trials finish, drops the waiting ones
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void submit(Trial trial);
  /// A finished trial: waits for one if none has finished. Trials waiting or running: at least one.
  TrialRecord next();
  /// A finished trial if one is ready now.
  std::optional<TrialRecord> try_next();
  /// Seconds the workers spent evaluating, summed over workers.
  double busy_seconds() const;

 private:
  void work();
  std::optional<TrialRecord> take_finished();  // (with mutex_ held) rethrows a fault

  std::function<TrialRecord(const Trial&)> evaluate_;
  mutable std::mutex mutex_;
  std::condition_variable work_ready_, result_ready_;
  std::deque<Trial> waiting_;
  std::deque<TrialRecord> finished_;
  std::size_t running_ = 0;
  std::exception_ptr fault_;
  bool stop_ = false;
  double busy_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace nac::detail
