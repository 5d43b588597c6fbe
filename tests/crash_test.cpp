// A plugin that crashes the process is named in nac's last words; Ctrl-C and SIGTERM say how to
// continue the run.
#include <doctest/doctest.h>

#include <string>

#include "test_support.hpp"

using nac::test::run_command;
using nac::test::run_nac;
using nac::test::TempDir;
namespace fs = std::filesystem;

namespace {
using nac::test::fixtures;
using nac::test::q;
}  // namespace

TEST_CASE(
    "a plugin that reads through an invalid pointer in a worker: the last words name the trial, the task and its "
    "library") {
  TempDir dir("crash");
  nac::test::write_file(dir.path() / "exp.toml", "plugin_dirs = ['" + fixtures +
                                                     "/crashing']\n[task]\nname = \"crashing\"\n[strategy]\nname = "
                                                     "\"random\"\n[search]\ntrials = 4\nworkers = 2\n");
  const auto r = run_nac("run " + q(dir.path() / "exp.toml") + " --out " + q(dir.path() / "out") + " --quiet");
  CAPTURE(r.err);
  CHECK(r.exit_code != 0);
  CHECK(r.err.find("nac: fatal: signal SIGSEGV (invalid memory access) while evaluating trial ") != std::string::npos);
  CHECK(r.err.find(" in task 'crashing' of plugin crashing (" + fs::weakly_canonical(fixtures).string() +
                   "/crashing/nac_fixture_crashing.so) (or in an objective)") != std::string::npos);
}

TEST_CASE("a plugin whose static initialiser throws: the last words name the library being loaded") {
  const auto r = run_nac("plugins --plugin-dir " + q(fixtures + "/throwing_initialiser"));
  CAPTURE(r.err);
  CHECK(r.exit_code != 0);
  // The exception leaves through dlopen, C code: whether the unwinder gets past it to the loader's
  // catch depends on the build (it does with the loader at -O2, not at -O3). Either way one clear
  // line names the library: the loader's error, or the last words of std::terminate.
  const std::string lib =
      fs::weakly_canonical(fixtures).string() + "/throwing_initialiser/nac_fixture_throwing_initialiser.so";
  const bool caught = r.err.find("nac: error: plugin " + lib + ": cannot be loaded: a static initialiser's failure") !=
                      std::string::npos;
  const bool last_words = r.err.find(
                              "nac: fatal: an exception that nothing caught: a static initialiser's failure "
                              "while loading plugin library " +
                              lib) != std::string::npos;
  CHECK((caught || last_words));
}

TEST_CASE("Ctrl-C and SIGTERM end a run saying the folder keeps its trials and how to resume it") {
  TempDir dir("interrupt");
  nac::test::write_file(dir.path() / "exp.toml",
                        "[task]\nname = \"test_functions\"\nproblem = \"zdt1\"\n[strategy]\nname = \"nsga2\"\n"
                        "population = 8\n[search]\ntrials = 100000000\nbatch = 8\nworkers = 1\n");
  for (const std::string sig : {"INT", "TERM"}) {
    const fs::path out = dir.path() / ("out_" + sig);
    // (env --default-signal: a background job of a shell without job control ignores SIGINT.) The
    // signal goes once the run has started (its trials.jsonl exists, the handlers are in place):
    // a fixed sleep lost the race on a loaded machine under the sanitizers.
    const std::string started =
        "for i in $(seq 600); do [ -e " + q(out / "trials.jsonl") + " ] && break; sleep 0.05; done; ";
    const auto r = run_command("( env --default-signal=INT '" + std::string(NAC_EXE) + "' run " +
                               q(dir.path() / "exp.toml") + " --out " + q(out) + " --quiet & pid=$!; " + started +
                               "sleep 0.2; kill -" + sig + " $pid; wait $pid; true )");
    CAPTURE(r.err);
    CHECK(r.err.find(std::string(sig == "INT" ? "nac: interrupted (SIGINT)" : "nac: stopped (SIGTERM)") +
                     ": every finished trial is kept in " + out.string() +
                     "; continue the run with: nac run --resume " + out.string()) != std::string::npos);
    // And it does continue.
    const std::string journal_lines = "$(wc -l < " + q(out / "journal.jsonl") + ")";
    const auto again =
        run_command("( n=" + journal_lines + "; '" + std::string(NAC_EXE) + "' run --resume " + q(out) +
                    " --quiet & pid=$!; for i in $(seq 600); do [ " + journal_lines +
                    " -gt $n ] && break; sleep 0.05; done; sleep 0.2; kill -TERM $pid; wait $pid; true )");
    CHECK(again.err.find("nac: stopped (SIGTERM)") != std::string::npos);
  }
}
