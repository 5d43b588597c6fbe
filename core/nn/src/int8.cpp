#include "int8.hpp"

#include <algorithm>
#include <cmath>

#include "nac/detail/cpu_clones.hpp"
#include "nac/nn/profile.hpp"
#include "parallel_ranges.hpp"

namespace nac::nn::detail {

using dnnl::memory;
using dt = memory::data_type;

std::optional<dt> code_type(const NumberType& t) {
  if (t.is_float() || t.width > 8) return std::nullopt;
  return t.is_signed ? dt::s8 : dt::u8;
}

namespace {
bool weight_codes_fit_s8(const NumberType& t) {
  const auto c = code_type(t);
  return c && (*c == dt::s8 || t.width <= 7);
}
}  // namespace

std::optional<dt> int8_input(const Context& ctx, const Param& weight) {
  if (ctx.training || !ctx.integer || ctx.input_step <= 0 || !ctx.input_type) return std::nullopt;
  if (!weight.quantizer() || !weight_codes_fit_s8(*weight.quantizer()) || weight.stale()) return std::nullopt;
  return code_type(*ctx.input_type);
}

namespace {
// Per CPU (the rounding then compiles to one instruction) and split over the threads. Two plain
// functions, not a template: clang's target_clones does not take function templates.
NAC_CPU_CLONES void codes_u8(const float* x, std::uint8_t* q, std::int64_t from, std::int64_t to, float inv) {
  for (std::int64_t i = from; i < to; ++i)
    q[i] = static_cast<std::uint8_t>(std::min(std::max(std::nearbyint(x[i] * inv), 0.0f), 255.0f));
}
NAC_CPU_CLONES void codes_s8(const float* x, std::int8_t* q, std::int64_t from, std::int64_t to, float inv) {
  for (std::int64_t i = from; i < to; ++i)
    q[i] = static_cast<std::int8_t>(std::min(std::max(std::nearbyint(x[i] * inv), -128.0f), 127.0f));
}
}  // namespace

void to_codes(const float* x, void* codes, std::size_t n, float step, dt type) {
  const float inv = 1.0f / step;
  if (type == dt::u8)
    for_ranges(
        n, [&](std::int64_t from, std::int64_t to) { codes_u8(x, static_cast<std::uint8_t*>(codes), from, to, inv); });
  else
    for_ranges(
        n, [&](std::int64_t from, std::int64_t to) { codes_s8(x, static_cast<std::int8_t*>(codes), from, to, inv); });
}

bool Int8Weights::update(const Param& weight, const Param* b, std::int64_t channels, float step) {
  const bool weights_new = weight.version() != weight_version;
  const bool bias_new = b && b->version() != bias_version;
  if (!weights_new && !bias_new && step == input_step) return false;
  const std::vector<float>& steps = weight.steps();
  const Tensor& w = weight.effective();
  const std::size_t per = w.size() / static_cast<std::size_t>(channels);
  if (weights_new) {
    codes.resize(w.size());
    for (std::int64_t c = 0; c < channels; ++c) {
      const float s = steps.size() == 1 ? steps[0] : steps[static_cast<std::size_t>(c)];
      to_codes(w.data() + c * per, codes.data() + c * per, per, s, dt::s8);
    }
  }
  scales.resize(static_cast<std::size_t>(channels));
  bias.assign(static_cast<std::size_t>(channels), 0.0f);
  for (std::size_t c = 0; c < scales.size(); ++c) {
    scales[c] = step * (steps.size() == 1 ? steps[0] : steps[c]);
    if (b) bias[c] = b->effective()[c] / scales[c];
  }
  weight_version = weight.version();
  bias_version = b ? b->version() : ~0ull;
  input_step = step;
  return true;
}

void Int8Linear::run(std::int64_t m, std::int64_t k, std::int64_t n, const float* x, dt src_type, float input_step,
                     const Param& weight, const Param* bias, float* y) {
  const bool changed = w_.update(weight, bias, n, input_step);
  if (!entry_ || changed || m != m_ || src_type != src_type_) {
    const PhaseTimer timer("in layers: primitive creation");
    memory::desc src_d({m, k}, src_type, memory::dims{k, 1});
    memory::desc w_d({k, n}, dt::s8, memory::dims{1, k});  // the (n, k) rows, read transposed
    memory::desc b_d({1, n}, dt::f32, memory::dims{n, 1});
    memory::desc dst_d({m, n}, dt::f32, memory::dims{n, 1});
    dnnl::primitive_attr attr;
    attr.set_output_scales(1 << 1, w_.scales);
    const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src_d, w_d, b_d, dst_d), attr, cpu_engine());
    entry_ = Entry{dnnl::matmul(pd), memory(src_d, cpu_engine(), DNNL_MEMORY_NONE),
                   memory(w_d, cpu_engine(), DNNL_MEMORY_NONE), memory(b_d, cpu_engine(), DNNL_MEMORY_NONE),
                   memory(dst_d, cpu_engine(), DNNL_MEMORY_NONE)};
    m_ = m;
    src_type_ = src_type;
  }
  src_codes_.resize(static_cast<std::size_t>(m * k));
  to_codes(x, src_codes_.data(), src_codes_.size(), input_step, src_type);
  Entry& e = *entry_;
  e.src.set_data_handle(src_codes_.data());
  e.weights.set_data_handle(w_.codes.data());
  e.bias.set_data_handle(w_.bias.data());
  e.dst.set_data_handle(y);
  auto& s = cpu_stream();
  e.prim.execute(
      s, {{DNNL_ARG_SRC, e.src}, {DNNL_ARG_WEIGHTS, e.weights}, {DNNL_ARG_BIAS, e.bias}, {DNNL_ARG_DST, e.dst}});
  s.wait();
}

}  // namespace nac::nn::detail
