#include "kernel_isa.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

#include "nac/error.hpp"

namespace nac::nn::detail {

int kernel_isa() {
  static constexpr const char* kNames[3] = {"avx512", "avx2", "generic"};
  static const int best = [] {
#ifndef NAC_NO_CPU_CLONES  // (the ThreadSanitizer build runs the generic kernels)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl"))
      return 0;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
#endif
    return 2;
  }();
  const char* cap = std::getenv("NAC_KERNEL_ISA");
  if (!cap || !*cap) return best;
  for (int i = 0; i < 3; ++i)
    if (std::strcmp(cap, kNames[i]) == 0) return std::max(best, i);
  throw Error(std::string("NAC_KERNEL_ISA=") + cap + ": expected avx512, avx2 or generic (or unset)");
}

}  // namespace nac::nn::detail
