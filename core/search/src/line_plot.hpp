#pragma once
// Line charts as SVG, side-by-side panels sharing the y axis's quantity: axes with round tick
// values (decades on a log axis: 1e5, 1e6, ...), labels, a legend, optional shaded bands. Used by
// the compression figure and nac bench's curves.
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace nac {

struct LineSeries {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y), drawn in this order
  /// Optional: a shaded band from low[i] to high[i] at each point's x (e.g. the interquartile
  /// range around a median); empty, or one pair per point.
  std::vector<std::pair<double, double>> band = {};
};

struct LinePanel {
  std::string title, x_label, y_label;
  bool log_x = false;
  std::vector<LineSeries> series;
  double reference_y = 0;  // a dashed horizontal line when > 0 (e.g. the dense model's error)
  std::string reference_label;
  double y_max = 0;  // > 0: the y axis ends here; higher points sit on its top edge as open circles
};

/// Throws WriteError when the file cannot be written.
void write_line_plot(const std::filesystem::path& file, const std::string& title, const std::vector<LinePanel>& panels);

}  // namespace nac
