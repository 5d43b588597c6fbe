// sphere_task.cpp: a task plugin. Build it with find_package(nac) and
// nac_add_plugin(sphere sphere_task.cpp) (examples/plugins/sphere_task), and use it as
// [task] name = "sphere".
#include <cmath>
#include <string>

#include "nac/plugin.hpp"
#include "nac/settings.hpp"
#include "nac/task.hpp"

namespace {

// Minimise the squared distance of x in [0, 1]^n to (c, ..., c): one objective, optimum 0.
class SphereTask final : public nac::ProblemTask {
 public:
  SphereTask(std::int64_t dimensions, double centre) : centre_(centre) {
    auto space = std::make_shared<nac::SearchSpace>();
    for (std::int64_t i = 0; i < dimensions; ++i) space->add(nac::Parameter::real("x" + std::to_string(i), 0.0, 1.0));
    space_ = std::move(space);
  }

  std::vector<nac::MetricInfo> metrics() const override {
    return {{"distance", nac::Direction::Minimize, "squared distance to the centre"}};
  }

  std::shared_ptr<const nac::SearchSpace> search_space() const override { return space_; }

  nac::Metrics evaluate(const nac::Assignment& params, const nac::EvalContext&) const override {
    double sum = 0;
    for (const auto& [name, value] : params.values()) sum += std::pow(nac::to_double(value) - centre_, 2);
    return {{"distance", sum}};
  }

 private:
  double centre_;
  std::shared_ptr<const nac::SearchSpace> space_;
};

// The settings of [task], declared once: read through them, and printed by
// `nac plugins --describe sphere`.
const nac::Setting<std::int64_t> kDimensions{.key = "dimensions",
                                             .fallback = 5,
                                             .range = nac::Range::between(1, 1000),
                                             .help = "number of variables x0, x1, ..."};
const nac::Setting<double> kCentre{
    .key = "centre", .fallback = 0.5, .range = nac::Range::between(0, 1), .help = "every coordinate of the centre"};

void register_factories(nac::Registry& registry) {
  registry.add_task(
      "sphere",
      [](const nac::ConfigTable& config) {
        return std::make_unique<SphereTask>(config.get(kDimensions), config.get(kCentre));
      },
      "squared distance to a centre point", nac::describe_settings(kDimensions, kCentre));
}

}  // namespace

NAC_PLUGIN("sphere", "1.0.0", "An example task plugin", register_factories)
