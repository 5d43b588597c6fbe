#pragma once
// The plugin boundary. A plugin is a shared library that exports one Boost.DLL alias,
// `nac_plugin`, a function returning its PluginInfo. The loader checks abi_version before it
// reads anything else, so the first member never moves; from ABI 4 on the second member is the
// nac version the plugin was built against, which the loader also checks (same major.minor), so a
// forgotten ABI bump between releases is still caught. Bump NAC_ABI_VERSION (CMakeLists.txt, and
// a line in CHANGELOG.md) whenever a core interface a plugin compiles against changes.
//
//   static void register_factories(nac::Registry& r) { r.add_task("sphere", ...); }
//   NAC_PLUGIN("sphere", "1.0.0", "A one-objective test problem", register_factories)
//
// Include the interface of each kind the plugin implements besides this header: nac/task.hpp,
// nac/search_strategy.hpp, nac/block_type.hpp, nac/objective.hpp, nac/compressor.hpp,
// nac/backend.hpp (docs/plugins.md).
#include <cstdint>

#include <boost/dll/alias.hpp>

#include "nac/export.hpp"
#include "nac/registry.hpp"
#include "nac/version.hpp"

NAC_PUBLIC_BEGIN
namespace nac {

inline constexpr std::uint32_t kAbiVersion = NAC_ABI_VERSION;

struct PluginInfo {
  std::uint32_t abi_version;  // must stay the first member
  const char* nac_version;    // the second from ABI 4 on: NAC_VERSION the plugin was built against
  const char* name;
  const char* version;
  const char* description;
  void (*register_factories)(Registry& registry);
};

using PluginEntryPoint = const PluginInfo&();

}  // namespace nac
NAC_PUBLIC_END

#define NAC_PLUGIN_ENTRY_NAME nac_plugin

/// Declares the plugin's entry point. Use once per library, at namespace scope.
#define NAC_PLUGIN(NAME, VERSION, DESCRIPTION, REGISTER)                                                        \
  namespace nac_plugin_detail {                                                                                 \
  static const ::nac::PluginInfo& plugin_info() {                                                               \
    static const ::nac::PluginInfo info{::nac::kAbiVersion, NAC_VERSION, NAME, VERSION, DESCRIPTION, REGISTER}; \
    return info;                                                                                                \
  }                                                                                                             \
  }                                                                                                             \
  BOOST_DLL_ALIAS(nac_plugin_detail::plugin_info, nac_plugin)
