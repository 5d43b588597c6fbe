#pragma once
// The statistics of a benchmark over seeds: quantiles, the Mann-Whitney U test (as SciPy's
// scipy.stats.mannwhitneyu computes it), the Vargha-Delaney effect size and Holm's correction
// for many comparisons at once.
#include <cstddef>
#include <vector>

#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac {

/// The q-quantile (q in [0, 1]) of the values, linearly interpolated between order statistics
/// (numpy's default, "type 7"). Throws nac::Error for no values.
double quantile(std::vector<double> values, double q);
inline double median(const std::vector<double>& values) { return quantile(values, 0.5); }

struct RankTest {
  double u = 0;       // U of the first sample: #(x > y) + #(x == y) / 2 over all pairs
  double p = 1;       // two-sided p-value
  bool exact = true;  // p from the exact distribution of U (no ties, a sample of at most 8)
  /// Vargha and Delaney's A: P(X > Y) + P(X == Y) / 2 = u / (n_x n_y); 0.5 is no effect, 0.71
  /// (or 0.29) a large one by their thresholds.
  double a = 0.5;
};

/// The two-sided Mann-Whitney U test of x against y, as SciPy 1.10's mannwhitneyu with its
/// defaults: exact when a sample has at most 8 values and no value is tied, otherwise the
/// normal approximation with the tie correction and a continuity correction of 0.5. Throws
/// nac::Error when a sample is empty.
RankTest mann_whitney_u(const std::vector<double>& x, const std::vector<double>& y);

/// Holm's step-down adjustment of p-values for testing them all at once: the i-th smallest
/// p becomes the largest of (m - j) p_(j) over j <= i (0-based), at most 1; reject where the
/// adjusted value is below the level. In the input's order.
std::vector<double> holm(const std::vector<double>& p);

}  // namespace nac
NAC_PUBLIC_END
