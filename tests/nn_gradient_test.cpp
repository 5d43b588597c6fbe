// Every layer's backward against central finite differences of its forward, for the input and
// for every parameter. The loss is L = sum(r .* y) for a fixed random r, so dL/dy = r.
#include <cmath>
#include <cstring>
#include <functional>

#include <doctest/doctest.h>

#include "nac/nn/model.hpp"
#include "nac/nn/model_io.hpp"
#include "nac/nn/runtime.hpp"
#include "test_support.hpp"

using namespace nac;
using namespace nac::nn;

namespace {

Tensor random_tensor(const Shape& shape, Rng& rng, double scale = 1.0) {
  Tensor t(shape);
  for (std::size_t i = 0; i < t.size(); ++i) t[i] = static_cast<float>(rng.normal() * scale);
  return t;
}

struct Probe {
  ModelSpec spec;
  Shape input;
  std::int64_t batch = 3;
  double eps = 1e-2;
  double tolerance = 2e-2;  // relative to the largest gradient of the tensor checked
  float floor = 1e-3f;      // ... or to this, when all of its gradients are smaller
  bool training = true;
};

double loss(Model& m, const Tensor& x, const Tensor& r, bool training) {
  Rng dropout(99);
  const Tensor& y = m.forward(x, training, &dropout);
  double l = 0;
  for (std::size_t i = 0; i < y.size(); ++i) l += static_cast<double>(y[i]) * r[i];
  return l;
}

// Compares analytic and numerical derivatives of up to `samples` entries of `values`.
void compare(const std::string& what, Tensor& values, const Tensor& analytic, const std::function<double()>& f,
             const Probe& probe, Rng& rng, int samples = 24) {
  float largest = probe.floor;
  for (std::size_t i = 0; i < analytic.size(); ++i) largest = std::max(largest, std::abs(analytic[i]));
  for (int s = 0; s < samples && s < static_cast<int>(values.size()); ++s) {
    const std::size_t i =
        values.size() <= static_cast<std::size_t>(samples) ? static_cast<std::size_t>(s) : rng.below(values.size());
    const float keep = values[i];
    values[i] = static_cast<float>(keep + probe.eps);
    const double up = f();
    values[i] = static_cast<float>(keep - probe.eps);
    const double down = f();
    values[i] = keep;
    const double numeric = (up - down) / (2 * probe.eps);
    INFO(what << "[" << i << "]: analytic " << analytic[i] << ", numeric " << numeric);
    CHECK(std::abs(numeric - analytic[i]) <= probe.tolerance * largest);
  }
}

void check_gradients(const Probe& probe, std::uint64_t seed = 1) {
  ModelSpec spec = probe.spec;
  spec.input = probe.input;
  Model model(spec, seed);
  Rng rng(seed + 7);
  Tensor x = random_tensor(batched(probe.batch, probe.input), rng);
  Rng dropout(99);
  Tensor r = random_tensor(model.forward(x, probe.training, &dropout).shape(), rng);
  loss(model, x, r, probe.training);
  Tensor dx;
  model.backward(r, &dx);
  REQUIRE(dx.shape() == x.shape());
  auto f = [&] { return loss(model, x, r, probe.training); };
  compare("input", x, dx, f, probe, rng);
  for (Param* p : model.params()) {
    const Tensor analytic = p->grad();
    compare(
        p->name(), p->value(), analytic,
        [&] {
          model.refresh();
          return f();
        },
        probe, rng);
  }
}

LayerSpec layer(std::string op, std::map<std::string, Value> attrs = {}, std::vector<LayerSpec> children = {}) {
  static int counter = 0;
  LayerSpec l;
  l.name = op + std::to_string(counter++);
  l.op = std::move(op);
  l.attrs = std::move(attrs);
  l.children = std::move(children);
  return l;
}

Probe probe(std::vector<LayerSpec> layers, Shape input) {
  Probe p;
  p.spec.layers = std::move(layers);
  p.input = std::move(input);
  return p;
}

using I = std::int64_t;

}  // namespace

TEST_CASE("activations: relu leaky_relu gelu tanh sigmoid identity softmax") {
  set_threads(1);
  for (const char* op : {"relu", "leaky_relu", "gelu", "tanh", "sigmoid", "identity", "softmax"}) {
    CAPTURE(op);
    Probe p = probe({layer(op)}, {7});
    p.eps = 1e-3;
    check_gradients(p);
  }
}

TEST_CASE("linear and a small MLP") {
  check_gradients(probe({layer("linear", {{"out_features", I{4}}})}, {6}));
  check_gradients(probe({layer("linear", {{"out_features", I{5}}}), layer("tanh"),
                         layer("linear", {{"out_features", I{2}}, {"bias", I{0}}})},
                        {3}));
}

TEST_CASE("Deep Sets: linear on each element of a set, set_pool mean sum max, rho") {
  for (const std::string reduce : {"mean", "sum", "max"}) {
    CAPTURE(reduce);
    Probe p =
        probe({layer("linear", {{"out_features", I{4}}}), layer("tanh"), layer("linear", {{"out_features", I{3}}}),
               layer("set_pool", {{"reduce", reduce}}), layer("linear", {{"out_features", I{2}}})},
              {5, 3});
    p.eps = 1e-3;  // max: a step small enough not to change which element is largest
    check_gradients(p);
  }
  // Batch norm on a set: per feature over the batch and the elements.
  check_gradients(probe({layer("linear", {{"out_features", I{4}}}), layer("batchnorm"), layer("tanh"),
                         layer("set_pool"), layer("linear", {{"out_features", I{2}}})},
                        {5, 3}));
}

TEST_CASE("Deep Sets by hand: set_pool's mean, sum and max - phi maps each element alone - order does not matter") {
  set_threads(1);
  for (const auto& item : std::vector<std::pair<std::string, std::vector<float>>>{
           {"mean", {2, 4, -1, 0.5f}}, {"sum", {4, 8, -2, 1}}, {"max", {3, 6, 0, 1}}}) {
    const auto& reduce = item.first;  // (not a structured binding: CAPTURE makes a lambda)
    const auto& expected = item.second;
    CAPTURE(reduce);
    ModelSpec spec;
    spec.input = {2, 2};
    append_layer(spec, "set_pool", "pool", {{"reduce", reduce}});
    Model m(spec, 1);
    Tensor x({2, 2, 2});
    const float values[] = {1, 2, 3, 6, -2, 1, 0, 0};
    std::copy(values, values + 8, x.data());
    const Tensor& y = m.forward(x, false, nullptr);
    REQUIRE(y.shape() == Shape{2, 2});
    for (std::size_t i = 0; i < 4; ++i) CHECK(y[i] == expected[i]);
  }
  // phi on a set equals phi on each element as a vector, with the same weights.
  ModelSpec set;
  set.input = {4, 3};
  append_layer(set, "linear", "phi", {{"out_features", I{5}}});
  Model on_set(set, 3);
  ModelSpec one;
  one.input = {3};
  append_layer(one, "linear", "phi", {{"out_features", I{5}}});
  Model on_vector(one, 3);
  Rng rng(5);
  const Tensor x = random_tensor({2, 4, 3}, rng);
  const Tensor y = on_set.forward(x, false, nullptr);
  for (std::int64_t e = 0; e < 8; ++e) {
    Tensor v({1, 3});
    std::copy(x.data() + 3 * e, x.data() + 3 * e + 3, v.data());
    const Tensor& w = on_vector.forward(v, false, nullptr);
    for (std::int64_t k = 0; k < 5; ++k) CHECK(y[static_cast<std::size_t>(5 * e + k)] == doctest::Approx(w[k]));
  }
  // A Deep Sets network gives the same output for its elements in any order.
  ModelSpec ds;
  ds.input = {4, 3};
  append_layer(ds, "linear", "phi", {{"out_features", I{6}}});
  append_layer(ds, "relu", "act");
  append_layer(ds, "set_pool", "pool", {{"reduce", std::string("max")}});
  append_layer(ds, "linear", "rho", {{"out_features", I{2}}});
  Model deep_sets(ds, 4);
  Tensor shuffled({1, 4, 3}), first({1, 4, 3});
  std::copy(x.data(), x.data() + 12, first.data());
  const int order[] = {2, 0, 3, 1};
  for (int e = 0; e < 4; ++e) std::copy(x.data() + 3 * order[e], x.data() + 3 * order[e] + 3, shuffled.data() + 3 * e);
  const Tensor a = deep_sets.forward(first, false, nullptr);
  const Tensor& b = deep_sets.forward(shuffled, false, nullptr);
  for (std::size_t k = 0; k < 2; ++k) CHECK(a[k] == b[k]);  // max: exactly
}

TEST_CASE("conv2d with kernels 1 3 5 strides and padding") {
  check_gradients(probe({layer("conv2d", {{"out_channels", I{4}}, {"kernel", I{3}}})}, {2, 6, 6}));
  check_gradients(probe(
      {layer("conv2d", {{"out_channels", I{3}}, {"kernel", I{3}}, {"stride", I{2}}, {"padding", I{1}}})}, {2, 7, 7}));
  check_gradients(probe({layer("conv2d", {{"out_channels", I{2}}, {"kernel", I{5}}, {"padding", I{2}}})}, {3, 5, 5}));
  check_gradients(probe({layer("conv2d", {{"out_channels", I{5}}, {"kernel", I{1}}, {"bias", I{0}}})}, {4, 3, 3}));
  // Few inputs per output (nac's own weight-gradient loop): the projection's shape, and 1x1.
  check_gradients(probe({layer("conv2d", {{"out_channels", I{8}}, {"kernel", I{3}}})}, {1, 6, 6}));
  check_gradients(probe({layer("conv2d", {{"out_channels", I{16}}, {"kernel", I{1}}, {"bias", I{0}}})}, {3, 4, 4}));
  // 1x1 with more inputs (a matrix product over the pixels), thin and wide; with a fused
  // activation in nn_fusion_test.cpp.
  check_gradients(probe({layer("conv2d", {{"out_channels", I{2}}, {"kernel", I{1}}})}, {20, 3, 3}));
  check_gradients(probe({layer("conv2d", {{"out_channels", I{17}}, {"kernel", I{1}}, {"bias", I{0}}})}, {18, 2, 3}));
}

TEST_CASE("batchnorm 1-D and 2-D in training and in evaluation") {
  check_gradients(probe({layer("batchnorm")}, {5}));
  check_gradients(probe({layer("batchnorm")}, {3, 4, 4}));
  Probe eval = probe({layer("batchnorm")}, {3, 4, 4});
  eval.training = false;
  check_gradients(eval);
}

TEST_CASE("layernorm over (C H W) and over features") {
  check_gradients(probe({layer("layernorm")}, {3, 4, 4}));
  check_gradients(probe({layer("layernorm")}, {6}));
}

TEST_CASE("max and average pooling with padding and flatten") {
  check_gradients(probe({layer("maxpool2d", {{"kernel", I{2}}})}, {2, 6, 6}));
  check_gradients(probe({layer("avgpool2d", {{"kernel", I{3}}, {"stride", I{2}}, {"padding", I{1}}})}, {2, 7, 7}));
  check_gradients(probe({layer("conv2d", {{"out_channels", I{2}}, {"kernel", I{3}}}), layer("flatten"),
                         layer("linear", {{"out_features", I{3}}})},
                        {1, 5, 5}));
}

TEST_CASE("dropout with a fixed mask") {
  check_gradients(probe({layer("linear", {{"out_features", I{8}}}), layer("dropout", {{"p", 0.3}})}, {4}));
}

TEST_CASE("spatial self-attention (BraggNN's non-local block)") {
  check_gradients(probe({layer("attention", {{"hidden", I{3}}})}, {4, 3, 3}));
  check_gradients(probe({layer("attention", {{"hidden", I{2}}, {"scale", I{1}}, {"residual", I{0}}})}, {3, 4, 2}));
  // The search's size: 81 positions (five 16-lane blocks and a tail), one and five hidden channels.
  // phi's bias has a zero gradient (a softmax ignores a constant added to a row); finite
  // differences of a float loss over ~1000 outputs see about 1e-4 of noise there.
  // Few positions and many hidden channels take the other arrangement of the products.
  {
    Probe p = probe({layer("attention", {{"hidden", I{16}}})}, {2, 3, 3});
    p.floor = 1e-2f;  // (phi's bias again)
    check_gradients(p);
  }
  for (const auto& [hidden, channels] : {std::pair{I{5}, I{4}}, std::pair{I{1}, I{3}}}) {
    Probe p = probe({layer("attention", {{"hidden", hidden}, {"scale", I{hidden == 1}}})}, {channels, 9, 9});
    p.floor = 1e-2f;
    check_gradients(p);
  }
}

TEST_CASE("residual and sequential containers") {
  check_gradients(
      probe({layer("residual", {},
                   {layer("conv2d", {{"out_channels", I{3}}, {"kernel", I{3}}, {"padding", I{1}}}), layer("gelu")})},
            {3, 4, 4}));
  check_gradients(probe(
      {layer("sequential", {}, {layer("linear", {{"out_features", I{4}}}), layer("layernorm")}), layer("residual")},
      {5}));
}

TEST_CASE("masked weights: pruned entries get no gradient and the rest match finite differences") {
  ModelSpec spec;
  spec.input = {2, 5, 5};
  spec.layers = {layer("conv2d", {{"out_channels", I{3}}, {"kernel", I{3}}})};
  Model model(spec, 3);
  Param* w = model.params()[0];
  Tensor mask(w->value().shape());
  for (std::size_t i = 0; i < mask.size(); ++i) mask[i] = i % 3 == 0 ? 0.0f : 1.0f;
  w->set_mask(mask);
  for (std::size_t i = 0; i < mask.size(); i += 3) CHECK(w->value()[i] == 0.0f);
  Rng rng(5);
  Tensor x = random_tensor({2, 2, 5, 5}, rng);
  Tensor r = random_tensor({2, 3, 3, 3}, rng);
  loss(model, x, r, true);
  model.backward(r);
  const Tensor analytic = w->grad();
  for (std::size_t i = 0; i < mask.size(); i += 3) CHECK(analytic[i] == 0.0f);
  // Finite differences through the mask: perturbing a pruned weight changes nothing.
  Probe p;
  compare(
      "masked weight", w->value(), analytic,
      [&] {
        model.refresh();
        return loss(model, x, r, true);
      },
      p, rng, 81);
}

TEST_CASE("fake-quantized weights: the straight-through gradient is the gradient at the quantized weights") {
  ModelSpec spec;
  spec.input = {6};
  spec.layers = {layer("linear", {{"out_features", I{4}}}), layer("tanh"), layer("linear", {{"out_features", I{2}}})};
  Model quantized(spec, 4), plain(spec, 4);
  for (Param* p : quantized.params()) p->set_quantizer(NumberType::scaled_int(4));
  quantized.refresh();
  // The plain model holds the quantized model's effective weights.
  for (std::size_t k = 0; k < quantized.params().size(); ++k) {
    Param* q = quantized.params()[k];
    plain.params()[k]->value() = q->effective();
    std::size_t changed = 0;
    for (std::size_t i = 0; i < q->value().size(); ++i) changed += q->effective()[i] != q->value()[i];
    if (q->value().rank() > 1)
      CHECK(changed > 0);  // 4 bits moved the weights onto a grid (a bias has
                           // one value per channel, which its own scale keeps)
  }
  Rng rng(6);
  Tensor x = random_tensor({3, 6}, rng), r = random_tensor({3, 2}, rng);
  loss(quantized, x, r, true);
  quantized.backward(r);
  loss(plain, x, r, true);
  plain.backward(r);
  for (std::size_t k = 0; k < plain.params().size(); ++k)
    for (std::size_t i = 0; i < plain.params()[k]->grad().size(); ++i)
      CHECK(quantized.params()[k]->grad()[i] == doctest::Approx(plain.params()[k]->grad()[i]));
}

TEST_CASE("fake_quant on activations passes the gradient inside its range") {
  ModelSpec spec;
  spec.input = {5};
  spec.layers = {layer("fake_quant", {{"bits", I{3}}})};
  Model m(spec, 1);
  Tensor x({1, 5});
  const float vals[5] = {-1.0f, -0.4f, 0.1f, 0.5f, 1.0f};
  for (int i = 0; i < 5; ++i) x[i] = vals[i];
  const Tensor& y = m.forward(x, true);
  // 3 bits: levels k/3 for k in -3..3 (scale 1/3).
  const float expected[5] = {-1.0f, -1.0f / 3, 0.0f, 2.0f / 3, 1.0f};
  for (int i = 0; i < 5; ++i) CHECK(y[i] == doctest::Approx(expected[i]));
  Tensor r({1, 5});
  r.fill(2.0f);
  Tensor dx;
  m.backward(r, &dx);
  for (int i = 0; i < 5; ++i) CHECK(dx[i] == 2.0f);
}

TEST_CASE("grouped and depthwise conv2d: gradients by finite differences") {
  set_threads(1);
  {  // (the gradients below are of grouped weights, PyTorch's (OC, IC/G, K, K))
    ModelSpec s;
    s.input = {4, 5, 5};
    s.layers = {layer("conv2d", {{"out_channels", I{6}}, {"kernel", I{3}}, {"groups", I{2}}})};
    REQUIRE(Model(s, 1).params()[0]->value().shape() == Shape{6, 2, 3, 3});
  }
  // groups 2: 4 -> 6 channels, with stride and padding; and fused with a following relu.
  check_gradients(
      probe({layer("conv2d",
                   {{"out_channels", I{6}}, {"kernel", I{3}}, {"stride", I{2}}, {"padding", I{1}}, {"groups", I{2}}})},
            {4, 7, 7}));
  {  // (a small step: the fused activation's kink is closer than the default step to some outputs)
    Probe fused =
        probe({layer("conv2d", {{"out_channels", I{4}}, {"kernel", I{3}}, {"groups", I{2}}}), layer("leaky_relu")},
              {4, 6, 6});
    fused.eps = 1e-3;
    check_gradients(fused);
  }
  // depthwise (groups = in_channels), with a channel multiplier of 2 and without bias.
  check_gradients(probe(
      {layer("conv2d", {{"out_channels", I{3}}, {"kernel", I{3}}, {"padding", I{1}}, {"groups", I{3}}})}, {3, 5, 5}));
  check_gradients(
      probe({layer("conv2d",
                   {{"out_channels", I{6}}, {"kernel", I{5}}, {"padding", I{2}}, {"groups", I{3}}, {"bias", I{0}}})},
            {3, 6, 6}));
}

namespace {
// y[n, o, i, j] = b[o] + sum over the input channels c of o's group and the kernel of
// w[o, c, ki, kj] * x[n, g * IC/G + c, i*s - p + ki, j*s - p + kj], with w in PyTorch's (OC, IC/G, K, K).
Tensor naive_conv(const Tensor& x, const Tensor& w, const Tensor* b, I groups, I stride, I pad) {
  const I n = x.dim(0), ic = x.dim(1), h = x.dim(2), wd = x.dim(3);
  const I oc = w.dim(0), icg = w.dim(1), k = w.dim(2);
  REQUIRE(icg * groups == ic);
  const I oh = (h + 2 * pad - k) / stride + 1, ow = (wd + 2 * pad - k) / stride + 1;
  Tensor y({n, oc, oh, ow});
  const I ocg = oc / groups;
  for (I s = 0; s < n; ++s)
    for (I o = 0; o < oc; ++o)
      for (I i = 0; i < oh; ++i)
        for (I j = 0; j < ow; ++j) {
          double acc = b ? (*b)[static_cast<std::size_t>(o)] : 0.0;
          const I g = o / ocg;
          for (I c = 0; c < icg; ++c)
            for (I ki = 0; ki < k; ++ki)
              for (I kj = 0; kj < k; ++kj) {
                const I r = i * stride - pad + ki, q = j * stride - pad + kj;
                if (r < 0 || r >= h || q < 0 || q >= wd) continue;
                acc += static_cast<double>(w[static_cast<std::size_t>(((o * icg + c) * k + ki) * k + kj)]) *
                       x[static_cast<std::size_t>(((s * ic + g * icg + c) * h + r) * wd + q)];
              }
          y[static_cast<std::size_t>(((s * oc + o) * oh + i) * ow + j)] = static_cast<float>(acc);
        }
  return y;
}
}  // namespace

TEST_CASE("conv2d grouped, depthwise and 1x1 over many channels: the forward against a naive loop convolution") {
  set_threads(1);
  struct Case {
    I in_c, out_c, kernel, stride, padding, groups, bias;
  };
  for (const Case c : {Case{4, 6, 3, 1, 1, 2, 1}, Case{6, 4, 3, 2, 0, 2, 0}, Case{5, 5, 3, 1, 1, 5, 1},
                       Case{3, 6, 5, 2, 2, 3, 1}, Case{24, 3, 1, 1, 0, 1, 1}, Case{20, 2, 1, 1, 0, 1, 0}}) {
    CAPTURE(c.in_c);
    CAPTURE(c.groups);
    ModelSpec spec;
    spec.input = {c.in_c, 7, 7};
    spec.layers = {layer("conv2d", {{"out_channels", c.out_c},
                                    {"kernel", c.kernel},
                                    {"stride", c.stride},
                                    {"padding", c.padding},
                                    {"groups", c.groups},
                                    {"bias", c.bias}})};
    Model m(spec, 3);
    const Tensor& w = m.params()[0]->value();
    REQUIRE(w.shape() == Shape{c.out_c, c.in_c / c.groups, c.kernel, c.kernel});
    // Initialised as PyTorch does: within +-1/sqrt(IC/G * K * K), and reaching near the bound.
    const float bound = 1.0f / std::sqrt(static_cast<float>(c.in_c / c.groups * c.kernel * c.kernel));
    float largest = 0;
    for (std::size_t i = 0; i < w.size(); ++i) largest = std::max(largest, std::abs(w[i]));
    CHECK(largest <= bound);
    CHECK(largest > 0.7f * bound);
    Rng rng(11);
    const Tensor x = random_tensor({2, c.in_c, 7, 7}, rng);
    const Tensor expected = naive_conv(x, w, c.bias ? &m.params()[1]->value() : nullptr, c.groups, c.stride, c.padding);
    for (bool training : {false, true}) {
      const Tensor& y = m.forward(x, training);
      REQUIRE(y.shape() == expected.shape());
      for (std::size_t i = 0; i < y.size(); ++i) {
        INFO("output " << i);
        REQUIRE(y[i] == doctest::Approx(expected[i]).epsilon(1e-4).scale(1.0));
      }
    }
    // Saved and loaded in the same (OC, IC/G, K, K) layout: the same outputs.
    test::TempDir dir("grouped");
    save_model(m, dir.path() / "m.nacm");
    Model back = load_model(dir.path() / "m.nacm");
    REQUIRE(back.params()[0]->value().shape() == w.shape());
    const Tensor y1 = m.forward(x, false), y2 = back.forward(x, false);
    CHECK(std::memcmp(y1.data(), y2.data(), y1.size() * sizeof(float)) == 0);
  }
}
