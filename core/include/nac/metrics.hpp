#pragma once
// Metrics: named numbers a task reports for one candidate, and their declared meaning.
#include <map>
#include <string>

#include "nac/search_strategy.hpp"

namespace nac {

using Metrics = std::map<std::string, double>;

struct MetricInfo {
  std::string name;
  Direction direction = Direction::Minimize;
  std::string description;
};

}  // namespace nac
