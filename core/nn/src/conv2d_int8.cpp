// Conv2d's int8 evaluation (int8.hpp): s8 weights and s8 or u8 input codes, exact int32 sums,
// f32 output scaled per output channel, the fused activation as a post-op.
#include "conv2d.hpp"
#include "nac/nn/profile.hpp"

namespace nac::nn {

using dnnl::memory;
using namespace detail;

Conv2d::Int8Primitives Conv2d::make_int8(std::int64_t batch, memory::data_type src_type) {
  const PhaseTimer timer("in layers: primitive creation");
  const auto d = descriptors(batch);
  const memory::desc src_d(d.src.dims(), src_type, memory::format_tag::nhwc);
  const memory::desc w_any(d.weights_any.dims(), memory::data_type::s8, memory::format_tag::any);
  const memory::desc w_user(d.weights_user.dims(), memory::data_type::s8,
                            groups_ > 1 ? memory::format_tag::goihw : memory::format_tag::oihw);
  dnnl::convolution_forward::desc fd(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src_d,
                                     w_any, d.bias, d.dst, d.strides, d.padding, d.padding);
  dnnl::primitive_attr attr;
  attr.set_output_scales(1 << 1, int8_weights_.scales);
  if (fused_) {
    dnnl::post_ops ops;
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, slope_, 0.0f);
    attr.set_post_ops(ops);
  }
  const dnnl::convolution_forward::primitive_desc pd(fd, attr, cpu_engine());
  Int8Primitives p{dnnl::convolution_forward(pd), memory(src_d, cpu_engine(), DNNL_MEMORY_NONE),
                   memory(d.dst, cpu_engine(), DNNL_MEMORY_NONE), memory(pd.weights_desc(), cpu_engine()),
                   memory(d.bias, cpu_engine(), DNNL_MEMORY_NONE)};
  // The weights' codes into oneDNN's layout (with the compensation an s8 input needs).
  memory user(w_user, cpu_engine(), int8_weights_.codes.data());
  reorder(user, p.weights);
  return p;
}

bool Conv2d::forward_int8(const Tensor& x, Tensor& y, const Context& ctx) {
  // Fewer than 4 input channels per group stay float: oneDNN's int8 kernel pads the channels to
  // 4 and was 2-3x slower than the float one for BraggNN's first layer (1 channel).
  if (in_c_ / groups_ < kMinInt8Channels) return false;
  const auto src_type = int8_input(ctx, weight_);
  if (!src_type) return false;
  if (int8_weights_.update(weight_, has_bias_ ? &bias_ : nullptr, out_c_, ctx.input_step)) int8_cache_.clear();
  const auto key = std::make_pair(x.dim(0), *src_type);
  auto it = int8_cache_.find(key);
  if (it == int8_cache_.end()) it = int8_cache_.emplace(key, make_int8(x.dim(0), *src_type)).first;
  Int8Primitives& p = it->second;
  src_codes_.resize(x.size());
  to_codes(x.data(), src_codes_.data(), x.size(), ctx.input_step, *src_type);
  p.src.set_data_handle(src_codes_.data());
  p.dst.set_data_handle(y.data());
  p.bias.set_data_handle(int8_weights_.bias.data());
  auto& s = cpu_stream();
  p.fwd.execute(s,
                {{DNNL_ARG_SRC, p.src}, {DNNL_ARG_WEIGHTS, p.weights}, {DNNL_ARG_BIAS, p.bias}, {DNNL_ARG_DST, p.dst}});
  s.wait();
  record_integer(ctx, name());
  return true;
}

}  // namespace nac::nn
