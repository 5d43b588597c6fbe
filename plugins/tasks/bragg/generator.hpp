#pragma once
// Synthetic Bragg-peak patches, made the way the real pipeline makes them from detector frames:
//
//  1. A 2-D pseudo-Voigt peak: I(x, y) = A [eta L(r) + (1 - eta) G(r)] with L = 1 / (1 + r^2),
//     G = exp(-ln 2 r^2) (both at half maximum for r = 1), r^2 = (x'/wx)^2 + (y'/wy)^2 in axes
//     rotated by theta; optionally a neighbouring peak partly inside the patch.
//  2. On the detector's pixel grid (pixel k spans [k, k+1), sampled at its centre): photon
//     counts ~ Poisson(I + background), plus Gaussian read noise; then the detector's threshold,
//     background + k sigma, is subtracted and negative values set to 0.
//  3. The patch is cut as BraggNN cuts it: a window of `patch` pixels around the integer pixel of
//     the peak (the centre lies in [p/2, p/2 + 1) of the patch in each axis), optionally shifted
//     by a random whole number of pixels (augmentation); pixels of other connected components
//     (8-connected, of the non-zero pixels) are cleared, keeping the component whose maximum is
//     nearest the peak's centre; the patch is min-max normalised to [0, 1].
//  4. The label is the true centre in patch coordinates divided by the patch size, as BraggNN's:
//     (x, y) = (column, row) / patch.
//
// Only the patch's pixels are rendered: nothing outside them reaches the patch, so this equals
// rendering the whole frame. Same seed, same patches (each patch has its own random stream).
#include <cstdint>
#include <vector>

#include "nac/config.hpp"
#include "nac/settings.hpp"
#include "nac/nn/trainer.hpp"
#include "patch_cleaning.hpp"

namespace nac::bragg {

struct PeakSettings {
  std::int64_t patch = 11;                                            // patch size in pixels
  double amplitude_min = 100, amplitude_max = 10000;                  // photons at the peak, log-uniform, <= 1e8
  double width_min = 0.6, width_max = 2.0;                            // half width at half maximum per axis, px
  double eta_min = 0, eta_max = 1;                                    // Lorentzian fraction
  bool rotate = true;                                                 // theta uniform in [0, pi), else 0
  double subpixel_min = 0, subpixel_max = 1;                          // centre offset inside its pixel
  double background_min = 5, background_max = 50;                     // photons per pixel, uniform, <= 1e7
  double read_noise = 2;                                              // Gaussian sigma, photons
  double threshold_sigmas = 3;                                        // threshold = bg + k sqrt(bg + read_noise^2)
  bool noise = true;                                                  // false: expected counts, no noise
  double neighbour_probability = 0.2;                                 // a second peak near the patch
  double neighbour_distance_min = 4, neighbour_distance_max = 7;      // px from the peak
  double neighbour_amplitude_min = 0.1, neighbour_amplitude_max = 1;  // relative to the peak, <= 10
  std::int64_t shift = 0;                                             // max random whole-pixel shift of the window
  bool clean = true;                                                  // clear other connected components

  /// Reads the settings from a task table (keys as the fields above); checks ranges.
  static PeakSettings from_config(const ConfigTable& config);
  /// The settings from_config reads, for `nac plugins --describe`.
  static std::vector<SettingInfo> described();
};

/// n patches (N, 1, p, p) and labels (N, 2), patches seed-indexed from `first`.
nn::Dataset generate_patches(const PeakSettings& s, std::int64_t n, std::uint64_t seed, std::int64_t first = 0);

}  // namespace nac::bragg
