#pragma once
// Hypervolume of a set of points (minimisation) with respect to a reference point: the measure of
// the region dominated by the set and bounded by the reference. Points not strictly better than
// the reference in every objective contribute nothing. Exact in any dimension: an O(n log n)
// sweep in 2-D, and slicing along the last objective above that (fine for the few hundred points
// of a front; exponential in the number of objectives).
#include <vector>

#include "nac/pareto.hpp"
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac {

double hypervolume(std::vector<Point> points, const Point& reference);

}  // namespace nac
NAC_PUBLIC_END
