#pragma once
// An Objective turns an evaluated candidate into one number to minimise or maximise: a task
// metric (the error), or a cost read from the model (BOPs, MACs, parameters, latency).
//
// Threads: an objective is made once per run; evaluate() is called for each finished candidate
// from the worker thread that evaluated it, so from up to `search.workers` threads at once: it
// must be const in effect (no unsynchronised state).
#include <string>

#include "nac/assignment.hpp"
#include "nac/metrics.hpp"
#include "nac/model_spec.hpp"
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac {

/// What an objective can look at.
struct Candidate {
  const Assignment& params;
  const Metrics& metrics;            // what the task reported
  const ModelSpec* model = nullptr;  // the network, for dataset tasks; nullptr for problems
};

class Objective {
 public:
  virtual ~Objective() = default;
  virtual std::string name() const = 0;
  virtual Direction direction() const = 0;
  /// Throws nac::Error (the trial is reported as failed) if the candidate lacks what is needed.
  virtual double evaluate(const Candidate& candidate) const = 0;
};

/// The built-in objective that reads a task metric by name.
class MetricObjective final : public Objective {
 public:
  explicit MetricObjective(MetricInfo info) : info_(std::move(info)) {}
  std::string name() const override { return info_.name; }
  Direction direction() const override { return info_.direction; }
  double evaluate(const Candidate& candidate) const override;

 private:
  MetricInfo info_;
};

}  // namespace nac
NAC_PUBLIC_END
