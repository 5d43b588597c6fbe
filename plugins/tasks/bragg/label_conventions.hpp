#pragma once
// How a data file's labels are written, and the conversion to nac's own convention.
//
// nac's labels (and BraggNN's) are the peak centre (x, y) = (column, row) in patch coordinates
// divided by the patch size p, with the origin at the outer corner of the first pixel: pixel k
// spans [k, k + 1) and its centre is k + 0.5. Other tools often put the origin at the centre of
// the first pixel (numpy indices, scipy.ndimage.center_of_mass: pixel k's centre is k), or give
// the centre in pixels rather than as a fraction of the patch. A file written so is converted on
// load: label = (file label [/ p if pixels]) [+ 0.5 / p if the origin is the first pixel's centre].
#include <cstdint>
#include <string>
#include <vector>

#include "nac/nn/trainer.hpp"

namespace nac::bragg {

struct LabelConvention {
  enum class Origin { Corner, Centre };   // (0, 0) at the first pixel's outer corner (nac) or its centre
  enum class Units { Fraction, Pixels };  // the centre divided by the patch size (nac) or in pixels
  Origin origin = Origin::Corner;
  Units units = Units::Fraction;

  bool is_nacs() const { return origin == Origin::Corner && units == Units::Fraction; }
};

/// Labels (N, 2) of p-pixel patches, written in `from`, converted to nac's convention in place.
void labels_to_nac(nn::Tensor& labels, std::int64_t p, const LabelConvention& from);
/// The inverse: nac's labels rewritten in `to` (what a file in that convention holds).
void labels_from_nac(nn::Tensor& labels, std::int64_t p, const LabelConvention& to);

/// The mean offset, in pixels per axis, of the labels (written in `convention`, taken in nac's)
/// from the intensity centroids of their patches (pixel centres at k + 0.5), over the patches
/// whose pixels are all >= 0 with a positive sum; `used` is their number. About (0, 0) when the
/// convention is right, (-0.5, -0.5) for labels that put pixel k's centre at k read as nac's.
struct CentroidOffset {
  double x = 0, y = 0;
  std::size_t used = 0;
};
CentroidOffset centroid_offset(const nn::Dataset& data, const LabelConvention& convention = {});

/// Warnings about a file's labels (`data` as read, before conversion) that look written in
/// another convention than `convention`, each naming `file` and the setting that would fit:
/// labels above 1 read as fractions, labels all at most 1 read as pixels, and labels half a
/// pixel up and left (or down and right) of their patches' intensity centroids on average (over
/// at least 100 patches). Empty: nothing suspicious.
std::vector<std::string> label_warnings(const nn::Dataset& data, const LabelConvention& convention,
                                        const std::string& file);

}  // namespace nac::bragg
