#pragma once
// The plugin boundary. A plugin is a shared library that exports one Boost.DLL alias,
// `nac_plugin`, a function returning its PluginInfo. The loader checks abi_version before it
// reads anything else, so the first member never moves. Bump kAbiVersion whenever a core
// interface a plugin compiles against changes.
//
//   static void register_factories(nac::Registry& r) { r.add_task("sphere", ...); }
//   NAC_PLUGIN("sphere", "1.0.0", "A one-objective test problem", register_factories)
#include <cstdint>

#include <boost/dll/alias.hpp>

#include "nac/registry.hpp"

namespace nac {

inline constexpr std::uint32_t kAbiVersion = 3;

struct PluginInfo {
  std::uint32_t abi_version;  // must stay the first member
  const char* name;
  const char* version;
  const char* description;
  void (*register_factories)(Registry& registry);
};

using PluginEntryPoint = const PluginInfo&();

}  // namespace nac

#define NAC_PLUGIN_ENTRY_NAME nac_plugin

/// Declares the plugin's entry point. Use once per library, at namespace scope.
#define NAC_PLUGIN(NAME, VERSION, DESCRIPTION, REGISTER)                                     \
  namespace nac_plugin_detail {                                                              \
  static const ::nac::PluginInfo& plugin_info() {                                            \
    static const ::nac::PluginInfo info{::nac::kAbiVersion, NAME, VERSION, DESCRIPTION,      \
                                        REGISTER};                                           \
    return info;                                                                             \
  }                                                                                          \
  }                                                                                          \
  BOOST_DLL_ALIAS(nac_plugin_detail::plugin_info, nac_plugin)
