#include "stage_models.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

#include "nac/error.hpp"
#include "nac/text.hpp"
#include "run_folder.hpp"

namespace nac::detail {

namespace fs = std::filesystem;

void write_stage_models(const fs::path& run_dir, const std::string& stage, const std::vector<StageModel>& models) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& m : models) {
    nlohmann::json metrics = nlohmann::json::object();
    for (const auto& [k, v] : m.metrics)
      if (std::isfinite(v)) metrics[k] = v;
    j.push_back({{"name", m.name},
                 {"file", m.file.generic_string()},
                 {"front", m.front},
                 {"note", m.note},
                 {"metrics", metrics}});
  }
  replace_file(run_dir / stage / "models.json", [&](std::ofstream& out) { out << j.dump(2) << '\n'; });
}

bool stage_finished(const fs::path& run_dir, const std::string& stage) {
  return fs::exists(run_dir / stage / "models.json");
}

std::vector<StageModel> read_stage_models(const fs::path& run_dir, const std::string& stage) {
  const fs::path file = run_dir / stage / "models.json";
  std::ifstream in(file);
  if (!in) throw Error(file.string() + ": missing: the " + stage + " stage has not finished in this run folder");
  std::vector<StageModel> out;
  try {
    const nlohmann::json j = nlohmann::json::parse(in);
    for (const auto& e : j) {
      StageModel m;
      m.name = e.at("name").get<std::string>();
      m.file = e.at("file").get<std::string>();
      m.front = e.at("front").get<bool>();
      m.note = e.at("note").get<std::string>();
      for (const auto& [k, v] : e.at("metrics").items()) m.metrics[k] = v.get<double>();
      out.push_back(std::move(m));
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(file.string() + ": corrupt: " + e.what());
  }
  return out;
}

Selection read_selection(const ConfigTable& table, const std::vector<MetricInfo>& metrics,
                         const std::string& default_by) {
  Selection s;
  s.front_only = table.string("select", "front", {"front", "all"}) == "front";
  s.top = static_cast<std::size_t>(table.integer("top", 0, Range::at_least(0)));
  s.by = table.string("by", default_by);
  std::vector<std::string> names;
  for (const auto& m : metrics) names.push_back(m.name);
  const auto m = std::find(names.begin(), names.end(), s.by);
  if (m == names.end())
    table.fail("by", "unknown metric '" + s.by + "'" + did_you_mean(s.by, names) + "; the task reports " + join(names));
  s.direction = metrics[static_cast<std::size_t>(m - names.begin())].direction;
  return s;
}

std::vector<StageModel> select_models(const std::vector<StageModel>& models, const Selection& selection,
                                      bool after_global) {
  std::vector<StageModel> out;
  for (const auto& m : models)
    if (!after_global || !selection.front_only || m.front) out.push_back(m);
  if (selection.top == 0 || selection.top >= out.size()) return out;
  auto value = [&](const StageModel& m) -> double {
    const auto it = m.metrics.find(selection.by);
    const double v = it == m.metrics.end() ? NAN : it->second;
    if (!std::isfinite(v)) return INFINITY;
    return selection.direction == Direction::Minimize ? v : -v;
  };
  std::stable_sort(out.begin(), out.end(),
                   [&](const StageModel& a, const StageModel& b) { return value(a) < value(b); });
  out.resize(selection.top);
  return out;
}

}  // namespace nac::detail
