// The fixed-point executor (nac/nn/fixed_inference.hpp): a small network worked by hand, bit for
// bit; a network of convolutions, pooling, a flatten and a head against the float engine at wide
// types (the layouts, padding, strides, groups and the flatten order); and the layers it refuses.
#include <algorithm>
#include <cmath>

#include <doctest/doctest.h>

#include "nac/fixed_point.hpp"
#include "nac/nn/fixed_inference.hpp"
#include "nac/nn/model.hpp"
#include "nn_test_support.hpp"
#include "test_support.hpp"

using namespace nac;
using namespace nac::nn;
using nac::test::layer;

namespace {

NumberType fx(int w, int i, Rounding r = Rounding::Trn) { return NumberType::fixed(w, i, true, r, Overflow::Wrap); }

void set(Model& m, const std::string& name, std::initializer_list<float> values) {
  Param* p = m.param(name);
  REQUIRE(p);
  REQUIRE(p->value().size() == values.size());
  std::size_t i = 0;
  for (const float v : values) p->value()[i++] = v;
  p->touch();
}

ModelSpec two_layers() {
  ModelSpec s;
  s.input = {2};
  s.layers = {layer("linear", "fc1", {{"out_features", Value(std::int64_t{2})}}), layer("relu", "act"),
              layer("linear", "fc2", {{"out_features", Value(std::int64_t{1})}, {"bias", Value(std::int64_t{0})}})};
  return s;
}

// The largest difference between fixed-point and float outputs, as a share of the largest output.
double relative_difference(const std::vector<double>& got, const Tensor& want) {
  REQUIRE(got.size() == want.size());
  double worst = 0, range = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    worst = std::max(worst, std::abs(got[i] - want[i]));
    range = std::max(range, std::abs(static_cast<double>(want[i])));
  }
  MESSAGE("largest difference " << worst << " of outputs up to " << range);
  return worst / range;
}

}  // namespace

TEST_CASE("fixed-point inference of a two-layer network, worked by hand") {
  for (const Rounding r : {Rounding::Trn, Rounding::Rnd}) {
    CAPTURE(to_string(r));
    ModelSpec spec = two_layers();
    spec.layers[0].precision["input"] = fx(8, 3, Rounding::Rnd);  // step 1/32
    spec.layers[0].precision["weight"] = fx(6, 2);                // step 1/16
    spec.layers[2].precision["input"] = fx(6, 1, r);              // step 1/32
    Model m(spec, 1);
    set(m, "fc1.weight", {0.5f, -0.25f, 1.0f, 0.75f});
    set(m, "fc1.bias", {0.125f, -0.5f});  // bias in the default ap_fixed<16,6>
    set(m, "fc2.weight", {1.5f, 2.0f});
    m.refresh();
    const FixedPointModel f(m);
    // Input 0.3 -> 9.6/32 -> 10/32 = 0.3125 (AP_RND); -0.7 -> -22.4/32 -> -22/32 = -0.6875.
    // fc1: 0.3125 * 0.5 + (-0.6875) * (-0.25) + 0.125 = 0.453125; 0.3125 - 0.515625 - 0.5 = -0.703125,
    // both exact in fc1's result type (relu's input: the default ap_fixed<16,6>).
    // relu: 0.453125, 0. fc2's input ap_fixed<6,1>: 0.453125 = 14.5/32 -> 14/32 (AP_TRN) or 15/32 (AP_RND).
    // fc2: 0.4375 * 1.5 = 0.65625 or 0.46875 * 1.5 = 0.703125, in the default type (step 1/1024).
    const float x[2] = {0.3f, -0.7f};
    const std::vector<std::int64_t> out = f.run_raw(x);
    REQUIRE(out.size() == 1);
    CHECK(out[0] == (r == Rounding::Trn ? 672 : 720));
    CHECK(f.output_type() == fx(16, 6));
    // The layers' types: fc1 accumulates ap_fixed<8,3> x ap_fixed<6,2> over 2 inputs plus a bias.
    const FixedLayer& l = f.layers()[0];
    const NumberType def = fx(16, 6);
    CHECK(l.accum_type == infer_accum_type(fx(8, 3, Rounding::Rnd), fx(6, 2), &def, 2));
    CHECK(f.layers()[1].result_type == fx(6, 1, r));
    CHECK(f.layers()[2].input_type == fx(6, 1, r));
  }
}

TEST_CASE(
    "fixed-point inference of convolutions, pooling, batch norm, flatten and a head equals the float engine at wide "
    "types") {
  ModelSpec spec;
  spec.input = {2, 8, 7};
  spec.layers = {
      layer("conv2d", "c1",
            {{"out_channels", Value(std::int64_t{4})},
             {"kernel", Value(std::int64_t{3})},
             {"padding", Value(std::int64_t{1})}}),
      layer("leaky_relu", "a1", {{"slope", Value(0.125)}}),
      layer("maxpool2d", "p1", {{"kernel", Value(std::int64_t{2})}}),
      layer("conv2d", "c2",
            {{"out_channels", Value(std::int64_t{6})},
             {"kernel", Value(std::int64_t{3})},
             {"stride", Value(std::int64_t{2})},
             {"padding", Value(std::int64_t{1})},
             {"groups", Value(std::int64_t{2})}}),
      layer("relu", "a2"),
      layer("avgpool2d", "p2",
            {{"kernel", Value(std::int64_t{2})},
             {"stride", Value(std::int64_t{1})},
             {"padding", Value(std::int64_t{1})}}),
      layer("batchnorm", "bn"),
      layer("flatten", "flat"),
      layer("linear", "fc", {{"out_features", Value(std::int64_t{5})}}),
      layer("relu", "a3"),
      layer("linear", "out", {{"out_features", Value(std::int64_t{3})}}),
  };
  Model m(spec, 7);
  Rng stats_rng(8);  // running statistics and affine parameters that are not the identity
  for (auto& [name, t] : m.buffers())
    for (std::size_t i = 0; i < t->size(); ++i) (*t)[i] = static_cast<float>(stats_rng.uniform(0.5, 1.5));
  for (Param* p : m.params())
    if (m.layer_of(*p) == "bn")
      for (std::size_t i = 0; i < p->value().size(); ++i) p->value()[i] = static_cast<float>(stats_rng.uniform(-1, 1));
  m.refresh();
  const FixedPointModel f(m, FixedInferenceOptions{fx(32, 12)});  // step 2^-20
  Rng rng(3);
  const Tensor x = test::random_tensor({4, 2, 8, 7}, rng, 2.0);
  const Tensor& y = m.forward(x, false);
  const std::vector<double> got = f.run(x);
  REQUIRE(got.size() == y.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    CAPTURE(i);
    CHECK(got[i] == doctest::Approx(y[i]).epsilon(1e-4).scale(1));
  }
  // The accumulators of 32-bit operands are wider than 62 bits: the 128-bit path ran.
  CHECK(f.layers()[0].accum_type.width > 62);
}

TEST_CASE("fixed-point sigmoid, tanh, GELU and softmax through lookup tables, worked by hand") {
  ModelSpec spec;
  spec.input = {3};
  spec.layers = {layer("softmax", "s")};
  const FixedPointModel soft(Model(spec, 0));
  // Inputs 1, 0.5, -0.25 in ap_fixed<16,6> (step 1/1024). d = max - x = 0, 0.5, 1.25 in
  // ap_ufixed<15,5>; the exp table's index is d's top 10 of 15 bits (raw >> 5): 0, 16, 40, whose
  // entries are exp(-0) = 1024/1024, exp(-0.5) -> 621/1024 and exp(-1.25) -> 293/1024 (AP_RND).
  // Sum 1938/1024; its top 10 of 18 bits are 7, the value 7 * 256 / 1024 = 1.75, inverse
  // 1 / 1.75 -> 585/1024. Outputs e * 585 / 1024, truncated: 585, 354 (363285 / 1024 = 354.8),
  // 167 (171405 / 1024 = 167.4).
  const float x[3] = {1.0f, 0.5f, -0.25f};
  CHECK(soft.run_raw(x) == std::vector<std::int64_t>{585, 354, 167});

  spec.layers = {layer("sigmoid", "g")};
  const FixedPointModel sig(Model(spec, 0));
  spec.layers = {layer("tanh", "t")};
  const FixedPointModel tanh_model(Model(spec, 0));
  spec.layers = {layer("gelu", "ge")};
  const FixedPointModel gelu_model(Model(spec, 0));
  // Index = trunc(x * 64) + 512 (sigmoid) or trunc(x * 128) + 512 (tanh), toward zero, clamped;
  // entry i = f((i - 512) / 64 or 128) in ap_fixed<18,8> (AP_TRN), then in ap_fixed<16,6>.
  // GELU like sigmoid, with entries v Phi(v).
  const auto expect = [](double x, int which) {     // 0 sigmoid, 1 tanh, 2 gelu
    const double in = std::floor(x * 1024) / 1024;  // the input in ap_fixed<16,6>, AP_TRN
    const double per = which == 1 ? 128 : 64;
    const double index = std::clamp(std::trunc(in * per) + 512, 0.0, 1023.0);
    const double v = (index - 512) / per;
    const double f = which == 0   ? 1 / (1 + std::exp(-v))
                     : which == 1 ? std::tanh(v)
                                  : 0.5 * v * (1 + std::erf(v / std::sqrt(2.0)));
    return static_cast<std::int64_t>(std::floor(f * 1024));  // 2^-10 steps in both types
  };
  for (const float v : {0.0f, 0.5f, -0.3f, 2.71f, -7.9f, 9.5f, -20.0f, 0.004f, -0.004f}) {
    CAPTURE(v);
    const float in[3] = {v, v, v};
    CHECK(sig.run_raw(in)[0] == expect(v, 0));
    CHECK(tanh_model.run_raw(in)[0] == expect(v, 1));
    CHECK(gelu_model.run_raw(in)[0] == expect(v, 2));
  }
  CHECK(sig.run_raw(x)[0] == 748);  // sigmoid(1) = 0.7311 -> 748.6 / 1024
}

TEST_CASE("fixed-point attention follows the float block (queries by rows, keys by columns)") {
  ModelSpec spec;
  spec.input = {3, 4, 5};
  spec.layers = {layer("attention", "nlb", {{"hidden", Value(std::int64_t{4})}, {"scale", Value(std::int64_t{1})}}),
                 layer("flatten", "flat"), layer("linear", "fc", {{"out_features", Value(std::int64_t{4})}})};
  Model m(spec, 2);
  // In ap_fixed<20,5> (step 2^-15) the softmax's tables dominate the error: exp indexed by the
  // top 10 of 19 bits of the differences (steps of 1/64), 1/sum by the top 10 of 18 bits of the sum.
  const FixedPointModel f(m, FixedInferenceOptions{fx(20, 5)});
  Rng rng(4);
  const Tensor x = test::random_tensor({8, 3, 4, 5}, rng, 1.5);
  const Tensor& y = m.forward(x, false);
  CHECK(relative_difference(f.run(x), y) < 0.03);
}

TEST_CASE("fixed-point layer norm follows the float layer (scale and shift per element, channels last)") {
  ModelSpec spec;
  spec.input = {3, 4, 5};
  spec.layers = {layer("conv2d", "c",
                       {{"out_channels", Value(std::int64_t{4})},
                        {"kernel", Value(std::int64_t{3})},
                        {"padding", Value(std::int64_t{1})}}),
                 layer("layernorm", "ln"), layer("flatten", "flat"),
                 layer("linear", "fc", {{"out_features", Value(std::int64_t{3})}})};
  Model m(spec, 6);
  Rng rng(12);  // a scale and a shift that are not the identity
  for (Param* p : m.params())
    if (m.layer_of(*p) == "ln")
      for (std::size_t i = 0; i < p->value().size(); ++i) p->value()[i] = static_cast<float>(rng.uniform(-1.5, 1.5));
  m.refresh();
  // The table of 1/sqrt(var + eps) has bins of 1/64 of the variance in ap_ufixed<20,6>.
  const FixedPointModel f(m, FixedInferenceOptions{NumberType::fixed(20, 6, true, Rounding::Rnd, Overflow::Sat)});
  const Tensor x = test::random_tensor({8, 3, 4, 5}, rng, 2.0);
  const Tensor& y = m.forward(x, false);
  CHECK(relative_difference(f.run(x), y) < 0.02);
}

TEST_CASE("fixed-point inference refuses what it cannot run, naming the layer") {
  ModelSpec spec;
  spec.input = {4, 5, 5};
  spec.layers = {layer("fake_quant", "fq")};
  CHECK(test::error_of([&] { FixedPointModel f(Model(spec, 0)); }) ==
        "fixed-point inference: layer 'fq' (fake_quant): the fixed-point executor cannot run this op yet (it runs "
        "conv2d, linear, relu, leaky_relu, sigmoid, tanh, gelu, softmax, attention, batchnorm, layernorm, maxpool2d, "
        "avgpool2d, flatten, dropout and identity)");
  ModelSpec mlp = two_layers();
  mlp.layers[0].precision["weight"] = NumberType::scaled_int(8);
  CHECK(test::error_of([&] {
          FixedPointModel f(Model(mlp, 0));
        }).find("layer 'fc1' (linear): its weight type int<8> is a scaled integer") != std::string::npos);
}
