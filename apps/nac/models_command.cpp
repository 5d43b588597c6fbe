// nac models DIR: a run folder's trained models, one line per trial with a model file: its id,
// status, whether summary.json puts it on the front, its objectives and metrics as the trial
// files record them, and its parameters, MACs and BOPs counted from the model file as nac show
// counts them (model_params, model_macs, model_bops: apart from an objective of the same name).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"
#include "commands.hpp"
#include "nac/error.hpp"
#include "nac/model_cost.hpp"
#include "nac/nn/model_io.hpp"
#include "nac/text.hpp"
#include "nac/value.hpp"

namespace nac::cli {

namespace fs = std::filesystem;

namespace {

using Json = nlohmann::ordered_json;
constexpr double kNone = std::numeric_limits<double>::quiet_NaN();

struct Row {
  std::uint64_t id = 0;
  std::string status;
  std::optional<bool> front;             // none: the run has no summary.json
  std::map<std::string, double> values;  // objectives and metrics
  double params = 0, macs = 0, bops = 0;
  fs::path file;
};

std::string read_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(file.string() + ": cannot be read");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The trial records of a JSON Lines file by id (a later line of an id replaces an earlier one).
// A last line without its newline that does not parse was cut by a stopped run and is left out,
// as nac run --resume does; any other line that is not a trial record is an error at file:line.
std::map<std::uint64_t, Json> read_records(const fs::path& file) {
  std::map<std::uint64_t, Json> out;
  std::error_code ec;
  if (!fs::exists(file, ec)) return out;
  const std::string bytes = read_bytes(file);
  std::size_t pos = 0, line_no = 0;
  while (pos < bytes.size()) {
    ++line_no;
    const std::size_t end = bytes.find('\n', pos);
    const std::string line = bytes.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    pos = end == std::string::npos ? bytes.size() : end + 1;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    const std::string where = file.string() + ":" + std::to_string(line_no);
    if (j.is_discarded() || !j.is_object()) {
      if (end == std::string::npos) break;
      throw Error(where + ": not a JSON line; the file is corrupt");
    }
    if (!j.contains("trial") || !j["trial"].is_number_unsigned() || !j.contains("status") || !j["status"].is_string())
      throw Error(where + ": not a trial record (it needs a trial id and a status)");
    const auto id = j["trial"].get<std::uint64_t>();
    out.insert_or_assign(id, std::move(j));
  }
  return out;
}

// The numbers of a record's object `key` (objectives, metrics), in their order.
std::vector<std::pair<std::string, double>> numbers(const Json& record, const char* key) {
  std::vector<std::pair<std::string, double>> out;
  if (record.contains(key) && record[key].is_object())
    for (const auto& [name, v] : record[key].items())
      if (v.is_number()) out.emplace_back(name, v.get<double>());
  return out;
}

struct Summary {
  std::vector<std::string> objectives;
  std::optional<std::set<std::uint64_t>> front;  // none: no summary.json
};

Summary read_summary(const fs::path& dir) {
  Summary s;
  const fs::path file = dir / "summary.json";
  std::error_code ec;
  if (!fs::exists(file, ec)) return s;
  const Json j = Json::parse(read_bytes(file), nullptr, false);
  auto bad = [&](const std::string& what) { return Error(file.string() + ": " + what); };
  if (j.is_discarded() || !j.is_object()) throw bad("not a JSON object; the file is corrupt");
  if (!j.contains("front_trials") || !j["front_trials"].is_array()) throw bad("no list 'front_trials'");
  s.front.emplace();
  for (const auto& id : j["front_trials"]) {
    if (!id.is_number_unsigned()) throw bad("'front_trials' holds " + id.dump() + ", not a trial id");
    s.front->insert(id.get<std::uint64_t>());
  }
  if (j.contains("objectives") && j["objectives"].is_array())
    for (const auto& name : j["objectives"])
      if (name.is_string()) s.objectives.push_back(name.get<std::string>());
  return s;
}

std::string number(double v) { return std::isfinite(v) ? to_string(Value{v}) : std::string(); }

std::string short_number(double v) {
  if (!std::isfinite(v)) return "";
  char b[32];
  std::snprintf(b, sizeof b, "%.5g", v);
  return b;
}

}  // namespace

int models(const ModelsArgs& args) {
  const fs::path dir = args.dir;
  std::error_code ec;
  if (!fs::exists(dir, ec)) throw Error(args.dir + ": no such folder");
  if (!fs::is_directory(dir, ec)) throw Error(args.dir + ": not a folder (nac models takes a run folder)");
  if (!fs::exists(dir / "trials.jsonl", ec))
    throw Error(args.dir + ": not a run folder (no trials.jsonl); nac run writes one, with models/trial_ID.nacm" +
                (fs::exists(fs::path(args.dir) / "pipeline.json")
                     ? std::string("; this is a pipeline's folder: its searches are ") + args.dir + "/global and " +
                           args.dir + "/local/trial_N (docs/pipeline.md)"
                     : std::string()));
  // The trials told (trials.jsonl), then those only a stopped run's journal holds.
  std::map<std::uint64_t, Json> records = read_records(dir / "trials.jsonl");
  for (auto& [id, j] : read_records(dir / "journal.jsonl")) records.emplace(id, std::move(j));
  const Summary summary = read_summary(dir);
  if (args.front && !summary.front)
    throw Error(args.dir + ": no summary.json, which names the front: a run writes it when it finishes (nac run " +
                "--resume " + args.dir + " finishes a stopped one)");

  // Columns: the objectives (summary.json's order, else the first record's), then the metrics.
  std::vector<std::string> columns = summary.objectives;
  auto add_column = [&](const std::string& name) {
    if (std::find(columns.begin(), columns.end(), name) == columns.end()) columns.push_back(name);
  };
  std::vector<Row> rows;
  for (const auto& [id, record] : records) {
    const fs::path file = dir / "models" / ("trial_" + std::to_string(id) + ".nacm");
    if (!fs::exists(file, ec)) continue;
    Row r;
    r.id = id;
    r.status = record["status"].get<std::string>();
    if (record.contains("feasible") && record["feasible"] == false) r.status = "infeasible";
    if (summary.front) r.front = summary.front->count(id) > 0;
    if (args.front && !*r.front) continue;
    for (const char* key : {"objectives", "metrics"})
      for (const auto& [name, v] : numbers(record, key)) {
        add_column(name);
        r.values.emplace(name, v);  // an objective's value before the metric of its name
      }
    const ModelSpec spec = nn::load_model(file).spec();
    r.params = total_params(spec);
    r.macs = total_macs(spec);
    r.bops = total_bops(spec);
    r.file = file;
    rows.push_back(std::move(r));
  }
  if (rows.empty() && !args.front)
    throw Error(args.dir +
                ": no trial has a model file (models/trial_ID.nacm); searches that train networks save them");

  if (args.sort) {
    std::vector<std::string> keys{"trial"};
    keys.insert(keys.end(), columns.begin(), columns.end());
    for (const char* k : {"model_params", "model_macs", "model_bops"}) keys.emplace_back(k);
    if (std::find(keys.begin(), keys.end(), *args.sort) == keys.end())
      throw Error("--sort " + *args.sort + ": not an objective or metric of " + args.dir + "; sort by one of " +
                  join(keys) + did_you_mean(*args.sort, keys));
    const std::string& key = *args.sort;
    auto value = [&](const Row& r) {
      if (key == "trial") return static_cast<double>(r.id);
      if (const auto it = r.values.find(key); it != r.values.end()) return it->second;
      return key == "model_params" ? r.params : key == "model_macs" ? r.macs : key == "model_bops" ? r.bops : kNone;
    };
    // Ascending, trials without the value last, ties in trial order.
    std::stable_sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
      const double x = value(a), y = value(b);
      if (std::isnan(x) || std::isnan(y)) return !std::isnan(x) && std::isnan(y);
      return x < y;
    });
  }

  std::vector<std::string> header{"trial", "status", "front"};
  header.insert(header.end(), columns.begin(), columns.end());
  for (const char* h : {"model_params", "model_macs", "model_bops", "file"}) header.emplace_back(h);
  std::vector<std::vector<std::string>> table;
  for (const Row& r : rows) {
    std::vector<std::string> cells{std::to_string(r.id), r.status,
                                   !r.front   ? ""
                                   : args.csv ? (*r.front ? "1" : "0")
                                              : (*r.front ? "*" : "")};
    for (const auto& c : columns) {
      const auto it = r.values.find(c);
      const double v = it == r.values.end() ? kNone : it->second;
      cells.push_back(args.csv ? number(v) : short_number(v));
    }
    for (double v : {r.params, r.macs, r.bops}) cells.push_back(args.csv ? number(v) : count_text(v));
    cells.push_back(r.file.string());
    table.push_back(std::move(cells));
  }
  if (!summary.front)
    std::fprintf(stderr, "%s: no summary.json (the run did not finish): the front is not known\n", args.dir.c_str());
  if (args.csv) {
    for (auto& h : header) h = csv_escape(h);
    std::printf("%s\n", join(header, ",").c_str());
    for (auto& cells : table) {
      for (auto& c : cells) c = csv_escape(c);
      std::printf("%s\n", join(cells, ",").c_str());
    }
    return 0;
  }
  std::vector<std::size_t> width(header.size());
  for (std::size_t k = 0; k < header.size(); ++k) {
    width[k] = header[k].size();
    for (const auto& cells : table) width[k] = std::max(width[k], cells[k].size());
  }
  auto print = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (std::size_t k = 0; k < cells.size(); ++k) {
      const bool left = k == 1 || k + 1 == cells.size();  // status and file
      const std::string pad(width[k] - cells[k].size(), ' ');
      line += (k ? "  " : "") + (left ? cells[k] + (k + 1 == cells.size() ? "" : pad) : pad + cells[k]);
    }
    std::printf("%s\n", line.c_str());
  };
  print(header);
  for (const auto& cells : table) print(cells);
  return 0;
}

}  // namespace nac::cli
