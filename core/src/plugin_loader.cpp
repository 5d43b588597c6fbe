#include "nac/plugin_loader.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>

#include "nac/error.hpp"
#include "nac/plugin.hpp"

namespace nac {

namespace fs = std::filesystem;

namespace {

// Loaded libraries are never unloaded: objects and factories a plugin made may live until the
// process exits, and static destructors run in an order we do not control. The list is leaked
// on purpose.
std::vector<boost::dll::shared_library>& libraries() {
  static auto* libs = new std::vector<boost::dll::shared_library>();
  return *libs;
}

bool starts_with_elf_magic(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  char magic[4] = {};
  in.read(magic, 4);
  return in && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F';
}

}  // namespace

void PluginLoader::load_file(const fs::path& given) {
  std::error_code ec;
  const fs::path file = fs::weakly_canonical(given, ec);
  const std::string name = (ec ? given : file).string();
  if (!fs::is_regular_file(file, ec)) throw Error("plugin " + name + ": no such file");
  for (const auto& p : plugins_)
    if (p.file == file) return;
  if (!starts_with_elf_magic(file))
    throw Error("plugin " + name + ": not a shared library (no ELF header); remove it from the plugin folder");

  boost::dll::shared_library lib;
  try {
    lib.load(file, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    throw Error("plugin " + name + ": cannot be loaded: " + e.what());
  }
  if (!lib.has("nac_plugin"))
    throw Error("plugin " + name + ": no entry point 'nac_plugin' (declare one with NAC_PLUGIN(...))");
  const PluginInfo* info = nullptr;
  try {
    info = &lib.get_alias<PluginEntryPoint>("nac_plugin")();
  } catch (const std::exception& e) {
    throw Error("plugin " + name + ": cannot read the entry point: " + e.what());
  }
  if (info->abi_version != kAbiVersion)
    throw Error("plugin " + name + ": built for nac plugin ABI version " + std::to_string(info->abi_version) +
                ", this nac has version " + std::to_string(kAbiVersion) + "; rebuild the plugin against this nac");
  if (!info->name || !*info->name || !info->register_factories)
    throw Error("plugin " + name + ": its description lacks a name or a register function");
  for (const auto& p : plugins_)
    if (p.name == info->name)
      throw Error("plugin " + name + ": its name '" + info->name + "' is taken by " + p.file.string());

  {
    Registry::Scope scope(registry_, Origin{info->name, file});
    info->register_factories(registry_);
  }
  libraries().push_back(std::move(lib));
  plugins_.push_back(LoadedPlugin{info->name, info->version ? info->version : "",
                                  info->description ? info->description : "", file});
}

void PluginLoader::load_directory(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw Error("plugin folder " + dir.string() + ": not a folder");
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string fname = entry.path().filename().string();
    if (fname.rfind("nac_", 0) == 0 && entry.path().extension() == ".so") files.push_back(entry.path());
  }
  if (ec) throw Error("plugin folder " + dir.string() + ": cannot be read: " + ec.message());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) load_file(f);
}

std::vector<fs::path> default_plugin_dirs() {
  std::vector<fs::path> dirs;
  std::error_code ec;
  const fs::path exe_dir = boost::dll::program_location().parent_path();
  for (const fs::path& candidate : {exe_dir / ".." / "plugins", exe_dir / ".." / "lib" / "nac" / "plugins"})
    if (fs::is_directory(candidate, ec)) {
      dirs.push_back(fs::weakly_canonical(candidate, ec));
      break;
    }
  if (const char* env = std::getenv("NAC_PLUGIN_PATH")) {
    std::string path = env;
    std::size_t start = 0;
    while (start <= path.size()) {
      const std::size_t end = std::min(path.find(':', start), path.size());
      if (end > start) dirs.emplace_back(path.substr(start, end - start));
      start = end + 1;
    }
  }
  return dirs;
}

}  // namespace nac
