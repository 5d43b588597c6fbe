#pragma once
// Internal: 2-D convolution on oneDNN. Images are NHWC (see tensor.hpp); the weights are kept as OIHW in the
// Param and reordered to the layout oneDNN's fastest kernel wants once per forward (they change
// every step in training). Primitives are made once per batch size and cached.
// Grouped (`groups` G > 1; G = in_channels is depthwise): the Param is (OC, IC/G, KH, KW) as in
// PyTorch, which is the same memory as oneDNN's grouped goihw (G, OC/G, IC/G, KH, KW).
#include <map>

#include "dnnl_util.hpp"
#include "int8.hpp"
#include "matmul.hpp"
#include "nac/nn/layer.hpp"
#include "winograd_kernels.hpp"

namespace nac::nn {

class Conv2d final : public Layer {
 public:
  /// With `activation` (a relu or leaky_relu spec that follows the convolution), the activation
  /// is fused: oneDNN applies it as a post-op, and backward multiplies the output gradient by its
  /// derivative, read from the sign of the output (the same as the input's for slopes >= 0).
  explicit Conv2d(const LayerSpec& spec, const LayerSpec* activation = nullptr);
  void forward(const Tensor& x, Tensor& y, const Context& ctx) override;
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;
  std::vector<Param*> params() override;
  void initialize(Rng& rng) override;

  std::int64_t in_channels() const { return in_c_; }
  /// Integer inference needs at least this many input channels per group (else the float path).
  static constexpr std::int64_t kMinInt8Channels = 4;
  std::int64_t out_channels() const { return out_c_; }

 private:
  struct Primitives {
    dnnl::convolution_forward fwd;
    dnnl::convolution_forward::primitive_desc fwd_pd;
    dnnl::convolution_backward_data bwd_data;
    dnnl::convolution_backward_data::primitive_desc bwd_data_pd;
    dnnl::convolution_backward_weights bwd_weights;
    dnnl::convolution_backward_weights::primitive_desc bwd_weights_pd;
    dnnl::memory src, dst, diff_src, diff_dst, bias, diff_bias;
    dnnl::memory weights_user, weights_fwd, weights_bwd, diff_weights_user, diff_weights;
    dnnl::reorder to_fwd, to_bwd, from_diff;
    bool fwd_reorder = false, bwd_reorder = false, bwd_shares_fwd = false, diff_reorder = false;
    bool backward_ready = false;
    std::uint64_t fwd_version = ~0ull, bwd_version = ~0ull;  // weight version held by the reordered copies
  };
  struct Descriptors {
    dnnl::memory::desc src, dst, weights_any, weights_user, bias;
    dnnl::memory::dims strides, padding;
  };
  // Evaluation on integer codes (int8.hpp): the s8 weights reordered once, the input's codes per
  // call. Made per batch size and input code type; remade when the weights or scales change.
  struct Int8Primitives {
    dnnl::convolution_forward fwd;
    dnnl::memory src, dst, weights, bias;
  };
  /// Runs the forward int8 when the context allows it (int8_input); false when it did not.
  bool forward_int8(const Tensor& x, Tensor& y, const Context& ctx);
  Int8Primitives make_int8(std::int64_t batch, dnnl::memory::data_type src_type);

  // Layers with few taps (conv_kernels.hpp) run forward and the weight gradient on nac's own
  // kernels; the input gradient stays on oneDNN.
  void forward_small(const Tensor& x, Tensor& y);
  /// With through_activation, dy is the fused activation's output gradient (y its output);
  /// otherwise dy is the convolution's output gradient.
  void weight_grad_small(const Tensor& x, const float* dy, const float* y, bool through_activation);

  // 1x1 layers (stride 1, no padding, no groups) that the few-tap path does not take are matrix
  // products over the batch's pixels (conv2d_pointwise.cpp): oneDNN's convolution kernels ran
  // those with few output channels at 4-20 GFLOP/s.
  void forward_pointwise(const Tensor& x, Tensor& y);
  void backward_pointwise(const Tensor& x, const float* grad_out, Tensor* dx);

  // 3x3 layers of stride 1 with enough channels: Winograd F(4x4, 3x3) (conv2d_winograd.cpp).
  detail::WinogradDims winograd_dims(std::int64_t batch) const;
  void prepare_winograd(std::int64_t batch);  // per-thread products and M buffers
  void forward_winograd(const Tensor& x, Tensor& y);
  void backward_winograd(const Tensor& x, const float* grad_out, Tensor* dx);

  Descriptors descriptors(std::int64_t batch) const;
  Primitives& primitives(std::int64_t batch, bool training);
  void prepare_backward(Primitives& p, std::int64_t batch);

  std::int64_t in_c_, out_c_, kernel_, stride_, padding_, groups_;
  bool has_bias_;
  bool fused_ = false;
  float slope_ = 0;
  Param weight_, bias_;
  Tensor act_grad_;
  Tensor zero_bias_;
  std::map<std::pair<std::int64_t, bool>, Primitives> cache_;
  detail::Int8Weights int8_weights_;
  std::map<std::pair<std::int64_t, dnnl::memory::data_type>, Int8Primitives> int8_cache_;
  std::vector<std::uint8_t> src_codes_;
  bool small_ = false;
  bool pointwise_ = false;
  bool winograd_ = false;
  detail::Matmul mm_;
  // U (36, C, O); V or dV (36, T, C) by chunks; per thread M or dM (36, chunk's T, O) and dU.
  Tensor wino_u_, wino_v_, wino_m_, wino_du_;
  std::vector<detail::Matmul> wino_mm_;    // per thread
  std::uint64_t wino_version_ = ~0ull;     // the weights' version U was made from
  Tensor packed_w_, packed_b_, partials_;  // the small path's (taps, opad) weights, padded bias, per-thread sums
  std::uint64_t packed_version_ = ~0ull;
};

}  // namespace nac::nn
