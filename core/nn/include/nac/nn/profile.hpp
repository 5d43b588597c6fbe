#pragma once
// Where training spends its time. While a Profile is installed on a thread (ProfileScope), the
// engine adds to it: each layer's forward and backward seconds (training and evaluation apart),
// the phases of the training loop (data, forward, loss, backward, optimizer, validation, copies
// of the best weights), the work inside layers that is not arithmetic (oneDNN primitive
// creation, weight reorders), and every tensor allocation. With no profile installed the cost is
// one thread-local read per layer call. `nac train --profile` prints the report (docs/nn_engine.md).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "nac/model_spec.hpp"
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac::nn {

class Profile {
 public:
  struct LayerTimes {
    std::string name, op;                                      // op: the layer's op, "conv2d+relu" for a fused pair
    int depth = 0;                                             // 0: a layer of the model; 1: inside a residual, ...
    double train_forward = 0, backward = 0, eval_forward = 0;  // seconds
    std::int64_t train_samples = 0, backward_samples = 0, eval_samples = 0;
  };

  void add_layer(const std::string& name, const std::string& op, bool backward, bool training, std::int64_t samples,
                 double seconds);
  /// Adds seconds to a phase (phases keep the order of their first use).
  void add_phase(const std::string& phase, double seconds);
  void count_allocation(std::size_t bytes);
  /// Marks the end of the first training step (allocations after it are counted apart).
  void first_step_done() { first_step_done_ = true; }

  int depth() const { return depth_; }
  void enter() { ++depth_; }
  void leave() { --depth_; }

  const std::vector<LayerTimes>& layers() const { return layers_; }
  double phase(const std::string& name) const;
  const std::vector<std::pair<std::string, double>>& phases() const { return phases_; }
  std::int64_t allocations() const { return allocations_; }
  std::int64_t allocations_after_first_step() const { return later_allocations_; }
  std::size_t allocated_bytes() const { return allocated_bytes_; }

  /// A readable report: phases with shares of `total_seconds`, then one row per layer with its
  /// milliseconds per training step and GFLOP/s (MACs per sample from the spec's costs).
  std::string report(const ModelSpec& spec, double total_seconds, std::int64_t steps) const;

 private:
  std::vector<LayerTimes> layers_;
  std::map<std::string, std::size_t> index_;
  std::vector<std::pair<std::string, double>> phases_;
  std::int64_t allocations_ = 0, later_allocations_ = 0;
  std::size_t allocated_bytes_ = 0;
  bool first_step_done_ = false;
  int depth_ = 0;
};

/// The profile installed on this thread, or nullptr.
Profile* active_profile();

/// Installs a profile on this thread for its lifetime (restoring the one before).
class ProfileScope {
 public:
  explicit ProfileScope(Profile& p);
  ~ProfileScope();
  ProfileScope(const ProfileScope&) = delete;
  ProfileScope& operator=(const ProfileScope&) = delete;

 private:
  Profile* saved_;
};

/// Adds the seconds of its lifetime to a phase of the installed profile (none: does nothing).
class PhaseTimer {
 public:
  explicit PhaseTimer(const char* phase) : profile_(active_profile()), phase_(phase) {
    if (profile_) t0_ = std::chrono::steady_clock::now();
  }
  ~PhaseTimer() {
    if (profile_)
      profile_->add_phase(phase_, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count());
  }
  PhaseTimer(const PhaseTimer&) = delete;
  PhaseTimer& operator=(const PhaseTimer&) = delete;

 private:
  Profile* profile_;
  const char* phase_;
  std::chrono::steady_clock::time_point t0_;
};

}  // namespace nac::nn
NAC_PUBLIC_END
