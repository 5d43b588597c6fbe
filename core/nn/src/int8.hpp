#pragma once
// Internal: int8 inference on oneDNN. A convolution or linear layer whose weights and input lie
// on integer grids (their fake quantizers, nac/nn/quantizer.hpp) with codes of 8 bits or less
// computes the exact int32 sums of the codes and scales them once per output channel:
//     y[c] = s_in * s_w[c] * sum(q_in * q_w) + b[c]
// which is the fake-quantized layer's result up to the float rounding of its sums.
// oneDNN 2.x adds the bias to the sums before the output scale, so the bias it gets is
// b[c] / (s_in s_w[c]).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dnnl_util.hpp"
#include "nac/nn/layer.hpp"
#include "nac/nn/parameter.hpp"

namespace nac::nn::detail {

/// The oneDNN type that holds a number type's integer codes (s8 or u8), if they fit in 8 bits.
std::optional<dnnl::memory::data_type> code_type(const NumberType& t);

/// The input's code type when a layer with this weight runs int8 in this context: evaluation with
/// Context::integer, an input quantized to codes of 8 bits or less, weights whose codes fit s8.
std::optional<dnnl::memory::data_type> int8_input(const Context& ctx, const Param& weight);

/// Writes the codes round(x / step) of values on that grid as s8 or u8 (clamped to the type).
void to_codes(const float* x, void* codes, std::size_t n, float step, dnnl::memory::data_type type);

/// A layer's weights as s8 codes, the output scales s_in s_w[c] and the bias divided by them,
/// recomputed when the weights or the input step change.
struct Int8Weights {
  std::vector<std::int8_t> codes;
  std::vector<float> scales, bias;
  std::uint64_t weight_version = ~0ull, bias_version = ~0ull;
  float input_step = 0;

  /// Brings everything up to date; true when something changed (the primitive's scales, too).
  bool update(const Param& weight, const Param* bias, std::int64_t channels, float step);
};

/// y (m, n) = x (m, k) W^T (+ b) with x on the input grid and W the (n, k) weights, int8.
class Int8Linear {
 public:
  void run(std::int64_t m, std::int64_t k, std::int64_t n, const float* x, dnnl::memory::data_type src_type,
           float input_step, const Param& weight, const Param* bias, float* y);

 private:
  Int8Weights w_;
  std::vector<std::uint8_t> src_codes_;
  struct Entry {
    dnnl::matmul prim;
    dnnl::memory src, weights, bias, dst;
  };
  std::optional<Entry> entry_;
  std::int64_t m_ = -1;
  dnnl::memory::data_type src_type_ = dnnl::memory::data_type::undef;
};

/// Records that a layer ran int8 (Context::ran_integer).
inline void record_integer(const Context& ctx, const std::string& name) {
  if (ctx.ran_integer) ctx.ran_integer->push_back(name);
}

}  // namespace nac::nn::detail
