// Max and average pooling over (N, C, H, W) images stored NHWC, with kernel, stride and zero
// padding. Average
// pooling counts the padding (PyTorch's count_include_pad = True); max pooling ignores it.
#include <limits>

#include "layers.hpp"
#include "parallel_ranges.hpp"

namespace nac::nn {

namespace {

class Pool2d final : public Layer {
 public:
  explicit Pool2d(const LayerSpec& spec)
      : Layer(spec),
        max_(spec.op == "maxpool2d"),
        k_(attr_int(spec, "kernel")),
        s_(attr_int(spec, "stride", k_)),
        p_(attr_int(spec, "padding", 0)) {}

  void forward(const Tensor& x, Tensor& y, const Context&) override {
    const std::int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);  // stored NHWC
    const std::int64_t oh = spec_.output[1], ow = spec_.output[2];
    y.resize({n, c, oh, ow});
    if (max_) argmax_.resize(y.shape());
    detail::parallel_for(n * c, [&](std::int64_t plane) {
      // Plane (sample s, channel ch): element (r, q) at ((s * h + r) * w + q) * c + ch.
      const std::int64_t s = plane / c, ch = plane % c;
      const float* in = x.data() + s * h * w * c + ch;
      float* out = y.data() + s * oh * ow * c + ch;
      for (std::int64_t i = 0; i < oh; ++i)
        for (std::int64_t j = 0; j < ow; ++j) {
          float acc = max_ ? -std::numeric_limits<float>::infinity() : 0.0f;
          std::int64_t best = -1;
          for (std::int64_t a = 0; a < k_; ++a)
            for (std::int64_t b = 0; b < k_; ++b) {
              const std::int64_t r = i * s_ - p_ + a, q = j * s_ - p_ + b;
              if (r < 0 || r >= h || q < 0 || q >= w) continue;
              const float v = in[(r * w + q) * c];
              if (max_) {
                if (v > acc) acc = v, best = (r * w + q) * c;
              } else {
                acc += v;
              }
            }
          out[(i * ow + j) * c] = max_ ? acc : acc / static_cast<float>(k_ * k_);
          if (max_) argmax_[s * oh * ow * c + (i * ow + j) * c + ch] = static_cast<float>(best);
        }
    });
  }

  void backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) override {
    if (!dx) return;
    const std::int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);  // stored NHWC
    const std::int64_t oh = spec_.output[1], ow = spec_.output[2];
    dx->resize(x.shape());
    dx->zero();
    detail::parallel_for(n * c, [&](std::int64_t plane) {
      const std::int64_t s = plane / c, ch = plane % c;
      float* d = dx->data() + s * h * w * c + ch;
      const float* g = dy.data() + s * oh * ow * c + ch;
      for (std::int64_t i = 0; i < oh; ++i)
        for (std::int64_t j = 0; j < ow; ++j) {
          const float gij = g[(i * ow + j) * c];
          if (max_) {
            const auto best = static_cast<std::int64_t>(argmax_[s * oh * ow * c + (i * ow + j) * c + ch]);
            if (best >= 0) d[best] += gij;
            continue;
          }
          const float share = gij / static_cast<float>(k_ * k_);
          for (std::int64_t a = 0; a < k_; ++a)
            for (std::int64_t b = 0; b < k_; ++b) {
              const std::int64_t r = i * s_ - p_ + a, q = j * s_ - p_ + b;
              if (r >= 0 && r < h && q >= 0 && q < w) d[(r * w + q) * c] += share;
            }
        }
    });
  }

 private:
  bool max_;
  std::int64_t k_, s_, p_;
  Tensor argmax_;
};

}  // namespace

std::unique_ptr<Layer> make_pooling(const LayerSpec& spec) { return std::make_unique<Pool2d>(spec); }

}  // namespace nac::nn
