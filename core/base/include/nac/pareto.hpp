#pragma once
// Pareto dominance for minimisation problems (turn maximised objectives around first, see
// SearchStrategy::minimized).
#include <cstddef>
#include <vector>
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac {

using Point = std::vector<double>;

/// a dominates b: no worse in every objective and better in at least one.
bool dominates(const Point& a, const Point& b);

/// Indices of the non-dominated points, in input order. Duplicated points are all kept.
std::vector<std::size_t> non_dominated(const std::vector<Point>& points);

}  // namespace nac
NAC_PUBLIC_END
