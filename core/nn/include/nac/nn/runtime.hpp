#pragma once
#include "nac/export.hpp"
// Threads of the nn engine: oneDNN (its OpenMP runtime) and nac's own loops use the same count.
// For a given seed and thread count, training gives the same result run after run.
NAC_PUBLIC_BEGIN
namespace nac::nn {

/// Sets the number of threads (>= 1) for this process.
void set_threads(int threads);
int threads();

}  // namespace nac::nn
NAC_PUBLIC_END
