// Declared settings (nac/settings.hpp): reading them through ConfigTable, and describing them.
#include "nac/settings.hpp"

#include <algorithm>
#include <type_traits>

#include "nac/error.hpp"
#include "nac/text.hpp"
#include "nac/value.hpp"

namespace nac {

namespace {

std::string number(double v) { return to_string(Value{v}); }
std::string number(std::int64_t v) { return std::to_string(v); }
std::string number(bool v) { return v ? "true" : "false"; }
std::string number(const std::string& v) { return "\"" + v + "\""; }

template <class T>
std::string text(const std::vector<T>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + number(v[i]);
  return out + "]";
}
template <class T>
std::string text(const T& v) {
  return number(v);
}

template <class T>
constexpr const char* type_name();
template <>
constexpr const char* type_name<std::int64_t>() {
  return "integer";
}
template <>
constexpr const char* type_name<double>() {
  return "real";
}
template <>
constexpr const char* type_name<bool>() {
  return "boolean";
}
template <>
constexpr const char* type_name<std::string>() {
  return "string";
}
template <>
constexpr const char* type_name<std::vector<std::int64_t>>() {
  return "integers";
}
template <>
constexpr const char* type_name<std::vector<double>>() {
  return "reals";
}
template <>
constexpr const char* type_name<std::vector<std::string>>() {
  return "strings";
}

template <class T>
constexpr bool is_number() {
  return std::is_same_v<T, std::int64_t> || std::is_same_v<T, double> || std::is_same_v<T, std::vector<std::int64_t>> ||
         std::is_same_v<T, std::vector<double>>;
}

// One getter per type, with the declaration's default, range and choices.
template <class T>
T read(const ConfigTable& c, const std::string& key, const std::optional<T>& fallback, const Setting<T>& s) {
  if constexpr (std::is_same_v<T, std::int64_t>) return c.integer(key, fallback, s.range);
  else if constexpr (std::is_same_v<T, double>) return c.real(key, fallback, s.range);
  else if constexpr (std::is_same_v<T, bool>) return c.boolean(key, fallback);
  else if constexpr (std::is_same_v<T, std::string>) return c.string(key, fallback, s.choices);
  else if constexpr (std::is_same_v<T, std::vector<std::int64_t>>) return c.integers(key, fallback, s.range);
  else if constexpr (std::is_same_v<T, std::vector<double>>) return c.reals(key, fallback, s.range);
  else {
    std::vector<std::string> v = c.strings(key, fallback);
    if (!s.choices.empty())
      for (const auto& x : v)
        if (std::find(s.choices.begin(), s.choices.end(), x) == s.choices.end())
          c.fail(key, "'" + x + "' is not one of " + join(s.choices) + did_you_mean(x, s.choices));
    return v;
  }
}

}  // namespace

template <class T>
T ConfigTable::get(const Setting<T>& s) const {
  if (!s.fallback && !s.required && !has(s.key))
    throw Error("internal: setting '" + dotted(s.key) + "' has no default; read it with get_optional");
  return read<T>(*this, s.key, s.fallback, s);
}

template <class T>
std::optional<T> ConfigTable::get_optional(const Setting<T>& s) const {
  if (!has(s.key)) {
    allow(s.key);
    return s.fallback;
  }
  return read<T>(*this, s.key, std::nullopt, s);
}

template <class T>
SettingInfo describe(const Setting<T>& s) {
  SettingInfo info{s.key, type_name<T>(), "", "", s.help};
  info.fallback = s.fallback ? text(*s.fallback) : s.required ? "required" : "(see help)";
  if constexpr (is_number<T>()) {
    const std::string r = s.range.describe();
    if (r != "finite") info.range = r;
  }
  if (!s.choices.empty()) info.range = "one of " + join(s.choices);
  return info;
}

#define NAC_SETTING_TYPE(T)                                                                \
  template NAC_API T ConfigTable::get<T>(const Setting<T>&) const;                         \
  template NAC_API std::optional<T> ConfigTable::get_optional<T>(const Setting<T>&) const; \
  template NAC_API SettingInfo describe<T>(const Setting<T>&);
NAC_SETTING_TYPE(std::int64_t)
NAC_SETTING_TYPE(double)
NAC_SETTING_TYPE(bool)
NAC_SETTING_TYPE(std::string)
NAC_SETTING_TYPE(std::vector<std::int64_t>)
NAC_SETTING_TYPE(std::vector<double>)
NAC_SETTING_TYPE(std::vector<std::string>)
#undef NAC_SETTING_TYPE

}  // namespace nac
