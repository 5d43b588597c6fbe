#pragma once
// A dense float32 tensor, 64-byte aligned. The first dimension is the batch. Tensors own their
// memory; resizing to a smaller or equal size reuses it.
//
// Layout: shapes are always written as PyTorch writes them, (N, C, H, W) for images and (N, F)
// for vectors. Inside a Model, image tensors are stored NHWC (channels innermost), the layout
// oneDNN's fast convolution kernels want; Model::forward takes and returns NCHW, so the layout
// is visible only to layer code.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "nac/model_spec.hpp"
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac::nn {

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(Shape shape) { resize(std::move(shape)); }
  Tensor(const Tensor& other);
  Tensor& operator=(const Tensor& other);
  Tensor(Tensor&&) noexcept = default;
  Tensor& operator=(Tensor&&) noexcept = default;

  /// Sets the shape; keeps the buffer when it is large enough (contents are then unspecified).
  void resize(Shape shape);
  void zero();
  void fill(float v);

  const Shape& shape() const { return shape_; }
  std::int64_t dim(std::size_t i) const { return shape_[i]; }
  std::size_t rank() const { return shape_.size(); }
  std::size_t size() const { return size_; }
  /// Elements per batch item (the product of all but the first dimension).
  std::size_t sample_size() const {
    return shape_.empty() || shape_[0] == 0 ? 0 : size_ / static_cast<std::size_t>(shape_[0]);
  }
  bool empty() const { return size_ == 0; }

  float* data() { return data_.get(); }
  const float* data() const { return data_.get(); }
  float& operator[](std::size_t i) { return data_.get()[i]; }
  float operator[](std::size_t i) const { return data_.get()[i]; }

 private:
  struct Free {
    void operator()(float* p) const;
  };
  Shape shape_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
  std::unique_ptr<float[], Free> data_;
};

/// Copies an (N, C, H, W) tensor between NCHW and NHWC memory order (the shape stays).
void nchw_to_nhwc(const Tensor& in, Tensor& out);
void nhwc_to_nchw(const Tensor& in, Tensor& out);
/// Transposes each of n row-major (rows x cols) matrices stored one after another (in and out
/// must not overlap).
void transpose_samples(const float* in, float* out, std::int64_t n, std::int64_t rows, std::int64_t cols);

/// Product of the dimensions.
std::size_t numel(const Shape& s);
/// numel, after checking that the shape has no negative size and fits in memory (nac::Error).
std::size_t checked_numel(const Shape& s);
/// The shape with a batch dimension in front.
Shape batched(std::int64_t batch, const Shape& sample);

}  // namespace nac::nn
NAC_PUBLIC_END
