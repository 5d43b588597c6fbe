#include "search/ranking.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace nac::search {

double total_violation(const std::vector<double>& constraints) {
  double sum = 0;
  for (double c : constraints) {
    if (std::isnan(c)) return std::numeric_limits<double>::infinity();
    if (c > 0) sum += c;
  }
  return sum;
}

Fitness fitness_of(const SearchStrategy& strategy, const TrialResult& result) {
  Fitness f;
  if (result.status != TrialStatus::Complete) {
    f.failed = true;
    return f;
  }
  f.values = strategy.minimized(result.values);
  for (double v : f.values)
    if (!std::isfinite(v)) {
      f.failed = true;
      f.values.clear();
      return f;
    }
  f.violation = total_violation(result.constraints);
  return f;
}

namespace {

bool dominates2(const Point& a, const Point& b) { return a[0] <= b[0] && a[1] <= b[1] && (a[0] < b[0] || a[1] < b[1]); }

// Two objectives: sweep the points sorted by (f1, f2). The last member added to each front has
// that front's smallest f2, and a point is dominated by some member of a front exactly when it is
// dominated by that last member; "front k dominates p" holds for k below p's front and fails from
// there on, so p's front is found by binary search.
std::vector<std::vector<std::size_t>> fronts_2d(const std::vector<Point>& pts) {
  std::vector<std::size_t> order(pts.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return pts[a][0] < pts[b][0] || (pts[a][0] == pts[b][0] && pts[a][1] < pts[b][1]);
  });
  std::vector<std::vector<std::size_t>> fronts;
  std::vector<std::size_t> last;  // the last member of each front
  for (std::size_t p : order) {
    std::size_t lo = 0, hi = fronts.size();
    while (lo < hi) {
      const std::size_t mid = (lo + hi) / 2;
      if (dominates2(pts[last[mid]], pts[p])) lo = mid + 1;
      else hi = mid;
    }
    if (lo == fronts.size()) {
      fronts.emplace_back();
      last.push_back(p);
    }
    fronts[lo].push_back(p);
    last[lo] = p;
  }
  for (auto& f : fronts) std::sort(f.begin(), f.end());
  return fronts;
}

// Any number of objectives: ENS-SS (Zhang et al. 2015). After a lexicographic sort only earlier
// points can dominate later ones, and a point belongs to the first front none of whose members
// dominates it.
std::vector<std::vector<std::size_t>> fronts_nd(const std::vector<Point>& pts) {
  std::vector<std::size_t> order(pts.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return pts[a] < pts[b]; });
  std::vector<std::vector<std::size_t>> fronts;
  for (std::size_t p : order) {
    std::size_t k = 0;
    for (; k < fronts.size(); ++k) {
      bool dominated = false;
      for (auto it = fronts[k].rbegin(); it != fronts[k].rend() && !dominated; ++it)
        dominated = dominates(pts[*it], pts[p]);
      if (!dominated) break;
    }
    if (k == fronts.size()) fronts.emplace_back();
    fronts[k].push_back(p);
  }
  for (auto& f : fronts) std::sort(f.begin(), f.end());
  return fronts;
}

}  // namespace

std::vector<std::vector<std::size_t>> non_dominated_fronts(const std::vector<Point>& points) {
  if (points.empty()) return {};
  if (points.front().size() == 2) return fronts_2d(points);
  if (points.front().size() == 1) {
    // One objective: equal values share a front.
    std::vector<std::size_t> order(points.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return points[a][0] < points[b][0]; });
    std::vector<std::vector<std::size_t>> fronts;
    for (std::size_t i = 0; i < order.size(); ++i) {
      if (i == 0 || points[order[i]][0] != points[order[i - 1]][0]) fronts.emplace_back();
      fronts.back().push_back(order[i]);
    }
    for (auto& f : fronts) std::sort(f.begin(), f.end());
    return fronts;
  }
  return fronts_nd(points);
}

std::vector<std::vector<std::size_t>> constrained_fronts(const std::vector<Fitness>& items) {
  std::vector<std::size_t> feasible, infeasible, failed;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (items[i].failed) failed.push_back(i);
    else if (items[i].violation > 0) infeasible.push_back(i);
    else feasible.push_back(i);
  }
  std::vector<std::vector<std::size_t>> fronts;
  if (!feasible.empty()) {
    std::vector<Point> pts;
    pts.reserve(feasible.size());
    for (std::size_t i : feasible) pts.push_back(items[i].values);
    for (auto& f : non_dominated_fronts(pts)) {
      for (auto& i : f) i = feasible[i];
      fronts.push_back(std::move(f));
    }
  }
  std::stable_sort(infeasible.begin(), infeasible.end(),
                   [&](std::size_t a, std::size_t b) { return items[a].violation < items[b].violation; });
  for (std::size_t k = 0; k < infeasible.size(); ++k) {
    if (k == 0 || items[infeasible[k]].violation != items[infeasible[k - 1]].violation) fronts.emplace_back();
    fronts.back().push_back(infeasible[k]);
  }
  if (!failed.empty()) fronts.push_back(std::move(failed));
  return fronts;
}

namespace {

template <class Values>
std::vector<double> crowding_impl(const std::vector<std::size_t>& front, Values values_of) {
  const std::size_t n = front.size();
  std::vector<double> d(n, 0.0);
  if (n == 0) return d;
  const std::vector<double>* first = &values_of(front[0]);
  if (first->empty()) return d;  // failed members: no objectives to crowd on
  const std::size_t m = first->size();
  if (n <= 2) {
    std::fill(d.begin(), d.end(), std::numeric_limits<double>::infinity());
    return d;
  }
  std::vector<std::size_t> order(n);
  for (std::size_t k = 0; k < m; ++k) {
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return values_of(front[a])[k] < values_of(front[b])[k]; });
    const double lo = values_of(front[order.front()])[k], hi = values_of(front[order.back()])[k];
    d[order.front()] = d[order.back()] = std::numeric_limits<double>::infinity();
    const double range = hi - lo;
    if (!(range > 0)) continue;
    for (std::size_t i = 1; i + 1 < n; ++i)
      d[order[i]] += (values_of(front[order[i + 1]])[k] - values_of(front[order[i - 1]])[k]) / range;
  }
  return d;
}

}  // namespace

std::vector<double> crowding_distance(const std::vector<Fitness>& items, const std::vector<std::size_t>& front) {
  for (std::size_t i : front)
    if (items[i].values.empty()) return std::vector<double>(front.size(), 0.0);
  return crowding_impl(front, [&](std::size_t i) -> const std::vector<double>& { return items[i].values; });
}

std::vector<double> crowding_distance(const std::vector<Point>& points, const std::vector<std::size_t>& front) {
  return crowding_impl(front, [&](std::size_t i) -> const std::vector<double>& { return points[i]; });
}

std::vector<std::size_t> select_best(const std::vector<Fitness>& items, std::size_t n,
                                     std::vector<RankedItem>* ranked) {
  const auto fronts = constrained_fronts(items);
  if (ranked) ranked->assign(items.size(), RankedItem{});
  std::vector<std::size_t> chosen;
  chosen.reserve(std::min(n, items.size()));
  for (std::size_t r = 0; r < fronts.size(); ++r) {
    const auto& front = fronts[r];
    const bool whole = chosen.size() + front.size() <= n;
    if (chosen.size() >= n && !ranked) break;
    std::vector<double> d;
    if (ranked || !whole) {
      d = crowding_distance(items, front);
      if (ranked)
        for (std::size_t k = 0; k < front.size(); ++k) (*ranked)[front[k]] = RankedItem{static_cast<int>(r), d[k]};
    }
    if (chosen.size() >= n) continue;
    if (whole) {
      chosen.insert(chosen.end(), front.begin(), front.end());
      continue;
    }
    std::vector<std::size_t> order(front.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return d[a] > d[b]; });
    for (std::size_t k = 0; chosen.size() < n; ++k) chosen.push_back(front[order[k]]);
  }
  return chosen;
}

}  // namespace nac::search
