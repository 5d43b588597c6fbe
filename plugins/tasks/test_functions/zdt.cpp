#include <cmath>

#include "problems.hpp"

namespace nac::test_functions {

namespace {

std::string var(std::int64_t i) { return "x" + std::to_string(i); }

std::vector<double> genes(const Assignment& a, std::int64_t n) {
  std::vector<double> x(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) x[static_cast<std::size_t>(i)] = a.real(var(i));
  return x;
}

template <int Which>
std::vector<double> zdt_of(const std::vector<double>& x) {
  const auto n = static_cast<std::int64_t>(x.size());
  const double m = static_cast<double>(n - 1);
  double f1 = x[0], g = 0;
  if constexpr (Which == 4) {
    g = 1 + 10 * m;
    for (std::size_t i = 1; i < x.size(); ++i) g += x[i] * x[i] - 10 * std::cos(4 * M_PI * x[i]);
  } else if constexpr (Which == 6) {
    f1 = 1 - std::exp(-4 * x[0]) * std::pow(std::sin(6 * M_PI * x[0]), 6);
    double s = 0;
    for (std::size_t i = 1; i < x.size(); ++i) s += x[i];
    g = 1 + 9 * std::pow(s / m, 0.25);
  } else {
    double s = 0;
    for (std::size_t i = 1; i < x.size(); ++i) s += x[i];
    g = 1 + 9 * s / m;
  }
  const double r = f1 / g;
  double h;
  if constexpr (Which == 2 || Which == 6) h = 1 - r * r;
  else if constexpr (Which == 3) h = 1 - std::sqrt(r) - r * std::sin(10 * M_PI * f1);
  else h = 1 - std::sqrt(r);
  return {f1, g * h};
}

std::vector<double> dtlz2(const Assignment& a, std::int64_t n, std::size_t m) {
  const auto x = genes(a, n);
  double g = 0;
  for (std::size_t i = m - 1; i < x.size(); ++i) g += (x[i] - 0.5) * (x[i] - 0.5);
  std::vector<double> f(m, 1 + g);
  for (std::size_t k = 0; k < m; ++k) {
    for (std::size_t i = 0; i + k + 1 < m; ++i) f[k] *= std::cos(x[i] * M_PI / 2);
    if (k > 0) f[k] *= std::sin(x[m - k - 1] * M_PI / 2);
  }
  return f;
}

std::shared_ptr<const SearchSpace> box(std::int64_t n, double low0, double high0, double low, double high) {
  auto s = std::make_shared<SearchSpace>();
  for (std::int64_t i = 0; i < n; ++i)
    s->add(i == 0 ? Parameter::real(var(i), low0, high0) : Parameter::real(var(i), low, high));
  return s;
}

}  // namespace

std::vector<double> zdt(int which, const std::vector<double>& x) {
  switch (which) {
    case 1: return zdt_of<1>(x);
    case 2: return zdt_of<2>(x);
    case 3: return zdt_of<3>(x);
    case 4: return zdt_of<4>(x);
    default: return zdt_of<6>(x);
  }
}

Problem make_zdt(int which, std::int64_t n) {
  Problem p;
  p.name = "zdt" + std::to_string(which);
  p.metric_names = {"f1", "f2"};
  p.reference_point = {1.1, 1.1};
  p.space = which == 4 ? box(n, 0, 1, -5, 5) : box(n, 0, 1, 0, 1);
  p.evaluate = [which, n](const Assignment& a) { return zdt(which, genes(a, n)); };
  return p;
}

Problem make_dtlz2(std::int64_t objectives, std::int64_t n) {
  Problem p;
  p.name = "dtlz2";
  for (std::int64_t k = 1; k <= objectives; ++k) p.metric_names.push_back("f" + std::to_string(k));
  p.reference_point.assign(static_cast<std::size_t>(objectives), 1.1);
  p.space = box(n, 0, 1, 0, 1);
  const auto m = static_cast<std::size_t>(objectives);
  p.evaluate = [n, m](const Assignment& a) { return dtlz2(a, n, m); };
  return p;
}

}  // namespace nac::test_functions
