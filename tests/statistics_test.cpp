// The benchmark statistics against SciPy (tests/fixtures/statistics/mann_whitney.json, written by
// scripts/statistics_fixture.py) and hand-computed values.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "nac/error.hpp"
#include "nac/statistics.hpp"
#include "test_support.hpp"

TEST_CASE("statistics: Mann-Whitney U and its p-value equal SciPy's, exact and asymptotic, with ties") {
  const auto fixture = nlohmann::json::parse(
      nac::test::read_file(std::string(NAC_SOURCE_DIR) + "/tests/fixtures/statistics/mann_whitney.json"));
  int exact = 0, asymptotic = 0;
  for (const auto& c : fixture["cases"]) {
    CAPTURE(c["name"].get<std::string>());
    const auto x = c["x"].get<std::vector<double>>(), y = c["y"].get<std::vector<double>>();
    const nac::RankTest t = nac::mann_whitney_u(x, y);
    CHECK(t.u == doctest::Approx(c["u"].get<double>()).epsilon(1e-12));
    CHECK(t.p == doctest::Approx(c["p"].get<double>()).epsilon(1e-9));
    CHECK(t.a == doctest::Approx(t.u / static_cast<double>(x.size() * y.size())));
    ++(t.exact ? exact : asymptotic);
  }
  CHECK(exact >= 3);
  CHECK(asymptotic >= 4);
  // By hand: 1, 2, 3 all below 4 .. 7: U = 0; of the C(7, 3) = 35 arrangements one has U = 0
  // and one U = 12, so p = 2 / 35. A = 0: every y beats every x.
  const nac::RankTest t = nac::mann_whitney_u({1, 2, 3}, {4, 5, 6, 7});
  CHECK(t.exact);
  CHECK(t.p == doctest::Approx(2.0 / 35));
  CHECK(t.a == 0);
  CHECK_THROWS_AS(nac::mann_whitney_u({}, {1.0}), nac::Error);
}

TEST_CASE("statistics: Holm's adjustment and quantiles, by hand") {
  // Sorted: 0.005 x 4 = 0.02, 0.01 x 3 = 0.03, 0.03 x 2 = 0.06, 0.04 x 1 = 0.04 -> kept at 0.06.
  const auto adjusted = nac::holm({0.01, 0.04, 0.03, 0.005});
  REQUIRE(adjusted.size() == 4);
  CHECK(adjusted[0] == doctest::Approx(0.03));
  CHECK(adjusted[1] == doctest::Approx(0.06));
  CHECK(adjusted[2] == doctest::Approx(0.06));
  CHECK(adjusted[3] == doctest::Approx(0.02));
  CHECK(nac::holm({0.6, 0.5})[0] == 1.0);  // capped at 1
  CHECK(nac::holm({}).empty());
  CHECK(nac::quantile({4, 1, 3, 2}, 0.25) == doctest::Approx(1.75));  // numpy.quantile's default
  CHECK(nac::median({4, 1, 3, 2}) == doctest::Approx(2.5));
  CHECK(nac::quantile({7}, 0.75) == 7);
  CHECK_THROWS_AS(nac::quantile({}, 0.5), nac::Error);
}
