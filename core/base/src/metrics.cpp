#include "nac/metrics.hpp"

namespace nac {

const char* to_string(Direction d) { return d == Direction::Minimize ? "minimize" : "maximize"; }

}  // namespace nac
