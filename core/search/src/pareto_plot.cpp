#include "pareto_plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>

#include "nac/error.hpp"
#include "svg_text.hpp"

namespace nac {

namespace {
using svg::escape;
const auto fmt = svg::number;
}  // namespace

void write_pareto_plot(const std::filesystem::path& file, const std::vector<TrialRecord>& trials,
                       const std::vector<std::size_t>& front, const std::vector<std::string>& names,
                       const std::vector<std::string>& seed_names) {
  // The axes span the feasible trials; infeasible ones (crosses) are drawn where they fall inside.
  std::vector<std::size_t> ok, infeasible;
  for (std::size_t i = 0; i < trials.size(); ++i)
    if (trials[i].status == TrialStatus::Complete && trials[i].objectives.size() >= 2)
      (trials[i].feasible() ? ok : infeasible).push_back(i);
  if (ok.empty()) ok.swap(infeasible);
  if (ok.empty() || names.size() < 2) return;
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  for (std::size_t i : ok) {
    x0 = std::min(x0, trials[i].objectives[1]), x1 = std::max(x1, trials[i].objectives[1]);
    y0 = std::min(y0, trials[i].objectives[0]), y1 = std::max(y1, trials[i].objectives[0]);
  }
  const bool logx = x0 > 0 && x1 / x0 > 10;
  auto tx = [&](double v) { return logx ? std::log10(v) : v; };
  auto inside = [&](std::size_t i) {
    const double x = trials[i].objectives[1], y = trials[i].objectives[0];
    return x >= x0 && x <= x1 && y >= y0 && y <= y1 && (!logx || x > 0);
  };
  // The axes end at round values: whole decades on a log axis, else 5% beyond the data.
  if (y1 - y0 < 1e-12) y0 -= 0.5, y1 += 0.5;
  if (!logx && x1 - x0 < 1e-12) x0 -= 0.5, x1 += 0.5;
  const double ypad = (y1 - y0) * 0.05, xpad = logx ? 0 : (x1 - x0) * 0.05;
  const double a = logx ? std::floor(std::log10(x0)) : x0 - xpad, b = logx ? std::ceil(std::log10(x1)) : x1 + xpad;
  const double ya = y0 - ypad, yb = y1 + ypad;
  const std::vector<double> xticks = logx ? svg::decade_ticks(a, b) : svg::linear_ticks(a, b);
  const std::vector<double> yticks = svg::linear_ticks(ya, yb);
  const auto shown = std::count_if(infeasible.begin(), infeasible.end(), inside);
  const double W = 720, H = 480, L = 80, R = 30, T = 40, B = 60;
  auto px = [&](double v) { return L + (tx(v) - a) / (b - a) * (W - L - R); };
  auto py = [&](double v) { return H - B - (v - ya) / (yb - ya) * (H - T - B); };

  std::ofstream out(file);
  out << "<svg xmlns='http://www.w3.org/2000/svg' width='" << W << "' height='" << H
      << "' font-family='sans-serif' font-size='12'>\n"
      << "<rect width='100%' height='100%' fill='white'/>\n"
      << "<text x='" << W / 2 << "' y='22' text-anchor='middle' font-size='15'>" << escape(names[0]) << " against "
      << escape(names[1]) << ": " << ok.size() + infeasible.size() << " trials, " << front.size() << " non-dominated"
      << (infeasible.empty() ? std::string()
                             : ", " + std::to_string(infeasible.size()) + " infeasible (" + std::to_string(shown) +
                                   " inside, drawn x)")
      << "</text>\n"
      << "<line x1='" << L << "' y1='" << H - B << "' x2='" << W - R << "' y2='" << H - B << "' stroke='black'/>\n"
      << "<line x1='" << L << "' y1='" << T << "' x2='" << L << "' y2='" << H - B << "' stroke='black'/>\n";
  for (double xv : xticks)
    out << "<line x1='" << px(xv) << "' y1='" << H - B << "' x2='" << px(xv) << "' y2='" << H - B + 4
        << "' stroke='black'/>\n<text x='" << px(xv) << "' y='" << H - B + 18 << "' text-anchor='middle'>"
        << (logx ? "1e" + std::to_string(static_cast<int>(std::lround(std::log10(xv)))) : fmt(xv)) << "</text>\n";
  for (double yv : yticks)
    out << "<line x1='" << L - 4 << "' y1='" << py(yv) << "' x2='" << L << "' y2='" << py(yv)
        << "' stroke='black'/>\n<text x='" << L - 6 << "' y='" << py(yv) + 4 << "' text-anchor='end'>" << fmt(yv)
        << "</text>\n";
  out << "<text x='" << (L + W - R) / 2 << "' y='" << H - 15 << "' text-anchor='middle'>" << escape(names[1])
      << (logx ? " (log scale)" : "") << "</text>\n"
      << "<text transform='translate(18," << (T + H - B) / 2 << ") rotate(-90)' text-anchor='middle'>"
      << escape(names[0]) << "</text>\n";
  for (std::size_t i : ok)
    out << "<circle cx='" << px(trials[i].objectives[1]) << "' cy='" << py(trials[i].objectives[0])
        << "' r='3' fill='#999' fill-opacity='0.6'/>\n";
  for (std::size_t i : infeasible)
    if (inside(i))
      out << "<path d='M" << px(trials[i].objectives[1]) - 3 << "," << py(trials[i].objectives[0]) - 3
          << " l6,6 m0,-6 l-6,6' stroke='#bbb' stroke-width='1.5'/>\n";
  std::vector<std::size_t> f = front;
  std::sort(f.begin(), f.end(),
            [&](std::size_t p, std::size_t q) { return trials[p].objectives[1] < trials[q].objectives[1]; });
  out << "<polyline fill='none' stroke='#c00' stroke-width='1.5' points='";
  for (std::size_t i : f) out << px(trials[i].objectives[1]) << "," << py(trials[i].objectives[0]) << " ";
  out << "'/>\n";
  for (std::size_t i : f)
    out << "<circle cx='" << px(trials[i].objectives[1]) << "' cy='" << py(trials[i].objectives[0])
        << "' r='4.5' fill='#c00'><title>trial " << trials[i].id << "</title></circle>\n";
  for (std::size_t s = 0; s < seed_names.size() && s < trials.size(); ++s) {
    const TrialRecord& t = trials[s];
    if (t.status != TrialStatus::Complete || t.objectives.size() < 2 || !inside(s)) continue;
    out << "<rect x='" << px(t.objectives[1]) - 6 << "' y='" << py(t.objectives[0]) - 6
        << "' width='12' height='12' fill='none' stroke='#06c' stroke-width='2'/>\n"
        << "<text x='" << (px(t.objectives[1]) > W - R - 160 ? px(t.objectives[1]) - 9 : px(t.objectives[1]) + 9)
        << "' y='" << py(t.objectives[0]) - 8 << "' fill='#06c' text-anchor='"
        << (px(t.objectives[1]) > W - R - 160 ? "end" : "start") << "'>" << escape(seed_names[s])
        << (t.feasible() ? "" : " (infeasible)") << "</text>\n";
  }
  out << "</svg>\n";
  if (!out) throw WriteError(file.string() + ": cannot be written");
}

}  // namespace nac
