#include "label_conventions.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "fit.hpp"

namespace nac::bragg {

namespace {

// The origin check needs this many usable patches, and both axes' mean offsets within this
// distance of half a pixel (docs/bragg.md: on nac's own synthetic patches the mean offset of
// correct labels is within 0.17 px of 0 at 100 patches, 0.09 px at 200, in every regime tried).
constexpr std::size_t kMinPatches = 100;
constexpr double kHalfPixelTolerance = 0.2;

std::int64_t patch_size(const nn::Dataset& d) { return d.inputs.dim(d.inputs.rank() - 1); }

std::string number(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.6g", v);
  return b;
}

// One label value of a p-pixel patch, written in `from`, in nac's convention.
double to_nac(double label, std::int64_t p, const LabelConvention& from) {
  const double size = static_cast<double>(p);
  if (from.units == LabelConvention::Units::Pixels) label /= size;
  if (from.origin == LabelConvention::Origin::Centre) label += 0.5 / size;
  return label;
}

}  // namespace

void labels_to_nac(nn::Tensor& labels, std::int64_t p, const LabelConvention& from) {
  if (from.is_nacs()) return;
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<float>(to_nac(labels[i], p, from));
}

void labels_from_nac(nn::Tensor& labels, std::int64_t p, const LabelConvention& to) {
  const double size = static_cast<double>(p);
  const double shift = to.origin == LabelConvention::Origin::Centre ? 0.5 / size : 0;
  const double scale = to.units == LabelConvention::Units::Pixels ? size : 1;
  if (to.is_nacs()) return;
  for (std::size_t i = 0; i < labels.size(); ++i)
    labels[i] = static_cast<float>((static_cast<double>(labels[i]) - shift) * scale);
}

CentroidOffset centroid_offset(const nn::Dataset& d, const LabelConvention& convention) {
  const std::int64_t p = patch_size(d);
  const std::size_t pixels = static_cast<std::size_t>(p * p);
  CentroidOffset out;
  double sx = 0, sy = 0;
  for (std::size_t i = 0; i < d.size(); ++i) {
    const float* patch = d.inputs.data() + i * pixels;
    if (std::any_of(patch, patch + pixels, [](float v) { return v < 0; })) continue;
    const FitResult c = centroid(patch, p);
    if (!c.converged) continue;  // an empty patch
    sx += to_nac(d.targets[2 * i], p, convention) * static_cast<double>(p) - c.col;
    sy += to_nac(d.targets[2 * i + 1], p, convention) * static_cast<double>(p) - c.row;
    ++out.used;
  }
  if (out.used) out.x = sx / static_cast<double>(out.used), out.y = sy / static_cast<double>(out.used);
  return out;
}

std::vector<std::string> label_warnings(const nn::Dataset& data, const LabelConvention& convention,
                                        const std::string& file) {
  std::vector<std::string> out;
  if (data.targets.size() == 0) return out;
  const std::int64_t p = patch_size(data);
  const float* labels = data.targets.data();
  const float largest = *std::max_element(labels, labels + data.targets.size());
  const auto above_one =
      static_cast<std::size_t>(std::count_if(labels, labels + data.targets.size(), [](float v) { return v > 1; }));
  const bool fractions = convention.units == LabelConvention::Units::Fraction;
  if (fractions && above_one > 0) {
    out.push_back(file + ": " + std::to_string(above_one) + " of " + std::to_string(data.targets.size()) +
                  " label values are above 1 (the largest " + number(largest) + "), outside the patch: " +
                  (2 * above_one > data.targets.size()
                       ? "they look like pixels, not fractions of the patch; if so, set label_units = \"pixels\""
                       : "are they pixels, not fractions of the patch (label_units = \"pixels\")?"));
    return out;  // the origin check means nothing on labels in the wrong units
  }
  if (!fractions && p > 2 && largest <= 1) {
    out.push_back(file + ": every label value is at most 1 (the largest " + number(largest) + ") in patches of " +
                  std::to_string(p) +
                  " pixels: they look like fractions of the patch, not pixels; if so, set label_units = "
                  "\"fraction\" (the default)");
    return out;
  }
  const CentroidOffset o = centroid_offset(data, convention);
  if (o.used < kMinPatches) return out;
  const bool corner = convention.origin == LabelConvention::Origin::Corner;
  const double expected = corner ? -0.5 : 0.5;  // where labels in the other convention land
  if (std::abs(o.x - expected) < kHalfPixelTolerance && std::abs(o.y - expected) < kHalfPixelTolerance) {
    char offset[96];
    std::snprintf(offset, sizeof offset, "(%+.2f, %+.2f) pixels", o.x, o.y);
    out.push_back(file + ": the labels lie on average " + offset + " from the intensity centroids of their " +
                  std::to_string(o.used) + " patches, half a pixel " + (corner ? "up and left" : "down and right") +
                  ": they look like they put pixel k's centre at " + (corner ? "k" : "k + 0.5") +
                  "; if so, set label_origin = \"" + (corner ? "centre" : "corner") + "\"" +
                  (corner ? "" : " (the default)"));
  }
  return out;
}

}  // namespace nac::bragg
