#include "nac/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "nac/error.hpp"

namespace nac {

double quantile(std::vector<double> values, double q) {
  if (values.empty()) throw Error("a quantile of no values");
  std::sort(values.begin(), values.end());
  const double at = std::clamp(q, 0.0, 1.0) * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(at));
  const std::size_t hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (at - static_cast<double>(lo)) * (values[hi] - values[lo]);
}

namespace {

// The number of arrangements of m x's and n y's with U = k, for every k in 0 .. m n: the
// recurrence f(m, n, k) = f(m - 1, n, k - n) + f(m, n - 1, k) over a table of polynomials.
std::vector<double> u_counts(std::size_t m, std::size_t n) {
  // counts[i][j] = the distribution for i x's and j y's (as a vector over k).
  std::vector<std::vector<std::vector<double>>> f(m + 1, std::vector<std::vector<double>>(n + 1));
  for (std::size_t i = 0; i <= m; ++i)
    for (std::size_t j = 0; j <= n; ++j) {
      std::vector<double>& d = f[i][j];
      d.assign(i * j + 1, 0.0);
      if (i == 0 || j == 0) {
        d[0] = 1;
        continue;
      }
      // The largest value is an x (it beats all j y's: k - j) or a y (k unchanged).
      for (std::size_t k = 0; k < f[i - 1][j].size(); ++k) d[k + j] += f[i - 1][j][k];
      for (std::size_t k = 0; k < f[i][j - 1].size(); ++k) d[k] += f[i][j - 1][k];
    }
  return f[m][n];
}

double normal_sf(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }

}  // namespace

RankTest mann_whitney_u(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.empty() || y.empty()) throw Error("a Mann-Whitney U test needs values in both samples");
  const std::size_t n1 = x.size(), n2 = y.size(), n = n1 + n2;
  // Average ranks (1-based) of the pooled values.
  std::vector<std::pair<double, std::size_t>> all;
  for (std::size_t i = 0; i < n1; ++i) all.emplace_back(x[i], i);
  for (std::size_t i = 0; i < n2; ++i) all.emplace_back(y[i], n1 + i);
  std::sort(all.begin(), all.end());
  std::vector<double> rank(n);
  double tie_term = 0;
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j < n && all[j].first == all[i].first) ++j;
    const double t = static_cast<double>(j - i), r = 0.5 * static_cast<double>(i + 1 + j);
    for (std::size_t k = i; k < j; ++k) rank[all[k].second] = r;
    tie_term += t * t * t - t;
    i = j;
  }
  double r1 = 0;
  for (std::size_t i = 0; i < n1; ++i) r1 += rank[i];
  const double dn1 = static_cast<double>(n1), dn2 = static_cast<double>(n2), dn = static_cast<double>(n);
  RankTest out;
  out.u = r1 - dn1 * (dn1 + 1) / 2;
  out.a = out.u / (dn1 * dn2);
  const double u = std::max(out.u, dn1 * dn2 - out.u);  // two-sided: the larger tail, doubled
  out.exact = (n1 <= 8 || n2 <= 8) && tie_term == 0;
  if (out.exact) {
    const std::vector<double> counts = u_counts(n1, n2);
    double total = 0, tail = 0;
    for (std::size_t k = 0; k < counts.size(); ++k) {
      total += counts[k];
      if (static_cast<double>(k) >= u) tail += counts[k];
    }
    out.p = 2 * tail / total;
  } else {
    const double s = std::sqrt(dn1 * dn2 / 12 * ((dn + 1) - tie_term / (dn * (dn - 1))));
    out.p = s > 0 ? 2 * normal_sf((u - dn1 * dn2 / 2 - 0.5) / s) : 1.0;
  }
  out.p = std::clamp(out.p, 0.0, 1.0);
  return out;
}

std::vector<double> holm(const std::vector<double>& p) {
  const std::size_t m = p.size();
  std::vector<std::size_t> order(m);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return p[a] < p[b]; });
  std::vector<double> out(m);
  double running = 0;
  for (std::size_t j = 0; j < m; ++j) {
    running = std::max(running, std::min(1.0, static_cast<double>(m - j) * p[order[j]]));
    out[order[j]] = running;
  }
  return out;
}

}  // namespace nac
