#pragma once
// The Registry maps a kind (strategy, task, block, objective, compressor, backend) and a name to
// a factory. Plugins fill it when they are loaded; the runner looks names up from the TOML file.
// Each factory receives the plugin's own table of the experiment file and validates it.
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "nac/config.hpp"
#include "nac/ops.hpp"
#include "nac/settings.hpp"
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac {

class SearchStrategy;
struct StrategyContext;
class Task;
class BlockType;
class Objective;
class Compressor;
class Backend;

/// The kinds of what plugins register. Op: an op of the model description (nac/ops.hpp).
enum class PluginKind { Strategy, Task, Block, Objective, Compressor, Backend, Op };
const char* to_string(PluginKind kind);

using StrategyFactory = std::function<std::unique_ptr<SearchStrategy>(const ConfigTable&, const StrategyContext&)>;
using TaskFactory = std::function<std::unique_ptr<Task>(const ConfigTable&)>;
using BlockFactory = std::function<std::unique_ptr<BlockType>(const ConfigTable&)>;
using ObjectiveFactory = std::function<std::unique_ptr<Objective>(const ConfigTable&)>;
using CompressorFactory = std::function<std::unique_ptr<Compressor>(const ConfigTable&)>;
using BackendFactory = std::function<std::unique_ptr<Backend>(const ConfigTable&)>;

/// Who registered an entry: the plugin's name and library file (empty for built-ins).
struct Origin {
  std::string plugin;
  std::filesystem::path file;
};

struct RegistryEntry {
  PluginKind kind;
  std::string name;
  std::string description;
  Origin origin;
  std::vector<SettingInfo> settings;  // what its factory reads (nac/settings.hpp)
};

class Registry {
 public:
  void add_strategy(const std::string& name, StrategyFactory f, std::string description = {},
                    std::vector<SettingInfo> settings = {});
  void add_task(const std::string& name, TaskFactory f, std::string description = {},
                std::vector<SettingInfo> settings = {});
  void add_block(const std::string& name, BlockFactory f, std::string description = {},
                 std::vector<SettingInfo> settings = {});
  void add_objective(const std::string& name, ObjectiveFactory f, std::string description = {},
                     std::vector<SettingInfo> settings = {});
  void add_compressor(const std::string& name, CompressorFactory f, std::string description = {},
                      std::vector<SettingInfo> settings = {});
  void add_backend(const std::string& name, BackendFactory f, std::string description = {},
                   std::vector<SettingInfo> settings = {});
  /// Adds an op to the model description's op registry (nac/ops.hpp), process-wide: its
  /// attributes, shapes, cost and (for plugins that link the engine) its layer. Taken back if the
  /// plugin's registration fails; a second registry loading the same plugin finds it there.
  void add_op(OpDef op);

  /// The entry of a kind and name, or nullptr.
  const RegistryEntry* entry(PluginKind kind, const std::string& name) const;

  /// The factory for a name; an unknown name throws nac::Error listing the known names of that
  /// kind (with a did-you-mean suggestion).
  const StrategyFactory& strategy(const std::string& name) const;
  const TaskFactory& task(const std::string& name) const;
  const BlockFactory& block(const std::string& name) const;
  const ObjectiveFactory& objective(const std::string& name) const;
  const CompressorFactory& compressor(const std::string& name) const;
  const BackendFactory& backend(const std::string& name) const;

  bool contains(PluginKind kind, const std::string& name) const;
  std::vector<std::string> names(PluginKind kind) const;
  /// Every entry, by kind then name.
  std::vector<RegistryEntry> entries() const;

  /// A transaction of the plugin loader: entries added while a scope is alive are attributed to
  /// `origin`, and unless commit() is called before the scope ends (because registration threw or
  /// a name collided part way) they are removed again, so a failed plugin leaves no trace.
  class Scope {
   public:
    Scope(Registry& r, Origin origin);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
    void commit() { committed_ = true; }

   private:
    Registry& registry_;
    Origin previous_;
    std::size_t first_added_;
    bool committed_ = false;
  };

 private:
  template <class F>
  struct Slot {
    F factory;
    RegistryEntry entry;
  };
  template <class F>
  using Table = std::map<std::string, Slot<F>>;

  template <class F>
  void add(Table<F>& table, PluginKind kind, const std::string& name, F f, std::string description,
           std::vector<SettingInfo> settings);
  template <class F>
  const F& find(const Table<F>& table, PluginKind kind, const std::string& name) const;

  Table<StrategyFactory> strategies_;
  Table<TaskFactory> tasks_;
  Table<BlockFactory> blocks_;
  Table<ObjectiveFactory> objectives_;
  Table<CompressorFactory> compressors_;
  Table<BackendFactory> backends_;
  std::map<std::string, RegistryEntry> ops_;  // the ops this registry's plugins added
  std::vector<std::string> created_ops_;      // those this registry created (a Scope may take them back)
  void remove(PluginKind kind, const std::string& name);

  Origin current_;
  std::vector<std::pair<PluginKind, std::string>> added_;  // in order, for Scope's rollback
};

}  // namespace nac
NAC_PUBLIC_END
