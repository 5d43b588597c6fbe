// The op registry (nac/ops.hpp): the table, attribute checks. The built-in ops are in builtin_ops.cpp.
#include "nac/ops.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <shared_mutex>

#include "nac/error.hpp"
#include "nac/text.hpp"

namespace nac {

std::vector<OpDef> builtin_ops();  // builtin_ops.cpp

namespace {

struct OpTable {
  struct Entry {
    OpDef def;
    std::string owner;
  };
  std::shared_mutex mutex;
  std::map<std::string, Entry> ops;

  OpTable() {
    for (auto& def : builtin_ops()) {
      std::string name = def.name;
      ops.emplace(std::move(name), Entry{std::move(def), "nac"});
    }
  }
};

OpTable& table() {
  static OpTable* t = new OpTable();  // never destroyed: plugins' ops may be looked up at exit
  return *t;
}

std::string type_text(AttrType t) {
  switch (t) {
    case AttrType::Integer: return "an integer";
    case AttrType::Real: return "a number";
    case AttrType::String: return "a string";
  }
  return "?";
}

constexpr double kUnbounded = 1e308;

std::string number_text(double v) {
  if (std::abs(v) < 1e15 && v == static_cast<double>(static_cast<std::int64_t>(v)))
    return std::to_string(static_cast<std::int64_t>(v));
  return to_string(Value{v});
}

std::string range_text(const AttrSpec& a) {
  if (a.min <= -kUnbounded) return "<= " + number_text(a.max);
  if (a.max >= kUnbounded) return ">= " + number_text(a.min);
  return "in [" + number_text(a.min) + ", " + number_text(a.max) + "]";
}

}  // namespace

const char* to_string(AttrType t) {
  switch (t) {
    case AttrType::Integer: return "integer";
    case AttrType::Real: return "real";
    case AttrType::String: return "string";
  }
  return "?";
}

AttrSpec AttrSpec::integer(std::string name, std::optional<std::int64_t> fallback, double min, double max,
                           std::string help) {
  AttrSpec a{std::move(name), AttrType::Integer, std::nullopt, min, max, std::move(help)};
  if (fallback) a.fallback = *fallback;
  a.required = !fallback;
  return a;
}

AttrSpec AttrSpec::real(std::string name, std::optional<double> fallback, double min, double max, std::string help) {
  AttrSpec a{std::move(name), AttrType::Real, std::nullopt, min, max, std::move(help)};
  if (fallback) a.fallback = *fallback;
  a.required = !fallback;
  return a;
}

AttrSpec AttrSpec::string(std::string name, std::optional<std::string> fallback, std::string help) {
  AttrSpec a{std::move(name), AttrType::String, std::nullopt, -1e308, 1e308, std::move(help)};
  if (fallback) a.fallback = *fallback;
  a.required = !fallback;
  return a;
}

bool register_op(OpDef def, const std::string& owner) {
  if (def.name.empty()) throw Error(owner + " registers an op with an empty name");
  if (!def.shape) throw Error(owner + " registers op '" + def.name + "' without a shape function");
  OpTable& t = table();
  std::unique_lock lock(t.mutex);
  if (auto it = t.ops.find(def.name); it != t.ops.end()) {
    if (it->second.owner == owner) return false;
    throw Error(owner + " registers op '" + def.name + "', which " +
                (it->second.owner == "nac" ? std::string("nac itself") : it->second.owner) + " already registered");
  }
  std::string name = def.name;
  t.ops.emplace(std::move(name), OpTable::Entry{std::move(def), owner});
  return true;
}

void unregister_op(const std::string& name) {
  OpTable& t = table();
  std::unique_lock lock(t.mutex);
  t.ops.erase(name);
}

void set_op_layer(const std::string& name, LayerMaker maker) {
  OpTable& t = table();
  std::unique_lock lock(t.mutex);
  auto it = t.ops.find(name);
  if (it == t.ops.end()) throw Error("set_op_layer: no op '" + name + "'");
  it->second.def.layer = std::move(maker);
}

bool compressible(const LayerSpec& layer) {
  const OpDef& op = find_op(layer.op);
  return !op.container && op.cost && !op.normalization;
}

const OpDef* lookup_op(const std::string& name) {
  OpTable& t = table();
  std::shared_lock lock(t.mutex);
  auto it = t.ops.find(name);
  return it == t.ops.end() ? nullptr : &it->second.def;  // entries of a std::map never move
}

const OpDef& find_op(const std::string& name) {
  if (const OpDef* d = lookup_op(name)) return *d;
  const auto known = op_names();
  throw Error("unknown op '" + name + "'" + did_you_mean(name, known) + "; known ops: " + join(known));
}

std::string op_owner(const std::string& name) {
  OpTable& t = table();
  std::shared_lock lock(t.mutex);
  auto it = t.ops.find(name);
  return it == t.ops.end() ? std::string() : it->second.owner;
}

std::vector<std::string> op_names() {
  OpTable& t = table();
  std::shared_lock lock(t.mutex);
  std::vector<std::string> out;
  for (const auto& [name, entry] : t.ops) out.push_back(name);
  return out;
}

std::vector<SettingInfo> describe_attrs(const OpDef& def) {
  std::vector<SettingInfo> out;
  for (const auto& a : def.attrs) {
    SettingInfo i{a.name, to_string(a.type),
                  a.fallback   ? to_string(*a.fallback)
                  : a.required ? "required"
                               : "(see help)",
                  "", a.help};
    if (a.type != AttrType::String) i.range = range_text(a);
    out.push_back(std::move(i));
  }
  return out;
}

void op_error(const LayerSpec& l, const std::string& why) {
  throw Error("layer '" + l.name + "' (" + l.op + ") on input " + to_string(l.input) + ": " + why);
}

void check_attrs(const LayerSpec& l, const OpDef& def) {
  auto declared = [&](const std::string& key) -> const AttrSpec* {
    for (const auto& a : def.attrs)
      if (a.name == key) return &a;
    return nullptr;
  };
  for (const auto& [key, value] : l.attrs) {
    const AttrSpec* a = declared(key);
    if (!a) {
      std::vector<std::string> names;
      for (const auto& d : def.attrs) names.push_back(d.name);
      throw Error("layer '" + l.name + "' (" + l.op + "): unknown attribute '" + key + "'" + did_you_mean(key, names) +
                  "; " + l.op + " takes " + join(names));
    }
    const bool is_int = std::holds_alternative<std::int64_t>(value),
               is_string = std::holds_alternative<std::string>(value);
    const bool fits = a->type == AttrType::String ? is_string : a->type == AttrType::Integer ? is_int : !is_string;
    if (!fits)
      throw Error("layer '" + l.name + "' (" + l.op + "): attribute '" + key + "' must be " + type_text(a->type) +
                  ", found " + to_string(value));
    if (!is_string) {
      const double v = to_double(value);
      if (!(v >= a->min && v <= a->max))
        throw Error("layer '" + l.name + "' (" + l.op + "): attribute '" + key + "' must be " + range_text(*a) +
                    ", found " + to_string(value));
    }
  }
  for (const auto& a : def.attrs)
    if (a.required && !l.attrs.count(a.name))
      throw Error("layer '" + l.name + "' (" + l.op + "): missing attribute '" + a.name + "' (" + a.help + ")");
  // The compression annotations (model_spec.hpp): weights' precision and sparsity only where
  // there are weights, i.e. on ops with a cost.
  for (const auto& [role, type] : l.precision) {
    if (!is_precision_role(role))
      throw Error("layer '" + l.name + "' (" + l.op + "): unknown precision role '" + role + "' (" +
                  precision_roles_text() + ")");
    if (role != "input" && (!def.cost || def.container))
      throw Error("layer '" + l.name + "' (" + l.op + "): a " + role + " precision on an op without weights");
    check(type);
  }
  if (l.sparsity != 0 && (!def.cost || def.container))
    throw Error("layer '" + l.name + "' (" + l.op + "): sparsity on an op without weights");
  if (!(l.sparsity >= 0 && l.sparsity <= 1))
    throw Error("layer '" + l.name + "' (" + l.op + "): sparsity must be in [0, 1], found " +
                std::to_string(l.sparsity));
}

}  // namespace nac
