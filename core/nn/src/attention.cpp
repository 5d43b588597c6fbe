// Spatial self-attention, BraggNN's non-local block. For x of shape (C, H, W), n = H*W, stored
// NHWC, i.e. as (B, n, C) row-major:
//   theta, phi, g = 1x1 convolutions C -> hidden       each (B, n, hidden)
//   A = softmax_rows(s * theta phi^T)                  (B, n, n), s = 1/sqrt(hidden) or 1
//   y = A g                                            (B, n, hidden)
//   z = out(y) + x   (out: 1x1 convolution hidden -> C; the residual add is optional)
// theta, phi and g run as one 1x1 convolution C -> 3 hidden (their weights copied side by side,
// their gradients split back), and the products read its output as three strided views.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "conv2d.hpp"
#include "fast_math.hpp"
#include "layers.hpp"
#include "matmul.hpp"

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
    const std::int64_t b = x.dim(0), h3 = 3 * h_;
    pack_weights();
    qkv_.forward(x, qkv_out_, ctx.unquantized());
    const float* th = qkv_out_.data();
    const float* ph = th + h_;
    const float* gg = th + 2 * h_;
    attn_.resize({b, n_, n_});
    mm_.run(b, n_, h_, n_, false, true, th, h3, ph, h3, attn_.data(), n_);  // S = theta phi^T
    float* a = attn_.data();
    const std::int64_t rows = b * n_, n = n_;
    const float s = scale_;
#pragma omp parallel for schedule(static)
    for (std::int64_t r = 0; r < rows; ++r) detail::softmax_row(a + r * n, n, s);
    y_.resize({b, h_, spec_.input[1], spec_.input[2]});
    mm_.run(b, n_, n_, h_, false, false, attn_.data(), n_, gg, h3, y_.data(), h_);  // y = A g
    out_.forward(y_, z, ctx.unquantized());
    if (residual_) {
      const auto total = static_cast<std::int64_t>(z.size());
#pragma omp parallel for simd schedule(static)
      for (std::int64_t i = 0; i < total; ++i) z[i] += x[i];
    }
  }

  void backward(const Tensor& x, const Tensor& z, const Tensor& dz, Tensor* dx) override {
    const std::int64_t b = x.dim(0), h3 = 3 * h_;
    out_.backward(y_, z, dz, &dy_);
    const float* th = qkv_out_.data();
    const float* ph = th + h_;
    const float* gg = th + 2 * h_;
    d_qkv_.resize(qkv_out_.shape());
    float* dth = d_qkv_.data();
    float* dph = dth + h_;
    float* dg = dth + 2 * h_;
    d_attn_.resize({b, n_, n_});
    mm_.run(b, n_, h_, n_, false, true, dy_.data(), h_, gg, h3, d_attn_.data(), n_);  // dA = dy g^T
    mm_.run(b, n_, n_, h_, true, false, attn_.data(), n_, dy_.data(), h_, dg, h3);    // dg = A^T dy
    const float* a = attn_.data();
    float* d = d_attn_.data();
    const std::int64_t rows = b * n_, n = n_;
    const float s = scale_;
#pragma omp parallel for schedule(static)
    for (std::int64_t r = 0; r < rows; ++r) detail::softmax_backward_row(a + r * n, d + r * n, n, s);  // dS
    mm_.run(b, n_, n_, h_, false, false, d_attn_.data(), n_, ph, h3, dth, h3);  // dtheta = dS phi
    mm_.run(b, n_, n_, h_, true, false, d_attn_.data(), n_, th, h3, dph, h3);   // dphi = dS^T theta
    qkv_.backward(x, qkv_out_, d_qkv_, dx);
    unpack_gradients();
    if (!dx || !residual_) return;
    const auto total = static_cast<std::int64_t>(x.size());
#pragma omp parallel for simd schedule(static)
    for (std::int64_t i = 0; i < total; ++i) (*dx)[i] += dz[i];
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
  detail::Matmul mm_;
  Tensor qkv_out_, attn_, y_, dy_, d_attn_, d_qkv_;
};

}  // namespace

std::unique_ptr<Layer> make_attention(const LayerSpec& spec) { return std::make_unique<Attention>(spec); }

}  // namespace nac::nn
