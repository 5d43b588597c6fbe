#pragma once
// Writes a search's results as it goes: trials.csv and trials.jsonl get one line per finished
// trial, flushed at once, so nothing finished is lost if the process dies; front.csv and
// summary.json are written at the end.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nac/run/runner.hpp"
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac {

class ResultsWriter {
 public:
  /// Creates the folder. Throws nac::Error if it already holds a trials file, unless `resume`:
  /// then the trial files are appended to. A file that cannot be written throws nac::WriteError.
  /// `constraint_names` describe the search's constraints (e.g. "error <= constant_error"):
  /// the trial files then get each one's violation and a column `feasible`.
  ResultsWriter(std::filesystem::path dir, const SearchSpace& space, std::vector<std::string> objective_names,
                std::vector<std::string> metric_names, bool resume = false,
                std::vector<std::string> constraint_names = {});

  /// Throws nac::Error if DIR already holds the results of a run (what a new run must not take).
  static void check_unused(const std::filesystem::path& dir);
  /// The trial files, in trial order.
  void append(const TrialRecord& record);
  /// journal.jsonl: a trial the moment it finishes (any order; what a resumed run reuses).
  void journal(const TrialRecord& record);
  /// DIR/state.json: the strategy's state after the trials told so far (atomic replace).
  static void write_state(const std::filesystem::path& dir, const nlohmann::json& state);
  /// On resume: replaces trials.jsonl with `lines` and trials.csv with its header and `records`
  /// (each file at once, through FILE.tmp), then appends to them.
  void rewrite_trials(const std::vector<std::string>& lines, const std::vector<TrialRecord>& records);
  /// The JSON line of a record, and back.
  nlohmann::ordered_json to_json(const TrialRecord& r) const;
  TrialRecord from_json(const nlohmann::json& j) const;
  void write_front(const std::vector<TrialRecord>& trials, const std::vector<std::size_t>& front);
  /// `seed_names`: the names of the first trials (the seeds); `directions`: "minimize" or
  /// "maximize" per objective (for reports that read the folder).
  void write_summary(const std::string& experiment, const RunSummary& summary,
                     const std::vector<double>& reference_point, const std::vector<std::string>& seed_names = {},
                     const std::vector<std::string>& directions = {});

 private:
  void open_for_appending();
  std::string csv_header() const;
  void write_csv_row(std::ofstream& out, const TrialRecord& r);

  std::filesystem::path dir_;
  std::vector<std::string> params_;
  std::vector<std::string> objectives_;
  std::vector<std::string> metrics_;
  std::vector<std::string> constraints_;
  std::ofstream csv_;
  std::ofstream jsonl_;
  std::ofstream journal_;
};

}  // namespace nac
NAC_PUBLIC_END
