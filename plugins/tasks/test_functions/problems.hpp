#pragma once
// The benchmark problems of the test_functions task. Each is a pure function of an assignment,
// so evaluations can run in parallel. Built as a static library that the strategy tests and
// benchmarks use too (the functions below the problems are theirs).
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "nac/assignment.hpp"
#include "nac/search_space.hpp"

namespace nac::test_functions {

struct Problem {
  std::string name;
  std::shared_ptr<const SearchSpace> space;
  std::vector<std::string> metric_names;
  std::vector<double> reference_point;
  std::function<std::vector<double>(const Assignment&)> evaluate;
  /// About n points of the true Pareto front (empty: unknown).
  std::function<std::vector<std::vector<double>>(std::size_t n)> true_front;
};

/// ZDT1, ZDT2, ZDT3, ZDT4, ZDT6 (Zitzler, Deb, Thiele 2000): two objectives, `variables` genes.
Problem make_zdt(int which, std::int64_t variables);
/// DTLZ1, 2, 3, 4 or 7 (Deb, Thiele, Laumanns, Zitzler 2002): `objectives` objectives,
/// `variables` genes (at least `objectives`).
Problem make_dtlz(int which, std::int64_t objectives, std::int64_t variables);
/// The default number of variables of DTLZ`which`: objectives - 1 + k, k = 5 (DTLZ1), 10
/// (DTLZ2-4) or 20 (DTLZ7), as the paper sets them.
std::int64_t dtlz_default_variables(int which, std::int64_t objectives);
/// DTLZ`which`'s objectives of the genes x.
std::vector<double> dtlz(int which, const std::vector<double>& x, std::size_t objectives);

/// Das and Dennis's points on the unit simplex (coordinates >= 0 summing to 1) in m dimensions
/// with the most divisions that give at most n points (at least 1 division).
std::vector<std::vector<double>> simplex_lattice(std::size_t m, std::size_t n);
/// The points of `points` that no other point dominates (minimisation), each once, sorted.
std::vector<std::vector<double>> nondominated(const std::vector<std::vector<double>>& points);
/// Every k-th of `points` (the first included), k the smallest that leaves at most n.
std::vector<std::vector<double>> thin(const std::vector<std::vector<double>>& points, std::size_t n);
/// A hierarchical space like the block search: `slots` slots choosing conv / attn / none with
/// their own sub-parameters, and a log-scaled learning rate. One objective, optimum near 0.
Problem make_conditional(std::int64_t slots);

/// The genes x0 .. x(n-1) of an assignment, and the box space of n of them (x0 in [low0, high0],
/// the others in [low, high]).
std::vector<double> genes(const Assignment& a, std::int64_t n);
std::shared_ptr<const SearchSpace> box(std::int64_t n, double low0, double high0, double low, double high);

/// ZDT`which`'s two objectives of the genes x (which = 1, 2, 3, 4 or 6).
std::vector<double> zdt(int which, const std::vector<double>& x);
/// The conditional problem's space and value, for `slots` slots.
std::shared_ptr<SearchSpace> conditional_space(std::int64_t slots);
double conditional_value(const Assignment& a, std::int64_t slots);

}  // namespace nac::test_functions
