// Spatial self-attention, BraggNN's non-local block. For x of shape (C, H, W), n = H*W, stored
// NHWC, i.e. as (B, n, C) row-major:
//   theta, phi, g = 1x1 convolutions C -> hidden       each (B, n, hidden)
//   A = softmax_rows(s * theta phi^T)                  (B, n, n), s = 1/sqrt(hidden) or 1
//   y = A g                                            (B, n, hidden)
//   z = out(y) + x   (out: 1x1 convolution hidden -> C; the residual add is optional)
// theta, phi and g run as one 1x1 convolution C -> 3 hidden (their weights copied side by side,
// their gradients split back); the products and the softmax run per sample in fused kernels
// (attention_kernels.hpp), which read its output as three strided views.
#include <cmath>
#include <cstring>

#include <omp.h>

#include "attention_kernels.hpp"
#include "conv2d.hpp"
#include "kernel_isa.hpp"
#include "layers.hpp"
#include "parallel_ranges.hpp"
#include "nac/nn/profile.hpp"

namespace nac::nn {

namespace {

LayerSpec conv1x1(const LayerSpec& parent, const std::string& part, std::int64_t in_c, std::int64_t out_c) {
  LayerSpec s;
  s.op = "conv2d";
  s.name = parent.name + "." + part;
  s.attrs = {{"out_channels", out_c}, {"kernel", std::int64_t{1}}};
  s.input = {in_c, parent.input[1], parent.input[2]};
  s.output = {out_c, parent.input[1], parent.input[2]};
  return s;
}

class Attention final : public Layer {
 public:
  explicit Attention(const LayerSpec& spec)
      : Layer(spec),
        c_(spec.input.at(0)),
        h_(attr_int(spec, "hidden")),
        n_(spec.input.at(1) * spec.input.at(2)),
        scale_(attr_int(spec, "scale", 0) != 0 ? 1.0f / std::sqrt(static_cast<float>(h_)) : 1.0f),
        residual_(attr_int(spec, "residual", 1) != 0),
        theta_(spec.name + ".theta.weight", {h_, c_, 1, 1}),
        theta_b_(spec.name + ".theta.bias", {h_}),
        phi_(spec.name + ".phi.weight", {h_, c_, 1, 1}),
        phi_b_(spec.name + ".phi.bias", {h_}),
        g_(spec.name + ".g.weight", {h_, c_, 1, 1}),
        g_b_(spec.name + ".g.bias", {h_}),
        qkv_(conv1x1(spec, "qkv", c_, 3 * h_)),
        out_(conv1x1(spec, "out", h_, c_)) {}

  std::vector<Param*> params() override {
    std::vector<Param*> all{&theta_, &theta_b_, &phi_, &phi_b_, &g_, &g_b_};
    for (Param* p : out_.params()) all.push_back(p);
    return all;
  }

  void initialize(Rng& rng) override {
    // As four separate 1x1 convolutions (PyTorch's order: theta, phi, g, out).
    const float bound = 1.0f / std::sqrt(static_cast<float>(c_));
    for (Param* p : {&theta_, &theta_b_, &phi_, &phi_b_, &g_, &g_b_}) {
      Tensor& v = p->value();
      for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(rng.uniform(-bound, bound));
    }
    out_.initialize(rng);
  }

  void forward(const Tensor& x, Tensor& z, const Context& ctx) override {
    const std::int64_t b = x.dim(0);
    pack_weights();
    qkv_.forward(x, qkv_out_, ctx.unquantized());
    const detail::AttentionDims d = dims();
    y_.resize({b, h_, spec_.input[1], spec_.input[2]});
    const float* qkv = qkv_out_.data();
    float* y = y_.data();
    per_sample(d, b, [&](const detail::AttentionKernels& k, std::int64_t i, float* scratch) {
      k.forward(d, qkv + i * n_ * 3 * h_, y + i * n_ * h_, scratch);
    });
    out_.forward(y_, z, ctx.unquantized());
    if (residual_) {
      detail::add_into(z.data(), x.data(), z.size());
    }
  }

  void backward(const Tensor& x, const Tensor& z, const Tensor& dz, Tensor* dx) override {
    const std::int64_t b = x.dim(0);
    out_.backward(y_, z, dz, &dy_);
    const detail::AttentionDims d = dims();
    d_qkv_.resize(qkv_out_.shape());
    const float* qkv = qkv_out_.data();
    const float* dy = dy_.data();
    float* dqkv = d_qkv_.data();
    per_sample(d, b, [&](const detail::AttentionKernels& k, std::int64_t i, float* scratch) {
      k.backward(d, qkv + i * n_ * 3 * h_, dy + i * n_ * h_, dqkv + i * n_ * 3 * h_, scratch);
    });
    qkv_.backward(x, qkv_out_, d_qkv_, dx);
    unpack_gradients();
    if (!dx || !residual_) return;
    detail::add_into(dx->data(), dz.data(), dx->size());
  }

 private:
  // Copies theta, phi and g (effective weights) into the fused convolution, when they changed.
  void pack_weights() {
    const std::uint64_t v =
        theta_.version() + phi_.version() + g_.version() + theta_b_.version() + phi_b_.version() + g_b_.version();
    if (v == packed_version_) return;
    packed_version_ = v;
    auto qp = qkv_.params();
    Tensor& w = qp[0]->value();
    Tensor& bias = qp[1]->value();
    const std::size_t wn = static_cast<std::size_t>(h_ * c_), bn = static_cast<std::size_t>(h_);
    const Param* ws[3] = {&theta_, &phi_, &g_};
    const Param* bs[3] = {&theta_b_, &phi_b_, &g_b_};
    for (int k = 0; k < 3; ++k) {
      std::memcpy(w.data() + k * wn, ws[k]->effective().data(), wn * sizeof(float));
      std::memcpy(bias.data() + k * bn, bs[k]->effective().data(), bn * sizeof(float));
    }
  }
  detail::AttentionDims dims() const {
    detail::AttentionDims d;
    d.n = n_;
    d.h = h_;
    d.scale = scale_;
    return d;
  }
  // Calls f(kernels, sample, its thread's scratch) for every sample of the batch, split over the
  // threads, timed as the profile's "in layers: attention kernels".
  template <class F>
  void per_sample(const detail::AttentionDims& d, std::int64_t batch, F f) {
    const auto& k = detail::attention_kernels();
    const auto per = static_cast<std::int64_t>(d.scratch_floats());
    scratch_.resize({static_cast<std::int64_t>(omp_get_max_threads()), per});
    float* scratch = scratch_.data();
    const PhaseTimer timer("in layers: attention kernels");
    detail::parallel_for(batch, [&](std::int64_t i) { f(k, i, scratch + omp_get_thread_num() * per); });
  }
  void unpack_gradients() {
    auto qp = qkv_.params();
    const std::size_t wn = static_cast<std::size_t>(h_ * c_), bn = static_cast<std::size_t>(h_);
    Param* ws[3] = {&theta_, &phi_, &g_};
    Param* bs[3] = {&theta_b_, &phi_b_, &g_b_};
    for (int k = 0; k < 3; ++k) {
      std::memcpy(ws[k]->grad().data(), qp[0]->grad().data() + k * wn, wn * sizeof(float));
      std::memcpy(bs[k]->grad().data(), qp[1]->grad().data() + k * bn, bn * sizeof(float));
    }
  }

  std::int64_t c_, h_, n_;
  float scale_;
  bool residual_;
  Param theta_, theta_b_, phi_, phi_b_, g_, g_b_;
  Conv2d qkv_, out_;
  std::uint64_t packed_version_ = ~0ull;
  Tensor qkv_out_, y_, dy_, d_qkv_, scratch_;
};

}  // namespace

namespace detail {

std::size_t AttentionDims::scratch_floats() const {
  const auto np = static_cast<std::size_t>(npad()), nn = static_cast<std::size_t>(n), hh = static_cast<std::size_t>(h),
             hpad = (hh + 15) / 16 * 16;
  return 2 * hh * np + 2 * nn * 16 + 2 * nn * np + 2 * hh * 16 + 2 * nn * hpad;
}

const AttentionKernels& attention_kernels() {
  static const AttentionKernels all[3] = {{avx512::attention_forward, avx512::attention_backward},
                                          {avx2::attention_forward, avx2::attention_backward},
                                          {generic::attention_forward, generic::attention_backward}};
  return all[kernel_isa()];
}

}  // namespace detail

std::unique_ptr<Layer> make_attention(const LayerSpec& spec) { return std::make_unique<Attention>(spec); }

}  // namespace nac::nn
