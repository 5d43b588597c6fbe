#pragma once
// Metrics: named numbers a task reports for one candidate, and their declared meaning.
#include <map>
#include <string>

#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac {

enum class Direction { Minimize, Maximize };
const char* to_string(Direction d);

using Metrics = std::map<std::string, double>;

struct MetricInfo {
  std::string name;
  Direction direction = Direction::Minimize;
  std::string description;
};

}  // namespace nac
NAC_PUBLIC_END
