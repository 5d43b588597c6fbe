#pragma once
// Box plots as SVG: per group, a box from the first to the third quartile with the median, whiskers
// to the smallest and largest value, and every value as a dot (a few seeds: the dots say more than
// the box). Used by nac bench for each problem's values at the budget.
#include <filesystem>
#include <string>
#include <vector>

namespace nac {

struct BoxGroup {
  std::string name;
  std::vector<double> values;  // non-finite values are left out
};

/// Throws WriteError when the file cannot be written.
void write_box_plot(const std::filesystem::path& file, const std::string& title, const std::string& y_label,
                    const std::vector<BoxGroup>& groups);

}  // namespace nac
