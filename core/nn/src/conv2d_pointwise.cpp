// Conv2d's path for 1x1 layers outside the few-tap kernels: over NHWC images a 1x1 convolution is
// a matrix product of the batch's pixels (rows of C values) with the weights (O, C), as a linear
// layer's. oneDNN's convolution kernels block over the channels; with few output channels (the
// search's 64 -> 2 or 32 -> 8) their backward ran at 4-20 GFLOP/s, while its matrix product does
// not care how thin the output is.
#include "conv2d.hpp"
#include "layers.hpp"

namespace nac::nn {

void Conv2d::forward_pointwise(const Tensor& x, Tensor& y) {
  const std::int64_t rows = x.dim(0) * spec_.input[1] * spec_.input[2];
  mm_.run(1, rows, in_c_, out_c_, false, true, x.data(), weight_.effective().data(), y.data(),
          has_bias_ ? bias_.effective().data() : nullptr);
  if (fused_) leaky_relu_forward(y.data(), slope_, y.data(), static_cast<std::int64_t>(y.size()));
}

void Conv2d::backward_pointwise(const Tensor& x, const float* grad_out, Tensor* dx) {
  const std::int64_t rows = x.dim(0) * spec_.input[1] * spec_.input[2];
  if (dx) {
    dx->resize(x.shape());
    mm_.run(1, rows, out_c_, in_c_, false, false, grad_out, weight_.effective().data(), dx->data());
  }
  mm_.run(1, out_c_, rows, in_c_, true, false, grad_out, x.data(), weight_.grad().data());
  if (has_bias_) detail::column_sums(grad_out, rows, out_c_, bias_.grad().data());
}

}  // namespace nac::nn
