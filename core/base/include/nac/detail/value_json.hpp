#pragma once
// Internal: a parameter or attribute Value to JSON and back (model files, trial files).
#include <string>

#include <nlohmann/json.hpp>

#include "nac/error.hpp"
#include "nac/value.hpp"
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac::detail {

inline nlohmann::json value_json(const Value& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (const auto* d = std::get_if<double>(&v)) return *d;
  return std::get<std::string>(v);
}

/// A JSON number (integer or not) or string as a Value; anything else throws nac::Error at `where`.
inline Value json_value(const nlohmann::json& j, const std::string& where) {
  if (j.is_number_integer()) return j.get<std::int64_t>();
  if (j.is_number()) return j.get<double>();
  if (j.is_string()) return j.get<std::string>();
  throw Error(where + ": expected a number or a string, found " + j.dump());
}

}  // namespace nac::detail
NAC_PUBLIC_END
