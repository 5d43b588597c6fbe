// The shared parts of the search strategies (plugins/search/common): non-dominated sorting,
// crowding distance, constrained fronts, the variation operators, and the exact 2-D hypervolume
// on analytic fronts.
#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include <doctest/doctest.h>

#include "nac/hypervolume.hpp"
#include "nac/pareto.hpp"
#include "search/ranking.hpp"
#include "search/variation.hpp"

using namespace nac;
using namespace nac::search;

namespace {

using Fronts = std::vector<std::vector<std::size_t>>;

// Fronts by definition: peel off the non-dominated points again and again (O(N^3)).
Fronts brute_force_fronts(const std::vector<Point>& pts) {
  Fronts fronts;
  std::vector<bool> done(pts.size(), false);
  std::size_t left = pts.size();
  while (left > 0) {
    std::vector<std::size_t> front;
    for (std::size_t i = 0; i < pts.size(); ++i) {
      if (done[i]) continue;
      bool dominated = false;
      for (std::size_t j = 0; j < pts.size() && !dominated; ++j) dominated = !done[j] && dominates(pts[j], pts[i]);
      if (!dominated) front.push_back(i);
    }
    for (std::size_t i : front) done[i] = true;
    left -= front.size();
    fronts.push_back(front);
  }
  return fronts;
}

Fitness fit(std::vector<double> values, double violation = 0) { return Fitness{false, violation, std::move(values)}; }
Fitness failed() { return Fitness{true, 0, {}}; }

constexpr double kInf = std::numeric_limits<double>::infinity();

}  // namespace

TEST_CASE("non-dominated sorting of a hand-computed two-objective set") {
  // A(1,5) B(2,3) C(4,1) are the front, F duplicates B; D(3,4) is dominated by B only; E(5,5) by D.
  const std::vector<Point> pts{{1, 5}, {2, 3}, {4, 1}, {3, 4}, {5, 5}, {2, 3}};
  CHECK(non_dominated_fronts(pts) == Fronts{{0, 1, 2, 5}, {3}, {4}});
  // Equal first objective: the smaller second one dominates.
  CHECK(non_dominated_fronts({{1, 2}, {1, 1}, {0, 3}}) == Fronts{{1, 2}, {0}});
  // A chain: every point in a front of its own.
  CHECK(non_dominated_fronts({{3, 3}, {1, 1}, {2, 2}}) == Fronts{{1}, {2}, {0}});
  CHECK(non_dominated_fronts({}).empty());
}

TEST_CASE("non-dominated sorting of hand-computed sets in one and three objectives") {
  // (1,2,3) (3,2,1) (2,2,2) are mutually non-dominated; (2,3,3) is dominated by (1,2,3) and
  // (2,2,2); (3,3,3) by (2,3,3).
  CHECK(non_dominated_fronts({{2, 3, 3}, {1, 2, 3}, {3, 3, 3}, {3, 2, 1}, {2, 2, 2}}) == Fronts{{1, 3, 4}, {0}, {2}});
  CHECK(non_dominated_fronts({{2}, {1}, {2}, {0.5}}) == Fronts{{3}, {1}, {0, 2}});
}

TEST_CASE("non-dominated sorting agrees with the definition on random sets with ties") {
  Rng rng(7);
  for (int dims : {2, 3, 4}) {
    for (int round = 0; round < 30; ++round) {
      std::vector<Point> pts(5 + rng.below(60));
      for (auto& p : pts) {
        p.resize(static_cast<std::size_t>(dims));
        for (auto& v : p) v = static_cast<double>(rng.below(6));  // a coarse grid: many ties
      }
      CHECK(non_dominated_fronts(pts) == brute_force_fronts(pts));
    }
  }
}

TEST_CASE("crowding distance of a hand-computed front") {
  // (0,4) (1,2) (2,1) (4,0), ranges 4 and 4: (1,2) gets (2-0)/4 + (4-1)/4 = 1.25, (2,1) gets
  // (4-1)/4 + (2-0)/4 = 1.25; the extremes are infinite.
  const std::vector<Point> pts{{1, 2}, {0, 4}, {4, 0}, {2, 1}};
  const auto d = crowding_distance(pts, {0, 1, 2, 3});
  CHECK(d[0] == doctest::Approx(1.25));
  CHECK(d[1] == kInf);
  CHECK(d[2] == kInf);
  CHECK(d[3] == doctest::Approx(1.25));
  // Uneven spacing: (0,3) (1,2) (3,1) (4,0), ranges 4 and 3: (1,2) gets (3-0)/4 + (3-1)/3 and
  // (3,1) gets (4-1)/4 + (2-0)/3.
  const auto e = crowding_distance(std::vector<Point>{{0, 3}, {1, 2}, {3, 1}, {4, 0}}, {0, 1, 2, 3});
  CHECK(e[1] == doctest::Approx((3.0 - 0.0) / 4 + (3.0 - 1.0) / 3));
  CHECK(e[2] == doctest::Approx((4.0 - 1.0) / 4 + (2.0 - 0.0) / 3));
  // Two members or fewer: both extremes.
  CHECK(crowding_distance(std::vector<Point>{{0, 1}, {1, 0}}, {0, 1}) == std::vector<double>{kInf, kInf});
}

TEST_CASE("constrained fronts: feasible by Pareto rank - then infeasible by violation - then failed") {
  const std::vector<Fitness> items{
      fit({1, 1}, 0.5),  // 0 infeasible
      fit({3, 3}),       // 1 feasible, dominated by 3
      failed(),          // 2
      fit({2, 2}),       // 3 feasible front
      fit({0, 0}, 0.1),  // 4 infeasible, least violation (better objectives do not matter)
      fit({5, 0}),       // 5 feasible front
      fit({9, 9}, 0.5),  // 6 same violation as 0
  };
  CHECK(constrained_fronts(items) == Fronts{{3, 5}, {1}, {4}, {0, 6}, {2}});
  CHECK(total_violation({-1, 0.5, 0, 2}) == doctest::Approx(2.5));
  CHECK(total_violation({-1, -2}) == 0.0);
  CHECK(total_violation({std::nan("")}) == kInf);
}

TEST_CASE("environmental selection keeps whole fronts and cuts the last by crowding") {
  // Front 0: four points; the extremes (0,4) and (4,0) are infinitely crowded, (1,2) scores
  // 3/4 + 3.5/4 = 1.625 and (3,0.5) 3/4 + 2/4 = 1.25: keeping 3 keeps the extremes and (1,2).
  const std::vector<Fitness> items{fit({0, 4}), fit({1, 2}), fit({3, 0.5}), fit({4, 0}), fit({5, 5}), failed()};
  std::vector<RankedItem> ranked;
  auto chosen = select_best(items, 3, &ranked);
  std::sort(chosen.begin(), chosen.end());
  CHECK(chosen == std::vector<std::size_t>{0, 1, 3});
  CHECK(ranked[4].rank == 1);
  CHECK(ranked[5].rank == 2);  // failed: last
  chosen = select_best(items, 5);
  std::sort(chosen.begin(), chosen.end());
  CHECK(chosen == std::vector<std::size_t>{0, 1, 2, 3, 4});
}

TEST_CASE("SBX and polynomial mutation stay inside the bounds") {
  Rng rng(3);
  for (double eta : {0.0, 1.0, 5.0, 20.0, 100.0}) {
    for (int i = 0; i < 2000; ++i) {
      const double lo = -2, hi = 3;
      double a = rng.uniform(lo, hi), b = rng.uniform(lo, hi);
      if (i % 10 == 0) a = lo;
      if (i % 10 == 1) b = hi;
      sbx(a, b, lo, hi, eta, rng);
      CHECK((a >= lo && a <= hi && b >= lo && b <= hi));
      const double m = polynomial_mutation(rng.uniform(lo, hi), lo, hi, eta, rng);
      CHECK((m >= lo && m <= hi));
      CHECK(polynomial_mutation(lo, lo, hi, eta, rng) >= lo);
      CHECK(polynomial_mutation(hi, lo, hi, eta, rng) <= hi);
    }
  }
  // Equal parents are left alone; a large eta keeps children near their parents.
  double a = 0.5, b = 0.5;
  sbx(a, b, 0, 1, 20, rng);
  CHECK((a == 0.5 && b == 0.5));
  double spread = 0;
  for (int i = 0; i < 1000; ++i) {
    double x = 0.4, y = 0.6;
    sbx(x, y, 0, 1, 50, rng);
    spread = std::max({spread, std::abs(x - 0.5), std::abs(y - 0.5)});
  }
  CHECK(spread < 0.2);
}

TEST_CASE("categorical mutation always picks another choice") {
  Rng rng(5);
  std::set<double> seen;
  for (int i = 0; i < 300; ++i) {
    const double m = categorical_mutation(1.0, 4, rng);
    CHECK(m != 1.0);
    seen.insert(m);
  }
  CHECK(seen == std::set<double>{0.0, 2.0, 3.0});
  CHECK(categorical_mutation(0.0, 1, rng) == 0.0);
}

TEST_CASE("snap puts genes on the domain: bounds - integer and step grids - choice indices") {
  SearchSpace s;
  s.add(Parameter::real("f", 0, 1));
  s.add(Parameter::real("flog", 1e-3, 1).log_scale());
  s.add(Parameter::real("fstep", 0, 1).with_step(0.25));
  s.add(Parameter::integer("i", -3, 7));
  s.add(Parameter::integer("ilog", 2, 100).log_scale());
  s.add(Parameter::integer("istep", 0, 10).with_step(3));
  s.add(Parameter::categorical("c", {"a", "b", "c"}));
  Rng rng(11);
  for (int round = 0; round < 500; ++round) {
    std::vector<double> g(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
      const auto& p = s.parameters()[i];
      const double w = p.internal_high() - p.internal_low();
      g[i] = rng.uniform(p.internal_low() - w, p.internal_high() + w);  // far outside too
    }
    snap_genome(s, g);
    for (std::size_t i = 0; i < s.size(); ++i) {
      const auto& p = s.parameters()[i];
      CHECK(g[i] >= p.internal_low());
      CHECK(g[i] <= p.internal_high());
      CHECK(snap(p, g[i]) == g[i]);  // idempotent
      if (is_discrete(p)) CHECK(p.to_internal(p.from_internal(g[i])) == g[i]);
    }
    const Assignment a = s.decode(g);
    CHECK_NOTHROW(s.validate(a));
    CHECK(std::fmod(a.real("fstep"), 0.25) == 0.0);
    CHECK((a.integer("istep") == 0 || a.integer("istep") == 3 || a.integer("istep") == 6 || a.integer("istep") == 9));
  }
  CHECK(snap(s.parameters()[0], std::nan("")) == 0.0);
}

TEST_CASE("configuration keys ignore inactive genes and tell configurations apart") {
  SearchSpace s;
  s.add(Parameter::categorical("kind", {"a", "b"}));
  s.add(Parameter::real("x", 0, 1).when("kind", {"a"}));
  s.add(Parameter::integer("n", 1, 5));
  const std::vector<double> a{1, 0.3, 2}, b{1, 0.9, 2}, c{0, 0.3, 2}, d{1, 0.3, 2.2};
  CHECK(configuration_key(s, a) == configuration_key(s, b));  // x inactive when kind = b
  CHECK(configuration_key(s, a) != configuration_key(s, c));
  CHECK(configuration_key(s, a) == configuration_key(s, d));  // 2.2 snaps to n = 2
}

TEST_CASE("exact 2-D hypervolume of points on analytic fronts") {
  // n + 1 points (i/n, h(i/n)) of a front f2 = h(f1), h decreasing on [0, 1]: the dominated region
  // at reference (1.1, 1.1) is a staircase whose area is, exactly,
  //   sum_i (x_{i+1} - x_i) (1.1 - h(x_i)), with x_{n+1} = 1.1,
  // and it approaches the integral of (1.1 - h) over [0, 1] plus the strip 0.1 * 1.1 from below.
  struct Front {
    double (*h)(double);
    double analytic;
  };
  const Front fronts[] = {
      {[](double x) { return 1 - std::sqrt(x); }, 0.1 + 2.0 / 3.0 + 0.11},  // ZDT1 and ZDT4: 0.8767
      {[](double x) { return 1 - x * x; }, 0.1 + 1.0 / 3.0 + 0.11},         // ZDT2: 0.5433
      {[](double x) { return 1 - x; }, 0.1 + 0.5 + 0.11},                   // linear: 0.71
  };
  for (const auto& f : fronts) {
    double gap = 1;
    for (int n : {1, 2, 7, 100, 5000}) {
      std::vector<Point> pts;
      for (int i = 0; i <= n; ++i) pts.push_back({double(i) / n, f.h(double(i) / n)});
      double exact = 0;
      for (int i = 0; i <= n; ++i) {
        const double next = i < n ? double(i + 1) / n : 1.1;
        exact += (next - double(i) / n) * (1.1 - f.h(double(i) / n));
      }
      const double hv = hypervolume(pts, {1.1, 1.1});
      CHECK(hv == doctest::Approx(exact).epsilon(1e-12));
      gap = f.analytic - hv;
      CHECK(gap >= -1e-12);  // a finite staircase never exceeds the analytic front
    }
    CHECK(gap < 1e-3);
  }
  CHECK(0.1 + 2.0 / 3.0 + 0.11 == doctest::Approx(0.8767).epsilon(1e-4));
}
