#pragma once
// The classical method BraggNN replaced: a least-squares fit of a 2-D pseudo-Voigt profile
// (amplitude, centre, two widths, rotation, Lorentzian fraction, offset) to the pixels of a
// patch's peak component, by Levenberg-Marquardt with the analytic Jacobian (Eigen for the 8x8
// normal equations). Also the intensity-weighted centroid, the cheapest estimate.
#include <cstdint>

namespace nac::bragg {

struct FitResult {
  double row = 0, col = 0;  // centre, patch coordinates (pixels)
  int iterations = 0;
  bool converged = false;
  double cost = 0;  // half the sum of squared residuals
};

/// Fits one patch (size x size values, row-major). Pixels equal to 0 are treated as cleared
/// (outside the peak's component) and not fitted; a patch with fewer than 9 non-zero pixels
/// falls back to the centroid.
FitResult fit_pseudo_voigt(const float* patch, std::int64_t size, int max_iterations = 100);

/// The intensity-weighted centroid (pixel centres at k + 0.5).
FitResult centroid(const float* patch, std::int64_t size);

}  // namespace nac::bragg
