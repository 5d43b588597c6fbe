#pragma once
// Text in nac's SVG plots: numbers to four significant digits, and escaped labels.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace nac::svg {

inline std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

inline std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '&' ? "&amp;" : std::string(1, c);
  return out;
}

// Round ticks in [lo, hi]: 1, 2 or 5 times a power of ten apart, about five of them.
inline std::vector<double> linear_ticks(double lo, double hi) {
  const double raw = (hi - lo) / 5;
  const double p = std::pow(10, std::floor(std::log10(raw)));
  const double step = raw / p < 1.5 ? p : raw / p < 3.5 ? 2 * p : raw / p < 7.5 ? 5 * p : 10 * p;
  std::vector<double> t;
  for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    t.push_back(std::abs(v) < step * 1e-9 ? 0 : v);
  return t;
}

// A plot's left margin that fits the widest of the y ticks' labels (as number() writes them,
// about 7 px a character at 12 px) right-aligned beside a rotated axis title: at least `minimum`.
inline double left_margin(const std::vector<double>& y_ticks, double minimum) {
  std::size_t widest = 0;
  for (double v : y_ticks) widest = std::max(widest, number(v).size());
  return std::max(minimum, 7.0 * static_cast<double>(widest) + 34);
}

// Decades 10^a .. 10^b (every other one when there are more than seven), for a log axis.
inline std::vector<double> decade_ticks(double a, double b) {
  std::vector<double> t;
  const int step = b - a > 7 ? 2 : 1;
  for (double k = a; k <= b + 1e-9; k += step) t.push_back(std::pow(10, k));
  return t;
}

}  // namespace nac::svg
