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

using nac::test::fx;

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
    set(m, "fc1.bias", {0.125f, -0.5f});  // bias: the default's width fitted to 0.5: ap_fixed<16,1>
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
    const NumberType bias = fx(16, 1);
    CHECK(l.bias_type == bias);
    CHECK(l.accum_type == infer_accum_type(fx(8, 3, Rounding::Rnd), fx(6, 2), &bias, 2));
    CHECK(f.layers()[2].weight_type == fx(16, 3));  // fitted to 2.0: ap_fixed<16,2> holds up to 2 - 2^-14
    CHECK(f.layers()[1].result_type == fx(6, 1, r));
    CHECK(f.layers()[2].input_type == fx(6, 1, r));
  }
}

TEST_CASE("fitted weight types: the default's width and modes, the fewest integer bits that hold the magnitude") {
  const NumberType def = fx(16, 6, Rounding::Rnd, Overflow::Sat);
  // ap_fixed<16,I> holds up to 2^(I-1) - 2^(I-16); at least one integer bit (the sign).
  CHECK(fitted_type(def, 0) == fx(16, 1, Rounding::Rnd, Overflow::Sat));
  CHECK(fitted_type(def, 1 - std::ldexp(1.0, -15)) == fx(16, 1, Rounding::Rnd, Overflow::Sat));
  CHECK(fitted_type(def, 1) == fx(16, 2, Rounding::Rnd, Overflow::Sat));
  CHECK(fitted_type(def, 63.9) == fx(16, 7, Rounding::Rnd, Overflow::Sat));
  CHECK(fitted_type(def, 100) == fx(16, 8, Rounding::Rnd, Overflow::Sat));
  CHECK(fitted_type(NumberType::fixed(8, 3, false), 0.2) == fx(8, 1));  // signed, whatever the default
}

TEST_CASE("calibrated ranges: each layer's largest output by hand, and the types they give") {
  Model m(two_layers(), 1);
  set(m, "fc1.weight", {0.5f, -0.25f, 1.0f, 0.75f});
  set(m, "fc1.bias", {0.125f, -0.5f});
  set(m, "fc2.weight", {1.5f, 2.0f});
  m.refresh();
  // x = (0.3, -0.7) and (-0.1, 0.2): fc1 = 0.15 + 0.175 + 0.125 = 0.45 and 0.3 - 0.525 - 0.5 =
  // -0.725; -0.05 - 0.05 + 0.125 = 0.025 and -0.1 + 0.15 - 0.5 = -0.45. relu: 0.45, 0; 0.025, 0.
  // fc2 = 1.5 * 0.45 = 0.675; 0.0375.
  Tensor x({2, 2});
  x[0] = 0.3f, x[1] = -0.7f, x[2] = -0.1f, x[3] = 0.2f;
  const std::map<std::string, double> r = calibrate_ranges(m, x);
  REQUIRE(r.size() == 4);
  CHECK(r.at("") == doctest::Approx(0.7).epsilon(1e-4));
  CHECK(r.at("fc1") == doctest::Approx(0.725).epsilon(1e-4));
  CHECK(r.at("act") == doctest::Approx(0.45).epsilon(1e-4));
  CHECK(r.at("fc2") == doctest::Approx(0.675).epsilon(1e-4));
  // Twice each range: 1.4 needs ap_fixed<16,2>, 1.45 too, 0.9 ap_fixed<16,1>, 1.35 ap_fixed<16,2>.
  FixedInferenceOptions o;
  o.default_type = fx(16, 6, Rounding::Rnd, Overflow::Sat);
  o.ranges = r;
  const FixedPointModel f(m, o);
  CHECK(f.input_type() == fx(16, 2, Rounding::Rnd, Overflow::Sat));
  CHECK(f.layers()[0].result_type == fx(16, 2, Rounding::Rnd, Overflow::Sat));
  CHECK(f.layers()[1].input_type == fx(16, 2, Rounding::Rnd, Overflow::Sat));
  CHECK(f.layers()[1].result_type == fx(16, 1, Rounding::Rnd, Overflow::Sat));
  CHECK(f.output_type() == fx(16, 2, Rounding::Rnd, Overflow::Sat));
  // A tensor the model gives a precision keeps it.
  ModelSpec typed = two_layers();
  typed.layers[2].precision["input"] = fx(8, 3);
  Model mt(typed, 1);
  const FixedPointModel ft(mt, o);
  CHECK(ft.layers()[1].result_type == fx(8, 3));
  CHECK(ft.layers()[0].result_type == fx(16, 2, Rounding::Rnd, Overflow::Sat));
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
  // GELU: the index as sigmoid's; entry Phi(m) at the middle m of the index's inputs, rounded
  // to 2^-17 (ap_ufixed<18,1,AP_RND>); out = x * entry, truncated to 2^-10.
  const auto expect = [](double x, int which) {     // 0 sigmoid, 1 tanh, 2 gelu
    const double in = std::floor(x * 1024) / 1024;  // the input in ap_fixed<16,6>, AP_TRN
    const double per = which == 1 ? 128 : 64;
    const double index = std::clamp(std::trunc(in * per) + 512, 0.0, 1023.0);
    const double k = index - 512, v = k / per;
    if (which == 2) {
      const double m = (k > 0 ? k + 0.5 : k < 0 ? k - 0.5 : 0) / 64;
      const double phi = std::round(0.5 * std::erfc(-m / std::sqrt(2.0)) * 131072) / 131072;
      return static_cast<std::int64_t>(std::floor(in * phi * 1024));
    }
    const double f = which == 0 ? 1 / (1 + std::exp(-v)) : std::tanh(v);
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
  // In ap_fixed<20,5> (step 2^-15) the softmax's tables dominate the error: exp in steps of 1/64
  // of the differences (its value at each step's middle: relative error up to 1/128), 1/sum with
  // relative steps below 2^-9.
  const FixedPointModel f(m, FixedInferenceOptions{fx(20, 5)});
  Rng rng(4);
  const Tensor x = test::random_tensor({8, 3, 4, 5}, rng, 1.5);
  const Tensor& y = m.forward(x, false);
  CHECK(relative_difference(f.run(x), y) < 0.01);
}

TEST_CASE("fixed-point attention's softmax, worked by hand: exact scores, exp at step middles, 1/S by its top bits") {
  ModelSpec spec;
  spec.input = {1, 1, 3};  // one channel at three positions
  spec.layers = {layer("attention", "nlb", {{"hidden", Value(std::int64_t{1})}, {"scale", Value(std::int64_t{0})}})};
  Model m(spec, 0);
  for (const char* part : {"theta", "phi", "g", "out"}) {  // every part the identity: theta = phi = g = x
    set(m, std::string("nlb.") + part + ".weight", {1.0f});
    set(m, std::string("nlb.") + part + ".bias", {0.0f});
  }
  m.refresh();
  const FixedPointModel f(m, FixedInferenceOptions{fx(16, 6, Rounding::Rnd, Overflow::Sat)});
  const std::vector<double> x = {1.5, -0.25, 3.0};  // exact in ap_fixed<16,6> (raw: x * 1024)
  const float in[3] = {1.5f, -0.25f, 3.0f};
  const std::vector<std::int64_t> out = f.run_raw(in);
  const auto half_up = [](double v) { return std::floor(v + 0.5); };
  for (int i = 0; i < 3; ++i) {
    CAPTURE(i);
    // Scores x_i x_j (exact); d = the steps of 1/64 of max - s, at most 1023; e = exp(-(d + 1/2) / 64)
    // in 2^-17; S their sum; p its top bit, q = p - 16, m = S >> (q + 7); inv = 1024 / (m + 1/2) in
    // 2^-17; a = e inv 2^-q in 2^-17 (half up); mix = sum a x in 2^-10 (half up); out = mix + x.
    double s[3], mx = -1e9;
    for (int j = 0; j < 3; ++j) mx = std::max(mx, s[j] = x[i] * x[j]);
    double e[3], sum = 0;
    for (int j = 0; j < 3; ++j) {
      const double d = std::min(std::floor((mx - s[j]) * 64), 1023.0);
      sum += e[j] = half_up(std::exp(-(d + 0.5) / 64) * 131072);
    }
    const int p = static_cast<int>(std::floor(std::log2(sum))), q = std::max(p - 16, 0);
    const double top = std::floor(std::ldexp(sum, -(q + 7)));
    const double inv = half_up(131072 * 1024 / (top + 0.5));
    double mix = 0;
    for (int j = 0; j < 3; ++j) mix += half_up(std::ldexp(e[j] * inv, -(17 + q))) * x[j] * 1024;
    CHECK(out[static_cast<std::size_t>(i)] == static_cast<std::int64_t>(half_up(mix / 131072) + x[i] * 1024));
  }
}

TEST_CASE("fixed-point layer norm, worked by hand: the variance shifted by pairs of bits to index its table") {
  ModelSpec spec;
  spec.input = {4};
  spec.layers = {layer("layernorm", "ln")};  // scale 1, shift 0
  const FixedPointModel f(Model(spec, 0), FixedInferenceOptions{fx(16, 6, Rounding::Rnd, Overflow::Sat)});
  // x = 1, 2, 3, 6: mean 3 (12 * 1/4, exact), differences -2, -1, 0, 3, variance 14/4 = 3.5, in
  // ap_ufixed<16,6> the raw 3584. The table has 2^10 entries: 3584 >> 2 = 896 fits, so h = 1.
  // The largest entry 1/sqrt(0.5 * 2^-10 + 1e-5) = 44.8 needs 6 integer bits: ap_ufixed<18,6>,
  // 12 fraction bits. Entry 896 = 1/sqrt(896.5 * 2^-10 + 1e-5), rounded to 2^-12; inv = entry / 2.
  const double entry = std::round(4096 / std::sqrt(896.5 / 1024 + 1e-5));
  const float x[4] = {1, 2, 3, 6};
  const std::vector<std::int64_t> out = f.run_raw(x);
  const double diffs[4] = {-2, -1, 0, 3};
  for (int i = 0; i < 4; ++i) {
    CAPTURE(i);  // diff * entry * 2^-12 * 2^-1 to ap_fixed<16,6> (2^-10 steps), AP_RND: half up
    CHECK(out[static_cast<std::size_t>(i)] == static_cast<std::int64_t>(std::floor(diffs[i] * entry / 8 + 0.5)));
  }
  CHECK(entry == 4378);    // 4096 / sqrt(0.87549) = 4377.6
  CHECK(out[0] == -1094);  // -2 * 4378 / 8 = -1094.5, half up (-2 / sqrt(3.5) would be -1094.7)
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
  // The table of 1/sqrt(var + eps) takes the variance's top 8 to 10 bits (relative steps up to
  // 2^-8, its values at their middles): 1/sqrt errs by up to about 2^-10 of itself.
  const FixedPointModel f(m, FixedInferenceOptions{NumberType::fixed(20, 6, true, Rounding::Rnd, Overflow::Sat)});
  const Tensor x = test::random_tensor({8, 3, 4, 5}, rng, 2.0);
  const Tensor& y = m.forward(x, false);
  CHECK(relative_difference(f.run(x), y) < 0.004);
}

TEST_CASE("fixed-point Deep Sets: phi per element, set_pool's mean (truncated), sum and max worked by hand") {
  for (const auto& item : std::vector<std::pair<std::string, std::vector<std::int64_t>>>{
           // Elements (0.5, -1), (0.75, 0.25), (0.125, 2) in ap_fixed<8,3> (step 1/32): raw (16, -32),
           // (24, 8), (4, 64). Sums 44 and 40, in accum_t ap_fixed<12,5> (step 1/128) 176 and 160;
           // the mean 176/3 -> 58 and 160/3 -> 53 (toward zero); max 24 and 64. Result
           // ap_fixed<16,6> (step 1/1024): raw times 32, or times 8 from accum_t.
           {"mean", {58 * 8, 53 * 8}},
           {"sum", {44 * 32, 40 * 32}},
           {"max", {24 * 32, 64 * 32}}}) {
    const auto& reduce = item.first;  // (not a structured binding: CAPTURE makes a lambda)
    const auto& want = item.second;
    CAPTURE(reduce);
    ModelSpec spec;
    spec.input = {3, 2};
    spec.layers = {layer("set_pool", "pool", {{"reduce", Value(reduce)}})};
    spec.layers[0].precision["input"] = fx(8, 3);
    const FixedPointModel f{Model(spec, 0)};
    if (reduce != "max") CHECK(f.layers()[0].accum_type == fx(12, 5));
    const float x[6] = {0.5f, -1.0f, 0.75f, 0.25f, 0.125f, 2.0f};
    CHECK(f.run_raw(x) == want);
  }
  // A Deep Sets network (phi on each element, max, rho) against the float engine at wide types.
  ModelSpec ds;
  ds.input = {6, 3};
  ds.layers = {layer("linear", "phi1", {{"out_features", Value(std::int64_t{8})}}),
               layer("relu", "a1"),
               layer("linear", "phi2", {{"out_features", Value(std::int64_t{4})}}),
               layer("batchnorm", "bn"),
               layer("relu", "a2"),
               layer("set_pool", "pool", {{"reduce", Value(std::string("mean"))}}),
               layer("linear", "rho", {{"out_features", Value(std::int64_t{5})}})};
  for (const std::string reduce : {"mean", "max"}) {
    ds.layers[5].attrs["reduce"] = reduce;
    Model m(ds, 3);
    Tensor& mean = *m.buffers().front().second;  // bn's running statistics, not the defaults
    for (std::size_t k = 0; k < mean.size(); ++k) mean[k] = 0.1f * static_cast<float>(k);
    const FixedPointModel f(m, FixedInferenceOptions{fx(24, 8)});
    Rng rng(6);
    const Tensor x = test::random_tensor({16, 6, 3}, rng, 1.0);
    const Tensor& y = m.forward(x, false);
    CHECK(relative_difference(f.run(x), y) < 1e-3);
  }
}

TEST_CASE("fixed-point inference refuses what it cannot run, naming the layer") {
  ModelSpec spec;
  spec.input = {4, 5, 5};
  spec.layers = {layer("fake_quant", "fq")};
  CHECK(test::error_of([&] { FixedPointModel f(Model(spec, 0)); }) ==
        "fixed-point inference: layer 'fq' (fake_quant): the fixed-point executor cannot run this op yet (it runs "
        "conv2d, linear, relu, leaky_relu, sigmoid, tanh, gelu, softmax, attention, batchnorm, layernorm, maxpool2d, "
        "avgpool2d, set_pool, flatten, dropout and identity)");
  ModelSpec set;
  set.input = {4, 3};
  set.layers = {layer("linear", "phi", {{"out_features", Value(std::int64_t{2})}})};
  CHECK(test::error_of([&] { FixedPointModel f(Model(set, 0)); }) ==
        "fixed-point inference: layer 'phi' (linear): its output is a set (P, F); fixed-point models end on a vector "
        "or an image");
  ModelSpec mlp = two_layers();
  mlp.layers[0].precision["weight"] = NumberType::scaled_int(8);
  CHECK(test::error_of([&] {
          FixedPointModel f(Model(mlp, 0));
        }).find("layer 'fc1' (linear): its weight type int<8> is a scaled integer") != std::string::npos);
}
