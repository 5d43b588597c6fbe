#include <cmath>
#include <limits>
#include <random>

#include <doctest/doctest.h>

#include "nac/pareto.hpp"

using namespace nac;

TEST_CASE("dominance for minimisation") {
  CHECK(dominates({1, 2}, {2, 2}));
  CHECK(dominates({1, 1}, {2, 2}));
  CHECK_FALSE(dominates({1, 2}, {1, 2}));  // equal: neither dominates
  CHECK_FALSE(dominates({1, 3}, {2, 2}));  // a trade-off
  CHECK_FALSE(dominates({2, 2}, {1, 2}));
}

TEST_CASE("non-dominated set of a hand-made cloud") {
  // (1,5) (2,3) (4,1) are the front; (3,4) is dominated by (2,3); (5,5) by all; (2,3) repeated.
  const std::vector<Point> pts{{3, 4}, {1, 5}, {2, 3}, {5, 5}, {4, 1}, {2, 3}};
  CHECK(non_dominated(pts) == std::vector<std::size_t>{1, 2, 4, 5});
}

TEST_CASE("the two-objective sweep agrees with pairwise dominance") {
  // Random clouds on a coarse grid (many ties and duplicates), checked against the definition.
  std::mt19937_64 rng(5);
  std::uniform_int_distribution<int> coord(0, 6);
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<Point> pts(static_cast<std::size_t>(1 + trial % 40));
    for (Point& p : pts) p = {static_cast<double>(coord(rng)), static_cast<double>(coord(rng))};
    std::vector<std::size_t> expected;
    for (std::size_t i = 0; i < pts.size(); ++i) {
      bool dominated = false;
      for (const Point& q : pts) dominated = dominated || dominates(q, pts[i]);
      if (!dominated) expected.push_back(i);
    }
    CAPTURE(trial);
    CHECK(non_dominated(pts) == expected);
  }
  // Three objectives and NaN take the pairwise path (by its definition a NaN compares as neither
  // worse nor better, so (NaN, 0) dominates both others here).
  CHECK(non_dominated({{1, 2, 3}, {2, 3, 4}, {0, 5, 5}}) == std::vector<std::size_t>{0, 2});
  // Infinite values too (an infinite cost alone is still non-dominated).
  const double inf = std::numeric_limits<double>::infinity();
  CHECK(non_dominated({{1, inf}}) == std::vector<std::size_t>{0});
  CHECK(non_dominated({{inf, 1}, {2, inf}, {3, 3}}) == std::vector<std::size_t>{0, 1, 2});
  CHECK(non_dominated({{1, 2}, {std::nan(""), 0}, {2, 3}}) == std::vector<std::size_t>{1});
}
