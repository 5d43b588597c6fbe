#pragma once
// Text in nac's SVG plots: numbers to four significant digits, and escaped labels.
#include <cstdio>
#include <string>

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

}  // namespace nac::svg
