#include <cmath>

#include "problems.hpp"

namespace nac::test_functions {

namespace {

std::string var(std::int64_t i) { return "x" + std::to_string(i); }

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

// About n points of ZDT`which`'s front: f2 = h(f1) with g = 1, f1 spread evenly over its range
// (ZDT3's front is the non-dominated parts of its curve, found on 20 n samples).
std::vector<std::vector<double>> zdt_front(int which, std::size_t n) {
  n = n < 2 ? 2 : n;
  if (which == 3) {
    std::vector<std::vector<double>> curve;
    const std::size_t samples = 20 * n;
    for (std::size_t i = 0; i < samples; ++i) {
      const double f1 = static_cast<double>(i) / static_cast<double>(samples - 1);
      curve.push_back({f1, 1 - std::sqrt(f1) - f1 * std::sin(10 * M_PI * f1)});
    }
    return thin(nondominated(curve), n);
  }
  // ZDT6's f1 = 1 - exp(-4 x0) sin^6(6 pi x0) is never below about 0.2807753191 (at x0 near
  // 0.08, just before the sine's first peak).
  const double low = which == 6 ? 0.2807753191 : 0.0;
  std::vector<std::vector<double>> front;
  for (std::size_t i = 0; i < n; ++i) {
    const double f1 = low + (1 - low) * static_cast<double>(i) / static_cast<double>(n - 1);
    front.push_back({f1, which == 2 || which == 6 ? 1 - f1 * f1 : 1 - std::sqrt(f1)});
  }
  return front;
}

}  // namespace

std::vector<double> genes(const Assignment& a, std::int64_t n) {
  std::vector<double> x(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) x[static_cast<std::size_t>(i)] = a.real(var(i));
  return x;
}

std::shared_ptr<const SearchSpace> box(std::int64_t n, double low0, double high0, double low, double high) {
  auto s = std::make_shared<SearchSpace>();
  for (std::int64_t i = 0; i < n; ++i)
    s->add(i == 0 ? Parameter::real(var(i), low0, high0) : Parameter::real(var(i), low, high));
  return s;
}

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
  p.true_front = [which](std::size_t points) { return zdt_front(which, points); };
  return p;
}

}  // namespace nac::test_functions
