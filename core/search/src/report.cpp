#include "nac/run/report.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include "line_plot.hpp"
#include "nac/error.hpp"
#include "nac/hypervolume.hpp"
#include "nac/model_cost.hpp"
#include "nac/nn/model_io.hpp"
#include "nac/text.hpp"
#include "nac/version.hpp"
#include "report_document.hpp"
#include "run_folder.hpp"
#include "svg_text.hpp"

namespace nac {

namespace fs = std::filesystem;
using detail::report_number;
using detail::ReportDocument;
using Rows = std::vector<std::vector<std::string>>;

namespace {

struct TrialRow {
  std::uint64_t id = 0;
  bool complete = false, feasible = false;
  std::map<std::string, double> objectives, metrics;
  std::vector<double> curve;  // the validation loss per epoch (networks)
};

LinePanel panel(std::string title, std::string x, std::string y, std::vector<LineSeries> series) {
  LinePanel p;
  p.title = std::move(title);
  p.x_label = std::move(x);
  p.y_label = std::move(y);
  p.series = std::move(series);
  return p;
}

nlohmann::json read_json(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return nlohmann::json();
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw Error(file.string() + ": corrupt: " + e.what());
  }
}

std::vector<TrialRow> read_trials(const fs::path& dir) {
  std::vector<TrialRow> out;
  for (const auto& j : detail::read_json_lines(dir / "trials.jsonl", false, nullptr).json) {
    TrialRow t;
    t.id = j.at("trial").get<std::uint64_t>();
    t.complete = j.value("status", std::string()) == "complete";
    t.feasible = t.complete && j.value("feasible", true);
    if (j.contains("objectives"))
      for (const auto& [k, v] : j.at("objectives").items())
        if (v.is_number()) t.objectives[k] = v.get<double>();
    if (j.contains("metrics"))
      for (const auto& [k, v] : j.at("metrics").items())
        if (v.is_number()) t.metrics[k] = v.get<double>();
    if (j.contains("curve"))
      for (const auto& v : j.at("curve")) t.curve.push_back(v.is_number() ? v.get<double>() : NAN);
    out.push_back(std::move(t));
  }
  return out;
}

double value_of(const TrialRow& t, const std::string& key) {
  if (auto it = t.objectives.find(key); it != t.objectives.end()) return it->second;
  if (auto it = t.metrics.find(key); it != t.metrics.end()) return it->second;
  return NAN;
}

// The weighted layers and their widths: "conv2d 64 > attention 64 > linear 8 > linear 2".
void walk(const LayerSpec& l, std::vector<const LayerSpec*>& out) {
  if (!l.children.empty())
    for (const auto& c : l.children) walk(c, out);
  else out.push_back(&l);
}

bool weighted(const std::string& op) { return op == "conv2d" || op == "linear" || op == "attention"; }

std::string architecture_text(const ModelSpec& spec) {
  std::vector<const LayerSpec*> leaves;
  for (const auto& l : spec.layers) walk(l, leaves);
  std::vector<std::string> parts;
  for (const auto* l : leaves)
    if (weighted(l->op)) parts.push_back(l->op + " " + std::to_string(l->output.empty() ? 0 : l->output.front()));
  return join(parts, " > ");
}

// One row per model: a box per layer, weighted layers wide and coloured by kind.
void write_architecture_diagram(const fs::path& file, const std::vector<std::pair<std::string, ModelSpec>>& models) {
  const double row = 46, left = 90, W = 1000;
  std::ostringstream out;
  const double H = 40 + row * static_cast<double>(models.size());
  out << "<svg xmlns='http://www.w3.org/2000/svg' width='" << W << "' height='" << H
      << "' font-family='sans-serif' font-size='11'>\n<rect width='100%' height='100%' fill='white'/>\n"
      << "<text x='" << W / 2 << "' y='18' text-anchor='middle' font-size='14'>the front's architectures, input to "
      << "output (hover a box for its layer)</text>\n";
  auto colour = [](const std::string& op) {
    return op == "conv2d"                         ? "#4e79a7"
           : op == "linear"                       ? "#59a14f"
           : op == "attention"                    ? "#e15759"
           : op.find("norm") != std::string::npos ? "#edc948"
           : op == "flatten"                      ? "#bab0ac"
                                                  : "#b07aa1";
  };
  for (std::size_t m = 0; m < models.size(); ++m) {
    const double y = 30 + row * static_cast<double>(m);
    out << "<text x='6' y='" << y + 22 << "'>" << svg::escape(models[m].first) << "</text>\n";
    std::vector<const LayerSpec*> leaves;
    for (const auto& l : models[m].second.layers) walk(l, leaves);
    double units = 0;
    for (const auto* l : leaves) units += weighted(l->op) ? 4 : 1;
    const double unit = std::min(24.0, (W - left - 10) / std::max(units, 1.0));
    double x = left;
    for (const auto* l : leaves) {
      const double w = (weighted(l->op) ? 4 : 1) * unit - 2;
      out << "<rect x='" << x << "' y='" << y + 6 << "' width='" << w << "' height='24' fill='" << colour(l->op)
          << "'><title>" << svg::escape(l->name + " (" + l->op + ") " + to_string(l->output)) << "</title></rect>\n";
      if (weighted(l->op) && w > 18)
        out << "<text x='" << x + w / 2 << "' y='" << y + 22 << "' text-anchor='middle' fill='white'>"
            << (l->output.empty() ? 0 : l->output.front()) << "</text>\n";
      x += w + 2;
    }
  }
  double lx = left;
  for (const char* op : {"conv2d", "attention", "linear", "batchnorm", "flatten", "relu"}) {
    out << "<rect x='" << lx << "' y='" << H - 14 << "' width='10' height='10' fill='" << colour(op) << "'/><text x='"
        << lx + 14 << "' y='" << H - 5 << "'>"
        << (std::string(op) == "relu"        ? "activation"
            : std::string(op) == "batchnorm" ? "norm"
                                             : op)
        << "</text>\n";
    lx += 110;
  }
  out << "</svg>\n";
  std::ofstream f(file);
  f << out.str();
  if (!f) throw WriteError(file.string() + ": cannot be written");
}

// Hypervolume of the feasible trials told so far, after each trial, in the reference point's box
// (each objective divided by the reference's, so 1 is the whole box).
std::vector<std::pair<double, double>> hypervolume_curve(const std::vector<TrialRow>& trials,
                                                         const std::vector<std::string>& objectives,
                                                         const std::vector<std::string>& directions, Point& ref) {
  std::vector<std::pair<double, double>> curve;
  const std::size_t m = objectives.size();
  auto point = [&](const TrialRow& t) {
    Point p(m);
    for (std::size_t k = 0; k < m; ++k) {
      const bool max = k < directions.size() && directions[k] == "maximize";
      p[k] = (max ? -1 : 1) * value_of(t, objectives[k]);
    }
    return p;
  };
  if (ref.empty()) {  // no reference point: 1.1 x the worst feasible value of each objective
    ref.assign(m, -INFINITY);
    for (const auto& t : trials)
      if (t.feasible)
        for (std::size_t k = 0; k < m; ++k) ref[k] = std::max(ref[k], point(t)[k]);
    for (auto& r : ref) r = r > 0 ? r * 1.1 : r * 0.9;
  }
  std::vector<Point> seen;
  for (std::size_t i = 0; i < trials.size(); ++i) {
    if (trials[i].feasible) {
      Point p = point(trials[i]);
      bool finite = true;
      for (double v : p) finite = finite && std::isfinite(v);
      if (finite) seen.push_back(p);
    }
    Point scaled_ref(m, 1.0);
    std::vector<Point> scaled;
    for (const auto& p : seen) {
      Point q(m);
      for (std::size_t k = 0; k < m; ++k) q[k] = ref[k] != 0 ? p[k] / std::abs(ref[k]) : p[k];
      scaled.push_back(q);
    }
    for (std::size_t k = 0; k < m; ++k) scaled_ref[k] = ref[k] != 0 ? ref[k] / std::abs(ref[k]) : ref[k];
    curve.emplace_back(static_cast<double>(i + 1), scaled.empty() ? 0.0 : hypervolume(scaled, scaled_ref));
  }
  return curve;
}

void global_section(ReportDocument& doc, const fs::path& run, const fs::path& rel) {
  const fs::path g = run / rel;
  const nlohmann::json summary = read_json(g / "summary.json");
  const std::vector<TrialRow> trials = read_trials(g);
  doc.heading(rel.empty() ? "The search" : "Global search");
  if (summary.is_null()) {
    doc.paragraph("The search has not finished: " + std::to_string(trials.size()) +
                  " trials so far (no summary.json).");
    return;
  }
  const auto objectives = summary.value("objectives", std::vector<std::string>{});
  const auto seeds = summary.value("seeds", std::vector<std::string>{});
  const auto directions = summary.value("directions", std::vector<std::string>{});
  const auto front = summary.value("front_trials", std::vector<std::uint64_t>{});
  std::ostringstream p;
  p << summary.value("trials", 0) << " trials (" << summary.value("failed", 0) << " failed, "
    << summary.value("infeasible", 0) << " outside the constraints) in " << report_number(summary.value("seconds", 0.0))
    << " s on " << summary.value("workers", 0) << " workers, busy "
    << report_number(100 * summary.value("worker_busy", 0.0)) << "% of the time; " << front.size()
    << " non-dominated. Objectives: " << join(objectives) << ".";
  doc.paragraph(p.str());

  // The seeds and the front, with ratios to the first seed and the models' sizes.
  const TrialRow* ref = !seeds.empty() && !trials.empty() && trials[0].complete ? &trials[0] : nullptr;
  std::vector<std::string> header = {"model"};
  for (const auto& o : objectives) {
    header.push_back(o);
    if (ref) header.push_back(o + " / " + seeds[0]);
  }
  header.insert(header.end(), {"parameters", "architecture"});
  Rows rows;
  std::vector<std::pair<std::string, ModelSpec>> diagrams;
  auto add = [&](const TrialRow& t, const std::string& label) {
    std::vector<std::string> r = {label};
    for (const auto& o : objectives) {
      const double v = value_of(t, o);
      r.push_back(report_number(v));
      if (ref) r.push_back(report_number(v / value_of(*ref, o)));
    }
    const fs::path model = g / "models" / ("trial_" + std::to_string(t.id) + ".nacm");
    if (fs::exists(model)) {
      const ModelSpec spec = nn::load_model(model).spec();
      r.push_back(report_number(total_params(spec)));
      r.push_back(architecture_text(spec));
      diagrams.emplace_back(label, spec);
    } else {
      r.insert(r.end(), {"-", "-"});
    }
    rows.push_back(std::move(r));
  };
  for (std::size_t s = 0; s < seeds.size() && s < trials.size(); ++s)
    if (trials[s].complete) add(trials[s], seeds[s] + (trials[s].feasible ? "" : " (infeasible)"));
  for (const auto& t : trials)
    if (std::find(front.begin(), front.end(), t.id) != front.end()) add(t, "trial " + std::to_string(t.id));
  doc.table(header, rows);
  doc.figure(run, rel / "pareto.svg", "the Pareto front (red) among all trials, the seeds in blue");
  // The seeds' and the front's training: validation loss per epoch, as the trials recorded it.
  std::vector<LineSeries> curves;
  for (const auto& t : trials) {
    const bool seed = t.id < seeds.size(), on_front = std::find(front.begin(), front.end(), t.id) != front.end();
    if (t.curve.empty() || !(seed || on_front) || curves.size() >= 8) continue;
    LineSeries s{seed ? seeds[t.id] : "trial " + std::to_string(t.id), {}};
    for (std::size_t e = 0; e < t.curve.size(); ++e)
      if (std::isfinite(t.curve[e])) s.points.emplace_back(static_cast<double>(e + 1), t.curve[e]);
    curves.push_back(std::move(s));
  }
  if (!curves.empty()) {
    write_line_plot(run / "report_global_curves.svg", "training of the seeds and the front (validation loss)",
                    {panel("", "epoch", "validation loss", curves)});
    doc.figure(run, "report_global_curves.svg",
               "validation loss per epoch of the seeds and the front's trials (at most 8), as the search trained them");
  }
  if (!diagrams.empty()) {
    write_architecture_diagram(run / "report_architectures.svg", diagrams);
    doc.figure(run, "report_architectures.svg", "the seeds' and the front's layers");
  }
  if (!objectives.empty() && objectives.size() <= 3 && trials.size() <= 5000) {
    Point reference = summary.value("reference_point", std::vector<double>{});
    const bool given = !reference.empty();
    write_line_plot(run / "report_hypervolume.svg", "hypervolume of the feasible trials",
                    {panel("hypervolume against trials", "trials", "hypervolume (share of the reference box)",
                           {LineSeries{"told trials", hypervolume_curve(trials, objectives, directions, reference)}})});
    std::vector<std::string> r;
    for (double v : reference) r.push_back(report_number(std::abs(v)));
    doc.figure(run, "report_hypervolume.svg",
               "hypervolume after each trial, reference point (" + join(r) + ")" +
                   (given ? "" : ", 1.1 times the worst feasible values (the run has none of its own)"));
  }
}

std::vector<nlohmann::json> stage_models(const fs::path& run, const std::string& stage) {
  const nlohmann::json j = read_json(run / stage / "models.json");
  return j.is_array() ? std::vector<nlohmann::json>(j.begin(), j.end()) : std::vector<nlohmann::json>{};
}

double metric(const nlohmann::json& m, const std::string& key) {
  const auto& ms = m.at("metrics");
  return ms.contains(key) ? ms.at(key).get<double>() : NAN;
}

std::vector<std::pair<double, double>> history(const fs::path& csv) {
  std::vector<std::pair<double, double>> out;
  std::ifstream in(csv);
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::istringstream s(line);
    std::string epoch, train, val;
    if (std::getline(s, epoch, ',') && std::getline(s, train, ',') && std::getline(s, val, ','))
      out.emplace_back(std::stod(epoch), std::stod(val));  // (epochs count from 1)
  }
  return out;
}

void local_section(ReportDocument& doc, const fs::path& run, const std::string& metric_name) {
  const auto models = stage_models(run, "local");
  doc.heading("Local search of the training recipe");
  if (models.empty()) {
    doc.paragraph("The local stage has not finished.");
    return;
  }
  doc.paragraph("Per model, a search over its training recipe (best trial: its " + metric_name +
                "); then the best recipe and the base recipe ([training]) each retrained from the same "
                "initialisations (mean ± standard deviation). gain: the base recipe's mean " +
                metric_name + " over the tuned one's (above 1: the tuned recipe is better).");
  Rows rows;
  std::vector<LineSeries> best_so_far;
  std::vector<LinePanel> curves;
  for (const auto& m : models) {
    const std::string name = m.at("name").get<std::string>();
    auto spread = [&](const std::string& k) {
      const double sd = metric(m, k + "_sd");
      return report_number(metric(m, k)) + (std::isfinite(sd) ? " ± " + report_number(sd) : "");
    };
    rows.push_back({name, report_number(metric(m, "global_" + metric_name)),
                    report_number(metric(m, "best_trial_" + metric_name)), spread("baseline_" + metric_name),
                    spread("tuned_" + metric_name), report_number(metric(m, "gain")), m.value("note", std::string())});
    LineSeries s{name, {}};
    double best = INFINITY;
    for (const auto& t : read_trials(run / "local" / name)) {
      const double v = value_of(t, metric_name);
      if (std::isfinite(v)) best = std::min(best, v);
      if (std::isfinite(best)) s.points.emplace_back(static_cast<double>(t.id + 1), best);
    }
    best_so_far.push_back(std::move(s));
    if (curves.size() < 4)
      curves.push_back(panel(name, "epoch", "validation loss",
                             {LineSeries{"base recipe", history(run / "local" / name / "baseline_0.history.csv")},
                              LineSeries{"tuned recipe", history(run / "local" / name / "best_0.history.csv")}}));
  }
  doc.table({"model", "global " + metric_name, "best trial", "base recipe, retrained", "tuned recipe, retrained",
             "gain", "outcome"},
            rows);
  write_line_plot(run / "report_local_search.svg", "local search: the best " + metric_name + " so far",
                  {panel("", "trials", metric_name, best_so_far)});
  doc.figure(run, "report_local_search.svg", "each model's best " + metric_name + " against its recipes tried");
  write_line_plot(run / "report_training_curves.svg", "training curves of the base and the tuned recipe", curves);
  doc.figure(run, "report_training_curves.svg",
             "validation loss per epoch of the two recipes from the first initialisation (the first 4 models)");
}

void compress_section(ReportDocument& doc, const fs::path& run, const std::string& metric_name) {
  const auto models = stage_models(run, "compress");
  doc.heading("Compression");
  if (models.empty()) {
    doc.paragraph("The compress stage has not finished.");
    return;
  }
  Rows rows;
  for (const auto& m : models) {
    const double dense = metric(m, "dense_bops"), bops = metric(m, "bops");
    rows.push_back({m.at("name").get<std::string>(), report_number(metric(m, "weight_bits")),
                    report_number(100 * metric(m, "sparsity")), report_number(metric(m, "dense_" + metric_name)),
                    report_number(metric(m, metric_name)), report_number(dense), report_number(bops),
                    report_number(dense / bops)});
  }
  doc.table({"model", "weight bits", "sparsity %", "dense " + metric_name, metric_name, "dense BOPs", "BOPs",
             "BOPs reduction"},
            rows);
  for (const auto& m : models) {
    const std::string name = m.at("name").get<std::string>();
    doc.figure(run, fs::path("compress") / name / "compression.svg",
               name + ": " + metric_name + " against sparsity and BOPs");
  }
}

void backend_section(ReportDocument& doc, const fs::path& run, const nlohmann::json& previous) {
  const auto models = stage_models(run, "backend");
  doc.heading("Hardware");
  if (models.empty()) {
    doc.paragraph("The backend stage has not finished.");
    return;
  }
  // The backend's own figures: the keys it added to the model's metrics.
  std::vector<std::string> keys;
  for (const auto& [k, v] : models.front().at("metrics").items()) {
    bool before = false;
    for (const auto& p : previous)
      before = before || (p.at("name") == models.front().at("name") && p.at("metrics").contains(k));
    if (!before) keys.push_back(k);
  }
  Rows rows;
  for (const auto& m : models) {
    std::vector<std::string> r = {m.at("name").get<std::string>()};
    for (const auto& k : keys) r.push_back(report_number(metric(m, k)));
    rows.push_back(std::move(r));
  }
  std::vector<std::string> header = {"model"};
  header.insert(header.end(), keys.begin(), keys.end());
  doc.table(header, rows);
  // The device the estimates are for: the backend's summary names it ("estimate ... for DEVICE").
  std::string device;
  std::istringstream lines(models.front().value("note", std::string()));
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("estimate", 0) == 0) device = line.substr(0, line.find_last_not_of(": ") + 1);
  doc.paragraph("The " + (device.empty() ? std::string("backend's estimates") : device) +
                ". Each model's project and its per-layer estimates are in backend/MODEL/project/.");
}

}  // namespace

void write_report(const fs::path& dir) {
  const bool pipeline = fs::exists(dir / "pipeline.json");
  if (!pipeline && !fs::exists(dir / "trials.jsonl"))
    throw Error(dir.string() + ": not a nac run folder (neither pipeline.json nor trials.jsonl)");
  ReportDocument doc;
  std::string name = dir.filename().string(), task, stages_text = "the global search";
  std::vector<std::string> stages = {"global"};
  try {
    const auto exp = parse_toml_file((dir / "experiment.toml").string());
    name = (*exp)["name"].value_or(name);
    task = (*exp)["task"]["name"].value_or(std::string());
    if (const auto* s = (*exp)["stages"].as_array()) {
      stages.clear();
      for (const auto& e : *s) stages.push_back(e.value_or(std::string()));
      stages_text = join(stages);
    }
  } catch (const Error&) {
    // (a folder without its experiment copy still gets the rest)
  }
  doc.heading("nac report: " + name, 1);
  doc.paragraph("Task `" + task + "`; stages: " + stages_text + ". Written by nac " + NAC_VERSION +
                " from the files of " + dir.string() + " (experiment.toml is the experiment).");
  std::string metric_name = "error";
  if (const auto s = read_json(dir / (pipeline ? "global/summary.json" : "summary.json")); s.is_object())
    if (const auto o = s.value("objectives", std::vector<std::string>{}); !o.empty()) metric_name = o.front();
  for (const auto& stage : stages) {
    if (stage == "global") global_section(doc, dir, pipeline ? fs::path("global") : fs::path());
    if (stage == "local") local_section(doc, dir, metric_name);
    if (stage == "compress") compress_section(doc, dir, metric_name);
    if (stage == "backend") {
      const auto before =
          read_json(dir / (std::find(stages.begin(), stages.end(), "compress") != stages.end() ? "compress/models.json"
                                                                                               : "local/models.json"));
      backend_section(doc, dir, before.is_array() ? before : nlohmann::json::array());
    }
  }
  detail::replace_file(dir / "report.md", [&](std::ofstream& out) { out << doc.markdown(); });
  detail::replace_file(dir / "report.html", [&](std::ofstream& out) { out << doc.html(dir, "nac report: " + name); });
}

}  // namespace nac
