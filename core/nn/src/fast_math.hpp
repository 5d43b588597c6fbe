#pragma once
// Internal: softmax rows for attention, on the vectorisable nac::fast_exp.
#include <cstdint>

#include "nac/fast_math.hpp"

namespace nac::nn::detail {

using nac::fast_exp;

/// In place: row <- exp(s * (row - max(row))) / sum, for one row of n values.
void softmax_row(float* row, std::int64_t n, float s);
/// In place: d <- s * a .* (d - dot(d, a)), the softmax backward for one row.
void softmax_backward_row(const float* a, float* d, std::int64_t n, float s);

}  // namespace nac::nn::detail
