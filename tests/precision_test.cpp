// Number types of the model description (nac/precision.hpp), fake quantization against values
// worked by hand, and BOPs that read precision and sparsity.
#include <cmath>
#include <vector>

#include <doctest/doctest.h>

#include "nac/error.hpp"
#include "nac/model_cost.hpp"
#include "nac/model_spec.hpp"
#include "nac/nn/quantizer.hpp"
#include "nac/fixed_point.hpp"
#include "nac/precision.hpp"
#include "nac/rng.hpp"
#include "test_support.hpp"

using namespace nac;
using I = std::int64_t;

namespace {

NumberType fx_sat(int w, int i, Rounding r, Overflow o = Overflow::Sat, bool is_signed = true) {
  return NumberType::fixed(w, i, is_signed, r, o);
}

// Each value through nac::to_fixed and through the engine's vectorised kernel: both must give it.
double both(double x, const NumberType& t) {
  const double a = to_fixed(x, t);
  const float in = static_cast<float>(x);
  float out = 0;
  nn::quantize_fixed(&in, &out, 1, t);
  CHECK(static_cast<double>(out) == a);
  return a;
}

}  // namespace

TEST_CASE("ap_fixed rounding modes against values worked by hand, ties included") {
  // ap_fixed<4,2>: step 0.25, range [-2, 1.75]. 0.375 and -0.375 lie halfway between two steps.
  struct Row {
    Rounding mode;
    double pos_tie, neg_tie, pos_tie2, above, below;  // 0.375, -0.375, 0.625, 0.45, -0.3
  };
  const Row rows[] = {
      {Rounding::Trn, 0.25, -0.5, 0.5, 0.25, -0.5},       {Rounding::TrnZero, 0.25, -0.25, 0.5, 0.25, -0.25},
      {Rounding::Rnd, 0.5, -0.25, 0.75, 0.5, -0.25},      {Rounding::RndZero, 0.25, -0.25, 0.5, 0.5, -0.25},
      {Rounding::RndMinInf, 0.25, -0.5, 0.5, 0.5, -0.25}, {Rounding::RndInf, 0.5, -0.5, 0.75, 0.5, -0.25},
      {Rounding::RndConv, 0.5, -0.5, 0.5, 0.5, -0.25},
  };
  for (const Row& r : rows) {
    CAPTURE(to_string(r.mode));
    const NumberType t = fx_sat(4, 2, r.mode);
    CHECK(both(0.375, t) == r.pos_tie);
    CHECK(both(-0.375, t) == r.neg_tie);
    CHECK(both(0.625, t) == r.pos_tie2);
    CHECK(both(0.45, t) == r.above);
    CHECK(both(-0.3, t) == r.below);
    // The exact integer arithmetic of the fixed-point executor (nac/fixed_point.hpp) likewise.
    const auto exact = [&](double x) { return fixed_to_double(fixed_from_double(x, t), t); };
    CHECK(exact(0.375) == r.pos_tie);
    CHECK(exact(-0.375) == r.neg_tie);
    CHECK(exact(0.625) == r.pos_tie2);
    CHECK(exact(0.45) == r.above);
    CHECK(exact(-0.3) == r.below);
    CHECK(both(0.5, t) == 0.5);  // on the grid: unchanged
    CHECK(both(-1.75, t) == -1.75);
  }
}

TEST_CASE("ap_fixed overflow modes against values worked by hand") {
  // ap_fixed<4,2>: integers -8..7 in steps of 0.25.
  const NumberType wrap = fx_sat(4, 2, Rounding::Trn, Overflow::Wrap), sat = fx_sat(4, 2, Rounding::Trn, Overflow::Sat),
                   zero = fx_sat(4, 2, Rounding::Trn, Overflow::SatZero),
                   sym = fx_sat(4, 2, Rounding::Trn, Overflow::SatSym);
  CHECK(both(2.0, wrap) == -2.0);  // 8 -> 8 - 16
  CHECK(both(2.0, sat) == 1.75);
  CHECK(both(2.0, zero) == 0);
  CHECK(both(2.0, sym) == 1.75);
  CHECK(both(-2.25, wrap) == 1.75);  // -9 -> -9 + 16 = 7
  CHECK(both(-2.25, sat) == -2.0);
  CHECK(both(-2.25, zero) == 0);
  CHECK(both(-2.25, sym) == -1.75);  // symmetric: the smallest value is -largest
  for (const auto& t : {wrap, sat, zero, sym}) CHECK(both(-2.0, t) == -2.0);  // the smallest value itself
  CHECK(both(5.0, wrap) == 1.0);                                              // 20 mod 16 = 4
  CHECK(both(-7.0, wrap) == 1.0);                                             // -28 + 32 = 4
  // Quantization first, then overflow: 1.9 rounds up to 2.0, which overflows.
  CHECK(both(1.9, fx_sat(4, 2, Rounding::Rnd, Overflow::Sat)) == 1.75);
  CHECK(both(1.9, fx_sat(4, 2, Rounding::Rnd, Overflow::Wrap)) == -2.0);
  CHECK(both(1.9, fx_sat(4, 2, Rounding::Trn, Overflow::Wrap)) == 1.75);
  // Unsigned ap_ufixed<4,2>: 0..3.75.
  CHECK(both(-0.25, fx_sat(4, 2, Rounding::Trn, Overflow::Wrap, false)) == 3.75);
  CHECK(both(-0.25, fx_sat(4, 2, Rounding::Trn, Overflow::Sat, false)) == 0);
  CHECK(both(-0.25, fx_sat(4, 2, Rounding::Trn, Overflow::SatSym, false)) == 0);
  CHECK(both(4.0, fx_sat(4, 2, Rounding::Trn, Overflow::Wrap, false)) == 0);
  CHECK(both(4.0, fx_sat(4, 2, Rounding::Trn, Overflow::Sat, false)) == 3.75);
  // Integer bits below 0 and above the width.
  CHECK(both(0.1, fx_sat(4, -1, Rounding::Trn)) == 0.09375);  // step 2^-5
  CHECK(both(0.3, fx_sat(4, -1, Rounding::Trn)) == 0.21875);  // saturated at 7 * 2^-5
  CHECK(both(5.0, fx_sat(4, 6, Rounding::Trn)) == 4.0);       // step 4
  CHECK(both(7.0, fx_sat(4, 6, Rounding::Rnd)) == 8.0);
  CHECK(std::isnan(to_fixed(std::nan(""), sat)));
  CHECK(sat.step() == 0.25);
  CHECK(sat.lowest() == -2.0);
  CHECK(sat.highest() == 1.75);
}

TEST_CASE("the vectorised fixed-point kernel equals to_fixed for every mode on random values and ties") {
  Rng rng(3);
  std::vector<float> xs;
  for (int i = 0; i < 400; ++i) xs.push_back(static_cast<float>(rng.uniform(-12, 12)));
  for (int i = -40; i <= 40; ++i) xs.push_back(static_cast<float>(i) * 0.0625f + 0.03125f);  // ties of <8,4>
  const Rounding modes[] = {Rounding::Trn,       Rounding::TrnZero, Rounding::Rnd,    Rounding::RndZero,
                            Rounding::RndMinInf, Rounding::RndInf,  Rounding::RndConv};
  const Overflow overflows[] = {Overflow::Wrap, Overflow::Sat, Overflow::SatZero, Overflow::SatSym};
  std::vector<float> out(xs.size());
  for (bool is_signed : {true, false})
    for (Rounding r : modes)
      for (Overflow o : overflows) {
        const NumberType t = NumberType::fixed(8, 4, is_signed, r, o);
        nn::quantize_fixed(xs.data(), out.data(), xs.size(), t);
        std::size_t wrong = 0;
        for (std::size_t i = 0; i < xs.size(); ++i) wrong += static_cast<double>(out[i]) != to_fixed(xs[i], t);
        CAPTURE(to_string(t));
        CHECK(wrong == 0);
      }
}

TEST_CASE("number types in their text form: round trips and clear errors") {
  for (const char* text :
       {"float32", "ap_fixed<8,3>", "ap_ufixed<6,0>", "ap_fixed<16,6,AP_RND_CONV,AP_SAT>", "ap_fixed<8,3,AP_RND>",
        "ap_fixed<4,1,AP_TRN,AP_SAT_SYM>", "int<8>", "uint<4>", "int<8,per_channel>", "int<7,per_channel,pow2>",
        "int<6,pow2>", "int<7,learned>", "uint<8,pow2,learned>"})
    CHECK(to_string(parse_number_type(text)) == text);
  CHECK(parse_number_type(" ap_fixed< 8, 3 , AP_RND_CONV , AP_SAT> ") == fx_sat(8, 3, Rounding::RndConv));
  CHECK(parse_number_type("ap_fixed<8,3,AP_TRN,AP_WRAP>") == NumberType::fixed(8, 3));
  CHECK(to_string(NumberType::fixed(8, 3, true, Rounding::Trn, Overflow::Sat)) == "ap_fixed<8,3,AP_TRN,AP_SAT>");
  CHECK(test::error_of([] { parse_number_type("ap_fixed<8,3,AP_ROUND>"); }).find("unknown rounding mode 'AP_ROUND'") !=
        std::string::npos);
  CHECK(test::error_of([] {
          parse_number_type("ap_fixed<8,3,AP_RND,AP_WRAP_SM>");
        }).find("AP_WRAP_SM is not supported") != std::string::npos);
  CHECK(test::error_of([] { parse_number_type("ap_fixed<40,3>"); }).find("the width must be 2 to 32 bits, found 40") !=
        std::string::npos);
  CHECK(test::error_of([] { parse_number_type("int<1>"); }).find("2 to 16 bits") != std::string::npos);
  CHECK(test::error_of([] { parse_number_type("int<17>"); }).find("2 to 16 bits") != std::string::npos);
  CHECK(test::error_of([] {
          parse_number_type("int<8,per_tensor>");
        }).find("unknown or repeated option 'per_tensor'") != std::string::npos);
  CHECK(test::error_of([] {
          parse_number_type("int<8,per_channel,learned>");
        }).find("a learned scale is one per tensor") != std::string::npos);
  CHECK(test::error_of([] { parse_number_type("ap_fixed<8>"); }).find("takes W,I") != std::string::npos);
  CHECK(test::error_of([] { parse_number_type("fixed<8,3>"); }).find("unknown kind 'fixed'") != std::string::npos);
  CHECK(test::error_of([] { parse_number_type("ap_fixed<8,x>"); }).find("the integer bits I must be an integer") !=
        std::string::npos);
  CHECK(test::error_of([] { parse_number_type("half"); }).find("expected float32") != std::string::npos);
}

TEST_CASE("scaled integers against values worked by hand") {
  std::vector<float> y(4);
  float s = 0;
  // int<4>: levels -7..7; the largest magnitude 0.875 gives s = 0.125. -0.4375 / s = -3.5 -> -4
  // and 0.3125 / s = 2.5 -> 2 (ties to even); 0.05 / s = 0.4 -> 0.
  const std::vector<float> t{0.875f, -0.4375f, 0.3125f, 0.05f};
  nn::fake_quantize(t.data(), y.data(), 4, 1, NumberType::scaled_int(4), &s);
  CHECK(s == 0.125f);
  CHECK(y == std::vector<float>{0.875f, -0.5f, 0.25f, 0.0f});
  // Power-of-two scale: 1/7 rounded up to 2^-2.
  const std::vector<float> x{1.0f, -0.5f, 0.3f, 0.05f};
  nn::fake_quantize(x.data(), y.data(), 4, 1, NumberType::scaled_int(4, true, false, true), &s);
  CHECK(s == 0.25f);
  CHECK(y == std::vector<float>{1.0f, -0.5f, 0.25f, 0.0f});
  // uint<3>: levels 0..7; s = 0.875 / 7 = 0.125; 0.4375 / s = 3.5 -> 4; negatives clamp to 0.
  const std::vector<float> u{-1.0f, 0.4375f, 0.875f};
  std::vector<float> v(3);
  nn::fake_quantize(u.data(), v.data(), 3, 1, NumberType::scaled_int(3, false), &s);
  CHECK(v == std::vector<float>{0.0f, 0.5f, 0.875f});
  // Per channel: each row its own scale.
  const std::vector<float> w{1.0f, 0.5f, 0.1f, -0.05f};
  std::vector<float> q(4), scales(2);
  nn::fake_quantize(w.data(), q.data(), 4, 2, NumberType::scaled_int(2, true, true), scales.data());
  CHECK(scales == std::vector<float>{1.0f, 0.1f});  // levels -1..1
  CHECK(q == std::vector<float>{1.0f, 0.0f, 0.1f, -0.0f});
}

TEST_CASE("bops read precision and sparsity: the hawq-jet-tagging check and a layer by hand") {
  ModelSpec s;
  s.input = {16};
  for (I out : {64, 32, 32, 5})
    append_layer(s, "linear", "fc" + std::to_string(out) + std::to_string(s.layers.size()), {{"out_features", out}});
  // hawq-jet-tagging's figure for the 16-64-32-32-5 network at 32 bits.
  CHECK(total_bops(s) == 4652832);
  CHECK(total_effective_bops(s) == 4652832);
  // The first layer at 8-bit weights and 6-bit inputs, 75% of its weights masked:
  // 64 * 16 * (0.25 * 8 * 6 + 8 + 6 + log2 16) = 1024 * 30 = 30720 instead of 1024 * 1092.
  s.layers[0].precision["weight"] = NumberType::fixed(8, 3);
  s.layers[0].precision["input"] = NumberType::scaled_int(6);
  s.layers[0].sparsity = 0.75;
  CHECK(layer_costs(s)[0].bops == 30720);
  CHECK(total_bops(s) == 4652832 - 1024 * 1092 + 30720);
  // Effective BOPs: 1024 * 1092 * (8/32) * (6/32) * 0.25.
  CHECK(layer_costs(s)[0].effective_bops == doctest::Approx(1024.0 * 1092 * 0.25 * 0.1875 * 0.25));
  // A precision survives the description's JSON; a bad one is refused naming where.
  CHECK(model_spec_from_json(to_json(s)) == s);
  auto j = to_json(s);
  j["layers"][0]["precision"]["weight"] = "ap_fixed<8,3,AP_RUND>";
  CHECK(test::error_of([&] { model_spec_from_json(j); }).find("layers[0] (fc640).precision.weight: number type") !=
        std::string::npos);
  j["layers"][0]["precision"] = {{"output", "int<8>"}};
  CHECK(test::error_of([&] { model_spec_from_json(j); }).find("unknown role 'output' (weight, bias, input)") !=
        std::string::npos);
}

TEST_CASE("precision and sparsity only where they mean something") {
  ModelSpec s;
  s.input = {4};
  LayerSpec& r = append_layer(s, "relu", "r");
  r.precision["weight"] = NumberType::scaled_int(8);
  CHECK(test::error_of([&] {
          infer_shapes(s);
        }).find("layer 'r' (relu): a weight precision on an op without weights") != std::string::npos);
  s.layers[0].precision.clear();
  s.layers[0].sparsity = 0.5;
  CHECK(test::error_of([&] { infer_shapes(s); }).find("sparsity on an op without weights") != std::string::npos);
  s.layers[0].sparsity = 0;
  s.layers[0].precision["input"] = NumberType::fixed(8, 3);  // an activation's input may be quantized
  CHECK_NOTHROW(infer_shapes(s));
}
