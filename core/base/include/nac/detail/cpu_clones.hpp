#pragma once
// NAC_CPU_CLONES: a function compiled for AVX-512, AVX2 and plain x86-64, the best picked when the
// program starts (GCC's target_clones; with -ffp-contract=off every clone gives the same bytes).
// The ThreadSanitizer build turns it off (NAC_NO_CPU_CLONES): the clones' resolvers run before
// the sanitizer's runtime is set up, and instrumented, they crash the program at start.
#ifdef NAC_NO_CPU_CLONES
#define NAC_CPU_CLONES
#else
#define NAC_CPU_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
