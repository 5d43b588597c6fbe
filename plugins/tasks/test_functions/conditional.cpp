#include <cmath>

#include "problems.hpp"

namespace nac::test_functions {

// The conditional space of the Optuna peer script optuna_anchor.py, with any number of slots: per slot a
// block kind; conv and attn share a channel count (active for both), conv adds a kernel size.
//   conv: (log2 ch - 3.3)^2 + 0.3 (k - 3)^2     attn: (log2 ch - 4)^2 + 0.5     none: 1
// plus (log10 lr + 3)^2. The best slot is conv with ch = 10, k = 3, so the optimum is
// slots * (log2 10 - 3.3)^2 (about 0.0005 a slot) at lr = 1e-3.
std::shared_ptr<SearchSpace> conditional_space(std::int64_t slots) {
  auto s = std::make_shared<SearchSpace>();
  for (std::int64_t i = 0; i < slots; ++i) {
    const std::string b = "b" + std::to_string(i);
    s->add(Parameter::categorical(b, {"conv", "attn", "none"}));
    s->add(Parameter::integer(b + "_ch", 4, 64).log_scale().when(b, {"conv", "attn"}));
    s->add(Parameter::categorical(b + "_k", {std::int64_t{1}, std::int64_t{3}, std::int64_t{5}}).when(b, {"conv"}));
  }
  s->add(Parameter::real("lr", 1e-5, 1e-1).log_scale());
  return s;
}

double conditional_value(const Assignment& a, std::int64_t slots) {
  double total = 0;
  for (std::int64_t i = 0; i < slots; ++i) {
    const std::string b = "b" + std::to_string(i);
    const std::string& kind = a.label(b);
    if (kind == "conv") {
      const double ch = a.real(b + "_ch"), k = a.real(b + "_k");
      total += std::pow(std::log2(ch) - 3.3, 2) + std::pow(k - 3, 2) * 0.3;
    } else if (kind == "attn") {
      total += std::pow(std::log2(a.real(b + "_ch")) - 4, 2) + 0.5;
    } else {
      total += 1.0;
    }
  }
  return total + std::pow(std::log10(a.real("lr")) + 3, 2);
}

Problem make_conditional(std::int64_t slots) {
  Problem p;
  p.name = "conditional";
  p.metric_names = {"value"};
  p.space = conditional_space(slots);
  p.evaluate = [slots](const Assignment& a) { return std::vector<double>{conditional_value(a, slots)}; };
  return p;
}

}  // namespace nac::test_functions
