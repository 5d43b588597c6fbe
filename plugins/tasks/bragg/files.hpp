#pragma once
// Bragg-peak datasets on disk.
//
// Simple layout (.npz or .h5/.hdf5): `patches` (N, 1, p, p) or (N, p, p), values in [0, 1], and
// `labels` (N, 2): the centre (x, y) = (column, row) / p, as BraggNN's labels.
//
// BraggNN's own layout: a frames file with `frames` (F, H, W) and a peaks file with
// `peak_fidx`, `peak_row`, `peak_col`, `npeaks`, `deviations`; single peaks (npeaks = 1) with
// deviation in [0, 1) are kept, then cropped, cleaned and normalised as the generator does.
#include <filesystem>

#include "generator.hpp"

namespace nac::bragg {

/// Reads a simple-layout file. Throws nac::Error naming the file for a missing dataset, a wrong
/// shape, NaN or infinite values, or a corrupt file.
nn::Dataset read_patches(const std::filesystem::path& file);

/// Writes a simple-layout file (format by extension: .npz, .h5, .hdf5).
void write_patches(const std::filesystem::path& file, const nn::Dataset& data);
void write_patches(const std::filesystem::path& file, const nn::Tensor& patches, const nn::Tensor& labels);

/// Reads BraggNN's frames + peaks files and cuts patches of `patch` pixels.
nn::Dataset read_braggnn(const std::filesystem::path& frames, const std::filesystem::path& peaks, std::int64_t patch);

/// Cuts one patch from a frame (rows x cols, row-major) around a peak at (row, col) in frame
/// pixels, as BraggNN does (zero padding at the frame's edges), cleans and normalises it; writes
/// the label (x, y) to label[0..1].
void cut_patch(const float* frame, std::int64_t rows, std::int64_t cols, double row, double col, std::int64_t patch,
               float* out, float* label);

}  // namespace nac::bragg
