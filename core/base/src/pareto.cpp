#include "nac/pareto.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace nac {

bool dominates(const Point& a, const Point& b) {
  bool better = false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] > b[i]) return false;
    if (a[i] < b[i]) better = true;
  }
  return better;
}

namespace {

// Any number of objectives: every pair, O(N^2 d).
std::vector<std::size_t> non_dominated_pairwise(const std::vector<Point>& points) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < points.size(); ++i) {
    bool dominated = false;
    for (std::size_t j = 0; j < points.size() && !dominated; ++j) dominated = j != i && dominates(points[j], points[i]);
    if (!dominated) out.push_back(i);
  }
  return out;
}

// Two finite objectives: a sweep in order of (f0, f1), O(N log N). A point is non-dominated
// when it has the smallest f1 among the points of its f0 and that f1 is below every f1 seen at
// a smaller f0 (equal points do not dominate each other, so duplicates are all kept).
std::vector<std::size_t> non_dominated_2d(const std::vector<Point>& points) {
  std::vector<std::size_t> order(points.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return points[a][0] != points[b][0] ? points[a][0] < points[b][0] : points[a][1] < points[b][1];
  });
  std::vector<char> kept(points.size(), 0);
  double best = std::numeric_limits<double>::infinity();  // smallest f1 at a smaller f0
  for (std::size_t g = 0; g < order.size();) {
    std::size_t end = g;
    while (end < order.size() && points[order[end]][0] == points[order[g]][0]) ++end;
    const double group_min = points[order[g]][1];
    for (std::size_t i = g; i < end && points[order[i]][1] == group_min; ++i) kept[order[i]] = group_min < best;
    best = std::min(best, group_min);
    g = end;
  }
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < points.size(); ++i)
    if (kept[i]) out.push_back(i);
  return out;
}

}  // namespace

std::vector<std::size_t> non_dominated(const std::vector<Point>& points) {
  const bool two_d = std::all_of(points.begin(), points.end(), [](const Point& p) {
    return p.size() == 2 && std::isfinite(p[0]) && std::isfinite(p[1]);
  });
  return two_d ? non_dominated_2d(points) : non_dominated_pairwise(points);
}

}  // namespace nac
