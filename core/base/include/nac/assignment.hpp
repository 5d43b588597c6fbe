#pragma once
// An Assignment maps the names of the active parameters of a search space to their values.
#include <cstdint>
#include <map>
#include <string>

#include "nac/value.hpp"
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac {

class Assignment {
 public:
  void set(const std::string& name, Value value) { values_[name] = std::move(value); }
  bool has(const std::string& name) const { return values_.count(name) != 0; }
  /// The value of an active parameter; throws nac::Error naming the parameter if it is absent.
  const Value& at(const std::string& name) const;
  double real(const std::string& name) const;               // int or real values
  std::int64_t integer(const std::string& name) const;      // int values
  const std::string& label(const std::string& name) const;  // categorical string values
  /// The parameters under "prefix." with the prefix removed (what a block plugin sees).
  Assignment subset(const std::string& prefix) const;

  const std::map<std::string, Value>& values() const { return values_; }
  std::size_t size() const { return values_.size(); }
  bool operator==(const Assignment& other) const = default;

 private:
  std::map<std::string, Value> values_;
};

}  // namespace nac
NAC_PUBLIC_END
