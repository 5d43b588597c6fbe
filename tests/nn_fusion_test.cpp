// Fused layer pairs (a flatten read by the linear layer after it in NHWC order) against the same
// model with the pair kept apart by an identity layer, which runs the plain path (a transpose and
// the linear layer on PyTorch's column order; that path is checked against PyTorch in
// scripts/torch_crosscheck.py): outputs and every gradient, in float, with a quantized input
// to the linear layer, and in integer inference.
#include <doctest/doctest.h>

#include "nac/nn/model.hpp"
#include "nac/nn/runtime.hpp"
#include "nn_test_support.hpp"
#include "test_support.hpp"

using namespace nac;
using namespace nac::nn;

namespace {

using test::layer;

// conv (3 -> 5 channels on 6x6) -> relu -> flatten [-> identity] -> linear 7 -> output 2.
ModelSpec flatten_model(bool apart, const NumberType& linear_input) {
  using I = std::int64_t;
  ModelSpec s;
  s.input = {3, 6, 6};
  s.layers = {layer("conv2d", "conv", {{"out_channels", I{5}}, {"kernel", I{3}}}), layer("relu", "act"),
              layer("flatten", "flatten")};
  if (apart) s.layers.push_back(layer("identity", "apart"));
  s.layers.push_back(layer("linear", "fc", {{"out_features", I{7}}}));
  s.layers.back().precision["input"] = linear_input;
  if (!linear_input.is_float()) s.layers.back().precision["weight"] = NumberType::scaled_int(8);
  s.layers.push_back(layer("linear", "out", {{"out_features", I{2}}}));
  return s;
}

double max_diff(const Tensor& a, const Tensor& b) {
  REQUIRE(a.shape() == b.shape());
  double d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, std::abs(double(a[i]) - b[i]));
  return d;
}
double max_abs(const Tensor& a) {
  double d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, std::abs(double(a[i])));
  return d;
}

}  // namespace

TEST_CASE("a flatten fused into the linear layer after it computes what the plain path does") {
  for (const NumberType& input : {NumberType::float32(), NumberType::scaled_int(8, false)}) {
    CAPTURE(to_string(input));
    Model fused(flatten_model(false, input), 7), apart(flatten_model(true, input), 7);
    Rng rng(3);
    Tensor x({4, 3, 6, 6}), r({4, 2});
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(rng.normal());
    for (std::size_t i = 0; i < r.size(); ++i) r[i] = static_cast<float>(rng.normal());
    for (bool training : {true, false}) {
      CAPTURE(training);
      const Tensor yf = fused.forward(x, training), ya = apart.forward(x, training);
      CHECK(max_diff(yf, ya) <= 1e-6 * max_abs(ya));
    }
    fused.forward(x, true);
    apart.forward(x, true);
    Tensor dxf, dxa;
    fused.backward(r, &dxf);
    apart.backward(r, &dxa);
    CHECK(max_diff(dxf, dxa) <= 1e-6 * max_abs(dxa));
    for (const char* p : {"conv.weight", "conv.bias", "fc.weight", "fc.bias", "out.weight"}) {
      CAPTURE(p);
      const Tensor& gf = fused.param(p)->grad();
      const Tensor& ga = apart.param(p)->grad();
      CHECK(max_abs(ga) > 0);
      CHECK(max_diff(gf, ga) <= 1e-5 * max_abs(ga));
    }
    if (!input.is_float()) {  // integer inference reads the columns in PyTorch's order
      fused.set_integer_inference(true);
      apart.set_integer_inference(true);
      const Tensor yf = fused.forward(x, false), ya = apart.forward(x, false);
      CHECK(fused.integer_layers() == apart.integer_layers());
      CHECK(!fused.integer_layers().empty());
      CHECK(max_diff(yf, ya) <= 1e-6 * max_abs(ya));
    }
  }
}

TEST_CASE("a flatten fused into a linear layer keeps its name and refuses an input precision of its own") {
  Model m(flatten_model(false, NumberType::float32()), 1);
  CHECK(test::error_of([&] {
          m.set_precision("flatten", "input", NumberType::scaled_int(8));
        }).find("runs fused into the linear layer after it") != std::string::npos);
  m.set_precision("fc", "input", NumberType::scaled_int(8));  // the linear layer's own: fine
}

TEST_CASE("a 1x1 convolution over many channels with a fused leaky relu computes what the plain path does") {
  // The 1x1 matrix-product path (24 -> 3 and 20 -> 17 channels) with the activation fused,
  // against the same layers kept apart by an identity: outputs, input and parameter gradients.
  using I = std::int64_t;
  for (const auto& item : {std::pair<I, I>{24, 3}, std::pair<I, I>{20, 17}}) {
    const auto& in_c = item.first;  // (not a structured binding: CAPTURE makes a lambda)
    const auto& out_c = item.second;
    CAPTURE(in_c);
    auto model = [&](bool apart) {
      ModelSpec s;
      s.input = {in_c, 3, 3};
      s.layers = {layer("conv2d", "conv", {{"out_channels", out_c}, {"kernel", I{1}}})};
      if (apart) s.layers.push_back(layer("identity", "apart"));
      s.layers.push_back(layer("leaky_relu", "act", {{"slope", 0.1}}));
      s.layers.push_back(layer("flatten", "flatten"));
      s.layers.push_back(layer("linear", "out", {{"out_features", I{2}}}));
      return s;
    };
    Model fused(model(false), 5), apart(model(true), 5);
    Rng rng(3);
    const Tensor x = test::random_tensor({4, in_c, 3, 3}, rng);
    const Tensor yf = fused.forward(x, true), ya = apart.forward(x, true);
    CHECK(max_diff(yf, ya) <= 1e-5 * max_abs(ya));
    const Tensor r = test::random_tensor(ya.shape(), rng);
    Tensor dxf, dxa;
    fused.backward(r, &dxf);
    apart.backward(r, &dxa);
    CHECK(max_diff(dxf, dxa) <= 1e-5 * max_abs(dxa));
    for (const std::string p : {"conv.weight", "conv.bias", "out.weight"}) {
      CAPTURE(p);
      CHECK(max_diff(fused.param(p)->grad(), apart.param(p)->grad()) <= 1e-5 * max_abs(apart.param(p)->grad()));
    }
  }
}
