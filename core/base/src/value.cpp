#include "nac/value.hpp"

#include <charconv>

#include "nac/error.hpp"

namespace nac {

Error::~Error() = default;
WriteError::~WriteError() = default;

std::string to_string(const Value& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v)) {
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, *d);
    return std::string(buf, res.ptr);
  }
  return std::get<std::string>(v);
}

double to_double(const Value& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  if (const auto* d = std::get_if<double>(&v)) return *d;
  throw Error("expected a number, found the label '" + std::get<std::string>(v) + "'");
}

}  // namespace nac
