#include "worker_pool.hpp"

#include <chrono>

#include "nac/error.hpp"

namespace nac::detail {

namespace {
double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

WorkerPool::WorkerPool(std::size_t workers, std::function<TrialRecord(const Trial&)> evaluate)
    : evaluate_(std::move(evaluate)) {
  if (workers > 1)
    for (std::size_t w = 0; w < workers; ++w) threads_.emplace_back([this] { work(); });
}

WorkerPool::~WorkerPool() {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
    waiting_.clear();
  }
  work_ready_.notify_all();
  for (auto& t : threads_) t.join();
}

void WorkerPool::submit(Trial trial) {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    waiting_.push_back(std::move(trial));
  }
  work_ready_.notify_one();
}

void WorkerPool::work() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    work_ready_.wait(lock, [&] { return stop_ || !waiting_.empty(); });
    if (waiting_.empty()) return;  // (stopped)
    Trial trial = std::move(waiting_.front());
    waiting_.pop_front();
    ++running_;
    lock.unlock();
    const auto t0 = std::chrono::steady_clock::now();
    std::optional<TrialRecord> record;
    std::exception_ptr fault;
    try {
      record = evaluate_(trial);
    } catch (...) {  // never out of a worker thread: the others finish, then next() rethrows
      fault = std::current_exception();
    }
    const double took = seconds_since(t0);
    lock.lock();
    --running_;
    busy_ += took;
    if (fault) {
      if (!fault_) fault_ = fault;
      waiting_.clear();  // no further trial starts
    } else {
      finished_.push_back(std::move(*record));
    }
    result_ready_.notify_all();
  }
}

std::optional<TrialRecord> WorkerPool::take_finished() {
  if (fault_ && running_ == 0) std::rethrow_exception(fault_);
  if (fault_ || finished_.empty()) return std::nullopt;
  TrialRecord r = std::move(finished_.front());
  finished_.pop_front();
  return r;
}

TrialRecord WorkerPool::next() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (threads_.empty()) {  // one worker: the caller's thread evaluates
    if (auto r = take_finished()) return std::move(*r);
    if (waiting_.empty()) throw Error("internal: WorkerPool::next() with no trial submitted");
    Trial trial = std::move(waiting_.front());
    waiting_.pop_front();
    lock.unlock();
    const auto t0 = std::chrono::steady_clock::now();
    TrialRecord r = evaluate_(trial);  // (a fault goes straight to the caller: nothing else runs)
    lock.lock();
    busy_ += seconds_since(t0);
    return r;
  }
  for (;;) {
    if (auto r = take_finished()) return std::move(*r);
    if (!fault_ && waiting_.empty() && running_ == 0 && finished_.empty())
      throw Error("internal: WorkerPool::next() with no trial submitted");
    result_ready_.wait(lock);
  }
}

std::optional<TrialRecord> WorkerPool::try_next() {
  const std::lock_guard<std::mutex> lock(mutex_);
  return take_finished();
}

double WorkerPool::busy_seconds() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return busy_;
}

}  // namespace nac::detail
