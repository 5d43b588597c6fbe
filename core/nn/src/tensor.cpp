#include "nac/nn/tensor.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "nac/error.hpp"
#include "nac/memory.hpp"
#include "nac/nn/profile.hpp"
#include "parallel_ranges.hpp"

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
  const std::size_t n = checked_numel(shape);
  shape_ = std::move(shape);
  size_ = n;
  if (n <= capacity_) return;
  const std::size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, bytes);
  if (!p) throw std::bad_alloc();
  data_.reset(static_cast<float*>(p));
  capacity_ = n;
  if (Profile* profile = active_profile()) profile->count_allocation(bytes);
}

void Tensor::zero() {
  if (size_) std::memset(data_.get(), 0, size_ * sizeof(float));
}

void Tensor::fill(float v) { std::fill(data_.get(), data_.get() + size_, v); }

void transpose_samples(const float* in, float* out, std::int64_t n, std::int64_t rows, std::int64_t cols) {
  // In tiles of 16 x 16, so that both the reads and the writes stay within a few cache lines.
  constexpr std::int64_t kTile = 16;
  detail::parallel_for(n, [&](std::int64_t i) {
    const float* src = in + i * rows * cols;
    float* dst = out + i * rows * cols;
    for (std::int64_t r0 = 0; r0 < rows; r0 += kTile) {
      const std::int64_t r1 = std::min(rows, r0 + kTile);
      for (std::int64_t c0 = 0; c0 < cols; c0 += kTile) {
        const std::int64_t c1 = std::min(cols, c0 + kTile);
        for (std::int64_t c = c0; c < c1; ++c)
          for (std::int64_t r = r0; r < r1; ++r) dst[c * rows + r] = src[r * cols + c];
      }
    }
  });
}

void nchw_to_nhwc(const Tensor& in, Tensor& out) {
  out.resize(in.shape());
  transpose_samples(in.data(), out.data(), in.dim(0), in.dim(1), in.dim(2) * in.dim(3));
}
void nhwc_to_nchw(const Tensor& in, Tensor& out) {
  out.resize(in.shape());
  transpose_samples(in.data(), out.data(), in.dim(0), in.dim(2) * in.dim(3), in.dim(1));
}

std::size_t checked_numel(const Shape& s) {
  double values = 1;  // (exact enough to compare with the memory; a product of dims may overflow)
  bool negative = false;
  for (auto d : s) {
    negative |= d < 0;
    values *= static_cast<double>(d);
  }
  if (negative) throw Error("a tensor of shape " + to_string(s) + ": a negative size");
  if (values * sizeof(float) > static_cast<double>(physical_memory()))  // (the message only when it fails)
    check_fits_in_memory(values * sizeof(float), "a tensor of shape " + to_string(s));
  return numel(s);
}

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
