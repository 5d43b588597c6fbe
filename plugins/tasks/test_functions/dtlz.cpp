// DTLZ1, DTLZ2, DTLZ3, DTLZ4 and DTLZ7 (Deb, Thiele, Laumanns and Zitzler, "Scalable test
// problems for evolutionary multi-objective optimization", 2005), M objectives of n genes in
// [0, 1]; the last k = n - M + 1 genes set the distance g from the front (g = 0, or 1 for DTLZ7,
// on it), the first M - 1 the position along it. Their true fronts, for IGD.
#include <algorithm>
#include <cmath>

#include "nac/error.hpp"
#include "problems.hpp"

namespace nac::test_functions {

namespace {

// DTLZ1's and DTLZ3's g: a Rastrigin-like sum with 11^k - 1 local fronts.
double multimodal_g(const std::vector<double>& x, std::size_t m) {
  const double k = static_cast<double>(x.size() - m + 1);
  double s = 0;
  for (std::size_t i = m - 1; i < x.size(); ++i) s += (x[i] - 0.5) * (x[i] - 0.5) - std::cos(20 * M_PI * (x[i] - 0.5));
  return 100 * (k + s);
}

// The spherical shape of DTLZ2-4 on positions y, scaled by 1 + g.
std::vector<double> sphere(const std::vector<double>& y, std::size_t m, double g) {
  std::vector<double> f(m, 1 + g);
  for (std::size_t j = 0; j < m; ++j) {
    for (std::size_t i = 0; i + j + 1 < m; ++i) f[j] *= std::cos(y[i] * M_PI / 2);
    if (j > 0) f[j] *= std::sin(y[m - j - 1] * M_PI / 2);
  }
  return f;
}

// About n points of DTLZ7's disconnected front: f_j = x_j (j < M - 1) on a grid of 20 n points
// (4 n from three objectives on), g = 1, and the non-dominated ones of those.
std::vector<std::vector<double>> dtlz7_front(std::size_t m, std::size_t n) {
  const std::size_t dims = m - 1, samples = (m == 2 ? 20 : 4) * std::max<std::size_t>(n, 2);
  auto side =
      static_cast<std::size_t>(std::ceil(std::pow(static_cast<double>(samples), 1.0 / static_cast<double>(dims))));
  side = std::max<std::size_t>(side, 2);
  std::size_t total = 1;
  for (std::size_t d = 0; d < dims; ++d) total *= side;
  std::vector<std::vector<double>> points;
  points.reserve(total);
  for (std::size_t idx = 0; idx < total; ++idx) {
    std::vector<double> f(m);
    double h = static_cast<double>(m);
    std::size_t r = idx;
    for (std::size_t d = 0; d < dims; ++d) {
      f[d] = static_cast<double>(r % side) / static_cast<double>(side - 1);
      r /= side;
      h -= f[d] / 2 * (1 + std::sin(3 * M_PI * f[d]));
    }
    f[m - 1] = 2 * h;
    points.push_back(std::move(f));
  }
  return thin(nondominated(points), n);
}

}  // namespace

std::int64_t dtlz_default_variables(int which, std::int64_t objectives) {
  return objectives - 1 + (which == 1 ? 5 : which == 7 ? 20 : 10);
}

std::vector<double> dtlz(int which, const std::vector<double>& x, std::size_t m) {
  if (which == 1) {
    const double g = multimodal_g(x, m);
    std::vector<double> f(m, 0.5 * (1 + g));
    for (std::size_t j = 0; j < m; ++j) {
      for (std::size_t i = 0; i + j + 1 < m; ++i) f[j] *= x[i];
      if (j > 0) f[j] *= 1 - x[m - j - 1];
    }
    return f;
  }
  if (which == 7) {
    const double k = static_cast<double>(x.size() - m + 1);
    double s = 0;
    for (std::size_t i = m - 1; i < x.size(); ++i) s += x[i];
    const double g = 1 + 9 * s / k;
    std::vector<double> f(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(m - 1));
    double h = static_cast<double>(m);
    for (double fj : f) h -= fj / (1 + g) * (1 + std::sin(3 * M_PI * fj));
    f.push_back((1 + g) * h);
    return f;
  }
  double g = 0;
  if (which == 3) {
    g = multimodal_g(x, m);
  } else {
    for (std::size_t i = m - 1; i < x.size(); ++i) g += (x[i] - 0.5) * (x[i] - 0.5);
  }
  if (which != 4) return sphere(x, m, g);
  std::vector<double> y = x;  // DTLZ4: positions bent by x^100, crowding solutions towards the edges
  for (double& v : y) v = std::pow(v, 100.0);
  return sphere(y, m, g);
}

Problem make_dtlz(int which, std::int64_t objectives, std::int64_t n) {
  if (which != 1 && which != 2 && which != 3 && which != 4 && which != 7)
    throw Error("dtlz" + std::to_string(which) + ": not a DTLZ problem nac has (1, 2, 3, 4, 7)");
  Problem p;
  p.name = "dtlz" + std::to_string(which);
  for (std::int64_t k = 1; k <= objectives; ++k) p.metric_names.push_back("f" + std::to_string(k));
  const auto m = static_cast<std::size_t>(objectives);
  // 1.1 times the front's worst value per objective: 0.5 (DTLZ1), 1 (DTLZ2-4), 1 and 2M (DTLZ7).
  p.reference_point.assign(m, which == 1 ? 0.55 : 1.1);
  if (which == 7) p.reference_point.back() = 2.2 * static_cast<double>(m);
  p.space = box(n, 0, 1, 0, 1);
  p.evaluate = [which, n, m](const Assignment& a) { return dtlz(which, genes(a, n), m); };
  p.true_front = [which, m](std::size_t points) {
    if (which == 7) return dtlz7_front(m, points);
    std::vector<std::vector<double>> front = simplex_lattice(m, points);
    for (auto& f : front) {
      double norm = 0;
      for (double v : f) norm += v * v;
      norm = std::sqrt(norm);
      for (double& v : f) v = which == 1 ? 0.5 * v : v / norm;  // DTLZ1: the plane sum = 0.5
    }
    return front;
  };
  return p;
}

std::vector<std::vector<double>> simplex_lattice(std::size_t m, std::size_t n) {
  // Points with H divisions: C(H + m - 1, m - 1).
  auto count = [m](std::size_t h) {
    double c = 1;
    for (std::size_t i = 1; i < m; ++i) c = c * static_cast<double>(h + i) / static_cast<double>(i);
    return c;
  };
  std::size_t h = 1;
  while (count(h + 1) <= static_cast<double>(n)) ++h;
  std::vector<std::vector<double>> out;
  std::vector<std::size_t> parts(m, 0);
  // Every composition of h into m parts, the first part varying slowest.
  const auto recurse = [&](const auto& self, std::size_t dim, std::size_t left) -> void {
    if (dim + 1 == m) {
      parts[dim] = left;
      std::vector<double> p(m);
      for (std::size_t i = 0; i < m; ++i) p[i] = static_cast<double>(parts[i]) / static_cast<double>(h);
      out.push_back(std::move(p));
      return;
    }
    for (std::size_t v = left + 1; v-- > 0;) {
      parts[dim] = v;
      self(self, dim + 1, left - v);
    }
  };
  recurse(recurse, 0, h);
  return out;
}

std::vector<std::vector<double>> nondominated(const std::vector<std::vector<double>>& points) {
  // In lexicographic order a point can be dominated only by one before it, and then by a kept
  // one before it: each point is checked against the kept points only (with two objectives,
  // against the lowest second objective so far).
  std::vector<std::vector<double>> sorted = points;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::vector<std::vector<double>> out;
  for (const auto& p : sorted) {
    bool dominated = false;
    if (p.size() == 2) {
      dominated = !out.empty() && out.back()[1] <= p[1];
    } else {
      for (const auto& q : out) {
        bool no_worse = true;
        for (std::size_t k = 0; k < p.size() && no_worse; ++k) no_worse = q[k] <= p[k];
        if (no_worse) {
          dominated = true;  // (q != p: duplicates are gone)
          break;
        }
      }
    }
    if (!dominated) out.push_back(p);
  }
  return out;
}

std::vector<std::vector<double>> thin(const std::vector<std::vector<double>>& points, std::size_t n) {
  if (n == 0 || points.size() <= n) return points;
  const std::size_t k = (points.size() + n - 1) / n;
  std::vector<std::vector<double>> out;
  for (std::size_t i = 0; i < points.size(); i += k) out.push_back(points[i]);
  return out;
}

}  // namespace nac::test_functions
