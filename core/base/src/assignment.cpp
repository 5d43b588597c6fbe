#include "nac/assignment.hpp"

#include "nac/error.hpp"

namespace nac {

const Value& Assignment::at(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw Error("parameter '" + name + "' is not set (inactive or unknown)");
  return it->second;
}

double Assignment::real(const std::string& name) const {
  try {
    return to_double(at(name));
  } catch (const Error& e) {
    throw Error("parameter '" + name + "': " + e.what());
  }
}

std::int64_t Assignment::integer(const std::string& name) const {
  const Value& v = at(name);
  if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
  throw Error("parameter '" + name + "' is not an integer (found " + to_string(v) + ")");
}

const std::string& Assignment::label(const std::string& name) const {
  const Value& v = at(name);
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  throw Error("parameter '" + name + "' is not a label (found " + to_string(v) + ")");
}

Assignment Assignment::subset(const std::string& prefix) const {
  Assignment out;
  const std::string head = prefix + ".";
  for (const auto& [name, value] : values_)
    if (name.compare(0, head.size(), head) == 0) out.set(name.substr(head.size()), value);
  return out;
}

}  // namespace nac
