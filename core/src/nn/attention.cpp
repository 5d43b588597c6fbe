// Spatial self-attention, BraggNN's non-local block. For x of shape (C, H, W), n = H*W, stored
// NHWC, i.e. as (B, n, C) row-major:
//   theta, phi, g = 1x1 convolutions C -> hidden       each (B, n, hidden)
//   A = softmax_rows(s * theta phi^T)                  (B, n, n), s = 1/sqrt(hidden) or 1
//   y = A g                                            (B, n, hidden)
//   z = out(y) + x   (out: 1x1 convolution hidden -> C; the residual add is optional)
#include <algorithm>
#include <cmath>

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
        hidden_(attr_int(spec, "hidden")),
        n_(spec.input.at(1) * spec.input.at(2)),
        scale_(attr_int(spec, "scale", 0) != 0 ? 1.0f / std::sqrt(static_cast<float>(hidden_)) : 1.0f),
        residual_(attr_int(spec, "residual", 1) != 0),
        theta_(conv1x1(spec, "theta", c_, hidden_)),
        phi_(conv1x1(spec, "phi", c_, hidden_)),
        g_(conv1x1(spec, "g", c_, hidden_)),
        out_(conv1x1(spec, "out", hidden_, c_)) {}

  std::vector<Param*> params() override {
    std::vector<Param*> all;
    for (Conv2d* c : {&theta_, &phi_, &g_, &out_})
      for (Param* p : c->params()) all.push_back(p);
    return all;
  }
  void initialize(Rng& rng) override {
    for (Conv2d* c : {&theta_, &phi_, &g_, &out_}) c->initialize(rng);
  }

  void forward(const Tensor& x, Tensor& z, const Context& ctx) override {
    const std::int64_t b = x.dim(0);
    theta_.forward(x, th_, ctx);
    phi_.forward(x, ph_, ctx);
    g_.forward(x, g_out_, ctx);
    attn_.resize({b, n_, n_});
    mm_.run(b, n_, hidden_, n_, false, true, th_.data(), ph_.data(), attn_.data());  // S = theta phi^T
    softmax_rows(b * n_);
    y_.resize({b, hidden_, spec_.input[1], spec_.input[2]});
    mm_.run(b, n_, n_, hidden_, false, false, attn_.data(), g_out_.data(), y_.data());  // y = A g
    out_.forward(y_, z, ctx);
    if (residual_) {
      const auto total = static_cast<std::int64_t>(z.size());
#pragma omp parallel for simd schedule(static)
      for (std::int64_t i = 0; i < total; ++i) z[i] += x[i];
    }
  }

  void backward(const Tensor& x, const Tensor& z, const Tensor& dz, Tensor* dx) override {
    const std::int64_t b = x.dim(0);
    out_.backward(y_, z, dz, &dy_);
    d_attn_.resize({b, n_, n_});
    mm_.run(b, n_, hidden_, n_, false, true, dy_.data(), g_out_.data(), d_attn_.data());  // dA = dy g^T
    dg_.resize(g_out_.shape());
    mm_.run(b, n_, n_, hidden_, true, false, attn_.data(), dy_.data(), dg_.data());  // dg = A^T dy
    softmax_backward_rows(b * n_);                                                    // d_attn_ <- dS
    dth_.resize(th_.shape());
    mm_.run(b, n_, n_, hidden_, false, false, d_attn_.data(), ph_.data(), dth_.data());  // dtheta = dS phi
    dph_.resize(ph_.shape());
    mm_.run(b, n_, n_, hidden_, true, false, d_attn_.data(), th_.data(), dph_.data());  // dphi = dS^T theta
    Tensor* parts[3] = {nullptr, nullptr, nullptr};
    if (dx) parts[0] = &dx_theta_, parts[1] = &dx_phi_, parts[2] = &dx_g_;
    theta_.backward(x, th_, dth_, parts[0]);
    phi_.backward(x, ph_, dph_, parts[1]);
    g_.backward(x, g_out_, dg_, parts[2]);
    if (!dx) return;
    dx->resize(x.shape());
    const auto total = static_cast<std::int64_t>(x.size());
    const bool res = residual_;
#pragma omp parallel for simd schedule(static)
    for (std::int64_t i = 0; i < total; ++i) (*dx)[i] = (res ? dz[i] : 0.0f) + dx_theta_[i] + dx_phi_[i] + dx_g_[i];
  }

 private:
  void softmax_rows(std::int64_t rows) {
    float* a = attn_.data();
    const std::int64_t n = n_;
    const float s = scale_;
#pragma omp parallel for schedule(static)
    for (std::int64_t r = 0; r < rows; ++r) detail::softmax_row(a + r * n, n, s);
  }
  // dS = s * A .* (dA - rowsum(dA .* A)), in place in d_attn_.
  void softmax_backward_rows(std::int64_t rows) {
    const float* a = attn_.data();
    float* d = d_attn_.data();
    const std::int64_t n = n_;
    const float s = scale_;
#pragma omp parallel for schedule(static)
    for (std::int64_t r = 0; r < rows; ++r) detail::softmax_backward_row(a + r * n, d + r * n, n, s);
  }

  std::int64_t c_, hidden_, n_;
  float scale_;
  bool residual_;
  Conv2d theta_, phi_, g_, out_;
  detail::Matmul mm_;
  Tensor th_, ph_, g_out_, attn_, y_, dy_, d_attn_, dg_, dth_, dph_, dx_theta_, dx_phi_, dx_g_;
};

}  // namespace

std::unique_ptr<Layer> make_attention(const LayerSpec& spec) { return std::make_unique<Attention>(spec); }

}  // namespace nac::nn
