// The `test_functions` task: benchmark problems with known answers, to test and compare search
// strategies without training anything.
//
//   [task]
//   name = "test_functions"
//   problem = "zdt1"     # zdt1 zdt2 zdt3 zdt4 zdt6 dtlz1 dtlz2 dtlz3 dtlz4 dtlz7 conditional
//   variables = 30       # zdt1-3: 30, zdt4/zdt6: 10, dtlz: objectives - 1 + 5 (1), 10 (2-4), 20 (7)
//   objectives = 3       # dtlz only
//   slots = 3            # conditional only
//   cost_ms = 0          # each evaluation also sleeps this long, as a slow task would...
//   cost_spread = 0      # ...times 1 + spread * u, u in [0, 1) fixed by the parameters
//
// Metrics: f1, f2 (..., fM) to minimise; `value` for conditional.
#include <chrono>
#include <functional>
#include <thread>

#include "nac/plugin.hpp"
#include "nac/settings.hpp"
#include "nac/task.hpp"
#include "problems.hpp"

namespace nac::test_functions {

namespace {

class TestFunctionsTask final : public ProblemTask {
 public:
  TestFunctionsTask(Problem p, double cost_ms, double cost_spread)
      : problem_(std::move(p)), cost_ms_(cost_ms), cost_spread_(cost_spread) {}

  std::vector<MetricInfo> metrics() const override {
    std::vector<MetricInfo> out;
    for (const auto& n : problem_.metric_names)
      out.push_back(MetricInfo{n, Direction::Minimize, problem_.name + " objective " + n});
    return out;
  }
  std::shared_ptr<const SearchSpace> search_space() const override { return problem_.space; }

  Metrics evaluate(const Assignment& params, const EvalContext&) const override {
    const auto values = problem_.evaluate(params);
    if (cost_ms_ > 0) simulate_cost(values);
    Metrics m;
    for (std::size_t i = 0; i < values.size(); ++i) m[problem_.metric_names[i]] = values[i];
    return m;
  }

  std::optional<std::vector<double>> reference_point(const std::vector<std::string>& objectives) const override {
    if (problem_.reference_point.empty() || objectives != problem_.metric_names) return std::nullopt;
    return problem_.reference_point;
  }
  std::optional<std::vector<std::vector<double>>> true_front(const std::vector<std::string>& objectives,
                                                             std::size_t points) const override {
    if (!problem_.true_front || objectives != problem_.metric_names) return std::nullopt;
    return problem_.true_front(points);
  }

 private:
  // A slow evaluation, to study schedules and parallel workers without training: the same
  // parameters take the same time, different ones up to 1 + spread times as long.
  void simulate_cost(const std::vector<double>& values) const {
    std::size_t h = 0;
    for (double v : values) h = h * 1000003u ^ std::hash<double>{}(v);
    const double u = static_cast<double>(h % 1000003u) / 1000003.0;
    std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(cost_ms_ * (1 + cost_spread_ * u)));
  }

  Problem problem_;
  double cost_ms_, cost_spread_;
};

const Setting<std::string> kProblem{
    .key = "problem",
    .fallback = std::nullopt,
    .choices = {"zdt1", "zdt2", "zdt3", "zdt4", "zdt6", "dtlz1", "dtlz2", "dtlz3", "dtlz4", "dtlz7", "conditional"},
    .help = "the benchmark problem"};
// The range of a DTLZ problem's variables starts at its number of objectives (checked when read).
const Setting<std::int64_t> kVariables{
    .key = "variables",
    .fallback = std::nullopt,
    .range = Range::between(2, 10000),
    .help =
        "number of variables x0, x1, ... (default: 30 for ZDT1-3, 10 for ZDT4 and ZDT6; objectives - 1 + 5 for "
        "DTLZ1, + 10 for DTLZ2-4, + 20 for DTLZ7, which need at least objectives)",
    .required = false};
const Setting<std::int64_t> kObjectives{
    .key = "objectives", .fallback = 3, .range = Range::between(2, 10), .help = "DTLZ only: number of objectives"};
const Setting<std::int64_t> kSlots{
    .key = "slots", .fallback = 3, .range = Range::between(1, 64), .help = "conditional only: number of slots"};
const Setting<double> kCostMs{.key = "cost_ms",
                              .fallback = 0.0,
                              .range = Range::between(0, 3.6e6),
                              .help = "milliseconds each evaluation sleeps, as a slow task would (0: none)"};
const Setting<double> kCostSpread{
    .key = "cost_spread",
    .fallback = 0.0,
    .range = Range::between(0, 100),
    .help = "evaluations sleep cost_ms times 1 + cost_spread * u, u in [0, 1) fixed by the parameters"};

std::unique_ptr<Task> make_task(const ConfigTable& config) {
  const std::string problem = config.get(kProblem);
  const double cost = config.get(kCostMs), spread = config.get(kCostSpread);
  auto task = [&](Problem p) { return std::make_unique<TestFunctionsTask>(std::move(p), cost, spread); };
  if (problem == "conditional") return task(make_conditional(config.get(kSlots)));
  if (problem.starts_with("dtlz")) {
    const int which = problem[4] - '0';
    const std::int64_t m = config.get(kObjectives);
    Setting<std::int64_t> variables = kVariables;
    variables.range = Range::between(static_cast<double>(m), 10000);
    const std::int64_t n = config.get_optional(variables).value_or(dtlz_default_variables(which, m));
    return task(make_dtlz(which, m, n));
  }
  const int which = problem[3] - '0';
  const std::int64_t n = config.get_optional(kVariables).value_or(which <= 3 ? 30 : 10);
  return task(make_zdt(which, n));
}

void register_factories(Registry& registry) {
  registry.add_task("test_functions", make_task,
                    "benchmark problems with known fronts: ZDT1-4, ZDT6, DTLZ1-4 and DTLZ7, a conditional space",
                    describe_settings(kProblem, kVariables, kObjectives, kSlots, kCostMs, kCostSpread));
}

}  // namespace

}  // namespace nac::test_functions

NAC_PLUGIN("test_functions", "1.0.0", "Benchmark problems for search strategies",
           nac::test_functions::register_factories)
