#pragma once
// A parameter value: an integer, a real number or a string (a categorical label).
#include <cstdint>
#include <string>
#include <variant>
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac {

using Value = std::variant<std::int64_t, double, std::string>;

/// Human-readable form: integers plainly, reals in shortest round-trip form, strings as they are.
std::string to_string(const Value& v);

/// The number held by an integer or real value; throws nac::Error for a string.
double to_double(const Value& v);

}  // namespace nac
NAC_PUBLIC_END
