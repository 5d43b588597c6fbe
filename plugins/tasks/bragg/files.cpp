#include "files.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>

#include "nac/data/array_io.hpp"
#include "nac/error.hpp"
#include "nac/value.hpp"

namespace nac::bragg {

namespace fs = std::filesystem;
using data::Array;
using data::ArrayFile;

namespace {

void check_finite(const Array& a, const fs::path& file) {
  for (std::size_t i = 0; i < a.values.size(); ++i)
    if (!std::isfinite(a.values[i]))
      throw Error(file.string() + ": dataset '" + a.name + "' holds a " +
                  (std::isnan(a.values[i]) ? "NaN" : "infinite") + " value (element " + std::to_string(i) + ")");
}

}  // namespace

nn::Dataset read_patches(const fs::path& file) {
  const auto f = ArrayFile::open(file);
  const Array patches = f->read("patches"), labels = f->read("labels");
  const Shape& ps = patches.shape;
  const bool ok3 = ps.size() == 3 && ps[1] == ps[2], ok4 = ps.size() == 4 && ps[1] == 1 && ps[2] == ps[3];
  if (!ok3 && !ok4)
    throw Error(file.string() + ": 'patches' must be (N, 1, p, p) or (N, p, p), found " + to_string(ps));
  const std::int64_t n = ps[0], p = ps.back();
  if (n == 0 || p == 0) throw Error(file.string() + ": 'patches' " + to_string(ps) + " holds no pixels");
  if (labels.shape != Shape{n, 2})
    throw Error(file.string() + ": 'labels' must be (" + std::to_string(n) + ", 2) to match 'patches', found " +
                to_string(labels.shape));
  check_finite(patches, file);
  check_finite(labels, file);
  nn::Dataset d{nn::Tensor({n, 1, p, p}), nn::Tensor({n, 2})};
  std::memcpy(d.inputs.data(), patches.values.data(), patches.values.size() * sizeof(float));
  std::memcpy(d.targets.data(), labels.values.data(), labels.values.size() * sizeof(float));
  return d;
}

void write_patches(const fs::path& file, const nn::Dataset& d) { write_patches(file, d.inputs, d.targets); }

void write_patches(const fs::path& file, const nn::Tensor& patches, const nn::Tensor& labels) {
  data::write_arrays(file, {data::ArrayView{"patches", patches.shape(), {patches.data(), patches.size()}},
                            data::ArrayView{"labels", labels.shape(), {labels.data(), labels.size()}}});
}

void cut_patch(const float* frame, std::int64_t rows, std::int64_t cols, double row, double col, std::int64_t p,
               float* out, float* label) {
  const std::int64_t half = p / 2, pr = static_cast<std::int64_t>(row), pc = static_cast<std::int64_t>(col);
  // BraggNN: rows [pr - half, pr + half + p % 2) clipped to the frame, then centred zero padding.
  const std::int64_t r0 = std::max<std::int64_t>(0, pr - half), r1 = std::min(rows, pr + half + p % 2);
  const std::int64_t c0 = std::max<std::int64_t>(0, pc - half), c1 = std::min(cols, pc + half + p % 2);
  const std::int64_t h = std::max<std::int64_t>(0, r1 - r0), w = std::max<std::int64_t>(0, c1 - c0);
  const std::int64_t pad_t = (p - h) / 2, pad_l = (p - w) / 2;
  std::fill(out, out + p * p, 0.0f);
  for (std::int64_t r = 0; r < h; ++r)
    for (std::int64_t c = 0; c < w; ++c) out[(r + pad_t) * p + c + pad_l] = frame[(r0 + r) * cols + c0 + c];
  const double prow = row - static_cast<double>(r0) + static_cast<double>(pad_t);
  const double pcol = col - static_cast<double>(c0) + static_cast<double>(pad_l);
  keep_nearest_component(out, p, prow, pcol);
  min_max_normalise(out, p * p);
  label[0] = static_cast<float>(pcol / static_cast<double>(p));
  label[1] = static_cast<float>(prow / static_cast<double>(p));
}

nn::Dataset read_braggnn(const fs::path& frames_file, const fs::path& peaks_file, std::int64_t p) {
  const auto peaks = ArrayFile::open(peaks_file);
  const Array fidx = peaks->read("peak_fidx"), prow = peaks->read("peak_row"), pcol = peaks->read("peak_col");
  const Array npeaks = peaks->read("npeaks"), dev = peaks->read("deviations");
  const std::size_t count = fidx.values.size();
  for (const Array* a : {&prow, &pcol, &npeaks, &dev})
    if (a->values.size() != count)
      throw Error(peaks_file.string() + ": '" + a->name + "' has " + std::to_string(a->values.size()) +
                  " entries, 'peak_fidx' has " + std::to_string(count));
  std::vector<std::size_t> keep;
  for (std::size_t i = 0; i < count; ++i)
    if (npeaks.values[i] == 1 && dev.values[i] >= 0 && dev.values[i] < 1) keep.push_back(i);

  const auto frames = ArrayFile::open(frames_file);
  const Shape fs_shape = frames->shape("frames");
  if (fs_shape.size() != 3 || fs_shape[1] < 1 || fs_shape[2] < 1)
    throw Error(frames_file.string() + ": 'frames' must be (F, H, W) with H, W >= 1, found " + to_string(fs_shape));
  const std::int64_t n = static_cast<std::int64_t>(keep.size());
  if (n == 0)
    throw Error(peaks_file.string() + ": no peak to learn from (none has npeaks = 1 and a deviation in [0, 1))");
  nn::Dataset d{nn::Tensor({n, 1, p, p}), nn::Tensor({n, 2})};
  std::map<std::int64_t, Array> cache;  // frames read once each
  for (std::int64_t k = 0; k < n; ++k) {
    const std::size_t i = keep[static_cast<std::size_t>(k)];
    // Checked as floats before any cast: a NaN or 1e30 frame index or position is refused, never
    // converted (a cast of an out-of-range float to an integer is undefined behaviour).
    const double fv = fidx.values[i], row = prow.values[i], col = pcol.values[i];
    if (!(fv >= 0 && fv < static_cast<double>(fs_shape[0])) || fv != std::floor(fv))
      throw Error(peaks_file.string() + ": peak " + std::to_string(i) + " names frame " + to_string(Value{fv}) + ", " +
                  frames_file.string() + " has frames 0 to " + std::to_string(fs_shape[0] - 1));
    if (!std::isfinite(row) || !std::isfinite(col))
      throw Error(peaks_file.string() + ": peak " + std::to_string(i) + " has a non-finite position");
    if (!(row >= 0 && row < static_cast<double>(fs_shape[1]) && col >= 0 && col < static_cast<double>(fs_shape[2])))
      throw Error(peaks_file.string() + ": peak " + std::to_string(i) + " at row " + to_string(Value{row}) +
                  ", column " + to_string(Value{col}) + " lies outside its frame (" + std::to_string(fs_shape[1]) +
                  " x " + std::to_string(fs_shape[2]) + ")");
    const auto f = static_cast<std::int64_t>(fv);
    auto it = cache.find(f);
    if (it == cache.end()) {
      if (cache.size() > 64) cache.clear();
      Array frame = frames->read_rows("frames", f, 1);
      for (float v : frame.values)
        if (!std::isfinite(v))
          throw Error(frames_file.string() + ": frame " + std::to_string(f) + " holds NaN or infinite pixels");
      it = cache.emplace(f, std::move(frame)).first;
    }
    cut_patch(it->second.values.data(), fs_shape[1], fs_shape[2], prow.values[i], pcol.values[i], p,
              d.inputs.data() + k * p * p, d.targets.data() + 2 * k);
  }
  return d;
}

}  // namespace nac::bragg
