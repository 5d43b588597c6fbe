// nac bench's report: per problem and measure the median and interquartile range over seeds at
// every checkpoint (summary.csv, a figure each), and at the budget the contenders' mean ranks and
// every pair compared by a two-sided Mann-Whitney U test, Holm-corrected over the pairs of the
// problem and measure, with Vargha and Delaney's A (verdicts.csv, report.md and report.html).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "box_plot.hpp"
#include "line_plot.hpp"
#include "nac/error.hpp"
#include "nac/run/bench.hpp"
#include "nac/statistics.hpp"
#include "report_document.hpp"
#include "run_folder.hpp"

namespace nac {

namespace fs = std::filesystem;

namespace {

std::string num(double v) {
  if (!std::isfinite(v)) return "";
  char b[32];
  std::snprintf(b, sizeof b, "%.6g", v);
  return b;
}

// Whether a larger value of the measure is better.
bool higher_is_better(const std::string& measure, const std::vector<const BenchRun*>& runs) {
  if (measure == "hypervolume") return true;
  if (measure == "igd") return false;
  for (const BenchRun* r : runs)
    if (!r->directions.empty()) return r->directions.front() == Direction::Maximize;
  return false;
}

// A run's value of a measure after `evaluations`, NaN when it did not get there.
double value_at(const BenchRun& r, const std::string& measure, std::size_t evaluations) {
  const auto m = r.values.find(measure);
  if (!r.ok || m == r.values.end()) return NAN;
  for (std::size_t i = 0; i < r.evaluations.size(); ++i)
    if (r.evaluations[i] == evaluations) return m->second[i];
  return NAN;
}

std::vector<double> finite(const std::vector<double>& v) {
  std::vector<double> out;
  for (double x : v)
    if (std::isfinite(x)) out.push_back(x);
  return out;
}

struct Cell {                  // one contender's values at one checkpoint
  std::vector<double> values;  // by seed (NaN: failed or not reached)
};

// Mean rank of each contender over the seeds where every contender has a value (1 = best; ties
// share the mean of their ranks).
std::vector<double> mean_ranks(const std::vector<Cell>& cells, bool higher_better) {
  const std::size_t k = cells.size(), n = cells.empty() ? 0 : cells[0].values.size();
  std::vector<double> sum(k, 0);
  std::size_t seeds_used = 0;
  for (std::size_t s = 0; s < n; ++s) {
    std::vector<double> v(k);
    bool all = true;
    for (std::size_t i = 0; i < k; ++i)
      all = all && std::isfinite(v[i] = s < cells[i].values.size() ? cells[i].values[s] : NAN);
    if (!all) continue;
    ++seeds_used;
    for (std::size_t i = 0; i < k; ++i) {
      double better = 0, same = 0;
      for (std::size_t j = 0; j < k; ++j) {
        if (j == i) continue;
        if (v[j] == v[i]) ++same;
        else if (higher_better ? v[j] > v[i] : v[j] < v[i]) ++better;
      }
      sum[i] += 1 + better + same / 2;
    }
  }
  for (double& x : sum) x = seeds_used ? x / static_cast<double>(seeds_used) : NAN;
  return sum;
}

}  // namespace

std::string write_bench_report(const BenchConfig& c, const std::vector<BenchRun>& runs, const fs::path& out) {
  std::ostringstream summary, verdicts, text;
  detail::ReportDocument doc;
  const auto short_num = detail::report_number;
  char line[512];
  std::snprintf(line, sizeof line, "%-16s %-12s %-36s %6s %9s  %s\n", "problem", "measure", "pair", "A", "p (Holm)",
                "verdict");
  text << line;
  summary << "problem,contender,measure,evaluations,runs,median,q1,q3,min,max\n";
  verdicts << "problem,measure,evaluations,a,b,a_better,p,p_holm,verdict\n";
  doc.heading("nac bench: " + c.name, 1);
  doc.paragraph("Bench file " + c.file.filename().string() + ": " + std::to_string(c.contenders.size()) +
                " contenders, " + std::to_string(c.problems.size()) + " problems, " + std::to_string(c.seeds.size()) +
                " seeds, " + std::to_string(c.evaluations) + " evaluations a run unless a problem sets its own" +
                (c.seconds > 0 ? " (or " + num(c.seconds) + " s)" : std::string()) + ".");
  doc.paragraph(
      "Medians over the seeds with the interquartile range [q1, q3]; the mean rank of each contender over the seeds "
      "(1 = best); every pair compared by a two-sided Mann-Whitney U test at the budget, Holm-corrected over the "
      "pairs of each problem and measure, significant below " +
      num(c.alpha) + "; A = P(a run of the first beats one of the second), 0.5 = no effect.");
  fs::create_directories(out / "figures");
  for (const BenchProblem& p : c.problems) {
    std::vector<BenchContender> contenders;  // those that ran this problem
    for (const auto& k : c.contenders)
      if (p.runs(k.label) && std::any_of(runs.begin(), runs.end(), [&](const BenchRun& r) {
            return r.problem == p.label && r.contender == k.label;
          }))
        contenders.push_back(k);
    std::vector<std::vector<const BenchRun*>> by(contenders.size());
    std::vector<const BenchRun*> all;
    for (std::size_t k = 0; k < contenders.size(); ++k)
      for (const BenchRun& r : runs)
        if (r.problem == p.label && r.contender == contenders[k].label) by[k].push_back(&r), all.push_back(&r);
    // Per measure: the curves (summary.csv, a figure), the values at the budget, ranks, tests.
    const std::vector<std::string> measures = measures_for(c, all.empty() ? 0 : all.front()->directions.size());
    std::vector<std::vector<Cell>> final_cells(measures.size(), std::vector<Cell>(contenders.size()));
    std::vector<std::vector<double>> ranks(measures.size());
    std::vector<std::vector<std::string>> tests;
    std::vector<std::pair<std::string, std::string>> figures;  // (file, caption)
    for (std::size_t m = 0; m < measures.size(); ++m) {
      const std::string& measure = measures[m];
      const bool higher = higher_is_better(measure, all);
      std::vector<LineSeries> series;
      for (std::size_t k = 0; k < contenders.size(); ++k) {
        LineSeries s{contenders[k].label, {}, {}};
        for (std::size_t e : p.checkpoints) {
          std::vector<double> v;
          for (const BenchRun* r : by[k]) v.push_back(value_at(*r, measure, e));
          if (e == p.checkpoints.back()) final_cells[m][k].values = v;
          const std::vector<double> f = finite(v);
          if (f.empty()) continue;
          const double med = median(f), q1 = quantile(f, 0.25), q3 = quantile(f, 0.75);
          summary << p.label << ',' << contenders[k].label << ',' << measure << ',' << e << ',' << f.size() << ','
                  << num(med) << ',' << num(q1) << ',' << num(q3) << ',' << num(*std::min_element(f.begin(), f.end()))
                  << ',' << num(*std::max_element(f.begin(), f.end())) << '\n';
          s.points.emplace_back(static_cast<double>(e), med);
          s.band.emplace_back(q1, q3);
        }
        series.push_back(std::move(s));
      }
      ranks[m] = mean_ranks(final_cells[m], higher);
      const std::string axis = measure + (higher ? " (higher is better)" : " (lower is better)");
      const std::string figure = "figures/" + p.label + "_" + measure + ".svg";
      write_line_plot(out / figure,
                      p.label + ": " + measure + ", median and interquartile range over " +
                          std::to_string(c.seeds.size()) + " seeds",
                      {LinePanel{p.label, "evaluations", axis, false, series, 0, "", 0}});
      figures.emplace_back(figure, p.label + ": " + measure + " against evaluations");
      std::vector<BoxGroup> boxes;
      for (std::size_t k = 0; k < contenders.size(); ++k)
        boxes.push_back({contenders[k].label, final_cells[m][k].values});
      const std::string box = "figures/" + p.label + "_" + measure + "_final.svg";
      write_box_plot(
          out / box,
          p.label + ": " + measure + " after " + std::to_string(p.checkpoints.back()) + " evaluations, every seed",
          axis, boxes);
      figures.emplace_back(box, p.label + ": " + measure + " at the budget, per seed");
      // Every pair at the budget, Holm-corrected over the pairs of this problem and measure.
      struct Pair {
        std::size_t a, b;
        RankTest t;
      };
      std::vector<Pair> pairs;
      for (std::size_t a = 0; a < contenders.size(); ++a)
        for (std::size_t b = a + 1; b < contenders.size(); ++b) {
          const auto x = finite(final_cells[m][a].values), y = finite(final_cells[m][b].values);
          if (!x.empty() && !y.empty()) pairs.push_back({a, b, mann_whitney_u(x, y)});
        }
      std::vector<double> p_values;
      for (const Pair& q : pairs) p_values.push_back(q.t.p);
      const std::vector<double> adjusted = holm(p_values);
      for (std::size_t i = 0; i < pairs.size(); ++i) {
        const Pair& q = pairs[i];
        const double a_better = higher ? q.t.a : 1 - q.t.a;
        const std::string &A = contenders[q.a].label, &B = contenders[q.b].label;
        const std::string verdict = adjusted[i] >= c.alpha ? "no significant difference"
                                    : a_better > 0.5       ? A + " better"
                                                           : B + " better";
        verdicts << p.label << ',' << measure << ',' << p.checkpoints.back() << ',' << A << ',' << B << ','
                 << num(a_better) << ',' << num(q.t.p) << ',' << num(adjusted[i]) << ',' << verdict << '\n';
        tests.push_back({measure, A, B, verdict, short_num(a_better), short_num(q.t.p), short_num(adjusted[i])});
        std::snprintf(line, sizeof line, "%-16s %-12s %-36s %6.2f %9.3g  %s\n", p.label.c_str(), measure.c_str(),
                      (A + " vs " + B).c_str(), a_better, adjusted[i], verdict.c_str());
        text << line;
      }
    }
    // The problem's section: the table at the budget, the failures, the verdicts, the figures.
    doc.heading(p.label);
    if (!p.experiment.empty())
      doc.paragraph("The experiment " + p.experiment.string() + "; every configuration it trained, with its metrics: " +
                    p.label + "/configurations.jsonl (models in " + p.label + "/models/).");
    if (p.compresses())
      doc.paragraph("The model " + p.model.string() + ", compressed on the task of " + p.config.string() +
                    "; each step (a compression round with its fine-tuning) is one evaluation, measured by (" +
                    (p.metric.empty() ? std::string("the task's first metric") : p.metric) +
                    ", BOPs). Each run's compression.csv, figure and chosen model: " + p.label + "/CONTENDER/seed-N/.");
    doc.paragraph("At " + std::to_string(p.checkpoints.back()) + " evaluations:");
    std::vector<std::string> header{"contender"};
    for (const auto& m : measures) header.insert(header.end(), {m + " median [q1, q3]", "mean rank"});
    // (a compression has no sampler: its column says the seconds of a run instead)
    header.insert(header.end(), {p.compresses() ? "seconds a run" : "sampler us/trial", "failed runs"});
    std::vector<std::vector<std::string>> rows;
    std::string failures;
    for (std::size_t k = 0; k < contenders.size(); ++k) {
      std::vector<std::string> row{contenders[k].label};
      for (std::size_t m = 0; m < measures.size(); ++m) {
        const auto f = finite(final_cells[m][k].values);
        row.push_back(f.empty() ? "-"
                                : short_num(median(f)) + " [" + short_num(quantile(f, 0.25)) + ", " +
                                      short_num(quantile(f, 0.75)) + "]");
        row.push_back(short_num(ranks[m][k]));
      }
      std::vector<double> us;
      std::size_t failed = 0;
      for (const BenchRun* r : by[k]) {
        if (r->ok) us.push_back(p.compresses() ? r->seconds : r->sampler_us_per_trial);
        else
          ++failed, failures += (failures.empty() ? "" : "; ") + r->contender + ", seed " + std::to_string(r->seed) +
                                ": " + r->error;
      }
      row.push_back(us.empty() ? "-" : short_num(median(us)));
      row.push_back(std::to_string(failed));
      rows.push_back(std::move(row));
    }
    doc.table(header, rows);
    if (!failures.empty()) doc.paragraph("Failed runs: " + failures);
    if (!tests.empty()) doc.table({"measure", "a", "b", "verdict", "A", "p", "p after Holm"}, tests);
    for (const auto& [file, caption] : figures) doc.figure(out, file, caption);
  }
  detail::replace_file(out / "summary.csv", [&](std::ostream& o) { o << summary.str(); });
  detail::replace_file(out / "verdicts.csv", [&](std::ostream& o) { o << verdicts.str(); });
  detail::replace_file(out / "report.md", [&](std::ostream& o) { o << doc.markdown(); });
  detail::replace_file(out / "report.html", [&](std::ostream& o) { o << doc.html(out, "nac bench: " + c.name); });
  return text.str();
}

}  // namespace nac
