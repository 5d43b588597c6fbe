#include "hls_text.hpp"

#include <algorithm>

namespace nac::hls {

std::string cpp_type(const NumberType& t) {
  std::string s =
      std::string(t.is_signed ? "ap_fixed<" : "ap_ufixed<") + std::to_string(t.width) + "," + std::to_string(t.integer);
  if (t.rounding != Rounding::Trn || t.overflow != Overflow::Wrap) s += std::string(",") + to_string(t.rounding);
  if (t.overflow != Overflow::Wrap) s += std::string(",") + to_string(t.overflow);
  return s + ">";
}

namespace {

std::string digits(FixedRaw v) {  // v >= 0
  if (v == 0) return "0";
  std::string s;
  while (v > 0) {
    s.push_back(static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  std::reverse(s.begin(), s.end());
  return s;
}

}  // namespace

std::string exact_decimal(FixedRaw raw, const NumberType& t) {
  const int frac = fraction_bits(t);
  const bool negative = raw < 0;
  FixedRaw m = negative ? -raw : raw;
  std::string s;
  if (frac <= 0) {
    s = digits(m * (FixedRaw(1) << -frac));
  } else {
    const FixedRaw whole = m >> frac;
    FixedRaw rest = m - (whole << frac);
    s = digits(whole);
    if (rest != 0) {
      s += '.';
      while (rest != 0) {  // each step: one more decimal digit, exactly
        rest *= 10;
        s.push_back(static_cast<char>('0' + static_cast<int>(rest >> frac)));
        rest &= (FixedRaw(1) << frac) - 1;
      }
    }
  }
  return negative && s != "0" ? "-" + s : s;
}

std::string decimal_list(const std::vector<std::int64_t>& raw, const NumberType& t) {
  std::string s = "{";
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (i) s += i % 8 == 0 ? ",\n    " : ", ";
    s += exact_decimal(raw[i], t);
  }
  return s + "}";
}

}  // namespace nac::hls
