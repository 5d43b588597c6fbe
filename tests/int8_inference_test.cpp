// Integer inference (Model::set_integer_inference): the int8 kernels against the integer sums of
// the codes computed here in 64-bit integers, and against the fake-quantized float forward.
#include <cmath>
#include <cstdint>

#include <doctest/doctest.h>

#include "nac/nn/model.hpp"
#include "nac/nn/model_io.hpp"
#include "nac/nn/quantizer.hpp"
#include "nn_test_support.hpp"

using namespace nac;
using namespace nac::nn;
using I = std::int64_t;
using test::layer;
using test::random_tensor;

namespace {

// The integer code of a value on a grid of that step (exact: the value is code * step).
std::int64_t code(float v, float step) { return std::llround(static_cast<double>(v) / step); }

float running_max(Model& m, const std::string& name) {
  for (auto& [n, t] : m.buffers())
    if (n == name) return (*t)[0];
  FAIL("no buffer " << name);
  return 0;
}

// y = s_in s_w[o] sum(q_in q_w) + b[o] for a convolution (NCHW input, OIHW weights, groups),
// the sums in 64-bit integers.
Tensor conv_oracle(const Tensor& x, float in_step, const Param& w, const Param& b, I groups, I pad, bool relu) {
  const I n = x.dim(0), c = x.dim(1), h = x.dim(2), wd = x.dim(3);
  const I oc = w.value().dim(0), icg = w.value().dim(1), k = w.value().dim(2);
  const I oh = h + 2 * pad - k + 1, ow = wd + 2 * pad - k + 1;
  Tensor y({n, oc, oh, ow});
  const Tensor& we = w.effective();
  for (I s = 0; s < n; ++s)
    for (I o = 0; o < oc; ++o) {
      const float ws = w.steps().size() == 1 ? w.steps()[0] : w.steps()[static_cast<std::size_t>(o)];
      const I g = o / (oc / groups);
      for (I i = 0; i < oh; ++i)
        for (I j = 0; j < ow; ++j) {
          std::int64_t sum = 0;
          for (I ci = 0; ci < icg; ++ci)
            for (I a = 0; a < k; ++a)
              for (I bb = 0; bb < k; ++bb) {
                const I r = i + a - pad, q = j + bb - pad;
                if (r < 0 || r >= h || q < 0 || q >= wd) continue;
                const float xv = x[static_cast<std::size_t>(((s * c + g * icg + ci) * h + r) * wd + q)];
                const float wv = we[static_cast<std::size_t>(((o * icg + ci) * k + a) * k + bb)];
                sum += code(xv, in_step) * code(wv, ws);
              }
          double v = static_cast<double>(in_step) * ws * static_cast<double>(sum) + b.effective()[o];
          if (relu && v < 0) v = 0;
          y[static_cast<std::size_t>(((s * oc + o) * oh + i) * ow + j)] = static_cast<float>(v);
        }
    }
  return y;
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  REQUIRE(a.shape() == b.shape());
  double d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, std::abs(static_cast<double>(a[i]) - b[i]));
  return d;
}

double max_abs(const Tensor& a) {
  double d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, std::abs(static_cast<double>(a[i])));
  return d;
}

}  // namespace

TEST_CASE("an int8 convolution computes the exact integer sums of its codes") {
  struct Case {
    const char* what;
    NumberType input, weight;
    I groups;
    bool relu;
  };
  const Case cases[] = {
      {"s8 input ap_fixed<8,3>, int<8,per_channel> weights", NumberType::fixed(8, 3, true, Rounding::RndConv),
       NumberType::scaled_int(8, true, true), 1, false},
      {"u8 input uint<8>, int<7> weights, fused relu", NumberType::scaled_int(8, false),
       NumberType::scaled_int(7, true), 1, true},
      {"grouped, s8 input int<6>, ap_fixed<8,1> weights", NumberType::scaled_int(6, true),
       NumberType::fixed(8, 1, true, Rounding::RndConv, Overflow::Sat), 2, false},
  };
  for (const Case& cs : cases) {
    CAPTURE(cs.what);
    ModelSpec s;
    s.input = {8, 7, 7};  // (4 channels per group in the grouped case: fewer stay float)
    s.layers = {
        layer("conv2d", "c", {{"out_channels", I{6}}, {"kernel", I{3}}, {"padding", I{1}}, {"groups", cs.groups}})};
    if (cs.relu) s.layers.push_back(layer("relu", "r"));
    s.layers[0].precision["input"] = cs.input;
    s.layers[0].precision["weight"] = cs.weight;
    Model m(s, 3);
    Rng rng(5);
    Tensor x = random_tensor({3, 8, 7, 7}, rng, 2.0);
    if (!cs.input.is_signed)
      for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::abs(x[i]);
    m.forward(x, true);  // sets a scaled input's running maximum
    const Tensor fake = m.forward(x, false);
    CHECK(m.integer_layers().empty());
    m.set_integer_inference(true);
    const Tensor integer = m.forward(x, false);
    CHECK(m.integer_layers() == std::vector<std::string>{"c"});

    // The oracle reads the input's grid: a fixed type's step, or the scale of the running maximum.
    const float in_step = cs.input.kind == NumberType::Kind::Fixed
                              ? static_cast<float>(cs.input.step())
                              : quant_scale(running_max(m, "c.input.running_max"), cs.input);
    Tensor xq(x.shape());
    if (cs.input.kind == NumberType::Kind::Fixed) quantize_fixed(x.data(), xq.data(), x.size(), cs.input);
    else quantize_with_scale(x.data(), xq.data(), x.size(), in_step, cs.input);
    const Tensor oracle = conv_oracle(xq, in_step, *m.param("c.weight"), *m.param("c.bias"), cs.groups, 1, cs.relu);
    const double scale = max_abs(oracle);
    CHECK(scale > 0.5);
    CHECK(max_abs_diff(integer, oracle) <= 1e-6 * scale);
    CHECK(max_abs_diff(fake, oracle) <= 1e-5 * scale);
  }
}

TEST_CASE("int8 linear layers: codes of 8 bits or less run int8, wider ones and training do not") {
  ModelSpec s;
  s.input = {20};
  s.layers = {layer("linear", "fc1", {{"out_features", I{16}}}), layer("tanh", "t"),
              layer("linear", "fc2", {{"out_features", I{3}}})};
  s.layers[0].precision["input"] = NumberType::scaled_int(8, true);
  s.layers[0].precision["weight"] = NumberType::scaled_int(8, true, true, true);  // per channel, powers of two
  s.layers[2].precision["input"] = NumberType::fixed(8, 1, true, Rounding::RndConv, Overflow::Sat);
  s.layers[2].precision["weight"] = NumberType::scaled_int(12, true);  // wider than 8 bits: float
  Model m(s, 9);
  Rng rng(2);
  const Tensor x = random_tensor({5, 20}, rng, 3.0);
  m.forward(x, true);
  const Tensor fake = m.forward(x, false);
  m.set_integer_inference(true);
  m.forward(x, true);
  CHECK(m.integer_layers().empty());  // training never runs int8
  const Tensor integer = m.forward(x, false);
  CHECK(m.integer_layers() == std::vector<std::string>{"fc1"});
  // fc2 runs in float on fc1's output either way: equal up to fc1's float rounding.
  CHECK(max_abs_diff(integer, fake) <= 1e-5 * max_abs(fake));

  // fc1's output by hand from the codes.
  ModelSpec one = s;
  one.layers.resize(1);
  Model first(one, 9);
  first.forward(x, true);
  first.set_integer_inference(true);
  const Tensor y = first.forward(x, false);
  const Param& w = *first.param("fc1.weight");
  const Param& b = *first.param("fc1.bias");
  const float in_step = quant_scale(running_max(first, "fc1.input.running_max"), s.layers[0].precision["input"]);
  Tensor xq(x.shape());
  quantize_with_scale(x.data(), xq.data(), x.size(), in_step, s.layers[0].precision["input"]);
  for (I r = 0; r < 5; ++r)
    for (I o = 0; o < 16; ++o) {
      std::int64_t sum = 0;
      for (I i = 0; i < 20; ++i)
        sum += code(xq[static_cast<std::size_t>(r * 20 + i)], in_step) *
               code(w.effective()[static_cast<std::size_t>(o * 20 + i)], w.steps()[static_cast<std::size_t>(o)]);
      const double want =
          static_cast<double>(in_step) * w.steps()[static_cast<std::size_t>(o)] * static_cast<double>(sum) +
          b.effective()[o];
      CHECK(y[static_cast<std::size_t>(r * 16 + o)] == doctest::Approx(want).epsilon(1e-6));
    }
}

TEST_CASE("BraggNN at 8 bits: the int8 forward is the fake-quantized one within one step of the output") {
  ModelSpec s = load_model_spec(std::string(NAC_SOURCE_DIR) + "/experiments/models/braggnn.json");
  for (auto& l : s.layers)
    if (l.op == "conv2d" || l.op == "linear") {
      l.precision["weight"] = NumberType::scaled_int(8, true, true);
      l.precision["input"] = NumberType::scaled_int(8, true);
    }
  Model m(s, 4);
  Rng rng(8);
  Tensor x = random_tensor({16, 1, 11, 11}, rng, 1.0);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::abs(x[i]);
  for (int k = 0; k < 3; ++k) m.forward(x, true);
  const Tensor fake = m.forward(x, false);
  m.set_integer_inference(true);
  const Tensor integer = m.forward(x, false);
  // c1 reads one channel: fewer than Conv2d::kMinInt8Channels, it stays float.
  CHECK(m.integer_layers() == std::vector<std::string>{"c2", "c3", "fc.0", "fc.2", "fc.4", "fc.6", "fc.8"});
  // One step of the output: a unit of the last layer's integer sum.
  const Param& w = *m.param("fc.8.weight");
  float w_step = 0;
  for (float v : w.steps()) w_step = std::max(w_step, v);
  const float step = quant_scale(running_max(m, "fc.8.input.running_max"), s.layers.back().precision["input"]) * w_step;
  CHECK(max_abs_diff(integer, fake) <= step);
}
