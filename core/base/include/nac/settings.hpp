#pragma once
// Declared settings: what a plugin reads from its table of the experiment file, declared once
// with its key, type, default, range and help. The plugin registers the declarations with its
// factory (so `nac plugins --describe NAME` prints them) and its factory reads every value
// through them (ConfigTable::get), so the description can never drift from what is read.
//
//   const nac::Setting<std::int64_t> kPopulation{.key = "population", .fallback = 20,
//                                                .range = nac::Range::between(2, 1e6),
//                                                .help = "individuals per generation"};
//   registry.add_strategy("nsga2", factory, "NSGA-II", nac::describe_settings(kPopulation, ...));
//   ... in the factory: const auto population = config.get(kPopulation);
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nac/config.hpp"
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac {

/// One setting. T: std::int64_t, double, bool, std::string, or a std::vector of std::int64_t,
/// double or std::string.
template <class T>
struct Setting {
  std::string key;
  std::optional<T> fallback;              // the default; none: required (or see `help`)
  Range range = {};                       // numbers, and each number of a list
  std::vector<std::string> choices = {};  // strings: the allowed values (empty: any)
  std::string help;
  bool required = !fallback.has_value();  // false with no fallback: optional, default in `help`
};

/// A setting as text, for people: `nac plugins --describe`, docs/plugins.md.
struct SettingInfo {
  std::string key;
  std::string type;      // "integer", "real", "boolean", "string", "integers", "reals", "strings"
  std::string fallback;  // the default as TOML, "required", or "(see help)"
  std::string range;     // "in [0, 1]", "one of a, b", or ""
  std::string help;
};

template <class T>
SettingInfo describe(const Setting<T>& setting);

/// The descriptions of several settings, in order.
template <class... S>
std::vector<SettingInfo> describe_settings(const S&... settings) {
  return {describe(settings)...};
}

}  // namespace nac
NAC_PUBLIC_END
