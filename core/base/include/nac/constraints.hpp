#pragma once
// Constraints of a search ([constraints] in an experiment file): bounds on a metric or objective
// that a trial must keep to be feasible. An infeasible trial is still recorded, and the
// strategies rank it after every feasible one (by how far it is off); it never enters the front.
//
//   [constraints]
//   error = { max = "constant_error" }   # never worse than predicting the mean label
//   bops = { max = 5e8 }                 # a bound by number
//   parameters = { min = 1000, max = 2e5 }
//
// A name is any objective of the search or any metric the task reports; a bound is a number or
// the name of another. The violation of `x <= b` is (x - b) / |b| (b = 0: x - b), of `x >= b`
// it is (b - x) / |b|; a value <= 0 means the constraint holds.
#include <string>
#include <vector>

#include "nac/config.hpp"
#include "nac/metrics.hpp"
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac {

struct Constraint {
  std::string name;        // the metric or objective bounded
  bool upper = true;       // true: name <= bound; false: name >= bound
  double bound = 0;        // the bound, when bound_name is empty
  std::string bound_name;  // or another metric or objective
  std::string where;       // file:line:col, for messages

  /// e.g. "error <= constant_error", "bops <= 5e+08".
  std::string describe() const;
};

/// Reads a [constraints] table (absent or empty: none). Throws nac::Error with file:line:col.
std::vector<Constraint> read_constraints(const ConfigTable& table);

/// Checks that every name and bound name is among `known` (did-you-mean otherwise).
void check_constraint_names(const std::vector<Constraint>& constraints, const std::vector<std::string>& known);

/// The violations of a trial, one per constraint, from its objectives (by name) and metrics.
/// Throws nac::Error (the trial fails) if a value is missing or not a number.
std::vector<double> constraint_violations(const std::vector<Constraint>& constraints,
                                          const std::vector<std::string>& objective_names,
                                          const std::vector<double>& objective_values, const Metrics& metrics);

/// All violations <= 0 (true when there are none).
bool feasible(const std::vector<double>& violations);

}  // namespace nac
NAC_PUBLIC_END
