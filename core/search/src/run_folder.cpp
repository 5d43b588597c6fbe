#include "run_folder.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include "nac/error.hpp"

namespace nac::detail {

namespace fs = std::filesystem;

namespace {

std::string holder_text() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) std::strcpy(host, "?");
  const std::time_t now = std::time(nullptr);
  char when[64] = {};
  std::tm tm{};
  if (gmtime_r(&now, &tm)) std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return "pid " + std::to_string(getpid()) + " on " + host + ", since " + when;
}

}  // namespace

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(file.string() + ": cannot be read");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

FolderLock::FolderLock(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error("output folder " + dir.string() + ": cannot be created: " + ec.message());
  const fs::path file = dir / "run.lock";
  fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error(file.string() + ": cannot be opened to lock the folder: " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd_);
    fd_ = -1;
    if (err == ENOLCK || err == EOPNOTSUPP || err == ENOSYS) {  // (some network file systems)
      std::fprintf(stderr,
                   "warning: %s: this file system cannot lock the folder (%s); make sure no other nac process "
                   "works in it\n",
                   file.c_str(), std::strerror(err));
      return;
    }
    if (err != EWOULDBLOCK) throw Error(file.string() + ": cannot lock the folder: " + std::strerror(err));
    std::string holder;  // who holds it, as far as its note can be read
    try {
      holder = read_text(file);
    } catch (const Error&) {
    }
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == '\0')) holder.pop_back();
    throw Error("output folder " + dir.string() + " is in use by another nac process (" +
                (holder.empty() ? std::string("it is starting") : holder) +
                "); wait for it to end or stop it, then run again");
  }
  const std::string me = holder_text() + "\n";
  if (::ftruncate(fd_, 0) == 0 && ::pwrite(fd_, me.data(), me.size(), 0) < 0) {
    // the lock holds without the note of who holds it
  }
}

FolderLock::~FolderLock() {
  if (fd_ >= 0) {
    if (::ftruncate(fd_, 0) != 0) {
      // an unreadable note is harmless: the kernel releases the lock with the descriptor
    }
    ::close(fd_);
  }
}

JsonLines read_json_lines(const fs::path& file, bool repair, std::vector<std::string>* notes) {
  JsonLines out;
  std::error_code ec;
  if (!fs::exists(file, ec)) return out;
  const std::string bytes = read_text(file);
  std::size_t pos = 0, line_no = 0;
  while (pos < bytes.size()) {
    ++line_no;
    const std::size_t end = bytes.find('\n', pos);
    const bool complete = end != std::string::npos;
    std::string line = bytes.substr(pos, complete ? end - pos : std::string::npos);
    const std::size_t start = pos;
    pos = complete ? end + 1 : bytes.size();
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
      if (!complete) {  // cut by a stop: the last bytes written
        if (repair) {
          fs::resize_file(file, start, ec);
          if (ec) throw Error(file.string() + ": cannot remove its cut last line: " + ec.message());
          if (notes)
            notes->push_back(file.filename().string() + ": removed a cut last line (" +
                             std::to_string(bytes.size() - start) + " bytes) that the stopped run left");
        }
        break;
      }
      throw Error(file.string() + ":" + std::to_string(line_no) +
                  ": not a JSON line; the file is corrupt (a line cut by a stopped run can only be the last)");
    }
    out.text.push_back(std::move(line));
    out.json.push_back(std::move(j));
  }
  return out;
}

ResumedTrials resume_trials(const fs::path& dir, std::uint64_t asked, const std::map<std::uint64_t, Trial>& pending,
                            const ResultsWriter& writer) {
  ResumedTrials r;
  const JsonLines trials = read_json_lines(dir / "trials.jsonl", false, &r.notes);  // rewritten by the caller
  const JsonLines journal = read_json_lines(dir / "journal.jsonl", true, &r.notes);
  auto record = [&](const nlohmann::json& j, const fs::path& file, std::size_t line) {
    try {
      return writer.from_json(j);
    } catch (const std::exception& e) {  // nlohmann's type and key errors, nac::Error of a value
      throw Error((dir / file).string() + ":" + std::to_string(line + 1) + ": not a trial record: " + e.what());
    }
  };
  auto told_by_state = [&](std::uint64_t id) { return id < asked && !pending.count(id); };
  std::map<std::uint64_t, std::pair<TrialRecord, std::string>> journaled;  // the last record of each id
  for (std::size_t i = 0; i < journal.json.size(); ++i) {
    TrialRecord t = record(journal.json[i], "journal.jsonl", i);
    const std::uint64_t id = t.id;
    journaled.insert_or_assign(id, std::make_pair(std::move(t), journal.text[i]));
  }
  std::map<std::uint64_t, std::size_t> line_of;  // trials.jsonl: the line of each trial
  std::size_t ahead = 0;
  for (std::size_t i = 0; i < trials.json.size(); ++i) {
    TrialRecord t = record(trials.json[i], "trials.jsonl", i);
    if (const auto [it, fresh] = line_of.emplace(t.id, i); !fresh)
      throw Error((dir / "trials.jsonl").string() + ":" + std::to_string(i + 1) + ": holds trial " +
                  std::to_string(t.id) + " again (also on line " + std::to_string(it->second + 1) +
                  "); the file is corrupt");
    if (told_by_state(t.id)) {
      r.told.push_back(std::move(t));
      r.told_lines.push_back(trials.text[i]);
    } else {
      ++ahead;
      r.finished.insert_or_assign(t.id, std::move(t));
    }
  }
  std::size_t from_journal = 0;
  for (std::uint64_t id = 0; id < asked; ++id) {
    if (!told_by_state(id) || line_of.count(id)) continue;
    const auto it = journaled.find(id);
    if (it == journaled.end())
      throw Error(dir.string() + ": cannot resume: state.json has told trial " + std::to_string(id) +
                  ", but it is in neither trials.jsonl nor journal.jsonl");
    r.told.push_back(it->second.first);
    r.told_lines.push_back(it->second.second);
    ++from_journal;
  }
  for (auto& [id, t] : journaled)
    if (!told_by_state(id) && !r.finished.count(id)) r.finished.emplace(id, std::move(t.first));
  const std::size_t told = r.told.size();
  if (ahead)
    r.notes.push_back("trials.jsonl held " + std::to_string(told - from_journal + ahead) + " trials and state.json " +
                      std::to_string(told) + " (the run stopped between the two): the " + std::to_string(ahead) +
                      " trials after the saved state are reused when the search asks for them again");
  if (from_journal)
    r.notes.push_back("trials.jsonl lacked " + std::to_string(from_journal) +
                      " trials that state.json has told: taken from journal.jsonl");
  return r;
}

}  // namespace nac::detail
