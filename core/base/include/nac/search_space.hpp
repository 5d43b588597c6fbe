#pragma once
// Hierarchical search spaces: float, integer and categorical parameters, log scale and steps,
// and conditions that make a parameter active only when a parent parameter takes given values.
//
// Strategies work in *internal coordinates*, one real number per parameter (a genome):
//   float   -> the value, or its natural log when log-scaled;
//   integer -> the value (or log), with bounds widened by half a step so that rounding a uniform
//              draw gives every grid point the same probability;
//   categorical -> the index of the choice, in [-0.5, n - 0.5].
// from_internal() snaps any real number to a valid value (clamped, on the step grid, rounded),
// so variation operators may produce any number and still yield a valid configuration.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nac/assignment.hpp"
#include "nac/rng.hpp"
#include "nac/value.hpp"
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac {

enum class ParamKind { Float, Int, Categorical };
const char* to_string(ParamKind kind);

/// A parameter is active only if its parent is active and holds one of `values`.
struct Condition {
  std::string parent;
  std::vector<Value> values;

  /// The parent's value is one of `values`.
  bool holds(const Value& parent_value) const;
};

class Parameter {
 public:
  static Parameter real(std::string name, double low, double high);
  static Parameter integer(std::string name, std::int64_t low, std::int64_t high);
  static Parameter categorical(std::string name, std::vector<Value> choices);

  Parameter&& log_scale() &&;             // float/int: sample and vary on a log scale (low > 0)
  Parameter&& with_step(double step) &&;  // float: a grid low, low+step, ...; int: integer step
  Parameter&& when(std::string parent, std::vector<Value> values) &&;

  const std::string& name() const { return name_; }
  ParamKind kind() const { return kind_; }
  double low() const { return low_; }
  double high() const { return high_; }  // the largest value on the grid
  bool log() const { return log_; }
  double step() const { return step_; }  // 0: continuous float
  const std::vector<Value>& choices() const { return choices_; }
  const std::optional<Condition>& condition() const { return condition_; }

  double internal_low() const;
  double internal_high() const;
  /// Snap an internal coordinate to a valid value (see the header comment).
  Value from_internal(double x) const;
  /// Internal coordinate of a valid value; throws nac::Error if the value is not in the domain.
  double to_internal(const Value& v) const;
  bool contains(const Value& v) const;
  /// A short description of the domain, e.g. "int in [2, 64], log" or "one of {conv, none}".
  std::string describe() const;

 private:
  friend class SearchSpace;
  Parameter(std::string name, ParamKind kind) : name_(std::move(name)), kind_(kind) {}
  void check() const;  // throws nac::Error for an invalid definition

  std::string name_;
  ParamKind kind_;
  double low_ = 0, high_ = 0, step_ = 0;
  bool log_ = false;
  std::vector<Value> choices_;
  std::optional<Condition> condition_;
};

class SearchSpace {
 public:
  /// Adds a parameter. Names are unique; a condition's parent must already be in the space and be
  /// an integer or categorical parameter, and its values must be in the parent's domain.
  void add(Parameter p);
  /// Adds every parameter of `sub` with names prefixed "prefix.", and makes its unconditional
  /// parameters conditional on `condition` (how a block's sub-space hangs under a slot choice).
  void add_subspace(const std::string& prefix, const SearchSpace& sub, std::optional<Condition> condition);

  const std::vector<Parameter>& parameters() const { return params_; }
  std::size_t size() const { return params_.size(); }
  bool empty() const { return params_.empty(); }
  std::optional<std::size_t> index_of(const std::string& name) const;
  const Parameter& at(const std::string& name) const;
  /// Index of each parameter's parent, or -1 (parents always come first).
  const std::vector<int>& parent_index() const { return parent_; }

  /// Which parameters are active for a genome of internal coordinates.
  std::vector<bool> active(const std::vector<double>& genome) const;
  /// The assignment of the active parameters of a genome.
  Assignment decode(const std::vector<double>& genome) const;
  /// A genome for an assignment: its active values; inactive genes are drawn from `rng`.
  /// Throws nac::Error if the assignment is not valid for this space (see validate).
  std::vector<double> encode(const Assignment& a, Rng& rng) const;
  /// A uniformly random genome (every gene drawn, active or not).
  std::vector<double> sample(Rng& rng) const;
  /// Throws nac::Error unless `a` holds exactly the active parameters, each within its domain.
  void validate(const Assignment& a) const;

 private:
  std::vector<Parameter> params_;
  std::vector<int> parent_;
};

}  // namespace nac
NAC_PUBLIC_END
