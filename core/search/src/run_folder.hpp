#pragma once
// The run folder's safety: one process at a time (a lock naming its holder), and the JSON Lines
// files read back the way a stopped run left them (a last line cut by a kill or a full disk is
// removed; anything else that does not parse is corruption and an error naming file:line).
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nac/error.hpp"
#include "nac/run/results_writer.hpp"

namespace nac::detail {

/// A whole file's bytes; nac::Error naming the file when it cannot be opened.
std::string read_text(const std::filesystem::path& file);

inline std::ofstream open_for_writing(const std::filesystem::path& file) {
  std::ofstream out(file, std::ios::out | std::ios::trunc);
  if (!out) throw WriteError(file.string() + ": cannot be written");
  return out;
}

// Replaces `file` at once with what `write` puts in FILE.tmp: a stop leaves the old or the new.
template <class Write>
void replace_file(const std::filesystem::path& file, Write&& write) {
  std::filesystem::path tmp = file;
  tmp += ".tmp";
  std::error_code ec;
  {
    std::ofstream out = open_for_writing(tmp);
    write(out);
    out.flush();
    if (!out) {
      out.close();
      std::filesystem::remove(tmp, ec);
      throw WriteError(tmp.string() + ": writing failed (disk full?)");
    }
  }
  std::filesystem::rename(tmp, file, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    throw WriteError(file.string() + ": cannot be replaced by " + tmp.string() + ": " + ec.message());
  }
}

/// Holds an exclusive lock on DIR/run.lock (flock: released by the kernel when the process ends,
/// however it ends) for as long as it lives. Creates the folder. Throws nac::Error naming the
/// holder (pid, host, since when) when another process has it. A file system without locks
/// (some network file systems) gets a warning and no lock.
class FolderLock {
 public:
  explicit FolderLock(const std::filesystem::path& dir);
  ~FolderLock();
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

 private:
  int fd_ = -1;
};

struct JsonLines {
  std::vector<std::string> text;     // each line as written, without its newline
  std::vector<nlohmann::json> json;  // the same lines parsed
};

/// Reads a JSON Lines file (none: no lines). A last line without its newline that does not parse
/// was cut when the run stopped: with `repair` the file is truncated to the lines before it and a
/// note says so. A complete line that does not parse throws nac::Error with file:line.
JsonLines read_json_lines(const std::filesystem::path& file, bool repair, std::vector<std::string>* notes);

/// What a resumed run starts from.
struct ResumedTrials {
  std::vector<TrialRecord> told;                  // the trials told, in the order they were told
  std::vector<std::string> told_lines;            // their trials.jsonl lines
  std::map<std::uint64_t, TrialRecord> finished;  // finished after the saved state: reused when asked again
  std::vector<std::string> notes;                 // what was repaired, for the terminal
};

/// Reconciles trials.jsonl and journal.jsonl with the saved state: the told trials are those of
/// the `asked` that are not `pending`. Other trials.jsonl lines (a stop between writing a trial
/// and the state) become reusable finished trials, told trials missing from trials.jsonl are
/// taken from the journal, and cut last lines are removed. Throws nac::Error when a told trial
/// is in neither file, or trials.jsonl holds a trial twice.
ResumedTrials resume_trials(const std::filesystem::path& dir, std::uint64_t asked,
                            const std::map<std::uint64_t, Trial>& pending, const ResultsWriter& writer);

}  // namespace nac::detail
