#include "nac/nn/tensor.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

namespace nac::nn {

void Tensor::Free::operator()(float* p) const { std::free(p); }

Tensor::Tensor(const Tensor& other) { *this = other; }

Tensor& Tensor::operator=(const Tensor& other) {
  if (this == &other) return *this;
  resize(other.shape_);
  if (size_) std::memcpy(data_.get(), other.data_.get(), size_ * sizeof(float));
  return *this;
}

void Tensor::resize(Shape shape) {
  const std::size_t n = numel(shape);
  shape_ = std::move(shape);
  size_ = n;
  if (n <= capacity_) return;
  const std::size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, bytes);
  if (!p) throw std::bad_alloc();
  data_.reset(static_cast<float*>(p));
  capacity_ = n;
}

void Tensor::zero() {
  if (size_) std::memset(data_.get(), 0, size_ * sizeof(float));
}

void Tensor::fill(float v) { std::fill(data_.get(), data_.get() + size_, v); }

std::size_t numel(const Shape& s) {
  std::size_t n = 1;
  for (auto d : s) n *= static_cast<std::size_t>(d);
  return n;
}

Shape batched(std::int64_t batch, const Shape& sample) {
  Shape s{batch};
  s.insert(s.end(), sample.begin(), sample.end());
  return s;
}

}  // namespace nac::nn
