#include <cmath>

#include <doctest/doctest.h>

#include "nac/hypervolume.hpp"

using namespace nac;

TEST_CASE("hypervolume of hand-computed 2-D sets") {
  CHECK(hypervolume({{0, 0}}, {1, 1}) == doctest::Approx(1.0));
  // Staircase (1,3) (2,2) (3,1) at reference (4,4): 3*1 + 2*1 + 1*1 = 6.
  CHECK(hypervolume({{1, 3}, {2, 2}, {3, 1}}, {4, 4}) == doctest::Approx(6.0));
  // Dominated and outside points change nothing.
  CHECK(hypervolume({{1, 3}, {2, 2}, {3, 1}, {3, 3}, {5, 0}, {0, 4}}, {4, 4}) == doctest::Approx(6.0));
  CHECK(hypervolume({}, {1, 1}) == 0.0);
}

TEST_CASE("hypervolume of ZDT1's analytic front at (1.1 - 1.1)") {
  // The front is f2 = 1 - sqrt(f1), f1 in [0, 1]. The dominated area inside [0, 1.1]^2 is
  // the integral of (1.1 - (1 - sqrt f1)) over [0, 1], plus the strip f1 in [1, 1.1]:
  // 0.1 + 2/3 + 0.1 * 1.1 = 0.876667.
  const double analytic = 0.1 + 2.0 / 3.0 + 0.11;
  std::vector<Point> front;
  const int n = 20000;
  for (int i = 0; i <= n; ++i) {
    const double f1 = double(i) / n;
    front.push_back({f1, 1 - std::sqrt(f1)});
  }
  const double hv = hypervolume(front, {1.1, 1.1});
  CHECK(std::abs(hv - analytic) < 1e-3);
  CHECK(std::abs(hv - 0.8767) < 1e-3);
}

TEST_CASE("hypervolume in three dimensions") {
  // (0,1,0) and (1,0,0) at reference (2,2,1) dominate boxes of volume 2 and 2 that overlap
  // in [1,2]x[1,2]x[0,1], of volume 1: 3 in all.
  CHECK(hypervolume({{0, 1, 0}, {1, 0, 0}}, {2, 2, 1}) == doctest::Approx(3.0));
  // A point in the corner of a cube and a point beyond the reference.
  CHECK(hypervolume({{0, 0, 0}, {0.5, 0.5, 5}}, {1, 1, 1}) == doctest::Approx(1.0));
  // DTLZ2's front is the positive octant of the unit sphere: the dominated volume inside
  // [0, 1.1]^3 is 1.1^3 minus the octant of the ball, 1.331 - pi/6. A grid of front points
  // approaches it from below.
  std::vector<Point> pts;
  const int n = 40;
  for (int i = 0; i <= n; ++i)
    for (int j = 0; j <= n; ++j) {
      const double a = M_PI / 2 * i / n, b = M_PI / 2 * j / n;
      pts.push_back({std::cos(a) * std::cos(b), std::cos(a) * std::sin(b), std::sin(a)});
    }
  const double hv = hypervolume(pts, {1.1, 1.1, 1.1});
  const double analytic = 1.331 - M_PI / 6;
  CHECK(hv < analytic);
  CHECK(hv > analytic - 0.03);
}
