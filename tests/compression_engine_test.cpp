// The engine's side of compression: precision and masks set through the model, the
// straight-through gradients, masks through every optimizer, and the model file's round trip.
#include <cstring>
#include <fstream>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "nac/error.hpp"
#include "nac/model_cost.hpp"
#include "nac/nn/model.hpp"
#include "nac/nn/model_io.hpp"
#include "nac/nn/optimizer.hpp"
#include "nac/nn/quantizer.hpp"
#include "nn_test_support.hpp"
#include "test_support.hpp"

using namespace nac;
using namespace nac::nn;
using I = std::int64_t;
using test::layer;
using test::random_mask;
using test::random_tensor;

namespace {

ModelSpec mlp() {
  ModelSpec s;
  s.input = {6};
  s.layers = {layer("linear", "fc1", {{"out_features", I{5}}}), layer("tanh", "t"),
              layer("linear", "fc2", {{"out_features", I{2}}})};
  return s;
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

TEST_CASE("an input precision: the forward rounds to the grid, the gradient passes only inside the range") {
  ModelSpec s;
  s.input = {4};
  s.layers = {layer("linear", "fc", {{"out_features", I{3}}})};
  Model plain(s, 2);
  s.layers[0].precision["input"] = NumberType::fixed(4, 2, true, Rounding::Rnd, Overflow::Sat);  // [-2, 1.75]
  Model quantized(s, 2);
  Tensor x({2, 4});
  const float xs[8] = {0.3f, -0.4f, 1.9f, -2.6f, 0.1f, 1.0f, -1.1f, 3.0f};
  for (int i = 0; i < 8; ++i) x[i] = xs[i];
  // The oracle: the plain model fed the input rounded by hand (ap_fixed<4,2,AP_RND,AP_SAT>).
  Tensor xq({2, 4});
  const float rounded[8] = {0.25f, -0.5f, 1.75f, -2.0f, 0.0f, 1.0f, -1.0f, 1.75f};
  for (int i = 0; i < 8; ++i) xq[i] = rounded[i];
  const Tensor yq = quantized.forward(x, true);
  const Tensor yp = plain.forward(xq, true);
  CHECK(same_bits(yq, yp));
  Rng rng(4);
  const Tensor r = random_tensor({2, 3}, rng);
  Tensor dq, dp;
  quantized.backward(r, &dq);
  plain.backward(r, &dp);
  for (int i = 0; i < 8; ++i) {
    const bool inside = xs[i] >= -2.0f && xs[i] <= 1.75f;
    CAPTURE(i);
    CHECK(dq[i] == (inside ? dp[i] : 0.0f));
  }
  // The weights' gradients are those at the quantized input.
  for (std::size_t k = 0; k < plain.params().size(); ++k)
    CHECK(same_bits(quantized.params()[k]->grad(), plain.params()[k]->grad()));
}

TEST_CASE("a fixed-point weight precision: weights on the grid, no gradient where they saturate") {
  Model m(mlp(), 3);
  Param* w = m.param("fc1.weight");
  REQUIRE(w);
  w->value()[0] = 1.5f;   // above ap_fixed<4,1>'s 0.875
  w->value()[1] = -1.2f;  // below its -1
  m.set_precision("fc1", "weight", NumberType::fixed(4, 1, true, Rounding::RndConv, Overflow::Sat));
  CHECK(m.spec().layers[0].precision.at("weight") == parse_number_type("ap_fixed<4,1,AP_RND_CONV,AP_SAT>"));
  CHECK(w->effective()[0] == 0.875f);
  CHECK(w->effective()[1] == -1.0f);
  for (std::size_t i = 0; i < w->value().size(); ++i)
    CHECK(w->effective()[i] == static_cast<float>(to_fixed(w->value()[i], *w->quantizer())));
  // The bias is not touched (a role of its own).
  CHECK(!m.param("fc1.bias")->quantizer());
  // The gradient: that of a plain model holding the effective weights, zero where saturated.
  Model plain(mlp(), 3);
  for (std::size_t k = 0; k < m.params().size(); ++k) plain.params()[k]->value() = m.params()[k]->effective();
  Rng rng(5);
  const Tensor x = random_tensor({3, 6}, rng), r = random_tensor({3, 2}, rng);
  m.forward(x, true);
  m.backward(r);
  plain.forward(x, true);
  plain.backward(r);
  const Tensor& g = w->grad();
  const Tensor& gp = plain.param("fc1.weight")->grad();
  CHECK(g[0] == 0);
  CHECK(g[1] == 0);
  CHECK(gp[0] != 0);
  for (std::size_t i = 2; i < g.size(); ++i) CHECK(g[i] == gp[i]);
}

TEST_CASE("masked weights stay exactly zero through many steps of every optimizer, momentum and moments included") {
  OptimizerConfig sgd{"sgd", 0.05}, nesterov{"sgd", 0.05}, adam{"adam", 0.01}, adamw{"adamw", 0.01},
      rms{"rmsprop", 0.005}, rms_c{"rmsprop", 0.005};
  sgd.momentum = 0.9;
  sgd.weight_decay = 1e-3;
  nesterov.momentum = 0.9;
  nesterov.nesterov = true;
  adam.weight_decay = 1e-3;
  rms_c.centered = true;
  rms_c.momentum = 0.5;
  for (const auto& config : {sgd, nesterov, adam, adamw, rms, rms_c}) {
    CAPTURE(config.kind);
    Model m(mlp(), 7);
    auto opt = make_optimizer(config);
    Rng rng(8);
    const Tensor x = random_tensor({16, 6}, rng);
    auto steps = [&](int n) {
      for (int k = 0; k < n; ++k) {
        const Tensor r = random_tensor({16, 2}, rng);
        m.forward(x, true);
        m.backward(r);
        opt->step(m.params(), config.lr);
      }
    };
    steps(30);  // moments and momentum build up on every weight first
    for (Param* p : m.params())
      if (Model::role_of(*p) == "weight") m.set_mask(*p, random_mask(p->value().shape(), rng, 0.4));
    steps(150);
    std::size_t masked = 0, nonzero = 0;
    for (Param* p : m.params()) {
      if (!p->mask()) continue;
      for (std::size_t i = 0; i < p->value().size(); ++i) {
        if ((*p->mask())[i] == 0) {
          ++masked;
          nonzero += p->value()[i] != 0.0f;
        }
      }
    }
    CHECK(masked > 10);
    CHECK(nonzero == 0);
    // The description follows the masks.
    const Param* w1 = m.param("fc1.weight");
    double zeros = 0;
    for (std::size_t i = 0; i < w1->mask()->size(); ++i) zeros += (*w1->mask())[i] == 0;
    CHECK(m.spec().layers[0].sparsity == zeros / 30.0);
  }
}

TEST_CASE("a pruned, quantized model saved and reloaded computes the same outputs bit for bit") {
  ModelSpec s;
  s.input = {2, 5, 5};
  s.layers = {layer("conv2d", "c", {{"out_channels", I{4}}, {"kernel", I{3}}}), layer("batchnorm", "bn"),
              layer("relu", "r"), layer("flatten", "f"), layer("linear", "fc", {{"out_features", I{3}}})};
  s.layers[0].precision["weight"] = parse_number_type("ap_fixed<8,2,AP_RND_CONV,AP_SAT>");
  s.layers[0].precision["input"] = parse_number_type("int<8>");
  s.layers[4].precision["weight"] = parse_number_type("int<6,per_channel>");
  s.layers[4].precision["bias"] = parse_number_type("ap_fixed<12,4>");
  Model m(s, 11);
  m.set_precision("fc", "input", parse_number_type("ap_fixed<10,4,AP_RND,AP_SAT>"));
  Rng rng(12);
  m.set_mask(*m.param("c.weight"), random_mask({4, 2, 3, 3}, rng, 0.6));
  m.set_mask(*m.param("fc.weight"), random_mask({3, 36}, rng, 0.4));
  auto opt = make_optimizer(OptimizerConfig{"adam", 0.01});
  const Tensor x = random_tensor({8, 2, 5, 5}, rng);
  for (int k = 0; k < 5; ++k) {  // moves the running statistics and the input's running maximum
    m.forward(x, true);
    m.backward(random_tensor({8, 3}, rng));
    opt->step(m.params(), 0.01);
  }
  test::TempDir dir("compressed_model");
  save_model(m, dir.path() / "m.nacm");
  Model back = load_model(dir.path() / "m.nacm");
  CHECK(back.spec() == m.spec());
  CHECK(back.spec().layers[0].precision.size() == 2);
  CHECK(back.spec().layers[4].precision.size() == 3);
  CHECK(back.spec().layers[0].sparsity > 0.2);
  CHECK(back.spec().layers[4].sparsity > 0.4);
  for (std::size_t k = 0; k < m.params().size(); ++k) {
    const Param& a = *m.params()[k];
    const Param& b = *back.params()[k];
    CHECK(same_bits(a.value(), b.value()));
    CHECK(a.mask().has_value() == b.mask().has_value());
    if (a.mask()) CHECK(same_bits(*a.mask(), *b.mask()));
    CHECK(a.quantizer() == b.quantizer());
  }
  const auto bufs_a = m.buffers(), bufs_b = back.buffers();
  REQUIRE(bufs_a.size() == bufs_b.size());
  CHECK(bufs_a.size() == 3);  // bn's mean and variance, the scaled input's running maximum
  for (std::size_t k = 0; k < bufs_a.size(); ++k) {
    CHECK(bufs_a[k].first == bufs_b[k].first);
    CHECK(same_bits(*bufs_a[k].second, *bufs_b[k].second));
  }
  const Tensor y1 = m.forward(x, false);
  const Tensor y2 = back.forward(x, false);
  CHECK(same_bits(y1, y2));
  // BOPs see it: fewer than the dense float model's.
  ModelSpec dense = s;
  for (auto& l : dense.layers) l.precision.clear();
  infer_shapes(dense);
  CHECK(total_bops(back.spec()) < 0.2 * total_bops(dense));
}

TEST_CASE("a model file of format 1 with bits_w, bits_a and pruned loads them as precision and sparsity") {
  // Written byte by byte as nac 0.x wrote them: magic, version 1, header length, header, data.
  const nlohmann::json header = {
      {"spec",
       {{"input", {3}},
        {"layers",
         {{{"op", "linear"},
           {"name", "fc"},
           {"input", {3}},
           {"output", {2}},
           {"attrs", {{"out_features", 2}, {"bits_w", 8}, {"bits_a", 6.0}, {"pruned", 0.5}}}}}}}},
      {"tensors",
       {{{"name", "fc.weight"}, {"kind", "param"}, {"shape", {2, 3}}, {"offset", 0}},
        {{"name", "fc.bias"}, {"kind", "param"}, {"shape", {2}}, {"offset", 24}}}},
      {"dtype", "float32-le"}};
  const std::string h = header.dump();
  const float values[8] = {0.5f, -0.25f, 0.1f, 1.0f, 0.0f, -0.3f, 0.05f, -0.05f};
  test::TempDir dir("model_v1");
  {
    std::ofstream out(dir.path() / "old.nacm", std::ios::binary);
    const std::uint32_t version = 1;
    const std::uint64_t n = h.size();
    out.write("NACMODEL", 8);
    out.write(reinterpret_cast<const char*>(&version), 4);
    out.write(reinterpret_cast<const char*>(&n), 8);
    out.write(h.data(), static_cast<std::streamsize>(n));
    out.write(reinterpret_cast<const char*>(values), sizeof values);
  }
  Model m = load_model(dir.path() / "old.nacm");
  const LayerSpec& fc = m.spec().layers[0];
  CHECK(fc.attrs.count("bits_w") == 0);
  CHECK(fc.precision.at("weight") == NumberType::scaled_int(8));
  CHECK(fc.precision.at("input") == NumberType::scaled_int(6));
  CHECK(fc.sparsity == 0.5);
  // Its weights are fake-quantized to 8 bits: levels of 1/127 of the largest magnitude.
  const Tensor& w = m.param("fc.weight")->effective();
  CHECK(w[2] == doctest::Approx(std::nearbyint(0.1 * 127) / 127));
  CHECK(w[3] == 1.0f);
  // Saved again, it is a format 2 file with the same description.
  save_model(m, dir.path() / "new.nacm");
  const std::string bytes = test::read_file(dir.path() / "new.nacm");
  std::uint32_t version = 0;
  std::memcpy(&version, bytes.data() + 8, 4);
  CHECK(version == 2);
  CHECK(load_model(dir.path() / "new.nacm").spec() == m.spec());
}

TEST_CASE("precision set through the model: clear errors") {
  ModelSpec s;
  s.input = {1, 6, 6};
  s.layers = {layer("conv2d", "c", {{"out_channels", I{2}}, {"kernel", I{3}}}), layer("relu", "r"),
              layer("flatten", "f"), layer("linear", "fc", {{"out_features", I{2}}})};
  Model m(s, 1);
  CHECK(test::error_of([&] { m.set_precision("nope", "weight", NumberType::scaled_int(8)); }) ==
        "set_precision: the model has no layer 'nope'");
  CHECK(test::error_of([&] { m.set_precision("r", "weight", NumberType::scaled_int(8)); }) ==
        "layer 'r' (relu) has no weight parameters to quantize");
  CHECK(test::error_of([&] { m.set_precision("fc", "output", NumberType::scaled_int(8)); }) ==
        "layer 'fc': unknown precision role 'output' (weight, bias, input)");
  CHECK(test::error_of([&] {
          m.set_precision("r", "input", NumberType::scaled_int(8));
        }).find("runs fused into the convolution before it") != std::string::npos);
  CHECK(test::error_of([&] {
          m.set_precision("fc", "input", NumberType::scaled_int(8, true, true));
        }).find("per_channel is for weights") != std::string::npos);
  NumberType bad = NumberType::scaled_int(8);
  bad.width = 20;
  CHECK(test::error_of([&] { m.set_precision("fc", "weight", bad); }).find("2 to 16 bits") != std::string::npos);
  // In the description before the model is built, the fused activation's input can be quantized:
  // the convolution and relu then run apart.
  s.layers[1].precision["input"] = NumberType::fixed(8, 3);
  Model apart(s, 1);
  Rng rng(2);
  const Tensor x = random_tensor({2, 1, 6, 6}, rng);
  CHECK(apart.forward(x, false).dim(1) == 2);
  // float32 removes a precision.
  m.set_precision("fc", "weight", NumberType::scaled_int(4));
  m.set_precision("fc", "weight", NumberType::float32());
  CHECK(m.spec().layers[3].precision.empty());
  CHECK(!m.param("fc.weight")->quantizer());
}

TEST_CASE("LSQ's scale gradient against its definition, worked by hand") {
  // int<3>: levels -3..3, s = 0.25. x / s = 1.04 (inside: q - v = 1 - 1.04), -3.6 (below: the
  // bound -3), 12 (above: 3), 2 (inside: 0).
  const std::vector<float> x{0.26f, -0.9f, 3.0f, 0.5f}, dy{1.0f, 2.0f, -1.0f, 0.5f};
  const double g = lsq_scale_gradient(x.data(), dy.data(), 4, 0.25f, NumberType::scaled_int(3));
  CHECK(g == doctest::Approx(1 * (1 - 1.04) + 2 * -3.0 + -1 * 3.0 + 0.5 * 0.0).epsilon(1e-6));
}

TEST_CASE(
    "a learned input scale: started at the largest magnitude, trained through its logarithm, saved with the model") {
  ModelSpec s;
  s.input = {4};
  s.layers = {layer("linear", "fc", {{"out_features", I{2}}})};
  Model m(s, 1);
  NumberType t = NumberType::scaled_int(4);
  t.learned = true;
  m.set_precision("fc", "input", t);
  Param* scale = m.param("fc.input.log2_scale");
  REQUIRE(scale != nullptr);
  CHECK(Model::role_of(*scale) == "scale");
  CHECK(m.layer_of(*scale) == "fc");
  CHECK(m.params().size() == 3);
  Tensor x({2, 4});
  const float xs[8] = {0.5f, -1.0f, 2.0f, 0.1f, -0.3f, 0.7f, 1.5f, -2.5f};
  for (int i = 0; i < 8; ++i) x[i] = xs[i];
  m.forward(x, true);
  // The first training batch starts it where the max scale would be: the largest magnitude / 7.
  const double s0 = 2.5 / 7;
  CHECK(std::exp2(static_cast<double>(scale->value()[0])) == doctest::Approx(s0).epsilon(1e-5));
  // The gradient: g * dL/ds * s ln 2 with g = 1 / sqrt(4 features x 7 levels), dL/ds as LSQ
  // defines it from the gradient that reaches the quantizer's output (dL/dy W here).
  Rng rng(3);
  const Tensor r = random_tensor({2, 2}, rng);
  m.backward(r);
  const Tensor& w = m.param("fc.weight")->effective();
  std::vector<float> dq(8, 0.0f);
  for (int n = 0; n < 2; ++n)
    for (int i = 0; i < 4; ++i)
      for (int o = 0; o < 2; ++o) dq[n * 4 + i] += r[n * 2 + o] * w[o * 4 + i];
  const float sf = static_cast<float>(std::exp2(static_cast<double>(scale->value()[0])));
  const double want = lsq_scale_gradient(xs, dq.data(), 8, sf, t) / std::sqrt(4.0 * 7.0) * sf * std::log(2.0);
  CHECK(scale->grad()[0] == doctest::Approx(want).epsilon(1e-5));
  // The forward uses exactly that scale, in training and in evaluation.
  const Tensor y = m.forward(x, false);
  Tensor xq({2, 4});
  quantize_with_scale(x.data(), xq.data(), 8, sf, t);
  ModelSpec plain = s;
  Model p(plain, 1);
  CHECK(same_bits(p.forward(xq, false), y));
  // A step of the optimizer moves the scale; the model file keeps it bit for bit.
  auto opt = make_optimizer(OptimizerConfig{"adam", 1e-2});
  const float before = scale->value()[0];
  opt->step(m.params(), 1e-2);
  CHECK(scale->value()[0] != before);
  test::TempDir dir("lsq_model");
  save_model(m, dir.path() / "m.nacm");
  Model back = load_model(dir.path() / "m.nacm");
  CHECK(to_string(precision_of(back.spec().layers[0], "input")) == "int<4,learned>");
  CHECK(back.param("fc.input.log2_scale")->value()[0] == scale->value()[0]);
  CHECK(same_bits(back.forward(x, false), m.forward(x, false)));
  // Weights take no learned scale.
  CHECK(test::error_of([&] { m.set_precision("fc", "weight", t); }).find("a learned scale is for layer inputs") !=
        std::string::npos);
}
