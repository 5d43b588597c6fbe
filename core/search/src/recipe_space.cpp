#include "nac/run/recipe_space.hpp"

#include <algorithm>
#include <optional>

#include <toml++/toml.h>

#include "nac/error.hpp"
#include "nac/nn/training_config.hpp"
#include "nac/text.hpp"

namespace nac {

namespace {

enum class Kind { Real, Int, Text };

// The recipe settings the local stage may search, parents first; a conditional one applies when
// its parent takes one of `when`.
struct RecipeKey {
  const char* name;
  Kind kind;
  const char* parent = nullptr;
  std::vector<std::string> when = {};
};

const std::vector<RecipeKey>& settings() {
  static const std::vector<RecipeKey> all = {
      {"optimizer", Kind::Text},
      {"schedule", Kind::Text},
      {"lr", Kind::Real},
      {"weight_decay", Kind::Real},
      {"momentum", Kind::Real, "optimizer", {"sgd", "rmsprop"}},
      {"alpha", Kind::Real, "optimizer", {"rmsprop"}},
      {"lr_step_size", Kind::Int, "schedule", {"step"}},
      {"lr_gamma", Kind::Real, "schedule", {"step", "exponential"}},
      {"lr_t_max", Kind::Int, "schedule", {"cosine"}},
      {"lr_min", Kind::Real, "schedule", {"cosine"}},
      {"batch", Kind::Int},
      {"epochs", Kind::Int},
      {"clip_norm", Kind::Real},
  };
  return all;
}

// Morph's HPO.py ranges (SGD's, with Adam and RMSprop added); the schedules' periods scale with the
// recipe's epochs (Morph: 1 to 100 of 150 epochs).
std::optional<Parameter> default_parameter(const std::string& name, int epochs) {
  if (name == "optimizer") return Parameter::categorical(name, {"sgd", "adam", "rmsprop"});
  if (name == "schedule") return Parameter::categorical(name, {"step", "cosine", "exponential"});
  if (name == "lr") return Parameter::real(name, 1e-5, 5e-3).log_scale();
  if (name == "weight_decay") return Parameter::real(name, 1e-9, 1e-3).log_scale();
  if (name == "momentum") return Parameter::real(name, 0.0, 0.99);
  if (name == "lr_gamma") return Parameter::real(name, 0.1, 1.0);
  if ((name == "lr_step_size" || name == "lr_t_max") && epochs >= 2) return Parameter::integer(name, 1, epochs);
  return std::nullopt;
}

std::optional<Value> scalar(const toml::node& n) {
  if (n.is_integer()) return Value(*n.value<std::int64_t>());
  if (n.is_floating_point()) return Value(*n.value<double>());
  if (n.is_string()) return Value(*n.value<std::string>());
  if (n.is_boolean()) return Value(std::int64_t{*n.value<bool>()});
  return std::nullopt;
}

bool fits(const Value& v, Kind kind) {
  switch (kind) {
    case Kind::Text: return std::holds_alternative<std::string>(v);
    case Kind::Int: return std::holds_alternative<std::int64_t>(v);
    case Kind::Real: return !std::holds_alternative<std::string>(v);
  }
  return false;
}

const char* kind_text(Kind kind) {
  return kind == Kind::Text ? "a string" : kind == Kind::Int ? "an integer" : "a number";
}

void put(toml::table& t, const std::string& key, const Value& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) t.insert_or_assign(key, *i);
  else if (const auto* d = std::get_if<double>(&v)) t.insert_or_assign(key, *d);
  else t.insert_or_assign(key, std::get<std::string>(v));
}

// A user's entry: { low, high, log, step } is a range, an array the choices, a scalar fixed.
std::optional<Parameter> user_parameter(const ConfigTable& space, const RecipeKey& s, std::optional<Value>& fixed) {
  const toml::node& n = *space.node(s.name);
  if (n.is_table()) {
    const ConfigTable r = space.table(s.name);
    if (s.kind == Kind::Text) space.fail(s.name, "is a list of choices or one value, not a range");
    const bool log = r.boolean("log", false);
    if (s.kind == Kind::Int) {
      const std::int64_t lo = r.integer("low", std::nullopt), hi = r.integer("high", std::nullopt);
      if (lo > hi || (log && lo <= 0)) space.fail(s.name, "expected 0 < low <= high (low > 0 on a log scale)");
      Parameter p = Parameter::integer(s.name, lo, hi);
      const double step = static_cast<double>(r.integer("step", 1, Range::at_least(1)));
      r.finish();
      if (step > 1) return log ? Parameter(std::move(p).with_step(step).log_scale()) : std::move(p).with_step(step);
      return log ? std::move(p).log_scale() : std::move(p);
    }
    const double lo = r.real("low", std::nullopt), hi = r.real("high", std::nullopt);
    if (!(lo < hi) || (log && lo <= 0)) space.fail(s.name, "expected low < high (low > 0 on a log scale)");
    Parameter p = Parameter::real(s.name, lo, hi);
    const double step = r.real("step", 0, Range::at_least(0));
    r.finish();
    if (step > 0) return log ? Parameter(std::move(p).with_step(step).log_scale()) : std::move(p).with_step(step);
    return log ? std::move(p).log_scale() : std::move(p);
  }
  if (n.is_array()) {
    std::vector<Value> choices;
    for (const toml::node& e : *n.as_array()) {
      const auto v = scalar(e);
      if (!v || !fits(*v, s.kind)) space.fail_at(e, s.name, std::string("each choice is ") + kind_text(s.kind));
      choices.push_back(*v);
    }
    if (choices.empty()) space.fail(s.name, "expected at least one choice");
    if (choices.size() == 1) {
      fixed = choices[0];
      return std::nullopt;
    }
    return Parameter::categorical(s.name, std::move(choices));
  }
  const auto v = scalar(n);
  if (!v || !fits(*v, s.kind))
    space.fail(s.name, std::string("expected ") + kind_text(s.kind) + ", a list of choices or { low, high }");
  fixed = *v;
  return std::nullopt;
}

}  // namespace

RecipeSpace::RecipeSpace(const ConfigTable& space, const ConfigTable& base, std::string default_loss)
    : base_(std::make_shared<toml::table>(base.toml())), file_(base.file()), default_loss_(std::move(default_loss)) {
  const bool defaults = space.boolean("defaults", true);
  for (const auto& [key, node] : space.toml()) {
    const std::string k(key.str());
    if (k == "defaults") continue;
    if (std::none_of(settings().begin(), settings().end(), [&](const RecipeKey& s) { return k == s.name; })) {
      std::vector<std::string> names;
      for (const auto& s : settings()) names.emplace_back(s.name);
      space.fail(
          k, "is not a setting the local stage can search" + did_you_mean(k, names) + "; it searches " + join(names));
    }
  }
  // Fixed values first (into the base), so that the defaults' epochs and the parents' values see them.
  std::vector<std::pair<const RecipeKey*, Parameter>> searched;
  for (const auto& s : settings()) {
    if (!space.has(s.name)) continue;
    std::optional<Value> fixed;
    if (auto p = user_parameter(space, s, fixed)) searched.emplace_back(&s, std::move(*p));
    if (fixed) put(*base_, s.name, *fixed);
  }
  const nn::TrainConfig base_config = read(*base_);
  int epochs = base_config.epochs;
  for (const auto& [s, p] : searched)
    if (std::string(s->name) == "epochs") epochs = static_cast<int>(p.high());
  if (defaults)
    for (const auto& s : settings())
      if (!space.has(s.name))
        if (auto p = default_parameter(s.name, epochs)) searched.emplace_back(&s, std::move(*p));
  std::sort(searched.begin(), searched.end(), [](const auto& a, const auto& b) { return a.first < b.first; });

  // Conditions: on a searched parent, the choices it applies to; on a fixed one, it applies or not.
  auto space_out = std::make_shared<SearchSpace>();
  for (auto& [s, p] : searched) {
    if (s->parent) {
      const std::string parent = s->parent;
      const bool user = space.has(s->name);
      if (space_out->index_of(parent)) {  // (parents come first: it is in the space already)
        const std::vector<Value>& choices = space_out->at(parent).choices();
        std::vector<Value> on;
        for (const Value& c : choices)
          if (std::find(s->when.begin(), s->when.end(), to_string(c)) != s->when.end()) on.push_back(c);
        if (on.empty()) {
          if (!user) continue;
          space.fail(s->name,
                     "applies only with " + parent + " " + join(s->when, " or ") + ", which is not among the choices");
        }
        if (on.size() < choices.size()) {
          space_out->add(std::move(p).when(parent, std::move(on)));
          continue;
        }
      } else {
        const std::string value = parent == "optimizer" ? base_config.optimizer.kind : base_config.schedule.kind;
        if (std::find(s->when.begin(), s->when.end(), value) == s->when.end()) {
          if (!user) continue;
          space.fail(s->name, "applies only with " + parent + " " + join(s->when, " or ") + ", and " + parent +
                                  " is \"" + value + "\"");
        }
      }
    }
    space_out->add(std::move(p));
  }
  if (space_out->empty())
    space.fail("defaults", "the local stage has nothing to search: give a range or choices for a setting");
  space.finish();
  space_ = std::move(space_out);
}

nn::TrainConfig RecipeSpace::read(const toml::table& table) const {
  auto root = std::make_shared<const toml::table>(table);
  const ConfigTable t(root, *root, std::make_shared<const std::string>(file_), "training");
  return training_config(t, default_loss_);
}

nn::TrainConfig RecipeSpace::base() const { return read(*base_); }

nn::TrainConfig RecipeSpace::apply(const Assignment& params) const {
  toml::table t = *base_;
  for (const auto& [name, value] : params.values()) put(t, name, value);
  // A parameter a recipe no longer uses (momentum of the base's SGD when Adam is chosen) is left
  // out: the chosen optimizer and schedule read only their own settings.
  try {
    return read(t);
  } catch (const Error& e) {
    throw Error("the recipe " + describe(params) + ": " + e.what());
  }
}

std::string RecipeSpace::describe(const Assignment& params) {
  std::vector<std::string> parts;
  for (const auto& [name, value] : params.values()) parts.push_back(name + "=" + to_string(value));
  return join(parts, " ");
}

}  // namespace nac
