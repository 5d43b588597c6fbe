#include "nac/constraints.hpp"

#include <algorithm>
#include <cmath>

#include <toml++/toml.h>

#include "nac/error.hpp"
#include "nac/text.hpp"
#include "nac/value.hpp"

namespace nac {

std::string Constraint::describe() const {
  // The bound in its shortest exact form (std::to_chars), so the description names it exactly.
  return name + (upper ? " <= " : " >= ") + (bound_name.empty() ? to_string(Value(bound)) : bound_name);
}

std::vector<Constraint> read_constraints(const ConfigTable& table) {
  std::vector<Constraint> out;
  for (const auto& [key, node] : table.toml()) {
    const std::string name(key.str());
    if (!node.is_table()) table.fail_at(node, name, "expected a table with 'max' and/or 'min', e.g. { max = 0.5 }");
    const ConfigTable one = table.table(name);
    for (const char* side : {"max", "min"}) {
      const toml::node* bound = one.node(side);
      if (!bound) continue;
      Constraint c{name, side[1] == 'a', 0, {}, one.where(side)};
      if (bound->is_number()) {
        c.bound = *bound->value<double>();
        if (!std::isfinite(c.bound)) one.fail(side, "expected a finite number");
      } else if (bound->is_string()) {
        c.bound_name = *bound->value<std::string>();
        if (c.bound_name == name) one.fail(side, "bounds '" + name + "' by itself");
      } else {
        one.fail(side, "expected a number or the name of a metric or objective");
      }
      out.push_back(std::move(c));
    }
    one.finish();
    if (!one.has("max") && !one.has("min")) table.fail_at(node, name, "expected 'max' and/or 'min'");
    if (out.size() >= 2) {
      const Constraint& a = out[out.size() - 2];
      const Constraint& b = out.back();
      if (a.name == name && b.name == name && a.bound_name.empty() && b.bound_name.empty() && a.upper && !b.upper &&
          b.bound > a.bound)
        one.fail("min", "min " + to_string(Value(b.bound)) + " is above max " + to_string(Value(a.bound)) +
                            ": no value meets both");
    }
  }
  return out;
}

void check_constraint_names(const std::vector<Constraint>& constraints, const std::vector<std::string>& known) {
  auto check = [&](const Constraint& c, const std::string& n) {
    if (std::find(known.begin(), known.end(), n) == known.end())
      throw Error(c.where + ": constraint '" + c.describe() + "': unknown metric or objective '" + n + "'" +
                  did_you_mean(n, known) + "; known: " + join(known));
  };
  for (const Constraint& c : constraints) {
    check(c, c.name);
    if (!c.bound_name.empty()) check(c, c.bound_name);
  }
}

std::vector<double> constraint_violations(const std::vector<Constraint>& constraints,
                                          const std::vector<std::string>& objective_names,
                                          const std::vector<double>& objective_values, const Metrics& metrics) {
  auto value_of = [&](const Constraint& c, const std::string& n) {
    double v = NAN;
    const auto o = std::find(objective_names.begin(), objective_names.end(), n);
    if (o != objective_names.end() && static_cast<std::size_t>(o - objective_names.begin()) < objective_values.size()) {
      v = objective_values[static_cast<std::size_t>(o - objective_names.begin())];
    } else if (const auto m = metrics.find(n); m != metrics.end()) {
      v = m->second;
    } else {
      throw Error("constraint '" + c.describe() + "': the trial has no value for '" + n + "'");
    }
    if (!std::isfinite(v)) throw Error("constraint '" + c.describe() + "': '" + n + "' is not finite");
    return v;
  };
  std::vector<double> out;
  for (const Constraint& c : constraints) {
    const double x = value_of(c, c.name), b = c.bound_name.empty() ? c.bound : value_of(c, c.bound_name);
    const double scale = b != 0 ? std::abs(b) : 1.0;
    out.push_back((c.upper ? x - b : b - x) / scale);
  }
  return out;
}

bool feasible(const std::vector<double>& violations) {
  return std::all_of(violations.begin(), violations.end(), [](double v) { return v <= 0; });
}

}  // namespace nac
