// The `test_functions` task: benchmark problems with known answers, to test and compare search
// strategies without training anything.
//
//   [task]
//   name = "test_functions"
//   problem = "zdt1"     # zdt1 zdt2 zdt3 zdt4 zdt6 dtlz2 conditional
//   variables = 30       # zdt1-3: 30, zdt4/zdt6: 10, dtlz2: objectives + 9
//   objectives = 3       # dtlz2 only
//   slots = 3            # conditional only
//
// Metrics: f1, f2 (..., fM) to minimise; `value` for conditional.
#include "nac/plugin.hpp"
#include "nac/task.hpp"
#include "problems.hpp"

namespace nac::test_functions {

namespace {

class TestFunctionsTask final : public ProblemTask {
 public:
  explicit TestFunctionsTask(Problem p) : problem_(std::move(p)) {}

  std::vector<MetricInfo> metrics() const override {
    std::vector<MetricInfo> out;
    for (const auto& n : problem_.metric_names)
      out.push_back(MetricInfo{n, Direction::Minimize, problem_.name + " objective " + n});
    return out;
  }
  std::shared_ptr<const SearchSpace> search_space() const override { return problem_.space; }

  Metrics evaluate(const Assignment& params, const EvalContext&) const override {
    const auto values = problem_.evaluate(params);
    Metrics m;
    for (std::size_t i = 0; i < values.size(); ++i) m[problem_.metric_names[i]] = values[i];
    return m;
  }

  std::optional<std::vector<double>> reference_point(const std::vector<std::string>& objectives) const override {
    if (problem_.reference_point.empty() || objectives != problem_.metric_names) return std::nullopt;
    return problem_.reference_point;
  }

 private:
  Problem problem_;
};

std::unique_ptr<Task> make_task(const ConfigTable& config) {
  const std::string problem =
      config.string("problem", std::nullopt, {"zdt1", "zdt2", "zdt3", "zdt4", "zdt6", "dtlz2", "conditional"});
  if (problem == "conditional")
    return std::make_unique<TestFunctionsTask>(make_conditional(config.integer("slots", 3, Range::between(1, 64))));
  if (problem == "dtlz2") {
    const std::int64_t m = config.integer("objectives", 3, Range::between(2, 10));
    const std::int64_t n = config.integer("variables", m + 9, Range::between(static_cast<double>(m), 10000));
    return std::make_unique<TestFunctionsTask>(make_dtlz2(m, n));
  }
  const int which = problem[3] - '0';
  const std::int64_t n = config.integer("variables", which <= 3 ? 30 : 10, Range::between(2, 10000));
  return std::make_unique<TestFunctionsTask>(make_zdt(which, n));
}

void register_factories(Registry& registry) {
  registry.add_task("test_functions", make_task,
                    "benchmark problems with known fronts: ZDT1-4, ZDT6, DTLZ2, a conditional space");
}

}  // namespace

}  // namespace nac::test_functions

NAC_PLUGIN("test_functions", "1.0.0", "Benchmark problems for search strategies",
           nac::test_functions::register_factories)
