#pragma once
// Internal: which build of the per-instruction-set kernels (attention_kernels, conv_kernels) runs:
// 0 = avx512, 1 = avx2, 2 = generic; the best this CPU has, or lower when the environment
// variable NAC_KERNEL_ISA names a lower one (to compare results across CPUs, and to test every
// build on one machine). Any other value of it is an Error naming it.
namespace nac::nn::detail {

int kernel_isa();

}  // namespace nac::nn::detail
