#pragma once
// Readers for the real jet datasets' files (docs/jets.md): the OpenML table hls4ml_lhc_jets_hlf
// (data set 42468: the 16 high-level features and the class, as CSV or ARFF) and the hls4ml LHC
// jet data's 150-particle HDF5 files (zenodo record 3602260, jetImage_*_150p_*.h5). Labels are in
// class_names() order (g 0, q 1, W 2, Z 3, t 4), features in feature_names() order. Every failure
// throws nac::Error whose message starts with the file's path.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace nac::jets {

/// The rows of the OpenML table.
struct HlfTable {
  std::vector<float> features;  // rows x kFeatures, row-major, in feature_names() order
  std::vector<int> labels;      // one per row, class_names() order
  std::int64_t rows = 0;
};

/// Reads the hls4ml_lhc_jets_hlf table from an ARFF file (as OpenML serves it: `@relation`,
/// `@attribute NAME TYPE`, `@data`, then comma-separated rows; `%` comments; names and values may
/// be quoted with ' or ") or a CSV file (a header row of column names, then rows; fields may be
/// quoted with "). It is ARFF if its first line that is neither blank nor a `%` comment starts with
/// '@'. Columns are found by name, in any order: the 16 of feature_names() and `class` (g, q, w, z
/// or t, in any case); others are ignored. Throws nac::Error "FILE: ..." or "FILE:LINE: ..." for a
/// missing or repeated column, a row with another number of values than columns, a feature that is
/// not a finite number, an unknown class, a table without rows.
HlfTable read_hlf_table(const std::filesystem::path& file);

/// Jets of the 150-particle files.
struct JetFile {
  std::int64_t rows = 0;                       // jets
  std::vector<int> labels;                     // one per jet, class_names() order
  std::vector<float> hlf;                      // rows x kFeatures, in feature_names() order
  std::int64_t constituents = 0;               // particles per jet in `particles`
  std::vector<std::string> particle_features;  // the F features of each particle
  std::vector<float> particles;                // rows x constituents x F, row-major, zero padded
};

/// Reads one file of the 150-particle layout:
///   jets                  float (N, C), its columns named by `jetFeatureNames` (C strings)
///   jetConstituentList    float (N, P, F) (P = 150), each particle's columns named by
///                         `particleFeatureNames` (F strings); particles by decreasing pT, padded
///                         with zeros
/// (other datasets, such as jetImage, are ignored). A jet's label comes from the one-hot columns
/// j_g, j_q, j_w, j_z, j_t (exactly one is 1, the others and j_undef, if present, 0); its hlf from
/// the 16 columns of feature_names(); its particles are the first `constituents` of the file's
/// whose j1_pt is above min_pt, in the file's order, with the `particle_features` columns (by
/// name), zero padded. constituents 0 reads no particles (for the hlf view). The particles are
/// read in blocks of jets, so memory stays near the result's size. Throws nac::Error naming the
/// file (and the dataset, jet and column) for a missing dataset, shapes that disagree, a missing
/// column, an unknown particle feature, more constituents than the file holds, a jet without
/// exactly one label, a non-finite value used, a truncated or corrupt file.
JetFile read_jet_file(const std::filesystem::path& file, std::int64_t constituents, double min_pt,
                      const std::vector<std::string>& particle_features = {"j1_pt", "j1_etarel", "j1_phirel"});

/// The files' jets, one after the other in the list's order; a folder in the list stands for its
/// .h5 files (jet_files_in). Throws nac::Error for an empty list or any file's error.
JetFile read_jet_files(const std::vector<std::filesystem::path>& files, std::int64_t constituents, double min_pt,
                       const std::vector<std::string>& particle_features = {"j1_pt", "j1_etarel", "j1_phirel"});

/// A folder's files ending in .h5 or .hdf5, sorted by name. Throws nac::Error naming the folder if
/// it cannot be listed or holds none.
std::vector<std::filesystem::path> jet_files_in(const std::filesystem::path& folder);

}  // namespace nac::jets
