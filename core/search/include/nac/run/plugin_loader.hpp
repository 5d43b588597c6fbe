#pragma once
// Finds plugin libraries (files named nac_*.so) in plugin folders, loads them with Boost.DLL,
// checks their ABI version and lets them register their factories. Libraries stay loaded for
// the life of the process (they are never unloaded), so objects a plugin made never outlive its
// code. Every error names the library file.
#include <filesystem>
#include <string>
#include <vector>

#include "nac/registry.hpp"
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac {

struct LoadedPlugin {
  std::string name;
  std::string version;
  std::string description;
  std::filesystem::path file;
  std::string nac_version;  // the nac it was built against
};

class PluginLoader {
 public:
  explicit PluginLoader(Registry& registry) : registry_(registry) {}

  /// Loads one library. Throws nac::Error naming the file if it is not a loadable library, has no
  /// nac_plugin entry point, was built for another ABI or nac major.minor version, repeats the
  /// name of a plugin already loaded from another file, or its registration fails (a name that is
  /// taken, an exception of any type); the registry is then as it was before (nothing of the
  /// plugin is kept) and the library stays loaded. Loading the same file twice is a no-op.
  void load_file(const std::filesystem::path& file);
  /// Loads every nac_*.so in a folder, in name order. A missing folder throws nac::Error.
  void load_directory(const std::filesystem::path& dir);

  const std::vector<LoadedPlugin>& plugins() const { return plugins_; }

 private:
  Registry& registry_;
  std::vector<LoadedPlugin> plugins_;
};

/// The folders searched by default: the folder of plugins next to the running executable
/// (the build tree's plugins/ or an install's lib/nac/plugins), then each entry of the
/// colon-separated NAC_PLUGIN_PATH environment variable.
std::vector<std::filesystem::path> default_plugin_dirs();

}  // namespace nac
NAC_PUBLIC_END
