#include "nac/registry.hpp"

#include <algorithm>

#include "nac/error.hpp"
#include "nac/text.hpp"

namespace nac {

const char* to_string(PluginKind kind) {
  switch (kind) {
    case PluginKind::Strategy: return "strategy";
    case PluginKind::Task: return "task";
    case PluginKind::Block: return "block";
    case PluginKind::Objective: return "objective";
    case PluginKind::Compressor: return "compressor";
    case PluginKind::Backend: return "backend";
    case PluginKind::Op: return "op";
  }
  return "?";
}

namespace {

std::string describe_origin(const Origin& o) {
  if (o.file.empty()) return "nac itself";
  return "plugin '" + o.plugin + "' (" + o.file.string() + ")";
}
}  // namespace

template <class F>
void Registry::add(Table<F>& table, PluginKind kind, const std::string& name, F f, std::string description,
                   std::vector<SettingInfo> settings) {
  if (name.empty()) throw Error(describe_origin(current_) + " registers a " + to_string(kind) + " with an empty name");
  if (!f)
    throw Error(describe_origin(current_) + " registers " + to_string(kind) + " '" + name + "' without a factory");
  if (auto it = table.find(name); it != table.end())
    throw Error(describe_origin(current_) + " registers " + to_string(kind) + " '" + name + "', which " +
                describe_origin(it->second.entry.origin) + " already registered");
  table.emplace(
      name, Slot<F>{std::move(f), RegistryEntry{kind, name, std::move(description), current_, std::move(settings)}});
  added_.emplace_back(kind, name);
}

void Registry::remove(PluginKind kind, const std::string& name) {
  switch (kind) {
    case PluginKind::Strategy: strategies_.erase(name); break;
    case PluginKind::Task: tasks_.erase(name); break;
    case PluginKind::Block: blocks_.erase(name); break;
    case PluginKind::Objective: objectives_.erase(name); break;
    case PluginKind::Compressor: compressors_.erase(name); break;
    case PluginKind::Backend: backends_.erase(name); break;
    case PluginKind::Op:
      ops_.erase(name);
      if (auto it = std::find(created_ops_.begin(), created_ops_.end(), name); it != created_ops_.end()) {
        unregister_op(name);
        created_ops_.erase(it);
      }
      break;
  }
}

template <class F>
const F& Registry::find(const Table<F>& table, PluginKind kind, const std::string& name) const {
  if (auto it = table.find(name); it != table.end()) return it->second.factory;
  const auto known = names(kind);
  const std::string hint = did_you_mean(name, known);
  std::string message = std::string("unknown ") + to_string(kind) + " '" + name + "'" + hint;
  if (known.empty()) message += std::string("; no ") + to_string(kind) + " plugin is loaded (check the plugin folders)";
  else message += (hint.empty() ? "; known: " : " (known: ") + join(known) + (hint.empty() ? "" : ")");
  throw Error(message);
}

void Registry::add_strategy(const std::string& n, StrategyFactory f, std::string d, std::vector<SettingInfo> s) {
  add(strategies_, PluginKind::Strategy, n, std::move(f), std::move(d), std::move(s));
}
void Registry::add_task(const std::string& n, TaskFactory f, std::string d, std::vector<SettingInfo> s) {
  add(tasks_, PluginKind::Task, n, std::move(f), std::move(d), std::move(s));
}
void Registry::add_block(const std::string& n, BlockFactory f, std::string d, std::vector<SettingInfo> s) {
  add(blocks_, PluginKind::Block, n, std::move(f), std::move(d), std::move(s));
}
void Registry::add_objective(const std::string& n, ObjectiveFactory f, std::string d, std::vector<SettingInfo> s) {
  add(objectives_, PluginKind::Objective, n, std::move(f), std::move(d), std::move(s));
}
void Registry::add_compressor(const std::string& n, CompressorFactory f, std::string d, std::vector<SettingInfo> s) {
  add(compressors_, PluginKind::Compressor, n, std::move(f), std::move(d), std::move(s));
}
void Registry::add_backend(const std::string& n, BackendFactory f, std::string d, std::vector<SettingInfo> s) {
  add(backends_, PluginKind::Backend, n, std::move(f), std::move(d), std::move(s));
}

void Registry::add_op(OpDef op) {
  const std::string name = op.name;
  if (ops_.count(name))
    throw Error(describe_origin(current_) + " registers op '" + name + "', which " +
                describe_origin(ops_.at(name).origin) + " already registered");
  const std::string owner = current_.file.empty() ? "nac itself" : describe_origin(current_);
  const std::string description = op.description;
  if (register_op(std::move(op), owner)) created_ops_.push_back(name);
  ops_.emplace(name, RegistryEntry{PluginKind::Op, name, description, current_, describe_attrs(find_op(name))});
  added_.emplace_back(PluginKind::Op, name);
}

const StrategyFactory& Registry::strategy(const std::string& n) const {
  return find(strategies_, PluginKind::Strategy, n);
}
const TaskFactory& Registry::task(const std::string& n) const { return find(tasks_, PluginKind::Task, n); }
const BlockFactory& Registry::block(const std::string& n) const { return find(blocks_, PluginKind::Block, n); }
const ObjectiveFactory& Registry::objective(const std::string& n) const {
  return find(objectives_, PluginKind::Objective, n);
}
const CompressorFactory& Registry::compressor(const std::string& n) const {
  return find(compressors_, PluginKind::Compressor, n);
}
const BackendFactory& Registry::backend(const std::string& n) const { return find(backends_, PluginKind::Backend, n); }

std::vector<RegistryEntry> Registry::entries() const {
  std::vector<RegistryEntry> out;
  auto collect = [&](const auto& table) {
    for (const auto& [name, slot] : table) out.push_back(slot.entry);
  };
  collect(strategies_);
  collect(tasks_);
  collect(blocks_);
  collect(objectives_);
  collect(compressors_);
  collect(backends_);
  for (const auto& [name, entry] : ops_) out.push_back(entry);
  return out;
}

std::vector<std::string> Registry::names(PluginKind kind) const {
  std::vector<std::string> out;
  for (const auto& e : entries())
    if (e.kind == kind) out.push_back(e.name);
  return out;
}

const RegistryEntry* Registry::entry(PluginKind kind, const std::string& name) const {
  auto find_in = [&](const auto& table) -> const RegistryEntry* {
    auto it = table.find(name);
    return it == table.end() ? nullptr : &it->second.entry;
  };
  switch (kind) {
    case PluginKind::Strategy: return find_in(strategies_);
    case PluginKind::Task: return find_in(tasks_);
    case PluginKind::Block: return find_in(blocks_);
    case PluginKind::Objective: return find_in(objectives_);
    case PluginKind::Compressor: return find_in(compressors_);
    case PluginKind::Backend: return find_in(backends_);
    case PluginKind::Op: {
      auto it = ops_.find(name);
      return it == ops_.end() ? nullptr : &it->second;
    }
  }
  return nullptr;
}

bool Registry::contains(PluginKind kind, const std::string& name) const {
  for (const auto& e : entries())
    if (e.kind == kind && e.name == name) return true;
  return false;
}

Registry::Scope::Scope(Registry& r, Origin origin)
    : registry_(r), previous_(std::move(r.current_)), first_added_(r.added_.size()) {
  registry_.current_ = std::move(origin);
}

Registry::Scope::~Scope() {
  if (!committed_)
    while (registry_.added_.size() > first_added_) {
      const auto& [kind, name] = registry_.added_.back();
      registry_.remove(kind, name);
      registry_.added_.pop_back();
    }
  registry_.current_ = std::move(previous_);
}

}  // namespace nac
