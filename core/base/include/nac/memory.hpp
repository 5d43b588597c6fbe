#pragma once
// Sizes checked before they are allocated: more than the machine's memory cannot work, and asking
// for it ends in std::bad_alloc (an "internal error" naming nothing) or the OOM killer.
#include <cstdint>
#include <string>

#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac {

/// The machine's physical memory in bytes (UINT64_MAX when the system does not say).
std::uint64_t physical_memory();

/// Throws nac::Error "WHAT needs N MiB, more than this machine's memory (M MiB)" when `bytes`
/// (a double: products of sizes may exceed 64 bits) is more than physical_memory().
void check_fits_in_memory(double bytes, const std::string& what);

}  // namespace nac
NAC_PUBLIC_END
