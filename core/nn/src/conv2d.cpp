#include "conv2d.hpp"

#include "conv_kernels.hpp"
#include "layers.hpp"

#include <cmath>

#include "nac/error.hpp"
#include "nac/nn/profile.hpp"

namespace nac::nn {

using dnnl::memory;
using tag = memory::format_tag;
using namespace detail;

Conv2d::Conv2d(const LayerSpec& spec, const LayerSpec* activation)
    : Layer(spec),
      in_c_(spec.input.at(0)),
      out_c_(attr_int(spec, "out_channels")),
      kernel_(attr_int(spec, "kernel")),
      stride_(attr_int(spec, "stride", 1)),
      padding_(attr_int(spec, "padding", 0)),
      groups_(attr_int(spec, "groups", 1)),
      has_bias_(attr_int(spec, "bias", 1) != 0),
      weight_(spec.name + ".weight", {out_c_, in_c_ / groups_, kernel_, kernel_}),
      bias_(spec.name + ".bias", {has_bias_ ? out_c_ : 0}) {
  if (groups_ < 1 || in_c_ % groups_ != 0 || out_c_ % groups_ != 0)  // (infer_shapes checks this first)
    throw Error("layer '" + spec.name + "': 'groups' " + std::to_string(groups_) +
                " must divide in_channels and out_channels");
  zero_bias_.resize({out_c_});
  zero_bias_.zero();
  small_ = groups_ == 1 && stride_ == 1 && padding_ == 0 && in_c_ * kernel_ * kernel_ <= detail::kSmallConvMaxTaps;
  pointwise_ = !small_ && groups_ == 1 && stride_ == 1 && padding_ == 0 && kernel_ == 1;
  winograd_ = !small_ && groups_ == 1 && stride_ == 1 && kernel_ == 3 &&
              detail::winograd_pays(in_c_, out_c_, spec.output.at(1), spec.output.at(2));
  if (activation) {
    fused_ = true;
    slope_ = activation->op == "leaky_relu" ? static_cast<float>(attr_real(*activation, "slope", 0.01)) : 0.0f;
    if (slope_ < 0) throw Error("layer '" + activation->name + "': a fused activation needs a slope >= 0");
  }
}

std::vector<Param*> Conv2d::params() {
  if (has_bias_) return {&weight_, &bias_};
  return {&weight_};
}

void Conv2d::initialize(Rng& rng) {
  // PyTorch's default: kaiming_uniform(a = sqrt 5) for weights, i.e. U(-1/sqrt(fan_in), +), and
  // the same bound for biases.
  // fan_in is a group's input channels times the kernel.
  const float bound = 1.0f / std::sqrt(static_cast<float>(in_c_ / groups_ * kernel_ * kernel_));
  for (std::size_t i = 0; i < weight_.value().size(); ++i)
    weight_.value()[i] = static_cast<float>(rng.uniform(-bound, bound));
  for (std::size_t i = 0; i < bias_.value().size(); ++i)
    bias_.value()[i] = static_cast<float>(rng.uniform(-bound, bound));
  weight_.refresh();
}

Conv2d::Descriptors Conv2d::descriptors(std::int64_t batch) const {
  const auto& out = spec_.output;
  const auto& in = spec_.input;
  const auto f32 = memory::data_type::f32;
  if (groups_ > 1) {
    const memory::dims w{groups_, out_c_ / groups_, in_c_ / groups_, kernel_, kernel_};
    return Descriptors{memory::desc({batch, in_c_, in[1], in[2]}, f32, tag::nhwc),
                       memory::desc({batch, out_c_, out[1], out[2]}, f32, tag::nhwc),
                       memory::desc(w, f32, tag::any),
                       memory::desc(w, f32, tag::goihw),
                       memory::desc({out_c_}, f32, tag::x),
                       memory::dims{stride_, stride_},
                       memory::dims{padding_, padding_}};
  }
  return Descriptors{memory::desc({batch, in_c_, in[1], in[2]}, f32, tag::nhwc),
                     memory::desc({batch, out_c_, out[1], out[2]}, f32, tag::nhwc),
                     memory::desc({out_c_, in_c_, kernel_, kernel_}, f32, tag::any),
                     memory::desc({out_c_, in_c_, kernel_, kernel_}, f32, tag::oihw),
                     memory::desc({out_c_}, f32, tag::x),
                     memory::dims{stride_, stride_},
                     memory::dims{padding_, padding_}};
}

Conv2d::Primitives& Conv2d::primitives(std::int64_t batch, bool training) {
  const auto key = std::make_pair(batch, training);
  if (auto it = cache_.find(key); it != cache_.end()) return it->second;
  const PhaseTimer timer("in layers: primitive creation");
  const auto [src_d, dst_d, w_any, w_user, b_d, strides, pad] = descriptors(batch);
  Primitives p;
  dnnl::convolution_forward::desc fd(training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference,
                                     dnnl::algorithm::convolution_direct, src_d, w_any, b_d, dst_d, strides, pad, pad);
  dnnl::primitive_attr attr;
  if (fused_) {
    dnnl::post_ops ops;
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, slope_, 0.0f);  // relu with a negative slope
    attr.set_post_ops(ops);
  }
  p.fwd_pd = dnnl::convolution_forward::primitive_desc(fd, attr, cpu_engine());
  p.fwd = dnnl::convolution_forward(p.fwd_pd);
  p.src = memory(src_d, cpu_engine(), DNNL_MEMORY_NONE);
  p.dst = memory(dst_d, cpu_engine(), DNNL_MEMORY_NONE);
  p.bias = memory(b_d, cpu_engine(), DNNL_MEMORY_NONE);
  p.weights_user = memory(w_user, cpu_engine(), DNNL_MEMORY_NONE);
  p.fwd_reorder = p.fwd_pd.weights_desc() != w_user;
  if (p.fwd_reorder) {
    p.weights_fwd = memory(p.fwd_pd.weights_desc(), cpu_engine());
    p.to_fwd = dnnl::reorder(p.weights_user, p.weights_fwd);
  } else {
    p.weights_fwd = p.weights_user;
  }
  return cache_.emplace(key, std::move(p)).first->second;
}

void Conv2d::prepare_backward(Primitives& p, std::int64_t batch) {
  const PhaseTimer timer("in layers: primitive creation");
  const auto [src_d, dst_d, w_any, w_user, b_d, strides, pad] = descriptors(batch);
  dnnl::convolution_backward_data::desc bd(dnnl::algorithm::convolution_direct, src_d, w_any, dst_d, strides, pad, pad);
  p.bwd_data_pd = dnnl::convolution_backward_data::primitive_desc(bd, cpu_engine(), p.fwd_pd);
  p.bwd_data = dnnl::convolution_backward_data(p.bwd_data_pd);
  dnnl::convolution_backward_weights::desc wd(dnnl::algorithm::convolution_direct, src_d, w_any, b_d, dst_d, strides,
                                              pad, pad);
  p.bwd_weights_pd = dnnl::convolution_backward_weights::primitive_desc(wd, cpu_engine(), p.fwd_pd);
  p.bwd_weights = dnnl::convolution_backward_weights(p.bwd_weights_pd);
  p.diff_src = memory(src_d, cpu_engine(), DNNL_MEMORY_NONE);
  p.diff_dst = memory(dst_d, cpu_engine(), DNNL_MEMORY_NONE);
  p.diff_bias = memory(b_d, cpu_engine(), DNNL_MEMORY_NONE);
  p.bwd_reorder = p.bwd_data_pd.weights_desc() != w_user;
  if (p.bwd_reorder) {
    p.bwd_shares_fwd = p.fwd_reorder && p.bwd_data_pd.weights_desc() == p.fwd_pd.weights_desc();
    p.weights_bwd = p.bwd_shares_fwd ? p.weights_fwd : memory(p.bwd_data_pd.weights_desc(), cpu_engine());
    if (!p.bwd_shares_fwd) p.to_bwd = dnnl::reorder(p.weights_user, p.weights_bwd);
  } else {
    p.weights_bwd = p.weights_user;
  }
  p.diff_weights_user = memory(w_user, cpu_engine(), DNNL_MEMORY_NONE);
  p.diff_reorder = p.bwd_weights_pd.diff_weights_desc() != w_user;
  if (p.diff_reorder) {
    p.diff_weights = memory(p.bwd_weights_pd.diff_weights_desc(), cpu_engine());
    p.from_diff = dnnl::reorder(p.diff_weights, p.diff_weights_user);
  } else {
    p.diff_weights = p.diff_weights_user;
  }
  p.backward_ready = true;
}

void Conv2d::forward(const Tensor& x, Tensor& y, const Context& ctx) {
  const std::int64_t batch = x.dim(0);
  y.resize(batched(batch, spec_.output));
  if (forward_int8(x, y, ctx)) return;
  if (small_) return forward_small(x, y);
  if (pointwise_) return forward_pointwise(x, y);
  if (winograd_) return forward_winograd(x, y);
  Primitives& p = primitives(batch, ctx.training);
  auto& s = cpu_stream();
  p.weights_user.set_data_handle(const_cast<float*>(weight_.effective().data()));
  if (p.fwd_reorder && p.fwd_version != weight_.version()) {
    const PhaseTimer timer("in layers: weight reorders");
    p.to_fwd.execute(s, p.weights_user, p.weights_fwd);
    s.wait();
    p.fwd_version = weight_.version();
  }
  p.src.set_data_handle(const_cast<float*>(x.data()));
  p.dst.set_data_handle(y.data());
  p.bias.set_data_handle(const_cast<float*>(has_bias_ ? bias_.effective().data() : zero_bias_.data()));
  p.fwd.execute(
      s, {{DNNL_ARG_SRC, p.src}, {DNNL_ARG_WEIGHTS, p.weights_fwd}, {DNNL_ARG_BIAS, p.bias}, {DNNL_ARG_DST, p.dst}});
  s.wait();
}

void Conv2d::backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) {
  const std::int64_t batch = x.dim(0);
  if (small_ && !dx) return weight_grad_small(x, dy.data(), y.data(), fused_);  // the activation's too
  const float* grad_out = dy.data();
  if (fused_) {  // through the activation: dy where the output is positive, slope * dy elsewhere
    act_grad_.resize(dy.shape());
    leaky_relu_backward(y.data(), dy.data(), slope_, act_grad_.data(), static_cast<std::int64_t>(dy.size()));
    grad_out = act_grad_.data();
  }
  if (pointwise_) return backward_pointwise(x, grad_out, dx);
  if (winograd_) return backward_winograd(x, grad_out, dx);
  if (small_) weight_grad_small(x, grad_out, nullptr, false);
  Primitives& p = primitives(batch, true);
  if (!p.backward_ready) prepare_backward(p, batch);
  auto& s = cpu_stream();
  p.src.set_data_handle(const_cast<float*>(x.data()));
  p.diff_dst.set_data_handle(const_cast<float*>(grad_out));
  if (dx) {
    dx->resize(x.shape());
    p.weights_user.set_data_handle(const_cast<float*>(weight_.effective().data()));
    // When backward-data wants the forward layout, the forward already reordered these weights
    // (unless the small path ran the forward).
    if (p.bwd_reorder && p.bwd_shares_fwd && small_ && p.fwd_version != weight_.version()) {
      const PhaseTimer timer("in layers: weight reorders");
      p.to_fwd.execute(s, p.weights_user, p.weights_fwd);
      s.wait();
      p.fwd_version = weight_.version();
    }
    if (p.bwd_reorder && !p.bwd_shares_fwd && p.bwd_version != weight_.version()) {
      const PhaseTimer timer("in layers: weight reorders");
      p.to_bwd.execute(s, p.weights_user, p.weights_bwd);
      s.wait();
      p.bwd_version = weight_.version();
    }
    p.diff_src.set_data_handle(dx->data());
    p.bwd_data.execute(
        s, {{DNNL_ARG_DIFF_SRC, p.diff_src}, {DNNL_ARG_WEIGHTS, p.weights_bwd}, {DNNL_ARG_DIFF_DST, p.diff_dst}});
    s.wait();
  }
  if (small_) return;
  p.diff_weights_user.set_data_handle(weight_.grad().data());
  p.diff_bias.set_data_handle(has_bias_ ? bias_.grad().data() : zero_bias_.data());
  p.bwd_weights.execute(s, {{DNNL_ARG_SRC, p.src},
                            {DNNL_ARG_DIFF_WEIGHTS, p.diff_weights},
                            {DNNL_ARG_DIFF_BIAS, p.diff_bias},
                            {DNNL_ARG_DIFF_DST, p.diff_dst}});
  s.wait();
  if (p.diff_reorder) {
    const PhaseTimer timer("in layers: weight reorders");
    p.from_diff.execute(s, p.diff_weights, p.diff_weights_user);
    s.wait();
  }
  if (!has_bias_) zero_bias_.zero();
}

}  // namespace nac::nn
