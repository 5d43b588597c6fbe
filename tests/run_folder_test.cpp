// The run folder under faults: a stop between the trial files and the state, cut last lines, a
// trials.csv out of step, two processes on one folder, a full disk, and kill -9 at many points.
// Each is followed by --resume and compared with a run that was never interrupted.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <filesystem>
#include <functional>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "nac/error.hpp"
#include "nac/registry.hpp"
#include "nac/run/experiment.hpp"
#include "nac/run/runner.hpp"
#include "test_support.hpp"

using namespace nac;
using nac::test::TempDir;
namespace fs = std::filesystem;

namespace {

const char* kZdt1 = R"(name = "folder"
seed = 3
[task]
name = "test_functions"
problem = "zdt1"
variables = 6
[strategy]
name = "nsga2"
population = 8
[search]
trials = 96
batch = 8
workers = 2
)";

std::string with_trials(int n) {
  std::string s = kZdt1;
  return s.replace(s.find("trials = 96"), 11, "trials = " + std::to_string(n));
}

using nac::test::q;

struct Fixture {
  TempDir dir{"run_folder"};
  fs::path file;
  Experiment ex;
  explicit Fixture(const std::string& text = kZdt1) {
    file = dir.path() / "exp.toml";
    test::write_file(file, text);
    ex = load_experiment(file);
  }
  RunSummary run(const std::string& out, bool resume, std::size_t stop = 0) const {
    SearchSetup setup = build_search(ex, test::build_plugins(), ex.seed);
    RunOptions o{dir.path() / out, false, resume, stop};
    return run_search(ex, setup, o);
  }
  fs::path operator/(const std::string& name) const { return dir.path() / name; }
};

std::vector<std::string> lines_of(const fs::path& file) {
  std::ifstream in(file);
  std::vector<std::string> v;
  for (std::string l; std::getline(in, l);) v.push_back(l);
  return v;
}

void write_lines(const fs::path& file, const std::vector<std::string>& lines) {
  std::ofstream out(file, std::ios::trunc);
  for (const auto& l : lines) out << l << '\n';
}

void append_bytes(const fs::path& file, const std::string& bytes) {
  std::ofstream out(file, std::ios::app | std::ios::binary);
  out << bytes;
}

using nac::test::error_of;
using nac::test::told_trials;

}  // namespace

TEST_CASE("a stop between trials.jsonl and state.json resumes - the trials after the state are reused") {
  Fixture f;
  f.run("ref", false);
  f.run("cut", false, 32);
  const std::string state32 = test::read_file(f / "cut/state.json");
  f.run("cut", true, 8);                            // a batch more in the trial files...
  test::write_file(f / "cut/state.json", state32);  // ...and the state of before it: a kill in between
  REQUIRE(lines_of(f / "cut/trials.jsonl").size() == 40);
  const RunSummary s = f.run("cut", true);
  CHECK(s.trials.size() == 96);
  CHECK(told_trials(f / "cut") == told_trials(f / "ref"));
  CHECK(lines_of(f / "cut/trials.csv").size() == 97);
  CHECK(lines_of(f / "cut/journal.jsonl").size() == 96);  // the 8 reused trials were not run again
}

TEST_CASE("told trials missing from trials.jsonl are taken from the journal - lost from both is an error") {
  Fixture f;
  f.run("ref", false);
  f.run("short", false, 40);
  auto lines = lines_of(f / "short/trials.jsonl");
  lines.resize(20);
  write_lines(f / "short/trials.jsonl", lines);
  f.run("short", true);
  CHECK(told_trials(f / "short") == told_trials(f / "ref"));

  f.run("lost", false, 40);
  lines = lines_of(f / "lost/trials.jsonl");
  lines.resize(5);
  write_lines(f / "lost/trials.jsonl", lines);
  auto journal = lines_of(f / "lost/journal.jsonl");
  std::erase_if(journal, [](const std::string& l) { return nlohmann::json::parse(l)["trial"] == 5; });
  write_lines(f / "lost/journal.jsonl", journal);
  CHECK(error_of([&] { f.run("lost", true); }) ==
        (f / "lost").string() +
            ": cannot resume: state.json has told trial 5, but it is in neither trials.jsonl nor journal.jsonl");
}

TEST_CASE("cut last lines of trials.jsonl and journal.jsonl are removed before the resume appends") {
  Fixture f;
  f.run("ref", false);
  f.run("cut", false, 32);
  append_bytes(f / "cut/trials.jsonl", R"({"trial": 32, "status": "comp)");
  append_bytes(f / "cut/journal.jsonl", R"({"trial": 33, "par)");
  f.run("cut", true);
  CHECK(told_trials(f / "cut") == told_trials(f / "ref"));
  CHECK(test::read_json_lines(f / "cut/journal.jsonl").size() == 96);  // every line parses
  CHECK_NOTHROW(f.run("cut", true));                                   // and the folder resumes again

  // A line that does not parse before the last is corruption, named by file and line.
  f.run("bad", false, 32);
  auto journal = lines_of(f / "bad/journal.jsonl");
  journal[2] = "{\"trial\": 2, \"sta";
  write_lines(f / "bad/journal.jsonl", journal);
  CHECK(error_of([&] { f.run("bad", true); }) ==
        (f / "bad/journal.jsonl").string() +
            ":3: not a JSON line; the file is corrupt (a line cut by a stopped run can only be the last)");
}

TEST_CASE("trials.csv is remade from the told trials on resume - a row ahead or the whole file missing") {
  Fixture f;
  f.run("ref", false);
  const auto ref = lines_of(f / "ref/trials.csv");
  auto ids = [](const std::vector<std::string>& csv) {
    std::vector<std::string> v;
    for (std::size_t i = 1; i < csv.size(); ++i) v.push_back(csv[i].substr(0, csv[i].find(',')));
    return v;
  };
  f.run("ahead", false, 32);
  append_bytes(f / "ahead/trials.csv", lines_of(f / "ahead/trials.csv").back() + "\n");  // the row of a killed tell
  f.run("ahead", true);
  const auto ahead = lines_of(f / "ahead/trials.csv");
  CHECK(ahead.front() == ref.front());
  CHECK(ids(ahead) == ids(ref));  // 0..95, each once

  f.run("missing", false, 32);
  fs::remove(f / "missing/trials.csv");
  f.run("missing", true);
  const auto missing = lines_of(f / "missing/trials.csv");
  CHECK(missing.front() == ref.front());  // with its header
  CHECK(ids(missing) == ids(ref));
}

TEST_CASE("a folder locked by another process is refused, naming the holder") {
  Fixture f;
  fs::create_directories(f / "held");
  const int fd = ::open((f / "held/run.lock").c_str(), O_RDWR | O_CREAT, 0644);
  REQUIRE(fd >= 0);
  REQUIRE(::flock(fd, LOCK_EX | LOCK_NB) == 0);
  const std::string holder = "pid 4242 on testhost, since 2026-12-02 10:00:00 UTC\n";
  REQUIRE(::write(fd, holder.data(), holder.size()) == static_cast<ssize_t>(holder.size()));
  CHECK(error_of([&] { f.run("held", false); }) ==
        "output folder " + (f / "held").string() +
            " is in use by another nac process (pid 4242 on testhost, since 2026-12-02 10:00:00 UTC); wait for it to "
            "end or stop it, then run again");
  CHECK_FALSE(fs::exists(f / "held/state.json"));  // nothing was touched
  ::close(fd);
  CHECK(f.run("held", false).trials.size() == 96);  // released: the folder takes the run

  // From the command line, with util-linux's flock holding the lock.
  f.run("cli", false, 16);
  const auto r = test::run_command("flock " + q(f / "cli/run.lock") + " '" + NAC_EXE + "' run --resume " +
                                   q(f / "cli") + " --quiet");
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("is in use by another nac process (") != std::string::npos);
}

TEST_CASE("two runs into one new folder at once: one runs, the other is refused, the files stay whole") {
  Fixture f;
  f.run("ref", false);
  for (int attempt = 0; attempt < 4; ++attempt) {
    const std::string out = "both" + std::to_string(attempt);
    std::string errors[2];
    std::thread a([&] { errors[0] = error_of([&] { f.run(out, false); }); });
    std::thread b([&] { errors[1] = error_of([&] { f.run(out, false); }); });
    a.join();
    b.join();
    CAPTURE(errors[0]);
    CAPTURE(errors[1]);
    CHECK((errors[0] == "no error") != (errors[1] == "no error"));
    const std::string& refused = errors[0] == "no error" ? errors[1] : errors[0];
    CHECK((refused.find("is in use by another nac process") != std::string::npos ||
           refused.find("already holds the results of a run") != std::string::npos));
    CHECK(told_trials(f / out) == told_trials(f / "ref"));
  }
}

TEST_CASE("a full disk stops a parallel search with a clear error - the folder resumes elsewhere") {
  if (::getuid() != 0) {
    MESSAGE("skipped: mounting a small tmpfs needs root");
    return;
  }
  Fixture f(with_trials(1200));
  const fs::path small = f / "small";
  fs::create_directories(small);
  if (test::run_command("mount -t tmpfs -o size=512k tmpfs " + q(small)).exit_code != 0) {
    MESSAGE("skipped: this machine does not let the test mount a tmpfs");
    return;
  }
  struct Unmount {
    fs::path p;
    ~Unmount() { test::run_command("umount " + q(p)); }
  } unmount{small};
  const auto full = test::run_nac("run " + q(f.file) + " --out " + q(small / "out") + " --quiet");
  CAPTURE(full.err);
  CHECK(full.exit_code == 1);
  CHECK(full.err.find("disk full?)") != std::string::npos);
  CHECK(full.err.find("continue it with nac run --resume " + (small / "out").string()) != std::string::npos);
  CHECK(full.err.find("terminate") == std::string::npos);
  REQUIRE(test::run_command("cp -a " + q(small / "out") + " " + q(f / "moved")).exit_code == 0);
  CHECK(test::run_nac("run --resume " + q(f / "moved") + " --quiet").exit_code == 0);
  f.run("ref", false);
  CHECK(told_trials(f / "moved") == told_trials(f / "ref"));
  for (const auto& e : fs::directory_iterator(f / "moved")) CHECK(e.path().extension() != ".tmp");
}

TEST_CASE("kill -9 at many points of a search, each followed by --resume, loses no trial") {
  Fixture f(with_trials(1500));
  const fs::path out = f / "killed";
  int kills = 0;
  // Seconds from each start to its kill (a whole run takes about a quarter of a second in a release
  // build, several in the sanitizer build).
  const char* sleeps[] = {"0.03",  "0.05",  "0.07",  "0.04",  "0.06",  "0.08",
                          "0.035", "0.055", "0.075", "0.045", "0.065", "0.085"};
  for (const char* sleep : sleeps) {
    const bool started = fs::exists(out / "experiment.toml");
    const std::string args = started ? "run --resume " + q(out) : "run " + q(f.file) + " --out " + q(out);
    const auto r =
        test::run_command("( '" + std::string(NAC_EXE) + "' " + args + " --quiet & pid=$!; sleep " +
                          std::string(sleep) + "; kill -9 $pid 2>/dev/null && echo killed; wait $pid; true )");
    kills += r.out.find("killed") != std::string::npos;
  }
  MESSAGE("killed " << kills << " of 12 runs before they ended");
  const bool started = fs::exists(out / "experiment.toml");
  const auto last = test::run_nac(started ? "run --resume " + q(out) + " --quiet"
                                          : "run " + q(f.file) + " --out " + q(out) + " --quiet");
  CAPTURE(last.err);
  REQUIRE(last.exit_code == 0);
  REQUIRE(test::run_nac("run " + q(f.file) + " --out " + q(f / "ref") + " --quiet").exit_code == 0);
  CHECK(told_trials(out) == told_trials(f / "ref"));
  CHECK(lines_of(out / "trials.csv").size() == 1501);
}

TEST_CASE("a saved strategy state with a float id or the wrong number of objective values is refused") {
  for (const std::string strategy : {"nsga2", "tpe"}) {
    std::string text = kZdt1;
    if (strategy == "tpe") text.replace(text.find("name = \"nsga2\"\npopulation = 8"), 29, "name = \"tpe\"");
    Fixture f(text);
    f.run("cut", false, 40);
    const fs::path state_file = f / "cut/state.json";
    const nlohmann::json state = nlohmann::json::parse(test::read_file(state_file));
    const char* members = strategy == "nsga2" ? "parents" : "history";
    REQUIRE(!state["strategy"]["own"][members].empty());
    auto edited = [&](const std::function<void(nlohmann::json&)>& edit) {
      nlohmann::json s = state;
      edit(s["strategy"]["own"][members][0]);
      test::write_file(state_file, s.dump());
      return error_of([&] { f.run("cut", true); });
    };
    CAPTURE(strategy);
    CHECK(edited([](nlohmann::json& m) { m["id"] = 1e30; }) ==
          state_file.string() + ": the strategy's saved state: expected an integer >= 0, found 1e+30");
    CHECK(edited([](nlohmann::json& m) {
            m["failed"] = false;
            m["values"] = {0.5};
          }) == state_file.string() + ": the strategy's saved state: " + strategy +
                    ": the saved state holds 1 objective values for a trial of a search of 2");
  }
}

TEST_CASE("--resume of a folder stopped before its first trial says to start again - a stray folder is not a run") {
  Fixture f;
  f.run("early", false, 8);
  fs::remove(f / "early/experiment.toml");  // as a stop right after state.json leaves it
  for (const char* name : {"trials.jsonl", "trials.csv", "journal.jsonl"}) fs::remove(f / "early" / name);
  auto r = test::run_nac("run --resume " + q(f / "early"));
  CHECK(r.exit_code == 1);
  CHECK(r.err == "nac: error: " + (f / "early").string() +
                     ": the run stopped before its first trial (it holds no experiment.toml yet): start it again "
                     "with nac run EXPERIMENT --out " +
                     (f / "early").string() + "\n");
  CHECK(f.run("early", false).trials.size() == 96);  // and a new run takes the folder
  fs::create_directories(f / "stray");
  r = test::run_nac("run --resume " + q(f / "stray"));
  CHECK(r.err == "nac: error: " + (f / "stray").string() + ": not a nac run folder (no experiment.toml)\n");
}
