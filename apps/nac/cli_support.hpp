#pragma once
// Shared pieces of the subcommands: plugin loading, tasks from command-line arguments, output.
#include <memory>

#include "commands.hpp"
#include "nac/config.hpp"
#include "nac/dataset_task.hpp"
#include "nac/task.hpp"
#include "nac/run/plugin_loader.hpp"

namespace nac::cli {

/// Loads the default plugin folders, then --plugin-dir, then `more`.
void load_plugins(PluginLoader& loader, const CommonOptions& common,
                  const std::vector<std::filesystem::path>& more = {});

/// The task's table: `--config FILE`'s [task] (with `name` there or from --task), or a table made
/// of `--task NAME` and each `--set key=value` (values in TOML syntax; bare words are strings).
ConfigTable task_table(const TaskArgs& args);
/// A table [NAME] made of `key=value` settings (values in TOML syntax; bare words are strings).
ConfigTable settings_table(const std::string& table, const std::vector<std::string>& settings);
/// A table of `--config FILE` (empty when there is no config file or no such table).
ConfigTable config_table(const TaskArgs& args, const std::string& key);

/// Makes the task and checks its table (unknown keys are errors).
std::unique_ptr<Task> make_task(const Registry& registry, const TaskArgs& args);

/// "(1.1, 1.1)"
std::string point_text(const std::vector<double>& p);
/// A count of parameters, MACs or BOPs: whole below a million, else 3 significant digits.
std::string count_text(double v);
/// True when stderr is a terminal.
bool stderr_is_terminal();

}  // namespace nac::cli
