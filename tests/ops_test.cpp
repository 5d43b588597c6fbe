// The op registry (nac/ops.hpp): attributes checked against each op's declarations, grouped
// convolutions' shapes and costs by hand, an op added from outside with its shape and cost, and a
// failed plugin registration taking its op back.
#include <cmath>

#include <doctest/doctest.h>

#include "nac/error.hpp"
#include "nac/model_cost.hpp"
#include "nac/ops.hpp"
#include "nac/registry.hpp"

using namespace nac;
using I = std::int64_t;

TEST_CASE("a layer attribute its op does not declare is an error naming the layer, with a suggestion") {
  ModelSpec s;
  s.input = {4, 9, 9};
  CHECK_THROWS_WITH_AS(append_layer(s, "conv2d", "c1", {{"out_channels", I{8}}, {"kernel", I{3}}, {"group", I{2}}}),
                       doctest::Contains("layer 'c1' (conv2d): unknown attribute 'group'; did you mean 'groups'?"),
                       Error);
  CHECK_THROWS_WITH_AS(append_layer(s, "conv2d", "c1", {{"out_channels", 8.5}, {"kernel", I{3}}}),
                       "layer 'c1' (conv2d): attribute 'out_channels' must be an integer, found 8.5", Error);
  CHECK_THROWS_WITH_AS(append_layer(s, "conv2d", "c1", {{"out_channels", I{0}}, {"kernel", I{3}}}),
                       "layer 'c1' (conv2d): attribute 'out_channels' must be >= 1, found 0", Error);
  CHECK_THROWS_WITH_AS(append_layer(s, "conv2d", "c1", {{"kernel", I{3}}}),
                       doctest::Contains("layer 'c1' (conv2d): missing attribute 'out_channels'"), Error);
  CHECK_THROWS_WITH_AS(append_layer(s, "dropout", "d", {{"p", 1.5}}),
                       "layer 'd' (dropout): attribute 'p' must be in [0, 1], found 1.5", Error);
  CHECK_THROWS_WITH_AS(append_layer(s, "conv2dd", "c1", {}),
                       doctest::Contains("unknown op 'conv2dd'; did you mean 'conv2d'?"), Error);
  // The old compression attributes are no longer attributes (model files of format 1 still load
  // them, as precision: model_io_test).
  CHECK_THROWS_WITH_AS(append_layer(s, "relu", "r", {{"bits_a", I{8}}}),
                       doctest::Contains("unknown attribute 'bits_a'"), Error);
}

TEST_CASE("grouped and depthwise convolutions: shapes, and costs by hand") {
  ModelSpec s;
  s.input = {8, 9, 9};
  // Depthwise 3x3, 8 channels: 7x7 outputs; each output a dot product of 1*9.
  append_layer(s, "conv2d", "dw", {{"out_channels", I{8}}, {"kernel", I{3}}, {"groups", I{8}}});
  CHECK(s.output() == Shape{8, 7, 7});
  // Grouped 1x1, 8 -> 16 channels in 2 groups: K = 4 per output.
  append_layer(s, "conv2d", "pw", {{"out_channels", I{16}}, {"kernel", I{1}}, {"groups", I{2}}, {"bias", I{0}}});
  const auto c = layer_costs(s);
  REQUIRE(c.size() == 2);
  CHECK(c[0].macs == doctest::Approx(8 * 49 * 9));
  CHECK(c[0].params == doctest::Approx(8 * 9 + 8));
  CHECK(c[0].bops == doctest::Approx(8 * 49 * 9 * (32 * 32 + 64 + std::log2(9.0))));
  CHECK(c[1].macs == doctest::Approx(16 * 49 * 4));
  CHECK(c[1].params == doctest::Approx(16 * 4));
  CHECK(c[1].bops == doctest::Approx(16 * 49 * 4 * (32 * 32 + 64 + 2.0)));
  CHECK_THROWS_WITH_AS(append_layer(s, "conv2d", "bad", {{"out_channels", I{6}}, {"kernel", I{1}}, {"groups", I{4}}}),
                       doctest::Contains("'groups' 4 does not divide the 6 output channels"), Error);
}

TEST_CASE("Deep Sets: a linear layer on a set shares its weights over the elements - set_pool's shapes and errors") {
  ModelSpec s;
  s.input = {8, 3};  // 8 constituents, (pT, eta, phi)
  append_layer(s, "linear", "phi", {{"out_features", I{16}}});
  CHECK(s.output() == Shape{8, 16});
  append_layer(s, "set_pool", "pool");
  CHECK(s.output() == Shape{16});
  append_layer(s, "linear", "rho", {{"out_features", I{5}}});
  const auto c = layer_costs(s);
  REQUIRE(c.size() == 3);
  CHECK(c[0].macs == doctest::Approx(8 * 16 * 3));
  CHECK(c[0].params == doctest::Approx(16 * 3 + 16));  // shared, not times 8
  CHECK(c[0].bops == doctest::Approx(8 * 16 * 3 * (32 * 32 + 64 + std::log2(3.0))));
  CHECK(c[1].macs == 0);  // set_pool: no multiplications, no parameters
  CHECK(c[1].params == 0);
  CHECK(c[1].bops == 0);
  CHECK(c[2].macs == doctest::Approx(16 * 5));
  CHECK_THROWS_WITH_AS(append_layer(s, "set_pool", "again"),
                       "layer 'again' (set_pool) on input (5): expected a set (P, F)", Error);
  ModelSpec t;
  t.input = {4, 2};
  CHECK_THROWS_WITH_AS(append_layer(t, "set_pool", "p", {{"reduce", std::string("median")}}),
                       doctest::Contains("'reduce' is 'median', not mean, sum or max"), Error);
  CHECK_THROWS_WITH_AS(append_layer(t, "set_pool", "p", {{"reduce", I{1}}}),
                       doctest::Contains("attribute 'reduce' must be a string"), Error);
}

namespace {

// An op from outside the core: doubles the features of a vector (concatenating x and -x).
OpDef mirror_op() {
  OpDef op;
  op.name = "test_mirror";
  op.description = "x and -x";
  op.attrs = {AttrSpec::integer("copies", 2, 2, 2, "always 2")};
  op.shape = [](const LayerSpec& l) {
    if (l.input.size() != 1) op_error(l, "expected a vector");
    return Shape{2 * l.input[0]};
  };
  op.cost = [](const LayerSpec& l) { return LayerCost{l.name, 0, static_cast<double>(l.input[0]), 0}; };
  return op;
}

}  // namespace

TEST_CASE("an op added through the registry has shapes and costs, and a failed registration takes it back") {
  Registry registry;
  {
    Registry::Scope scope(registry, Origin{"mirror", "/nowhere/nac_mirror.so"});
    registry.add_op(mirror_op());
    // Part way: the same name again collides, so the plugin's registration fails.
    CHECK_THROWS_WITH_AS(registry.add_op(mirror_op()),
                         doctest::Contains("registers op 'test_mirror', which plugin 'mirror'"), Error);
  }  // no commit: taken back
  CHECK(lookup_op("test_mirror") == nullptr);
  CHECK_FALSE(registry.contains(PluginKind::Op, "test_mirror"));

  {
    Registry::Scope scope(registry, Origin{"mirror", "/nowhere/nac_mirror.so"});
    registry.add_op(mirror_op());
    scope.commit();
  }
  REQUIRE(lookup_op("test_mirror") != nullptr);
  CHECK(registry.contains(PluginKind::Op, "test_mirror"));
  CHECK(op_owner("test_mirror") == "plugin 'mirror' (/nowhere/nac_mirror.so)");
  ModelSpec s;
  s.input = {5};
  append_layer(s, "test_mirror", "m");
  append_layer(s, "linear", "fc", {{"out_features", I{3}}});
  CHECK(s.layers[0].output == Shape{10});
  CHECK(total_macs(s) == doctest::Approx(5 + 10 * 3));
  CHECK_THROWS_WITH_AS(append_layer(s, "test_mirror", "m2", {{"copies", I{3}}}),
                       "layer 'm2' (test_mirror): attribute 'copies' must be in [2, 2], found 3", Error);

  // A second registry loading the same plugin finds the op there; another owner cannot take it.
  Registry again;
  {
    Registry::Scope scope(again, Origin{"mirror", "/nowhere/nac_mirror.so"});
    CHECK_NOTHROW(again.add_op(mirror_op()));
    scope.commit();
  }
  Registry other;
  {
    Registry::Scope scope(other, Origin{"thief", "/nowhere/nac_thief.so"});
    CHECK_THROWS_WITH_AS(other.add_op(mirror_op()),
                         "plugin 'thief' (/nowhere/nac_thief.so) registers op 'test_mirror', which plugin 'mirror' "
                         "(/nowhere/nac_mirror.so) already registered",
                         Error);
  }
  CHECK(lookup_op("test_mirror") != nullptr);  // the failed thief took nothing of the owner's away
  unregister_op("test_mirror");
}

TEST_CASE("a plugin cannot replace a built-in op") {
  Registry registry;
  OpDef op = mirror_op();
  op.name = "relu";
  Registry::Scope scope(registry, Origin{"p", "/nowhere/nac_p.so"});
  CHECK_THROWS_WITH_AS(registry.add_op(op),
                       "plugin 'p' (/nowhere/nac_p.so) registers op 'relu', which nac itself already registered",
                       Error);
  CHECK(find_op("relu").description == "max(x, 0)");
}
