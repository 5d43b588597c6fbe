#pragma once
// Internal: the makers of every layer type (see layer_factory.cpp).
#include <memory>

#include "nac/nn/layer.hpp"

namespace nac::nn {

std::unique_ptr<Layer> make_conv2d(const LayerSpec& spec);
std::unique_ptr<Layer> make_conv2d_fused(const LayerSpec& conv, const LayerSpec& activation);
std::unique_ptr<Layer> make_linear(const LayerSpec& spec);
/// A linear layer that reads a flatten of an image (C, H, W) fused into it (its input in the
/// image's NHWC memory order).
std::unique_ptr<Layer> make_flatten_linear(const LayerSpec& flatten, const LayerSpec& linear);
std::unique_ptr<Layer> make_activation(const LayerSpec& spec);  // relu leaky_relu gelu tanh sigmoid identity
/// d = g where x > 0, slope * g elsewhere (vectorised, on the threads): leaky relu's backward, and
/// relu's with slope 0; x may be the activation's output when slope >= 0.
void leaky_relu_backward(const float* x, const float* g, float slope, float* d, std::int64_t n);
/// y = max(x, 0) + slope * min(x, 0) (vectorised, on the threads; y may be x).
void leaky_relu_forward(const float* x, float slope, float* y, std::int64_t n);
std::unique_ptr<Layer> make_softmax(const LayerSpec& spec);
std::unique_ptr<Layer> make_flatten(const LayerSpec& spec);
std::unique_ptr<Layer> make_dropout(const LayerSpec& spec);
std::unique_ptr<Layer> make_fake_quant(const LayerSpec& spec);
std::unique_ptr<Layer> make_batchnorm(const LayerSpec& spec);
std::unique_ptr<Layer> make_layernorm(const LayerSpec& spec);
std::unique_ptr<Layer> make_pooling(const LayerSpec& spec);  // maxpool2d avgpool2d
std::unique_ptr<Layer> make_attention(const LayerSpec& spec);
std::unique_ptr<Layer> make_set_pool(const LayerSpec& spec);
std::unique_ptr<Layer> make_sequential(const LayerSpec& spec);  // sequential residual

}  // namespace nac::nn
