#include <algorithm>
#include <doctest/doctest.h>

#include "nac/error.hpp"
#include "nac/plugin.hpp"
#include "nac/search_strategy.hpp"
#include "nac/task.hpp"
#include "nac/version.hpp"
#include "nac/run/experiment.hpp"
#include "nac/run/plugin_loader.hpp"
#include "test_support.hpp"

using namespace nac;
namespace fs = std::filesystem;

namespace {
const fs::path plugin_dir = NAC_PLUGIN_DIR;
const fs::path fixture_path = NAC_FIXTURE_DIR;
}  // namespace

TEST_CASE("the build's plugin folder provides random and test_functions") {
  Registry registry;
  PluginLoader loader(registry);
  loader.load_directory(plugin_dir);
  CHECK(registry.contains(PluginKind::Strategy, "random"));
  CHECK(registry.contains(PluginKind::Task, "test_functions"));
  bool found_random = false;
  for (const auto& p : loader.plugins())
    if (p.name == "random") {
      found_random = true;
      CHECK(p.file == fs::canonical(plugin_dir / "nac_random.so"));
      CHECK(p.version == "1.0.0");
    }
  CHECK(found_random);
  for (const auto& e : registry.entries()) CHECK_FALSE(e.origin.file.empty());
  // Loading the same folder again changes nothing.
  const auto count = loader.plugins().size();
  loader.load_directory(plugin_dir);
  CHECK(loader.plugins().size() == count);
}

TEST_CASE("a file that is not a library is refused - naming the file") {
  Registry registry;
  PluginLoader loader(registry);
  const fs::path f = fixture_path / "not_a_library" / "nac_not_a_library.so";
  CHECK_THROWS_WITH_AS(loader.load_directory(f.parent_path()),
                       ("plugin " + fs::canonical(f).string() +
                        ": not a shared library (no ELF header); remove it from the plugin folder")
                           .c_str(),
                       Error);
}

TEST_CASE("a library without the entry point is refused") {
  Registry registry;
  PluginLoader loader(registry);
  const fs::path f = fs::canonical(fixture_path / "no_entry" / "nac_fixture_no_entry.so");
  CHECK_THROWS_WITH_AS(
      loader.load_file(f),
      ("plugin " + f.string() + ": no entry point 'nac_plugin' (declare one with NAC_PLUGIN(...))").c_str(), Error);
}

TEST_CASE("a plugin built for another ABI version is refused with both versions") {
  Registry registry;
  PluginLoader loader(registry);
  const fs::path f = fs::canonical(fixture_path / "wrong_abi" / "nac_fixture_wrong_abi.so");
  const std::string expected = "plugin " + f.string() + ": built for nac 9.9.0 (plugin ABI " +
                               std::to_string(kAbiVersion + 98) + "); this is nac " NAC_VERSION " (plugin ABI " +
                               std::to_string(kAbiVersion) + "); rebuild the plugin against this nac";
  CHECK_THROWS_WITH_AS(loader.load_file(f), expected.c_str(), Error);
  CHECK(registry.entries().empty());
}

TEST_CASE("a plugin of this ABI built against another nac minor version is refused with both versions") {
  Registry registry;
  PluginLoader loader(registry);
  const fs::path f = fs::canonical(fixture_path / "wrong_nac_version" / "nac_fixture_wrong_nac_version.so");
  const std::string expected =
      "plugin " + f.string() + ": built against nac 0.1.7; this is nac " NAC_VERSION " (plugin ABI " +
      std::to_string(kAbiVersion) + "); a plugin must be built against the same nac major.minor version; rebuild it";
  CHECK_THROWS_WITH_AS(loader.load_file(f), expected.c_str(), Error);
  CHECK(loader.plugins().empty());
}

TEST_CASE("a registration that collides part way leaves no trace, and the plugins loaded before keep working") {
  Registry registry;
  PluginLoader loader(registry);
  loader.load_directory(plugin_dir);
  const auto before = registry.entries().size();
  const fs::path f = fs::canonical(fixture_path / "partial_registration" / "nac_fixture_partial_registration.so");
  CHECK_THROWS_WITH_AS(
      loader.load_file(f),
      ("plugin 'partial_registration' (" + f.string() + ") registers strategy 'random', which plugin 'random' (" +
       fs::canonical(plugin_dir / "nac_random.so").string() + ") already registered")
          .c_str(),
      Error);
  CHECK_FALSE(registry.contains(PluginKind::Strategy, "fresh_partial"));
  CHECK(registry.entries().size() == before);
  CHECK(std::none_of(loader.plugins().begin(), loader.plugins().end(),
                     [](const LoadedPlugin& p) { return p.name == "partial_registration"; }));
  // The registry still makes objects with the factories it kept (their code is loaded).
  const auto space = std::make_shared<SearchSpace>();
  space->add(Parameter::real("x", 0, 1));
  auto s =
      registry.strategy("random")(ConfigTable::empty("strategy"), StrategyContext{space, {Direction::Minimize}, 1});
  CHECK(s->ask().params.has("x"));
}

TEST_CASE("a register function that throws a non-standard exception: a clear error and no trace") {
  Registry registry;
  PluginLoader loader(registry);
  const fs::path f = fs::canonical(fixture_path / "throwing_registration" / "nac_fixture_throwing_registration.so");
  CHECK_THROWS_WITH_AS(
      loader.load_file(f),
      ("plugin " + f.string() + ": its register function threw a non-standard exception, nothing of it was kept")
          .c_str(),
      Error);
  CHECK(registry.entries().empty());
  CHECK(loader.plugins().empty());
}

TEST_CASE("two plugins registering the same name: the error names both files") {
  Registry registry;
  PluginLoader loader(registry);
  loader.load_directory(plugin_dir);
  const fs::path f = fs::canonical(fixture_path / "duplicate_strategy" / "nac_fixture_duplicate_strategy.so");
  const std::string expected = "plugin 'duplicate_strategy' (" + f.string() +
                               ") registers strategy 'random', which plugin 'random' (" +
                               fs::canonical(plugin_dir / "nac_random.so").string() + ") already registered";
  CHECK_THROWS_WITH_AS(loader.load_file(f), expected.c_str(), Error);
}

TEST_CASE("two files with the same plugin name: the error names both files") {
  Registry registry;
  PluginLoader loader(registry);
  loader.load_directory(plugin_dir);
  const fs::path f = fs::canonical(fixture_path / "duplicate_plugin_name" / "nac_fixture_duplicate_plugin_name.so");
  CHECK_THROWS_WITH_AS(loader.load_file(f),
                       ("plugin " + f.string() + ": its name 'random' is taken by " +
                        fs::canonical(plugin_dir / "nac_random.so").string())
                           .c_str(),
                       Error);
}

TEST_CASE("missing files and folders are named") {
  Registry registry;
  PluginLoader loader(registry);
  CHECK_THROWS_WITH_AS(loader.load_directory("/nonexistent/plugins"),
                       "plugin folder /nonexistent/plugins: not a folder", Error);
  CHECK_THROWS_WITH_AS(loader.load_file("/nonexistent/nac_x.so"), "plugin /nonexistent/nac_x.so: no such file", Error);
}

TEST_CASE("an unknown name lists the known ones with a suggestion") {
  Registry registry;
  PluginLoader loader(registry);
  loader.load_directory(plugin_dir);
  CHECK_THROWS_WITH_AS(registry.strategy("randon"),
                       doctest::Contains("unknown strategy 'randon'; did you mean 'random'? (known: "), Error);
  CHECK_THROWS_WITH_AS(registry.strategy("randon"), doctest::Contains("random"), Error);
  CHECK_THROWS_WITH_AS(registry.backend("hsl"), "unknown backend 'hsl'; did you mean 'hls'? (known: cpu, hls)", Error);
  Registry empty;
  CHECK_THROWS_WITH_AS(empty.backend("hls"),
                       "unknown backend 'hls'; no backend plugin is loaded (check the plugin folders)", Error);
}

TEST_CASE("the registry refuses a second factory for a name within one origin") {
  Registry registry;
  registry.add_task("t", [](const ConfigTable&) -> std::unique_ptr<Task> { return nullptr; });
  CHECK_THROWS_WITH_AS(registry.add_task("t", [](const ConfigTable&) -> std::unique_ptr<Task> { return nullptr; }),
                       "nac itself registers task 't', which nac itself already registered", Error);
}

TEST_CASE("a symbol nac_plugin that is not NAC_PLUGIN's alias is refused, not called") {
  Registry registry;
  PluginLoader loader(registry);
  const fs::path f = fs::canonical(fixture_path / "bad_entry_type" / "nac_fixture_bad_entry_type.so");
  CHECK_THROWS_WITH_AS(loader.load_file(f),
                       ("plugin " + f.string() +
                        ": its symbol 'nac_plugin' is not NAC_PLUGIN's entry point (declare it with NAC_PLUGIN(...))")
                           .c_str(),
                       Error);
  CHECK(loader.plugins().empty());
}

TEST_CASE("a factory that throws a std::exception or anything else: an error naming the task and where") {
  Registry registry;
  PluginLoader loader(registry);
  loader.load_directory(plugin_dir);
  loader.load_file(fixture_path / "throwing_factories" / "nac_fixture_throwing_factories.so");
  test::TempDir dir("factories");
  const fs::path f = dir.path() / "exp.toml";
  for (const auto& task_message :
       {std::pair<std::string, std::string>{"throws_std",
                                            "failed while it was made from its settings: the factory's own failure"},
        std::pair<std::string, std::string>{"throws_int",
                                            "threw a non-standard exception while it was made from its settings"}}) {
    const std::string& task = task_message.first;  // (no structured binding: CAPTURE is a lambda)
    const std::string& message = task_message.second;
    CAPTURE(task);
    test::write_file(f, "[task]\nname = \"" + task + "\"\n[strategy]\nname = \"random\"\n");
    CHECK_THROWS_WITH_AS(build_search(load_experiment(f), registry, 1),
                         (f.string() + ":2:8: task '" + task + "' " + message).c_str(), Error);
  }
}
