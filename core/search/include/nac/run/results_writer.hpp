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
  /// then the trial files are appended to.
  /// `constraint_names` describe the search's constraints (e.g. "error <= constant_error"):
  /// the trial files then get each one's violation and a column `feasible`.
  ResultsWriter(std::filesystem::path dir, const SearchSpace& space, std::vector<std::string> objective_names,
                std::vector<std::string> metric_names, bool resume = false,
                std::vector<std::string> constraint_names = {});

  /// The trial files, in trial order.
  void append(const TrialRecord& record);
  /// journal.jsonl: a trial the moment it finishes (any order; what a resumed run reuses).
  void journal(const TrialRecord& record);
  /// state.json: the strategy's state after the trials told so far (atomic replace).
  void write_state(const nlohmann::json& state);
  /// The JSON line of a record, and back.
  nlohmann::ordered_json to_json(const TrialRecord& r) const;
  TrialRecord from_json(const nlohmann::json& j) const;
  void write_front(const std::vector<TrialRecord>& trials, const std::vector<std::size_t>& front);
  void write_summary(const std::string& experiment, const RunSummary& summary,
                     const std::vector<double>& reference_point);

 private:
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
