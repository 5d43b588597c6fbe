#include "nac/search_space.hpp"

#include <algorithm>
#include <cmath>

#include "nac/error.hpp"
#include "nac/text.hpp"

namespace nac {

const char* to_string(ParamKind kind) {
  switch (kind) {
    case ParamKind::Float: return "float";
    case ParamKind::Int: return "int";
    case ParamKind::Categorical: return "categorical";
  }
  return "?";
}

namespace {

double round_half_up(double x) { return std::floor(x + 0.5); }

bool is_integral(double x) { return std::isfinite(x) && x == std::floor(x); }

std::string describe_values(const std::vector<Value>& values) {
  std::vector<std::string> parts;
  for (const auto& v : values) parts.push_back(to_string(v));
  return "{" + join(parts) + "}";
}

}  // namespace

Parameter Parameter::real(std::string name, double low, double high) {
  Parameter p(std::move(name), ParamKind::Float);
  p.low_ = low;
  p.high_ = high;
  return p;
}

Parameter Parameter::integer(std::string name, std::int64_t low, std::int64_t high) {
  Parameter p(std::move(name), ParamKind::Int);
  p.low_ = static_cast<double>(low);
  p.high_ = static_cast<double>(high);
  p.step_ = 1;
  return p;
}

Parameter Parameter::categorical(std::string name, std::vector<Value> choices) {
  Parameter p(std::move(name), ParamKind::Categorical);
  p.choices_ = std::move(choices);
  return p;
}

Parameter&& Parameter::log_scale() && {
  log_ = true;
  return std::move(*this);
}

Parameter&& Parameter::with_step(double step) && {
  step_ = step;
  return std::move(*this);
}

Parameter&& Parameter::when(std::string parent, std::vector<Value> values) && {
  condition_ = Condition{std::move(parent), std::move(values)};
  return std::move(*this);
}

void Parameter::check() const {
  auto bad = [&](const std::string& why) { throw Error("parameter '" + name_ + "': " + why); };
  if (name_.empty()) throw Error("a parameter needs a name");
  if (kind_ == ParamKind::Categorical) {
    if (choices_.empty()) bad("a categorical parameter needs at least one choice");
    for (std::size_t i = 0; i < choices_.size(); ++i)
      for (std::size_t j = i + 1; j < choices_.size(); ++j)
        if (choices_[i] == choices_[j]) bad("choice '" + to_string(choices_[i]) + "' is repeated");
    if (log_ || step_ != 0) bad("a categorical parameter has no log scale or step");
    return;
  }
  if (!std::isfinite(low_) || !std::isfinite(high_)) bad("bounds must be finite");
  if (low_ > high_) bad("low " + to_string(Value(low_)) + " is above high " + to_string(Value(high_)));
  if (log_ && low_ <= 0) bad("a log-scaled parameter needs low > 0");
  if (step_ < 0 || !std::isfinite(step_)) bad("step must be positive");
  if (kind_ == ParamKind::Int && (!is_integral(step_) || step_ < 1)) bad("an integer step must be a whole number >= 1");
  if (log_ && step_ != 0 && !(kind_ == ParamKind::Int && step_ == 1)) bad("log scale and a step cannot be combined");
}

namespace {
// The largest grid point not above high.
double grid_top(double low, double high, double step) { return low + step * std::floor((high - low) / step + 1e-9); }
}  // namespace

double Parameter::internal_low() const {
  switch (kind_) {
    case ParamKind::Categorical: return -0.5;
    case ParamKind::Int: return log_ ? std::log(low_ - 0.5) : low_ - step_ / 2;
    case ParamKind::Float:
      if (log_) return std::log(low_);
      return step_ > 0 ? low_ - step_ / 2 : low_;
  }
  return 0;
}

double Parameter::internal_high() const {
  switch (kind_) {
    case ParamKind::Categorical: return static_cast<double>(choices_.size()) - 0.5;
    case ParamKind::Int: return log_ ? std::log(high_ + 0.5) : grid_top(low_, high_, step_) + step_ / 2;
    case ParamKind::Float:
      if (log_) return std::log(high_);
      return step_ > 0 ? grid_top(low_, high_, step_) + step_ / 2 : high_;
  }
  return 0;
}

Value Parameter::from_internal(double x) const {
  if (!std::isfinite(x)) x = internal_low();
  switch (kind_) {
    case ParamKind::Categorical: {
      const double n = static_cast<double>(choices_.size());
      const double i = std::clamp(round_half_up(x), 0.0, n - 1);
      return choices_[static_cast<std::size_t>(i)];
    }
    case ParamKind::Int: {
      double v = log_ ? round_half_up(std::exp(x)) : x;
      if (!log_) {
        const double top = grid_top(low_, high_, step_);
        v = low_ + step_ * round_half_up((v - low_) / step_);
        v = std::clamp(v, low_, top);
      } else {
        v = std::clamp(v, low_, high_);
      }
      return static_cast<std::int64_t>(v);
    }
    case ParamKind::Float: {
      if (log_) return std::clamp(std::exp(x), low_, high_);
      if (step_ > 0) {
        const double top = grid_top(low_, high_, step_);
        const double k = std::clamp(round_half_up((x - low_) / step_), 0.0, std::round((top - low_) / step_));
        return low_ + step_ * k;
      }
      return std::clamp(x, low_, high_);
    }
  }
  return Value{};
}

bool Parameter::contains(const Value& v) const {
  if (kind_ == ParamKind::Categorical) return std::find(choices_.begin(), choices_.end(), v) != choices_.end();
  if (std::holds_alternative<std::string>(v)) return false;
  const double x = to_double(v);
  if (!std::isfinite(x)) return false;  // NaN would pass every comparison below
  if (kind_ == ParamKind::Int && !is_integral(x)) return false;
  const double tol = 1e-9 * std::max(1.0, std::abs(x));
  if (x < low_ - tol || x > high_ + tol) return false;
  if (step_ > 0 && !log_) {
    const double k = (x - low_) / step_;
    if (std::abs(k - std::round(k)) > 1e-6) return false;
  }
  return true;
}

double Parameter::to_internal(const Value& v) const {
  if (!contains(v)) throw Error("parameter '" + name_ + "': value " + to_string(v) + " is not " + describe());
  if (kind_ == ParamKind::Categorical)
    return static_cast<double>(std::find(choices_.begin(), choices_.end(), v) - choices_.begin());
  const double x = to_double(v);
  return log_ ? std::log(x) : x;
}

std::string Parameter::describe() const {
  if (kind_ == ParamKind::Categorical) return "one of " + describe_values(choices_);
  std::string s = std::string(kind_ == ParamKind::Int ? "an integer" : "a real number") + " in [" +
                  to_string(kind_ == ParamKind::Int ? Value(static_cast<std::int64_t>(low_)) : Value(low_)) + ", " +
                  to_string(kind_ == ParamKind::Int ? Value(static_cast<std::int64_t>(high_)) : Value(high_)) + "]";
  if (log_) s += ", log scale";
  if (step_ > 0 && !(kind_ == ParamKind::Int && step_ == 1)) s += ", step " + to_string(Value(step_));
  return s;
}

void SearchSpace::add(Parameter p) {
  p.check();
  if (index_of(p.name())) throw Error("parameter '" + p.name() + "' is defined twice");
  int parent = -1;
  if (const auto& c = p.condition()) {
    const auto idx = index_of(c->parent);
    if (!idx)
      throw Error("parameter '" + p.name() + "': its condition names '" + c->parent +
                  "', which is not defined before it");
    const Parameter& q = params_[*idx];
    if (q.kind() == ParamKind::Float)
      throw Error("parameter '" + p.name() + "': a condition needs an integer or categorical parent, '" + c->parent +
                  "' is a float");
    if (c->values.empty()) throw Error("parameter '" + p.name() + "': its condition lists no values");
    for (const auto& v : c->values)
      if (!q.contains(v))
        throw Error("parameter '" + p.name() + "': its condition value " + to_string(v) + " is not " + q.describe() +
                    " (the domain of '" + c->parent + "')");
    parent = static_cast<int>(*idx);
  }
  params_.push_back(std::move(p));
  parent_.push_back(parent);
}

void SearchSpace::add_subspace(const std::string& prefix, const SearchSpace& sub, std::optional<Condition> condition) {
  for (const Parameter& q : sub.params_) {
    Parameter p = q;
    p.name_ = prefix + "." + q.name_;
    if (p.condition_) p.condition_->parent = prefix + "." + p.condition_->parent;
    else p.condition_ = condition;
    add(std::move(p));
  }
}

std::optional<std::size_t> SearchSpace::index_of(const std::string& name) const {
  for (std::size_t i = 0; i < params_.size(); ++i)
    if (params_[i].name() == name) return i;
  return std::nullopt;
}

const Parameter& SearchSpace::at(const std::string& name) const {
  if (auto i = index_of(name)) return params_[*i];
  std::vector<std::string> names;
  for (const auto& p : params_) names.push_back(p.name());
  throw Error("unknown parameter '" + name + "'" + did_you_mean(name, names));
}

bool Condition::holds(const Value& parent_value) const {
  return std::find(values.begin(), values.end(), parent_value) != values.end();
}

std::vector<bool> SearchSpace::active(const std::vector<double>& genome) const {
  if (genome.size() != params_.size())
    throw Error("genome has " + std::to_string(genome.size()) + " genes, the space has " +
                std::to_string(params_.size()) + " parameters");
  std::vector<bool> on(params_.size(), true);
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const int p = parent_[i];
    if (p < 0) continue;
    on[i] = on[p] && params_[i].condition()->holds(params_[p].from_internal(genome[p]));
  }
  return on;
}

Assignment SearchSpace::decode(const std::vector<double>& genome) const {
  const auto on = active(genome);
  Assignment a;
  for (std::size_t i = 0; i < params_.size(); ++i)
    if (on[i]) a.set(params_[i].name(), params_[i].from_internal(genome[i]));
  return a;
}

std::vector<double> SearchSpace::encode(const Assignment& a, Rng& rng) const {
  validate(a);
  std::vector<double> genome = sample(rng);
  for (std::size_t i = 0; i < params_.size(); ++i)
    if (a.has(params_[i].name())) genome[i] = params_[i].to_internal(a.at(params_[i].name()));
  return genome;
}

std::vector<double> SearchSpace::sample(Rng& rng) const {
  std::vector<double> genome(params_.size());
  for (std::size_t i = 0; i < params_.size(); ++i)
    genome[i] = rng.uniform(params_[i].internal_low(), params_[i].internal_high());
  return genome;
}

void SearchSpace::validate(const Assignment& a) const {
  std::vector<std::string> names;
  for (const auto& p : params_) names.push_back(p.name());
  for (const auto& [name, value] : a.values())
    if (!index_of(name)) throw Error("unknown parameter '" + name + "'" + did_you_mean(name, names));
  std::vector<bool> on(params_.size(), true);
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const Parameter& p = params_[i];
    if (const int parent = parent_[i]; parent >= 0) {
      const std::string& pname = params_[parent].name();
      on[i] = on[parent] && p.condition()->holds(a.at(pname));
    }
    if (on[i] && !a.has(p.name())) throw Error("parameter '" + p.name() + "' is active but not set");
    if (!on[i] && a.has(p.name()))
      throw Error("parameter '" + p.name() + "' is set but inactive: it applies only when '" + p.condition()->parent +
                  "' is one of " + describe_values(p.condition()->values));
    if (on[i] && !p.contains(a.at(p.name())))
      throw Error("parameter '" + p.name() + "': value " + to_string(a.at(p.name())) + " is not " + p.describe());
  }
}

}  // namespace nac
