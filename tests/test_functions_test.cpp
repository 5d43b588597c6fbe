#include <cmath>

#include <doctest/doctest.h>

#include "nac/run/plugin_loader.hpp"
#include "nac/task.hpp"
#include "test_support.hpp"

using namespace nac;

namespace {

struct Problem {
  std::unique_ptr<Task> made;
  const ProblemTask* task = nullptr;
  explicit Problem(const std::string& toml) {
    static Registry registry;
    static PluginLoader loader(registry);
    loader.load_directory(NAC_PLUGIN_DIR);
    const ConfigTable root = root_table(parse_toml_text(toml, "t.toml"), "t.toml");
    made = registry.task("test_functions")(root);
    task = &as_problem_task(*made, "the test");
    root.finish();
  }
  Metrics at(const std::vector<double>& x, const std::string& prefix = "x") const {
    Assignment a;
    for (std::size_t i = 0; i < x.size(); ++i) a.set(prefix + std::to_string(i), x[i]);
    return task->evaluate(a, EvalContext{});
  }
};

}  // namespace

TEST_CASE("ZDT1-3 on their Pareto sets (x2..xn = 0) follow the analytic fronts") {
  const Problem z1("problem = 'zdt1'\nvariables = 5\n"), z2("problem = 'zdt2'\nvariables = 5\n"),
      z3("problem = 'zdt3'\nvariables = 5\n");
  CHECK(z1.task->search_space()->size() == 5);
  for (double f1 : {0.0, 0.25, 0.64, 1.0}) {
    const std::vector<double> x{f1, 0, 0, 0, 0};
    CHECK(z1.at(x).at("f2") == doctest::Approx(1 - std::sqrt(f1)));
    CHECK(z2.at(x).at("f2") == doctest::Approx(1 - f1 * f1));
    CHECK(z3.at(x).at("f2") == doctest::Approx(1 - std::sqrt(f1) - f1 * std::sin(10 * M_PI * f1)));
  }
  // Off the Pareto set: g = 1 + 9 * mean(x2..xn) = 1 + 9 * 0.5 = 5.5 for ZDT1.
  CHECK(z1.at({0.25, 0.5, 0.5, 0.5, 0.5}).at("f2") == doctest::Approx(5.5 * (1 - std::sqrt(0.25 / 5.5))));
  CHECK(z1.task->reference_point({"f1", "f2"}) == std::vector<double>{1.1, 1.1});
}

TEST_CASE("ZDT4 and ZDT6 by hand") {
  const Problem z4("problem = 'zdt4'\nvariables = 3\n"), z6("problem = 'zdt6'\nvariables = 3\n");
  CHECK(z4.task->search_space()->at("x1").low() == -5);
  // ZDT4 with x1 = x2 = 0: g = 1 + 10 * 2 + 2 * (0 - 10) = 1.
  CHECK(z4.at({0.36, 0, 0}).at("f2") == doctest::Approx(1 - 0.6));
  // ZDT6 at x0 = 0: f1 = 1 - exp(0) * 0 = 1; with x1 = x2 = 0, g = 1 and f2 = 1 - 1 = 0.
  CHECK(z6.at({0, 0, 0}).at("f1") == doctest::Approx(1.0));
  CHECK(z6.at({0, 0, 0}).at("f2") == doctest::Approx(0.0));
}

TEST_CASE("DTLZ2 on its Pareto set lies on the unit sphere") {
  const Problem d("problem = 'dtlz2'\n");
  CHECK(d.task->search_space()->size() == 12);
  CHECK(d.task->metrics().size() == 3);
  std::vector<double> x(12, 0.5);
  x[0] = 0.3;
  x[1] = 0.8;
  const Metrics m = d.at(x);
  CHECK(m.at("f1") * m.at("f1") + m.at("f2") * m.at("f2") + m.at("f3") * m.at("f3") == doctest::Approx(1.0));
  CHECK(m.at("f3") == doctest::Approx(std::sin(0.3 * M_PI / 2)));
}

TEST_CASE("the conditional problem: hierarchy and its optimum") {
  const Problem c("problem = 'conditional'\nslots = 2\n");
  const SearchSpace& s = *c.task->search_space();
  CHECK(s.size() == 7);
  Assignment best;
  for (const char* b : {"b0", "b1"}) {
    best.set(b, "conv");
    best.set(std::string(b) + "_ch", std::int64_t{10});
    best.set(std::string(b) + "_k", std::int64_t{3});
  }
  best.set("lr", 1e-3);
  CHECK_NOTHROW(s.validate(best));
  const double per_slot = std::pow(std::log2(10.0) - 3.3, 2);
  CHECK(c.task->evaluate(best, EvalContext{}).at("value") == doctest::Approx(2 * per_slot));
  Assignment none;
  none.set("b0", "none");
  none.set("b1", "attn");
  none.set("b1_ch", std::int64_t{16});
  none.set("lr", 1e-2);
  CHECK_NOTHROW(s.validate(none));
  CHECK(c.task->evaluate(none, EvalContext{}).at("value") == doctest::Approx(1.0 + 0.5 + 1.0));
}
