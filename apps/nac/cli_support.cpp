#include "cli_support.hpp"

#include <unistd.h>

#include <cstdio>

#include <toml++/toml.h>

#include "nac/error.hpp"
#include "nac/text.hpp"

namespace nac::cli {

namespace fs = std::filesystem;

void load_plugins(PluginLoader& loader, const CommonOptions& common, const std::vector<fs::path>& more) {
  std::vector<fs::path> dirs = default_plugin_dirs();
  for (const auto& d : common.plugin_dirs) dirs.emplace_back(d);
  dirs.insert(dirs.end(), more.begin(), more.end());
  for (const auto& d : dirs) loader.load_directory(d);
}

namespace {

// `key=value` to a TOML line; a value that is not TOML (a bare word) becomes a string.
std::string setting_line(const std::string& setting) {
  const auto eq = setting.find('=');
  if (eq == std::string::npos || eq == 0)
    throw Error("--set " + setting + ": expected key=value, e.g. --set train_samples=20000");
  const std::string key = setting.substr(0, eq), value = setting.substr(eq + 1);
  // One setting is one line of TOML: a newline would smuggle in a table of its own.
  if (key.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.") != std::string::npos)
    throw Error("--set " + setting + ": a key is letters, digits, '_', '-' and '.' (found '" + key + "')");
  if (value.find_first_of("\r\n") != std::string::npos)
    throw Error("--set " + key + "=...: the value holds a line break; a setting is one line");
  try {
    (void)toml::parse("x = " + value);
    return key + " = " + value + "\n";
  } catch (const toml::parse_error&) {
    std::string quoted = "\"";
    for (char c : value) quoted += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
    return key + " = " + quoted + "\"\n";
  }
}

}  // namespace

ConfigTable config_table(const TaskArgs& args, const std::string& key) {
  if (!args.config) return ConfigTable::empty(key);
  return root_table(parse_toml_file(*args.config), *args.config).table(key);
}

ConfigTable settings_table(const std::string& table, const std::vector<std::string>& lines) {
  std::string text = "[" + table + "]\n";
  for (const auto& s : lines) text += setting_line(s);
  return root_table(parse_toml_text(text, "<command line>"), "<command line>").table(table);
}

ConfigTable task_table(const TaskArgs& args) {
  if (args.config) {
    if (!args.settings.empty()) throw Error("--set cannot be combined with --config: put the settings in the file");
    return config_table(args, "task");
  }
  if (args.name.empty()) throw Error("name a task with --task NAME (or --config FILE.toml with a [task] table)");
  std::vector<std::string> lines{"name=\"" + args.name + "\""};
  lines.insert(lines.end(), args.settings.begin(), args.settings.end());
  return settings_table("task", lines);
}

std::unique_ptr<Task> make_task(const Registry& registry, const TaskArgs& args) {
  const ConfigTable t = task_table(args);
  std::string name = args.name;
  if (t.has("name")) {
    name = t.string("name", std::nullopt);
    if (!args.name.empty() && args.name != name)
      throw Error("--task " + args.name + " differs from the config file's task '" + name + "'");
  }
  t.allow("name");
  auto task = registry.task(name)(t);
  t.finish();
  return task;
}

std::string point_text(const std::vector<double>& p) {
  std::vector<std::string> parts;
  for (double v : p) parts.push_back(to_string(Value(v)));
  return "(" + join(parts) + ")";
}

std::string count_text(double v) {
  char b[32];
  if (v < 1e6) std::snprintf(b, sizeof b, "%.0f", v);
  else std::snprintf(b, sizeof b, "%.3g", v);
  return b;
}

bool stderr_is_terminal() { return isatty(STDERR_FILENO) != 0; }

}  // namespace nac::cli
