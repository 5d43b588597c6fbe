#pragma once
// Helpers shared by the suites that build small models by hand: a named layer spec and random
// tensors.
#include <map>
#include <string>

#include "nac/model_spec.hpp"
#include "nac/nn/tensor.hpp"
#include "nac/rng.hpp"

namespace nac::test {

inline LayerSpec layer(std::string op, std::string name, std::map<std::string, Value> attrs = {}) {
  LayerSpec l;
  l.op = std::move(op);
  l.name = std::move(name);
  l.attrs = std::move(attrs);
  return l;
}

/// Values drawn uniformly from [-scale, scale].
inline nn::Tensor random_tensor(const Shape& shape, Rng& rng, double scale = 1.0) {
  nn::Tensor t(shape);
  for (std::size_t i = 0; i < t.size(); ++i) t[i] = static_cast<float>(rng.uniform(-scale, scale));
  return t;
}

/// A 0/1 mask keeping each value with probability `keep`.
inline nn::Tensor random_mask(const Shape& shape, Rng& rng, double keep) {
  nn::Tensor m(shape);
  for (std::size_t i = 0; i < m.size(); ++i) m[i] = rng.uniform(0, 1) < keep ? 1.0f : 0.0f;
  return m;
}

}  // namespace nac::test
