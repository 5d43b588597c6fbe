#pragma once
// Internal: the oneDNN engine and stream, and helpers to wrap tensors as oneDNN memory.
#include <oneapi/dnnl/dnnl.hpp>

#include "nac/nn/tensor.hpp"

namespace nac::nn::detail {

dnnl::engine& cpu_engine();
dnnl::stream& cpu_stream();

inline dnnl::memory::dims dims_of(const Shape& s) { return dnnl::memory::dims(s.begin(), s.end()); }

/// A memory object over a tensor's data (no copy).
inline dnnl::memory wrap(const dnnl::memory::desc& d, const Tensor& t) {
  return dnnl::memory(d, cpu_engine(), const_cast<float*>(t.data()));
}

/// Runs a reorder from `from` to `to` (same logical tensor, other layouts).
void reorder(const dnnl::memory& from, const dnnl::memory& to);

}  // namespace nac::nn::detail
