// Batch norm folded into the convolution or linear layer before it (nac/nn/fold.hpp).
#include <cmath>

#include <doctest/doctest.h>

#include "nac/error.hpp"
#include "nac/nn/fold.hpp"
#include "nac/nn/model.hpp"
#include "nn_test_support.hpp"

using namespace nac;
using namespace nac::nn;
using I = std::int64_t;
using test::layer;

namespace {

// Gives every batch norm random statistics and affine parameters (a trained norm's, not 1 and 0).
void randomize_norms(Model& m, Rng& rng) {
  for (auto& [name, t] : m.buffers()) {
    const bool var = name.find("running_var") != std::string::npos;
    for (std::size_t i = 0; i < t->size(); ++i)
      (*t)[i] = static_cast<float>(var ? rng.uniform(0.2, 3.0) : rng.uniform(-1, 1));
  }
  for (Param* p : m.params())
    if (p->name().find(".bn") != std::string::npos) p->value() = test::random_tensor(p->value().shape(), rng, 1.5);
  m.refresh();
}

}  // namespace

TEST_CASE("folding batch norm: one channel by hand") {
  ModelSpec s;
  s.input = {1, 2, 2};
  s.layers = {layer("conv2d", "c", {{"out_channels", I{1}}, {"kernel", I{1}}}), layer("batchnorm", "c.bn")};
  Model m(s, 1);
  m.param("c.weight")->value()[0] = 2;
  m.param("c.bias")->value()[0] = 1.5f;
  m.param("c.bn.weight")->value()[0] = 3;
  m.param("c.bn.bias")->value()[0] = 0.5f;
  for (auto& [name, t] : m.buffers()) (*t)[0] = name == "c.bn.running_mean" ? 1.0f : 4.0f;
  m.refresh();
  FoldResult f = fold_batch_norms(m);
  REQUIRE(f.folded == std::vector<std::string>{"c.bn"});
  REQUIRE(f.model.spec().layers.size() == 1);
  const double scale = 3 / std::sqrt(4 + 1e-5);  // g / sqrt(v + eps)
  CHECK(f.model.param("c.weight")->value()[0] == doctest::Approx(2 * scale).epsilon(1e-7));
  CHECK(f.model.param("c.bias")->value()[0] == doctest::Approx((1.5 - 1) * scale + 0.5).epsilon(1e-7));
}

TEST_CASE("folding batch norm: the folded model computes the evaluation forward of the original") {
  ModelSpec s;
  s.input = {3, 7, 7};
  s.layers = {layer("conv2d", "c1", {{"out_channels", I{6}}, {"kernel", I{3}}, {"bias", I{0}}}),
              layer("batchnorm", "c1.bn"),
              layer("relu", "a1"),
              layer("conv2d", "c2", {{"out_channels", I{4}}, {"kernel", I{3}}, {"groups", I{2}}}),
              layer("batchnorm", "c2.bn"),  // into a grouped convolution
              layer("relu", "a2"),
              layer("batchnorm", "a2.bn"),  // after an activation: not foldable, stays
              layer("flatten", "f"),
              layer("linear", "fc1", {{"out_features", I{8}}}),
              layer("batchnorm", "fc1.bn"),
              layer("leaky_relu", "a3"),
              layer("linear", "fc2", {{"out_features", I{2}}})};
  Model m(s, 3);
  Rng rng(7);
  randomize_norms(m, rng);
  m.set_mask(*m.param("fc1.weight"), test::random_mask(m.param("fc1.weight")->value().shape(), rng, 0.6));
  const Tensor x = test::random_tensor({5, 3, 7, 7}, rng);
  const Tensor expected = m.forward(x, false);

  FoldResult f = fold_batch_norms(m);
  CHECK(f.folded == std::vector<std::string>{"c1.bn", "c2.bn", "fc1.bn"});
  std::vector<std::string> ops;
  for (const auto& l : f.model.spec().layers) ops.push_back(l.op);
  CHECK(ops == std::vector<std::string>{"conv2d", "relu", "conv2d", "relu", "batchnorm", "flatten", "linear",
                                        "leaky_relu", "linear"});
  CHECK(attr_int(f.model.spec().layers[0], "bias") == 1);  // the norm's shift needs a bias
  const Tensor got = f.model.forward(x, false);
  REQUIRE(got.shape() == expected.shape());
  for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == doctest::Approx(expected[i]).epsilon(1e-5));
  // The mask came along and the masked weights are still zero.
  const Param& w = *f.model.param("fc1.weight");
  REQUIRE(w.mask());
  for (std::size_t i = 0; i < w.value().size(); ++i)
    if ((*w.mask())[i] == 0) CHECK(w.effective()[i] == 0);
  CHECK(f.model.spec().layers[6].sparsity == m.spec().layers[8].sparsity);
  // Nothing left to fold (the norm after the activation stays): an equal model.
  FoldResult again = fold_batch_norms(f.model);
  CHECK(again.folded.empty());
  CHECK(again.model.spec() == f.model.spec());
  const Tensor same = again.model.forward(x, false);
  for (std::size_t i = 0; i < got.size(); ++i) CHECK(same[i] == got[i]);
}

TEST_CASE("folding batch norm into a quantized layer is refused, naming both") {
  ModelSpec s;
  s.input = {4};
  s.layers = {layer("linear", "fc", {{"out_features", I{3}}}), layer("batchnorm", "fc.bn")};
  Model m(s, 1);
  m.set_precision("fc", "weight", NumberType::scaled_int(8));
  CHECK_THROWS_WITH_AS(fold_batch_norms(m), doctest::Contains("folding batch norm 'fc.bn' into layer 'fc'"), Error);
  CHECK_THROWS_WITH_AS(fold_batch_norms(m), doctest::Contains("fold before quantizing"), Error);
}
