#include "line_plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "nac/error.hpp"
#include "svg_text.hpp"

namespace nac {

namespace {

using svg::escape;
using svg::linear_ticks;
const auto fmt = svg::number;

const char* kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"};

}  // namespace

void write_line_plot(const std::filesystem::path& file, const std::string& title,
                     const std::vector<LinePanel>& panels) {
  const double PW = 460, H = 420, R = 20, T = 50, B = 60;
  const double W = PW * static_cast<double>(panels.size()) + 150;  // + the legend
  std::ostringstream out;
  out << "<svg xmlns='http://www.w3.org/2000/svg' width='" << W << "' height='" << H
      << "' font-family='sans-serif' font-size='12'>\n<rect width='100%' height='100%' fill='white'/>\n"
      << "<text x='" << W / 2 << "' y='20' text-anchor='middle' font-size='15'>" << escape(title) << "</text>\n";
  for (std::size_t k = 0; k < panels.size(); ++k) {
    const LinePanel& p = panels[k];
    const double ox = PW * static_cast<double>(k);
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (const auto& s : p.series)
      for (std::size_t i = 0; i < s.points.size(); ++i) {
        const auto [x, y] = s.points[i];
        if (!std::isfinite(x) || !std::isfinite(y) || (p.log_x && x <= 0)) continue;
        x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
        if (i < s.band.size() && std::isfinite(s.band[i].first) && std::isfinite(s.band[i].second))
          y0 = std::min(y0, s.band[i].first), y1 = std::max(y1, s.band[i].second);
      }
    if (p.reference_y > 0) y0 = std::min(y0, p.reference_y), y1 = std::max(y1, p.reference_y);
    if (!(x0 <= x1)) x0 = 0, x1 = 1, y0 = 0, y1 = 1;
    const bool clipped = p.y_max > 0 && y1 > p.y_max && y0 < p.y_max;
    if (clipped) y1 = p.y_max;
    const double top = clipped ? y1 : INFINITY;  // points above it are drawn on the top edge
    auto tx = [&](double v) { return p.log_x ? std::log10(v) : v; };
    double a = p.log_x ? std::floor(tx(x0)) : x0, b = p.log_x ? std::ceil(tx(x1)) : x1;
    if (b - a < 1e-12) a -= 0.5, b += 0.5;
    const double pad = (y1 - y0) * 0.05 + 1e-12;
    y0 -= pad, y1 += pad;
    const std::vector<double> yt = linear_ticks(y0, y1);
    const double L = svg::left_margin(yt, 70);
    auto px = [&](double v) { return ox + L + (tx(v) - a) / (b - a) * (PW - L - R); };
    auto py = [&](double v) { return H - B - (v - y0) / (y1 - y0) * (H - T - B); };
    auto pyc = [&](double v) { return py(std::min(v, top)); };  // data points: clipped at the top
    out << "<text x='" << ox + (L + PW - R) / 2 << "' y='" << T - 12 << "' text-anchor='middle' font-size='13'>"
        << escape(p.title) << "</text>\n"
        << "<rect x='" << ox + L << "' y='" << T << "' width='" << PW - L - R << "' height='" << H - T - B
        << "' fill='none' stroke='black'/>\n";
    std::vector<double> xt;
    if (p.log_x)
      for (double e = a; e <= b + 1e-9; ++e) xt.push_back(std::pow(10, e));
    else xt = linear_ticks(a, b);
    for (double v : xt) {
      char label[32];
      if (p.log_x) std::snprintf(label, sizeof label, "1e%d", static_cast<int>(std::lround(std::log10(v))));
      else std::snprintf(label, sizeof label, "%s", fmt(v).c_str());
      out << "<line x1='" << px(v) << "' y1='" << H - B << "' x2='" << px(v) << "' y2='" << T
          << "' stroke='#eee'/>\n<text x='" << px(v) << "' y='" << H - B + 16 << "' text-anchor='middle'>" << label
          << "</text>\n";
    }
    for (double v : yt)
      out << "<line x1='" << ox + L << "' y1='" << py(v) << "' x2='" << ox + PW - R << "' y2='" << py(v)
          << "' stroke='#eee'/>\n<text x='" << ox + L - 6 << "' y='" << py(v) + 4 << "' text-anchor='end'>" << fmt(v)
          << "</text>\n";
    out << "<text x='" << ox + (L + PW - R) / 2 << "' y='" << H - 18 << "' text-anchor='middle'>" << escape(p.x_label)
        << "</text>\n<text transform='translate(" << ox + 16 << "," << (T + H - B) / 2
        << ") rotate(-90)' text-anchor='middle'>" << escape(p.y_label) << "</text>\n";
    if (p.reference_y > 0)
      out << "<line x1='" << ox + L << "' y1='" << py(p.reference_y) << "' x2='" << ox + PW - R << "' y2='"
          << py(p.reference_y) << "' stroke='#555' stroke-dasharray='5,4'/>\n<text x='" << ox + PW - R - 4 << "' y='"
          << py(p.reference_y) - 5 << "' text-anchor='end' fill='#555'>" << escape(p.reference_label) << "</text>\n";
    for (std::size_t s = 0; s < p.series.size(); ++s) {
      const LineSeries& ser = p.series[s];
      if (ser.band.size() != ser.points.size() || ser.band.empty()) continue;
      std::ostringstream upper;
      std::string lower;  // the low edge, backwards
      for (std::size_t i = 0; i < ser.points.size(); ++i) {
        const double x = ser.points[i].first;
        if (!std::isfinite(x) || (p.log_x && x <= 0) || !std::isfinite(ser.band[i].first) ||
            !std::isfinite(ser.band[i].second))
          continue;
        upper << px(x) << "," << pyc(ser.band[i].second) << " ";
        std::ostringstream point;
        point << px(x) << "," << pyc(ser.band[i].first) << " ";
        lower = point.str() + lower;
      }
      out << "<polygon fill='" << kColours[s % 8] << "' fill-opacity='0.15' stroke='none' points='" << upper.str()
          << lower << "'/>\n";
    }
    for (std::size_t s = 0; s < p.series.size(); ++s) {
      const char* colour = kColours[s % 8];
      out << "<polyline fill='none' stroke='" << colour << "' stroke-width='1.8' points='";
      for (auto [x, y] : p.series[s].points)
        if (std::isfinite(x) && std::isfinite(y) && (!p.log_x || x > 0)) out << px(x) << "," << pyc(y) << " ";
      out << "'/>\n";
      for (auto [x, y] : p.series[s].points)
        if (std::isfinite(x) && std::isfinite(y) && (!p.log_x || x > 0))
          out << "<circle cx='" << px(x) << "' cy='" << pyc(y) << "' r='3' fill='" << (y > top ? "white" : colour)
              << "' stroke='" << colour << "'><title>" << escape(p.series[s].name) << ": " << fmt(x) << ", " << fmt(y)
              << "</title></circle>\n";
    }
    if (clipped)
      out << "<text x='" << ox + PW - R << "' y='" << H - 4 << "' text-anchor='end' font-size='11' fill='#555'>"
          << "open circles: above " << fmt(top) << ", drawn at the top</text>\n";
  }
  if (!panels.empty())
    for (std::size_t s = 0; s < panels[0].series.size(); ++s) {
      const double y = T + 10 + 20 * static_cast<double>(s), x = PW * static_cast<double>(panels.size()) + 10;
      out << "<line x1='" << x << "' y1='" << y << "' x2='" << x + 24 << "' y2='" << y << "' stroke='"
          << kColours[s % 8] << "' stroke-width='2'/>\n<text x='" << x + 30 << "' y='" << y + 4 << "'>"
          << escape(panels[0].series[s].name) << "</text>\n";
    }
  out << "</svg>\n";
  std::ofstream f(file);
  f << out.str();
  if (!f) throw WriteError(file.string() + ": cannot be written");
}

}  // namespace nac
