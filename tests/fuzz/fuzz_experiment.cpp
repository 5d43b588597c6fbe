// Fuzzes the experiment file: TOML parsing, load_experiment and build_search (every plugin's
// settings, the architecture template, constraints, seeds) with the build's plugins loaded.
#include <cstdlib>

#include "fuzz_support.hpp"
#include "nac/error.hpp"
#include "nac/registry.hpp"
#include "nac/run/experiment.hpp"
#include "nac/run/plugin_loader.hpp"

namespace {
nac::Registry& registry() {
  static nac::Registry r;
  static nac::PluginLoader loader(r);
  static const bool loaded = [] {
    loader.load_directory(nac::fuzz::plugin_dir());
    return true;
  }();
  (void)loaded;
  return r;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  nac::Registry& r = registry();
  const auto file = nac::fuzz::scratch() / "experiment.toml";
  nac::fuzz::write_bytes(file, data, size);
  try {
    const nac::Experiment ex = nac::load_experiment(file);
    nac::SearchSetup setup = nac::build_search(ex, r, ex.seed);
  } catch (const nac::Error&) {
  }
  return 0;
}
