#include "box_plot.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "nac/error.hpp"
#include "nac/statistics.hpp"
#include "svg_text.hpp"

namespace nac {

void write_box_plot(const std::filesystem::path& file, const std::string& title, const std::string& y_label,
                    const std::vector<BoxGroup>& groups) {
  const double R = 20, T = 40, B = 70, BW = 110, H = 400;
  std::vector<std::vector<double>> values;
  double lo = INFINITY, hi = -INFINITY;
  for (const BoxGroup& g : groups) {
    std::vector<double> v;
    for (double x : g.values)
      if (std::isfinite(x)) v.push_back(x), lo = std::min(lo, x), hi = std::max(hi, x);
    values.push_back(std::move(v));
  }
  if (!(lo <= hi)) lo = 0, hi = 1;
  const double pad = (hi - lo) * 0.05 + (hi == lo ? 0.5 : 0);
  lo -= pad, hi += pad;
  const std::vector<double> ticks = svg::linear_ticks(lo, hi);
  const double L = svg::left_margin(ticks, 80);
  const double W = L + R + BW * static_cast<double>(std::max<std::size_t>(1, groups.size()));
  auto py = [&](double v) { return H - B - (v - lo) / (hi - lo) * (H - T - B); };
  std::ostringstream out;
  out << "<svg xmlns='http://www.w3.org/2000/svg' width='" << W << "' height='" << H
      << "' font-family='sans-serif' font-size='12'>\n<rect width='100%' height='100%' fill='white'/>\n"
      << "<text x='" << W / 2 << "' y='22' text-anchor='middle' font-size='14'>" << svg::escape(title) << "</text>\n"
      << "<rect x='" << L << "' y='" << T << "' width='" << W - L - R << "' height='" << H - T - B
      << "' fill='none' stroke='black'/>\n";
  for (double v : ticks)
    out << "<line x1='" << L << "' y1='" << py(v) << "' x2='" << W - R << "' y2='" << py(v)
        << "' stroke='#eee'/>\n<text x='" << L - 6 << "' y='" << py(v) + 4 << "' text-anchor='end'>" << svg::number(v)
        << "</text>\n";
  out << "<text transform='translate(18," << (T + H - B) / 2 << ") rotate(-90)' text-anchor='middle'>"
      << svg::escape(y_label) << "</text>\n";
  for (std::size_t k = 0; k < groups.size(); ++k) {
    const double cx = L + BW * (static_cast<double>(k) + 0.5);
    out << "<text x='" << cx << "' y='" << H - B + 18 << "' text-anchor='middle'>" << svg::escape(groups[k].name)
        << "</text>\n";
    const std::vector<double>& v = values[k];
    if (v.empty()) {
      out << "<text x='" << cx << "' y='" << (T + H - B) / 2 << "' text-anchor='middle' fill='#888'>no values</text>\n";
      continue;
    }
    const double q1 = quantile(v, 0.25), q2 = quantile(v, 0.5), q3 = quantile(v, 0.75);
    const double mn = *std::min_element(v.begin(), v.end()), mx = *std::max_element(v.begin(), v.end());
    out << "<line x1='" << cx << "' y1='" << py(mn) << "' x2='" << cx << "' y2='" << py(mx) << "' stroke='#555'/>\n"
        << "<rect x='" << cx - 25 << "' y='" << py(q3) << "' width='50' height='" << std::max(1.0, py(q1) - py(q3))
        << "' fill='#cfe0f3' stroke='#1f77b4'/>\n"
        << "<line x1='" << cx - 25 << "' y1='" << py(q2) << "' x2='" << cx + 25 << "' y2='" << py(q2)
        << "' stroke='#d62728' stroke-width='2'/>\n";
    for (std::size_t i = 0; i < v.size(); ++i)  // the values, spread sideways so that they do not hide
      out << "<circle cx='" << cx + 35 + 4 * static_cast<double>(i % 4) << "' cy='" << py(v[i])
          << "' r='2.5' fill='#333'><title>" << svg::number(v[i]) << "</title></circle>\n";
    out << "<text x='" << cx << "' y='" << H - B + 34 << "' text-anchor='middle' fill='#555' font-size='11'>median "
        << svg::number(q2) << "</text>\n";
  }
  out << "</svg>\n";
  std::ofstream f(file);
  f << out.str();
  if (!f) throw WriteError(file.string() + ": cannot be written");
}

}  // namespace nac
