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
