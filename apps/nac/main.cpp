// nac: neural architecture codesign for fast physics. The command line.
//
// Exit codes: 0 success; 1 a user error (bad experiment file, plugin, data), with one message on
// stderr; 2 a command-line usage error; 3 an unexpected internal error.
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "nac/error.hpp"

int main(int argc, char** argv) {
  CLI::App app{"nac: neural architecture codesign for fast physics"};
  app.set_version_flag("--version", std::string("nac ") + NAC_VERSION);
  app.require_subcommand(1);
  nac::cli::CommonOptions common;
  app.add_option("--plugin-dir", common.plugin_dirs,
                 "extra folder of plugin libraries (nac_*.so); may be repeated")
      ->type_name("DIR");
  app.fallthrough();

  nac::cli::RunArgs run_args;
  CLI::App* run = app.add_subcommand("run", "run an experiment: search, evaluate, write results");
  run->add_option("experiment", run_args.experiment, "experiment file (TOML)")->required()->type_name("EXPERIMENT.toml");
  run->add_option("--out", run_args.out, "output folder (default: the experiment's `output`, else results/NAME)")
      ->type_name("DIR");
  run->add_option("--seed", run_args.seed, "random seed (overrides the experiment's `seed`)")->type_name("N");
  run->add_flag("--quiet,-q", run_args.quiet, "no progress line");

  std::string validate_file;
  CLI::App* validate = app.add_subcommand("validate", "check an experiment file and the plugins it names");
  validate->add_option("experiment", validate_file, "experiment file (TOML)")->required()->type_name("EXPERIMENT.toml");

  CLI::App* plugins = app.add_subcommand("plugins", "list every plugin found: kind, name, version, file");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  try {
    if (*run) return nac::cli::run(common, run_args);
    if (*validate) return nac::cli::validate(common, validate_file);
    if (*plugins) return nac::cli::plugins(common);
  } catch (const nac::Error& e) {
    std::fprintf(stderr, "nac: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nac: internal error: %s\n", e.what());
    return 3;
  }
  return 2;
}
