#include "nac/run/plugin_loader.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include <boost/dll/library_info.hpp>
#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>

#include "nac/error.hpp"
#include "nac/detail/crash_context.hpp"
#include "nac/plugin.hpp"
#include "nac/version.hpp"

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

bool has_alias_section_symbol(const fs::path& file, const std::string& symbol) {
  try {
    boost::dll::library_info info(file);
    const auto symbols = info.symbols("boostdll");
    return std::find(symbols.begin(), symbols.end(), symbol) != symbols.end();
  } catch (const std::exception&) {
    return false;  // not a readable ELF file: not an entry point either
  }
}

// "major.minor" of a version string ("0.3.1" -> "0.3").
std::string major_minor(const std::string& v) {
  const auto first = v.find('.');
  if (first == std::string::npos) return v;
  return v.substr(0, v.find('.', first + 1));
}

// The plugin's ABI, then (ABI 4 on) the nac it was built against: same major.minor as this one.
void check_versions(const PluginInfo& info, const std::string& name) {
  const std::string here = "this is nac " NAC_VERSION " (plugin ABI " + std::to_string(kAbiVersion) + ")";
  if (info.abi_version != kAbiVersion) {
    // Only from ABI 4 on is the second member the nac version; an older layout cannot be read.
    const std::string built =
        info.abi_version >= 4 && info.abi_version < 1000 && info.nac_version
            ? "nac " + std::string(info.nac_version) + " (plugin ABI " + std::to_string(info.abi_version) + ")"
            : "nac plugin ABI " + std::to_string(info.abi_version);
    throw Error("plugin " + name + ": built for " + built + "; " + here + "; rebuild the plugin against this nac");
  }
  const std::string theirs = info.nac_version ? info.nac_version : "";
  if (major_minor(theirs) != major_minor(NAC_VERSION))
    throw Error("plugin " + name + ": built against nac " + (theirs.empty() ? std::string("(no version)") : theirs) +
                "; " + here + "; a plugin must be built against the same nac major.minor version; rebuild it");
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

  // Its static initialisers (in dlopen) and its register function run now: a crash names it.
  const detail::CrashContext crash("loading plugin library " + name);
  boost::dll::shared_library lib;
  try {
    lib.load(file, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    throw Error("plugin " + name + ": cannot be loaded: " + e.what());
  }
  // Pinned at once: whatever happens next (a failed check, a registration that throws part way),
  // the code stays mapped, so nothing the library's static constructors or its register function
  // handed out can dangle.
  libraries().push_back(lib);
  if (!lib.has("nac_plugin"))
    throw Error("plugin " + name + ": no entry point 'nac_plugin' (declare one with NAC_PLUGIN(...))");
  // NAC_PLUGIN's entry point is a Boost.DLL alias, a pointer kept in the library's "boostdll"
  // section; a symbol of that name anywhere else (an exported variable, a plain function) would
  // be called as something it is not.
  if (!has_alias_section_symbol(file, "nac_plugin"))
    throw Error("plugin " + name +
                ": its symbol 'nac_plugin' is not NAC_PLUGIN's entry point (declare it with NAC_PLUGIN(...))");
  const PluginInfo* info = nullptr;
  try {
    info = &lib.get_alias<PluginEntryPoint>("nac_plugin")();
  } catch (const std::exception& e) {
    throw Error("plugin " + name + ": cannot read the entry point: " + e.what());
  }
  check_versions(*info, name);
  if (!info->name || !*info->name || !info->register_factories)
    throw Error("plugin " + name + ": its description lacks a name or a register function");
  for (const auto& p : plugins_)
    if (p.name == info->name)
      throw Error("plugin " + name + ": its name '" + info->name + "' is taken by " + p.file.string());

  Registry::Scope scope(registry_, Origin{info->name, file});
  try {
    info->register_factories(registry_);
  } catch (const Error&) {
    throw;  // the registry's message names the plugin, its file and the name that collided
  } catch (const std::exception& e) {
    throw Error("plugin " + name + ": its register function threw, nothing of it was kept: " + e.what());
  } catch (...) {
    throw Error("plugin " + name + ": its register function threw a non-standard exception, nothing of it was kept");
  }
  scope.commit();
  plugins_.push_back(LoadedPlugin{info->name, info->version ? info->version : "",
                                  info->description ? info->description : "", file,
                                  info->nac_version ? info->nac_version : ""});
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
  // The plugins of the nac this program runs with: found from the program's folder (bin/) and,
  // for any other program that links nac, from the folder of libnac_core itself (lib/); in a
  // build tree they are in plugins/ beside lib/, in an install in lib/nac/plugins/.
  const fs::path exe_dir = boost::dll::program_location(ec).parent_path();
  const fs::path lib_dir = boost::dll::this_line_location(ec).parent_path();
  for (const fs::path& candidate : {exe_dir / ".." / "plugins", exe_dir / ".." / "lib" / "nac" / "plugins",
                                    lib_dir / ".." / "plugins", lib_dir / "nac" / "plugins"}) {
    if (!fs::is_directory(candidate, ec)) continue;
    const fs::path dir = fs::weakly_canonical(candidate, ec);
    if (std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) dirs.push_back(dir);
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
