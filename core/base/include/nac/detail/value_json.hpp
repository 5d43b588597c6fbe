#pragma once
// Internal: a parameter or attribute Value to JSON and back (model files, trial files).
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

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
  if (j.is_number_unsigned() && j.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))
    throw Error(where + ": the integer " + j.dump() + " is too large (at most " + std::to_string(INT64_MAX) + ")");
  if (j.is_number_integer()) return j.get<std::int64_t>();
  if (j.is_number()) return j.get<double>();
  if (j.is_string()) return j.get<std::string>();
  throw Error(where + ": expected a number or a string, found " + j.dump());
}

/// An integer >= 0 of saved state (an id, a count): a float, a negative number or anything else
/// throws nac::Error (nlohmann's own conversion of 1e30 to an integer is undefined behaviour).
inline std::uint64_t json_uint(const nlohmann::json& j) {
  if (!j.is_number_unsigned()) throw Error("expected an integer >= 0, found " + j.dump());
  return j.get<std::uint64_t>();
}

/// An int, the same way.
inline int json_int(const nlohmann::json& j) {
  if (!j.is_number_integer() || j.get<std::int64_t>() < INT32_MIN || j.get<std::int64_t>() > INT32_MAX ||
      (j.is_number_unsigned() && j.get<std::uint64_t>() > INT32_MAX))
    throw Error("expected an integer, found " + j.dump());
  return static_cast<int>(j.get<std::int64_t>());
}

/// A shape: an array of integers >= 0 (not 2.5, not -1, not "3"); else nac::Error at `where`.
inline std::vector<std::int64_t> json_shape(const nlohmann::json& j, const std::string& where) {
  std::vector<std::int64_t> shape;
  bool ok = j.is_array();
  if (ok)
    for (const auto& d : j) {
      // (A parsed text holds unsigned numbers; a document built in memory may hold signed ones.)
      ok = (d.is_number_unsigned() && d.get<std::uint64_t>() <= static_cast<std::uint64_t>(INT64_MAX)) ||
           (d.is_number_integer() && !d.is_number_unsigned() && d.get<std::int64_t>() >= 0);
      if (!ok) break;
      shape.push_back(d.get<std::int64_t>());
    }
  if (!ok) throw Error(where + ": expected a shape (an array of integers >= 0), found " + j.dump());
  return shape;
}

/// Throws nac::Error at `where` for a key of the object `j` that is not in `known` (keys
/// starting with '_' are comments).
inline void check_json_keys(const nlohmann::json& j, std::initializer_list<const char*> known,
                            const std::string& where) {
  if (!j.is_object()) throw Error(where + ": expected an object, found " + j.dump());
  for (const auto& [k, v] : j.items()) {
    if (!k.empty() && k[0] == '_') continue;
    bool found = false;
    std::string list;
    for (const char* n : known) {
      found |= k == n;
      list += (list.empty() ? "" : ", ") + std::string(n);
    }
    if (!found) throw Error(where + ": unknown key '" + k + "' (known: " + list + ")");
  }
}

}  // namespace nac::detail
NAC_PUBLIC_END
