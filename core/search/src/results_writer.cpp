#include "nac/run/results_writer.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

#include "nac/error.hpp"
#include "nac/text.hpp"
#include "nac/detail/value_json.hpp"
#include "run_folder.hpp"

namespace nac {

namespace fs = std::filesystem;

namespace {

using detail::json_value;
using detail::open_for_writing;
using detail::replace_file;
using detail::value_json;

std::string number(double v) { return std::isfinite(v) ? to_string(Value(v)) : std::string(); }

}  // namespace

ResultsWriter::ResultsWriter(fs::path dir, const SearchSpace& space, std::vector<std::string> objective_names,
                             std::vector<std::string> metric_names, bool resume,
                             std::vector<std::string> constraint_names)
    : dir_(std::move(dir)),
      objectives_(std::move(objective_names)),
      metrics_(std::move(metric_names)),
      constraints_(std::move(constraint_names)) {
  if (!resume) check_unused(dir_);
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) throw Error("output folder " + dir_.string() + ": cannot be created: " + ec.message());
  for (const auto& p : space.parameters()) params_.push_back(p.name());
  if (resume) {
    open_for_appending();
    return;
  }
  csv_ = open_for_writing(dir_ / "trials.csv");
  jsonl_ = open_for_writing(dir_ / "trials.jsonl");
  journal_ = open_for_writing(dir_ / "journal.jsonl");
  csv_ << csv_header() << '\n' << std::flush;
}

void ResultsWriter::check_unused(const fs::path& dir) {
  std::error_code ec;
  if (fs::exists(dir / "trials.jsonl", ec))
    throw Error("output folder " + dir.string() +
                " already holds the results of a run (trials.jsonl); continue it with --resume, choose another "
                "folder with --out, or remove it");
}

void ResultsWriter::open_for_appending() {
  for (auto* f : {&csv_, &jsonl_, &journal_})
    if (f->is_open()) f->close();
  csv_.open(dir_ / "trials.csv", std::ios::app);
  jsonl_.open(dir_ / "trials.jsonl", std::ios::app);
  journal_.open(dir_ / "journal.jsonl", std::ios::app);
  if (!csv_ || !jsonl_ || !journal_) throw WriteError(dir_.string() + ": cannot append to the trial files");
}

void ResultsWriter::rewrite_trials(const std::vector<std::string>& lines, const std::vector<TrialRecord>& records) {
  csv_.close();
  jsonl_.close();
  replace_file(dir_ / "trials.jsonl", [&](std::ofstream& out) {
    for (const auto& l : lines) out << l << '\n';
  });
  replace_file(dir_ / "trials.csv", [&](std::ofstream& out) {
    out << csv_header() << '\n';
    for (const auto& r : records) write_csv_row(out, r);
  });
  open_for_appending();
}

std::string ResultsWriter::csv_header() const {
  std::vector<std::string> header{"trial", "status"};
  header.insert(header.end(), params_.begin(), params_.end());
  header.insert(header.end(), objectives_.begin(), objectives_.end());
  for (const auto& c : constraints_) header.push_back("violation: " + c);
  if (!constraints_.empty()) header.push_back("feasible");
  header.push_back("seconds");
  header.push_back("message");
  for (auto& h : header) h = csv_escape(h);
  return join(header, ",");
}

void ResultsWriter::write_csv_row(std::ofstream& out, const TrialRecord& r) {
  std::vector<std::string> row{std::to_string(r.id), to_string(r.status)};
  for (const auto& p : params_) row.push_back(r.params.has(p) ? csv_escape(to_string(r.params.at(p))) : "");
  for (std::size_t i = 0; i < objectives_.size(); ++i)
    row.push_back(i < r.objectives.size() ? number(r.objectives[i]) : "");
  for (std::size_t i = 0; i < constraints_.size(); ++i)
    row.push_back(i < r.constraints.size() ? number(r.constraints[i]) : "");
  if (!constraints_.empty()) row.push_back(r.status == TrialStatus::Complete ? (r.feasible() ? "1" : "0") : "");
  row.push_back(number(r.seconds));
  row.push_back(csv_escape(r.message));
  out << join(row, ",") << '\n';
}

void ResultsWriter::append(const TrialRecord& r) {
  write_csv_row(csv_, r);
  csv_.flush();
  jsonl_ << to_json(r).dump() << '\n' << std::flush;
  if (!csv_ || !jsonl_)
    throw WriteError("output folder " + dir_.string() + ": writing the trial files failed (disk full?)");
}

void ResultsWriter::journal(const TrialRecord& r) {
  journal_ << to_json(r).dump() << '\n' << std::flush;
  if (!journal_) throw WriteError("output folder " + dir_.string() + ": writing journal.jsonl failed (disk full?)");
}

void ResultsWriter::write_state(const fs::path& dir, const nlohmann::json& state) {
  const std::string text = state.dump();
  replace_file(dir / "state.json", [&](std::ofstream& out) { out << text << '\n'; });
}

TrialRecord ResultsWriter::from_json(const nlohmann::json& j) const {
  TrialRecord r;
  r.id = detail::json_uint(j.at("trial"));
  r.status = j.at("status").get<std::string>() == "complete" ? TrialStatus::Complete : TrialStatus::Failed;
  for (const auto& [k, v] : j.at("params").items())
    r.params.set(k, json_value(v, "trial " + std::to_string(r.id) + " params." + k));
  if (r.status == TrialStatus::Complete)
    for (const auto& name : objectives_) r.objectives.push_back(j.at("objectives").at(name).get<double>());
  if (r.status == TrialStatus::Complete && j.contains("constraints"))
    for (const auto& name : constraints_) r.constraints.push_back(j.at("constraints").at(name).get<double>());
  for (const auto& [k, v] : j.at("metrics").items())
    if (v.is_number()) r.metrics[k] = v.get<double>();
  r.seconds = j.value("seconds", 0.0);
  r.message = j.value("message", std::string());
  if (j.contains("curve"))
    for (const auto& v : j.at("curve")) r.curve.push_back(v.is_number() ? v.get<double>() : NAN);
  return r;
}

nlohmann::ordered_json ResultsWriter::to_json(const TrialRecord& r) const {
  nlohmann::ordered_json j{{"trial", r.id}, {"status", to_string(r.status)}};
  nlohmann::ordered_json params = nlohmann::ordered_json::object();
  for (const auto& p : params_)  // in the order of the search space
    if (r.params.has(p)) params[p] = value_json(r.params.at(p));
  j["params"] = params;
  nlohmann::ordered_json objectives = nlohmann::ordered_json::object();
  for (std::size_t i = 0; i < objectives_.size() && i < r.objectives.size(); ++i)
    objectives[objectives_[i]] = r.objectives[i];
  j["objectives"] = objectives;
  if (!r.constraints.empty()) {
    nlohmann::ordered_json violations = nlohmann::ordered_json::object();
    for (std::size_t i = 0; i < constraints_.size() && i < r.constraints.size(); ++i)
      violations[constraints_[i]] = r.constraints[i];
    j["constraints"] = violations;
    j["feasible"] = r.feasible();
  }
  j["metrics"] = r.metrics;
  j["seconds"] = r.seconds;
  if (!r.message.empty()) j["message"] = r.message;
  if (!r.curve.empty()) j["curve"] = r.curve;  // (a non-finite loss is written as null)
  return j;
}

void ResultsWriter::write_front(const std::vector<TrialRecord>& trials, const std::vector<std::size_t>& front) {
  replace_file(dir_ / "front.csv", [&](std::ofstream& out) {
    out << csv_header() << '\n';
    for (std::size_t i : front) write_csv_row(out, trials[i]);
  });
}

void ResultsWriter::write_summary(const std::string& experiment, const RunSummary& s,
                                  const std::vector<double>& reference_point,
                                  const std::vector<std::string>& seed_names,
                                  const std::vector<std::string>& directions) {
  nlohmann::json j{{"experiment", experiment},     {"objectives", objectives_},   {"trials", s.trials.size()},
                   {"failed", s.failed},           {"constraints", constraints_}, {"infeasible", s.infeasible},
                   {"front_size", s.front.size()}, {"seconds", s.seconds},        {"workers", s.workers}};
  // How busy the workers were: evaluation time over workers x wall time (of this session).
  if (s.seconds > 0 && s.workers > 0)
    j["worker_busy"] = s.worker_seconds / (static_cast<double>(s.workers) * s.seconds);
  nlohmann::json front = nlohmann::json::array();
  for (std::size_t i : s.front) front.push_back(s.trials[i].id);
  j["front_trials"] = front;
  j["seeds"] = seed_names;
  j["directions"] = directions;
  if (s.hypervolume) {
    j["hypervolume"] = *s.hypervolume;
    j["reference_point"] = reference_point;
  }
  replace_file(dir_ / "summary.json", [&](std::ofstream& out) { out << j.dump(2) << '\n'; });
}

}  // namespace nac
