#include "nac/precision.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <vector>

#include "nac/error.hpp"

namespace nac {

namespace {

constexpr std::pair<Rounding, const char*> kRoundings[] = {
    {Rounding::Trn, "AP_TRN"},          {Rounding::TrnZero, "AP_TRN_ZERO"},      {Rounding::Rnd, "AP_RND"},
    {Rounding::RndZero, "AP_RND_ZERO"}, {Rounding::RndMinInf, "AP_RND_MIN_INF"}, {Rounding::RndInf, "AP_RND_INF"},
    {Rounding::RndConv, "AP_RND_CONV"},
};
constexpr std::pair<Overflow, const char*> kOverflows[] = {
    {Overflow::Wrap, "AP_WRAP"},
    {Overflow::Sat, "AP_SAT"},
    {Overflow::SatZero, "AP_SAT_ZERO"},
    {Overflow::SatSym, "AP_SAT_SYM"},
};

std::string trim(std::string s) {
  s.erase(std::remove_if(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); }), s.end());
  return s;
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out{""};
  for (char c : s) {
    if (c == ',') out.emplace_back();
    else out.back() += c;
  }
  return out;
}

int parse_int(const std::string& s, const std::string& text, const char* what) {
  std::size_t used = 0;
  int v = 0;
  try {
    v = std::stoi(s, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (s.empty() || used != s.size())
    throw Error("number type '" + text + "': " + what + " must be an integer, found '" + s + "'");
  return v;
}

// Integer units of the type: [lo, hi].
void integer_range(const NumberType& t, double& lo, double& hi) {
  if (t.is_signed) {
    lo = -std::ldexp(1.0, t.width - 1);
    hi = std::ldexp(1.0, t.width - 1) - 1;
  } else {
    lo = 0;
    hi = std::ldexp(1.0, t.width) - 1;
  }
}

}  // namespace

const char* to_string(Rounding r) {
  for (const auto& [m, name] : kRoundings)
    if (m == r) return name;
  return "?";
}
const char* to_string(Overflow o) {
  for (const auto& [m, name] : kOverflows)
    if (m == o) return name;
  return "?";
}

double NumberType::step() const { return std::ldexp(1.0, integer - width); }
double NumberType::lowest() const {
  double lo, hi;
  integer_range(*this, lo, hi);
  return lo * step();
}
double NumberType::highest() const {
  double lo, hi;
  integer_range(*this, lo, hi);
  return hi * step();
}

NumberType NumberType::fixed(int width, int integer, bool is_signed, Rounding r, Overflow o) {
  NumberType t;
  t.kind = Kind::Fixed;
  t.width = width;
  t.integer = integer;
  t.is_signed = is_signed;
  t.rounding = r;
  t.overflow = o;
  check(t);
  return t;
}

NumberType NumberType::scaled_int(int bits, bool is_signed, bool per_channel, bool power_of_two) {
  NumberType t;
  t.kind = Kind::ScaledInt;
  t.width = bits;
  t.is_signed = is_signed;
  t.per_channel = per_channel;
  t.power_of_two = power_of_two;
  check(t);
  return t;
}

void check(const NumberType& t) {
  const std::string text = to_string(t);
  switch (t.kind) {
    case NumberType::Kind::Float:
      if (t.width != 32)
        throw Error("number type: only float32 is supported, found " + std::to_string(t.width) + " bits");
      return;
    case NumberType::Kind::Fixed: {
      const int min = t.is_signed ? 2 : 1;
      if (t.width < min || t.width > 32)
        throw Error("number type '" + text + "': the width must be " + std::to_string(min) + " to 32 bits, found " +
                    std::to_string(t.width));
      if (t.integer < -64 || t.integer > 96)
        throw Error("number type '" + text + "': the integer bits must be -64 to 96, found " +
                    std::to_string(t.integer));
      return;
    }
    case NumberType::Kind::ScaledInt: {
      const int min = t.is_signed ? 2 : 1;
      if (t.width < min || t.width > 16)
        throw Error("number type '" + text + "': a scaled integer needs " + std::to_string(min) +
                    " to 16 bits (32: use float32), found " + std::to_string(t.width));
      if (t.learned && t.per_channel)
        throw Error("number type '" + text + "': a learned scale is one per tensor (inputs); drop per_channel");
      return;
    }
  }
}

std::string to_string(const NumberType& t) {
  switch (t.kind) {
    case NumberType::Kind::Float: return "float32";
    case NumberType::Kind::Fixed: {
      std::string s = std::string(t.is_signed ? "ap_fixed<" : "ap_ufixed<") + std::to_string(t.width) + "," +
                      std::to_string(t.integer);
      if (t.rounding != Rounding::Trn || t.overflow != Overflow::Wrap) s += std::string(",") + to_string(t.rounding);
      if (t.overflow != Overflow::Wrap) s += std::string(",") + to_string(t.overflow);
      return s + ">";
    }
    case NumberType::Kind::ScaledInt: {
      std::string s = std::string(t.is_signed ? "int<" : "uint<") + std::to_string(t.width);
      if (t.per_channel) s += ",per_channel";
      if (t.power_of_two) s += ",pow2";
      if (t.learned) s += ",learned";
      return s + ">";
    }
  }
  return "?";
}

NumberType parse_number_type(const std::string& original) {
  const std::string text = trim(original);
  if (text == "float32" || text == "float") return NumberType::float32();
  const auto open = text.find('<');
  if (open == std::string::npos || text.back() != '>')
    throw Error(
        "number type '" + original +
        "': expected float32, ap_fixed<W,I[,Q[,O]]>, ap_ufixed<W,I[,Q[,O]]>, int<B[,per_channel][,pow2][,learned]> "
        "or uint<B[,...]>");
  const std::string head = text.substr(0, open);
  const auto parts = split_commas(text.substr(open + 1, text.size() - open - 2));
  if (head == "ap_fixed" || head == "ap_ufixed") {
    if (parts.size() < 2 || parts.size() > 4)
      throw Error("number type '" + original + "': " + head +
                  " takes W,I and optionally the rounding and overflow "
                  "modes, found " +
                  std::to_string(parts.size()) + " parameters");
    NumberType t;
    t.kind = NumberType::Kind::Fixed;
    t.is_signed = head == "ap_fixed";
    t.width = parse_int(parts[0], original, "the width W");
    t.integer = parse_int(parts[1], original, "the integer bits I");
    if (parts.size() > 2) {
      auto it = std::find_if(std::begin(kRoundings), std::end(kRoundings),
                             [&](const auto& m) { return parts[2] == m.second; });
      if (it == std::end(kRoundings))
        throw Error("number type '" + original + "': unknown rounding mode '" + parts[2] +
                    "' (AP_TRN, AP_TRN_ZERO, AP_RND, AP_RND_ZERO, AP_RND_MIN_INF, AP_RND_INF, AP_RND_CONV)");
      t.rounding = it->first;
    }
    if (parts.size() > 3) {
      auto it = std::find_if(std::begin(kOverflows), std::end(kOverflows),
                             [&](const auto& m) { return parts[3] == m.second; });
      if (it == std::end(kOverflows))
        throw Error("number type '" + original + "': unknown overflow mode '" + parts[3] +
                    "' (AP_WRAP, AP_SAT, AP_SAT_ZERO, AP_SAT_SYM; AP_WRAP_SM is not supported)");
      t.overflow = it->first;
    }
    check(t);
    return t;
  }
  if (head == "int" || head == "uint") {
    NumberType t;
    t.kind = NumberType::Kind::ScaledInt;
    t.is_signed = head == "int";
    t.width = parse_int(parts[0], original, "the bits B");
    for (std::size_t i = 1; i < parts.size(); ++i) {
      if (parts[i] == "per_channel" && !t.per_channel) t.per_channel = true;
      else if (parts[i] == "pow2" && !t.power_of_two) t.power_of_two = true;
      else if (parts[i] == "learned" && !t.learned) t.learned = true;
      else
        throw Error("number type '" + original + "': unknown or repeated option '" + parts[i] +
                    "' (per_channel, pow2, learned)");
    }
    check(t);
    return t;
  }
  throw Error("number type '" + original + "': unknown kind '" + head + "' (float32, ap_fixed, ap_ufixed, int, uint)");
}

double to_fixed(double x, const NumberType& t) {
  if (std::isnan(x)) return x;
  const int frac = t.width - t.integer;
  const double v = std::ldexp(x, frac);  // exact: a scaling by a power of two
  const double fl = std::floor(v);
  const double dropped = v - fl;  // in [0, 1), exact
  const bool half = dropped == 0.5, above = dropped > 0.5, any = dropped != 0;
  double q = fl;
  switch (t.rounding) {
    case Rounding::Trn: break;
    case Rounding::TrnZero: q = v < 0 && any ? fl + 1 : fl; break;
    case Rounding::Rnd: q = dropped >= 0.5 ? fl + 1 : fl; break;
    case Rounding::RndZero: q = above || (half && v < 0) ? fl + 1 : fl; break;
    case Rounding::RndMinInf: q = above ? fl + 1 : fl; break;
    case Rounding::RndInf: q = above || (half && v > 0) ? fl + 1 : fl; break;
    case Rounding::RndConv: q = above || (half && std::fmod(fl, 2.0) != 0) ? fl + 1 : fl; break;
  }
  double lo, hi;
  integer_range(t, lo, hi);
  return std::ldexp(apply_overflow(q, lo, hi, t), -frac);
}

bool is_precision_role(const std::string& role) { return role == "weight" || role == "bias" || role == "input"; }
const char* precision_roles_text() { return "weight, bias, input"; }

}  // namespace nac
