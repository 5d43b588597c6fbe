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
};

/// ZDT1, ZDT2, ZDT3, ZDT4, ZDT6 (Zitzler, Deb, Thiele 2000): two objectives, `variables` genes.
Problem make_zdt(int which, std::int64_t variables);
/// DTLZ2 (Deb, Thiele, Laumanns, Zitzler 2002): `objectives` objectives, `variables` genes.
Problem make_dtlz2(std::int64_t objectives, std::int64_t variables);
/// A hierarchical space like the block search: `slots` slots choosing conv / attn / none with
/// their own sub-parameters, and a log-scaled learning rate. One objective, optimum near 0.
Problem make_conditional(std::int64_t slots);

/// ZDT`which`'s two objectives of the genes x (which = 1, 2, 3, 4 or 6).
std::vector<double> zdt(int which, const std::vector<double>& x);
/// The conditional problem's space and value, for `slots` slots.
std::shared_ptr<SearchSpace> conditional_space(std::int64_t slots);
double conditional_value(const Assignment& a, std::int64_t slots);

}  // namespace nac::test_functions
