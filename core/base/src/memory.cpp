#include "nac/memory.hpp"

#include <unistd.h>

#include <cmath>
#include <limits>

#include "nac/error.hpp"

namespace nac {

std::uint64_t physical_memory() {
  static const std::uint64_t memory = [] {
    const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page <= 0) return std::numeric_limits<std::uint64_t>::max();
    return static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page);
  }();
  return memory;
}

void check_fits_in_memory(double bytes, const std::string& what) {
  const double memory = static_cast<double>(physical_memory());
  if (bytes <= memory) return;
  const double mib = std::ceil(bytes / 1048576.0);
  char needed[64];
  std::snprintf(needed, sizeof needed, mib < 1e15 ? "%.0f" : "%.3g", mib);
  throw Error(what + " needs " + needed + " MiB, more than this machine's memory (" +
              std::to_string(physical_memory() >> 20) + " MiB)");
}

}  // namespace nac
