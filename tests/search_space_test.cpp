#include <cmath>
#include <map>

#include <doctest/doctest.h>

#include "nac/error.hpp"
#include "nac/search_space.hpp"

using namespace nac;

TEST_CASE("float parameter: internal coordinates - clamping and log scale") {
  SearchSpace s;
  s.add(Parameter::real("x", -1.0, 3.0));
  s.add(Parameter::real("lr", 1e-4, 1e-1).log_scale());
  const Parameter& x = s.at("x");
  CHECK(x.internal_low() == -1.0);
  CHECK(x.internal_high() == 3.0);
  CHECK(std::get<double>(x.from_internal(7.0)) == 3.0);
  CHECK(std::get<double>(x.from_internal(-9.0)) == -1.0);
  const Parameter& lr = s.at("lr");
  CHECK(lr.internal_low() == doctest::Approx(std::log(1e-4)));
  CHECK(std::get<double>(lr.from_internal(std::log(3e-3))) == doctest::Approx(3e-3));
  CHECK(lr.to_internal(Value(1e-2)) == doctest::Approx(std::log(1e-2)));
}

TEST_CASE("stepped floats and integers snap to their grid") {
  SearchSpace s;
  s.add(Parameter::real("d", 0.0, 1.0).with_step(0.25));
  s.add(Parameter::integer("c", 2, 64).with_step(4));  // grid 2, 6, ..., 62
  const Parameter& d = s.at("d");
  CHECK(std::get<double>(d.from_internal(0.3)) == 0.25);
  CHECK(std::get<double>(d.from_internal(0.9)) == 1.0);
  const Parameter& c = s.at("c");
  CHECK(std::get<std::int64_t>(c.from_internal(4.1)) == 6);
  CHECK(std::get<std::int64_t>(c.from_internal(1000)) == 62);
  CHECK(c.contains(Value(std::int64_t{10})));
  CHECK_FALSE(c.contains(Value(std::int64_t{8})));
  CHECK_FALSE(c.contains(Value(std::int64_t{66})));
}

TEST_CASE("uniform internal draws give every grid point the same probability") {
  SearchSpace s;
  s.add(Parameter::integer("k", 1, 4));
  s.add(Parameter::integer("w", 4, 64).log_scale());
  s.add(Parameter::categorical("kind", {"a", "b", "c"}));
  Rng rng(7);
  std::map<std::int64_t, int> k_counts;
  std::map<std::string, int> kind_counts;
  int w_small = 0;
  const int n = 40000;
  for (int i = 0; i < n; ++i) {
    const Assignment a = s.decode(s.sample(rng));
    ++k_counts[a.integer("k")];
    ++kind_counts[a.label("kind")];
    if (a.integer("w") < 16) ++w_small;  // log-uniform: about half of [4, 64] lies below 16
  }
  REQUIRE(k_counts.size() == 4);
  for (const auto& [k, count] : k_counts) CHECK(std::abs(count - n / 4) < n / 40);
  for (const auto& [k, count] : kind_counts) CHECK(std::abs(count - n / 3) < n / 30);
  // P(w < 16) = P(exp(u) < 15.5) for u uniform on [log 3.5, log 64.5].
  const double expected = std::log(15.5 / 3.5) / std::log(64.5 / 3.5);
  CHECK(std::abs(w_small / double(n) - expected) < 0.02);
}

namespace {
SearchSpace slot_space() {
  SearchSpace s;
  s.add(Parameter::categorical("b0", {"conv", "attn", "none"}));
  s.add(Parameter::integer("b0_ch", 4, 64).log_scale().when("b0", {"conv", "attn"}));
  s.add(Parameter::categorical("b0_k", {std::int64_t{1}, std::int64_t{3}}).when("b0", {"conv"}));
  return s;
}
}  // namespace

TEST_CASE("conditional parameters are active only under their parent's values") {
  const SearchSpace s = slot_space();
  std::vector<double> g{0, std::log(16.0), 1};  // conv, ch 16, k 3
  Assignment a = s.decode(g);
  CHECK(a.size() == 3);
  CHECK(a.integer("b0_ch") == 16);
  CHECK(a.integer("b0_k") == 3);
  g[0] = 1;  // attn: no kernel
  a = s.decode(g);
  CHECK(a.has("b0_ch"));
  CHECK_FALSE(a.has("b0_k"));
  g[0] = 2;  // none: nothing else
  CHECK(s.decode(g).size() == 1);
}

TEST_CASE("validate rejects missing - inactive - unknown and out-of-domain values") {
  const SearchSpace s = slot_space();
  Assignment ok;
  ok.set("b0", "attn");
  ok.set("b0_ch", std::int64_t{8});
  CHECK_NOTHROW(s.validate(ok));

  Assignment inactive = ok;
  inactive.set("b0_k", std::int64_t{3});
  CHECK_THROWS_WITH_AS(s.validate(inactive), doctest::Contains("'b0_k' is set but inactive"), Error);

  Assignment missing;
  missing.set("b0", "conv");
  missing.set("b0_ch", std::int64_t{8});
  CHECK_THROWS_WITH_AS(s.validate(missing), doctest::Contains("'b0_k' is active but not set"), Error);

  Assignment outside = ok;
  outside.set("b0_ch", std::int64_t{100});
  CHECK_THROWS_WITH_AS(s.validate(outside), doctest::Contains("value 100 is not an integer in [4, 64]"), Error);

  Assignment unknown = ok;
  unknown.set("b0_chx", std::int64_t{8});
  CHECK_THROWS_WITH_AS(s.validate(unknown), doctest::Contains("did you mean 'b0_ch'"), Error);
}

TEST_CASE("encode then decode returns the assignment") {
  const SearchSpace s = slot_space();
  Rng rng(3);
  for (int i = 0; i < 200; ++i) {
    const Assignment a = s.decode(s.sample(rng));
    CHECK(s.decode(s.encode(a, rng)) == a);
  }
}

TEST_CASE("definition errors are reported with the parameter's name") {
  SearchSpace s;
  CHECK_THROWS_WITH_AS(s.add(Parameter::real("lr", 0.0, 1.0).log_scale()),
                       doctest::Contains("'lr': a log-scaled parameter needs low > 0"), Error);
  CHECK_THROWS_WITH_AS(s.add(Parameter::real("x", 2.0, 1.0)), doctest::Contains("'x': low 2 is above high 1"), Error);
  s.add(Parameter::real("x", 0.0, 1.0));
  CHECK_THROWS_WITH_AS(s.add(Parameter::real("x", 0.0, 1.0)), doctest::Contains("defined twice"), Error);
  CHECK_THROWS_WITH_AS(s.add(Parameter::integer("c", 1, 4).when("x", {Value(0.5)})), doctest::Contains("a float"),
                       Error);
  CHECK_THROWS_WITH_AS(s.add(Parameter::integer("c", 1, 4).when("nope", {Value("a")})),
                       doctest::Contains("not defined before it"), Error);
  s.add(Parameter::categorical("kind", {"a", "b"}));
  CHECK_THROWS_WITH_AS(s.add(Parameter::integer("c", 1, 4).when("kind", {Value("z")})),
                       doctest::Contains("condition value z"), Error);
}

TEST_CASE("a sub-space hangs under a slot choice with prefixed names") {
  SearchSpace block;
  block.add(Parameter::integer("channels", 2, 64));
  block.add(Parameter::categorical("norm", {"none", "batch"}));
  block.add(Parameter::real("momentum", 0.1, 0.9).when("norm", {"batch"}));
  SearchSpace s;
  s.add(Parameter::categorical("slot0", {"conv", "none"}));
  s.add_subspace("slot0.conv", block, Condition{"slot0", {"conv"}});
  CHECK(s.size() == 4);
  const Parameter& m = s.at("slot0.conv.momentum");
  REQUIRE(m.condition());
  CHECK(m.condition()->parent == "slot0.conv.norm");
  CHECK(s.at("slot0.conv.channels").condition()->parent == "slot0");
  // slot0 = none switches off the whole block, including the nested momentum.
  std::vector<double> g{1, 10, 1, 0.5};
  CHECK(s.decode(g).size() == 1);
  g[0] = 0;
  const Assignment a = s.decode(g);
  CHECK(a.size() == 4);
  CHECK(a.subset("slot0.conv").integer("channels") == 10);
}

TEST_CASE("NaN and infinities are in no numeric domain (a seed x0 = nan is refused, not run as 0)") {
  const Parameter r = Parameter::real("x0", 0, 1), i = Parameter::integer("n", 0, 10);
  for (double bad : {std::nan(""), HUGE_VAL, -HUGE_VAL}) {
    CAPTURE(bad);
    CHECK_FALSE(r.contains(Value(bad)));
    CHECK_FALSE(i.contains(Value(bad)));
    CHECK_THROWS_AS(r.to_internal(Value(bad)), Error);
  }
  CHECK(r.contains(Value(0.5)));
}
