// Fuzzes what `nac run --resume` reads from a run folder: state.json (with NSGA-II's saved
// state), trials.jsonl and journal.jsonl. A real folder of a small search stopped after 16 trials
// is made once; each input replaces one of its three files (chosen by the first byte) in a fresh
// copy, which is then resumed for one more batch.
#include <cstdlib>

#include "fuzz_support.hpp"
#include "nac/error.hpp"
#include "nac/registry.hpp"
#include "nac/run/experiment.hpp"
#include "nac/run/plugin_loader.hpp"
#include "nac/run/runner.hpp"

namespace fs = std::filesystem;

namespace {

const char* kExperiment = R"(name = "fuzz"
seed = 3
[task]
name = "test_functions"
problem = "zdt1"
variables = 4
[strategy]
name = "nsga2"
population = 8
[search]
trials = 64
batch = 8
workers = 1
)";

struct World {
  nac::Registry registry;
  nac::PluginLoader loader{registry};
  nac::Experiment ex;
  fs::path stopped;
  World() {
    loader.load_directory(nac::fuzz::plugin_dir());
    const fs::path file = nac::fuzz::scratch() / "resume.toml";
    {
      std::ofstream out(file);
      out << kExperiment;
    }
    ex = nac::load_experiment(file);
    stopped = nac::fuzz::scratch() / "stopped";
    fs::remove_all(stopped);
    run(stopped, false, 16);
  }
  void run(const fs::path& dir, bool resume, std::size_t stop) {
    nac::SearchSetup setup = nac::build_search(ex, registry, ex.seed);
    nac::RunOptions o;
    o.out_dir = dir;
    o.resume = resume;
    o.stop_after = stop;
    nac::run_search(ex, setup, o);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static World world;
  if (size == 0) return 0;
  const char* files[] = {"state.json", "trials.jsonl", "journal.jsonl"};
  const fs::path dir = nac::fuzz::scratch() / "resumed";
  // (libFuzzer's timer signal can interrupt a copy: EINTR; the harness tries again)
  std::error_code ec;
  for (int attempt = 0; attempt < 10; ++attempt) {
    fs::remove_all(dir);
    fs::copy(world.stopped, dir, fs::copy_options::recursive, ec);
    if (!ec) break;
  }
  if (ec) return 0;
  nac::fuzz::write_bytes(dir / files[data[0] % 3], data + 1, size - 1);
  try {
    world.run(dir, true, 8);
  } catch (const nac::Error&) {
  }
  return 0;
}
