#include "nac/hypervolume.hpp"

#include <algorithm>

#include "nac/error.hpp"

namespace nac {

namespace {

double hv2(std::vector<Point>& pts, const Point& ref) {
  std::sort(pts.begin(), pts.end(),
            [](const Point& a, const Point& b) { return a[0] < b[0] || (a[0] == b[0] && a[1] < b[1]); });
  double volume = 0, best = ref[1];
  for (const auto& p : pts) {
    if (p[1] < best) {
      volume += (ref[0] - p[0]) * (best - p[1]);
      best = p[1];
    }
  }
  return volume;
}

// Slices along the last objective: between consecutive values of it, the dominated region is the
// (d-1)-dimensional hypervolume of the points at or below the slice.
double hv(std::vector<Point> pts, const Point& ref) {
  const std::size_t d = ref.size();
  if (pts.empty()) return 0;
  if (d == 1) {
    double best = ref[0];
    for (const auto& p : pts) best = std::min(best, p[0]);
    return ref[0] - best;
  }
  if (d == 2) return hv2(pts, ref);
  std::sort(pts.begin(), pts.end(), [d](const Point& a, const Point& b) { return a[d - 1] < b[d - 1]; });
  const Point sub_ref(ref.begin(), ref.end() - 1);
  std::vector<Point> slice;
  double volume = 0;
  for (std::size_t i = 0; i < pts.size(); ++i) {
    slice.emplace_back(pts[i].begin(), pts[i].end() - 1);
    const double upper = i + 1 < pts.size() ? pts[i + 1][d - 1] : ref[d - 1];
    const double height = upper - pts[i][d - 1];
    if (height > 0) {
      slice = [&] {  // keep only the non-dominated part of the slice, so it stays small
        std::vector<Point> kept;
        for (std::size_t k : non_dominated(slice)) kept.push_back(slice[k]);
        return kept;
      }();
      volume += height * hv(slice, sub_ref);
    }
  }
  return volume;
}

}  // namespace

double hypervolume(std::vector<Point> points, const Point& reference) {
  if (reference.empty()) throw Error("hypervolume: empty reference point");
  std::vector<Point> inside;
  for (auto& p : points) {
    if (p.size() != reference.size())
      throw Error("hypervolume: a point has " + std::to_string(p.size()) + " objectives, the reference " +
                  std::to_string(reference.size()));
    bool in = true;
    for (std::size_t i = 0; i < p.size(); ++i) in = in && p[i] < reference[i];
    if (in) inside.push_back(std::move(p));
  }
  return hv(std::move(inside), reference);
}

}  // namespace nac
