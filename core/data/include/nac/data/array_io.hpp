#pragma once
// Array files: reading and writing named n-dimensional arrays in the formats datasets come in.
//
//   .npy        numpy's format: one array (header versions 1.0, 2.0, 3.0; C order; little-endian
//               bool, int8..int64, uint8..uint64, float16, float32, float64)
//   .npz        a ZIP archive of .npy members, as numpy.savez (stored) and numpy.savez_compressed
//               (deflated) write them; ZIP64 archives too; the CRC-32 of every member read is checked
//   .h5/.hdf5   HDF5 (through the HDF5 C library): every integer or float dataset, at any group depth
//
// The format is chosen by the file's magic bytes (the extension only helps to word errors). Values
// always come back as float32, converted from whatever was stored. String arrays (HDF5 fixed- and
// variable-length strings, numpy's 'S' and 'U' dtypes) are listed too and read by strings() as
// std::string. Every failure (a missing,
// empty, truncated or corrupt file, an unsupported dtype, a missing dataset, a bad row range)
// throws nac::Error whose message starts with the file's path; bad input never crashes.
//
// An ArrayFile reads lazily: open() reads only the headers (.npy header, ZIP directory and member
// headers, HDF5 metadata), read()/read_rows() read data on demand. Its methods may be called
// from several threads at once.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "nac/model_spec.hpp"
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac::data {

/// One named array.
struct Array {
  std::string name;
  Shape shape;                // {} for a scalar (one value)
  std::vector<float> values;  // row-major (C order); product(shape) values
  std::string stored_dtype;   // the dtype in the file: "float32", "float64", "float16", "int8",
                              // "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
                              // "bool" ("string" for a string array, which read() refuses);
                              // ignored by write_arrays
};

/// A readable array file. Names are:
///   .npy   one array, named by the file's stem ("frames.npy" holds "frames")
///   .npz   the members' names without ".npy" (members not ending in ".npy" are not listed)
///   HDF5   every dataset's full path without the leading '/', e.g. "frames", "group/x"
///          (a leading '/' in a name passed to the methods below is accepted and ignored)
class ArrayFile {
 public:
  /// Opens a .npy, .npz or HDF5 file. Throws nac::Error naming the file for a missing file, an
  /// unknown format, or a truncated or corrupt file (as far as the headers show).
  static std::unique_ptr<ArrayFile> open(const std::filesystem::path& file);

  virtual ~ArrayFile();
  ArrayFile(const ArrayFile&) = delete;
  ArrayFile& operator=(const ArrayFile&) = delete;

  /// The arrays in the file, in the file's order (HDF5: by name within each group).
  virtual std::vector<std::string> names() const = 0;
  virtual bool has(const std::string& name) const = 0;

  /// The array's shape and stored dtype. An unknown name throws nac::Error
  /// "FILE: no dataset 'x' (it has: a, b)"; so do read() and read_rows().
  virtual Shape shape(const std::string& name) const = 0;
  virtual std::string dtype(const std::string& name) const = 0;

  /// The whole array, converted to float32. Throws nac::Error naming the file and the array if
  /// the data is truncated or corrupt, or the dtype cannot be converted (e.g. HDF5 strings).
  virtual Array read(const std::string& name) const = 0;

  /// Rows [first, first + count) along the first axis: shape {count, shape[1], ...}. Reads only
  /// those rows where the format allows (.npy, HDF5 hyperslabs, stored .npz members once their
  /// CRC-32 has been checked; a deflated .npz member is inflated up to the last row asked for).
  /// count == 0 is fine. A scalar array or a range outside [0, shape[0]] throws nac::Error naming
  /// the file and the array.
  virtual Array read_rows(const std::string& name, std::int64_t first, std::int64_t count) const = 0;

  /// The values of a string array (dtype "string"), one per element in C order (a scalar gives
  /// one): HDF5 fixed-length strings without their padding (NUL-terminated ones up to the first
  /// NUL, NUL- or space-padded ones without their trailing NULs or spaces) and variable-length
  /// strings (null ones as ""; only from contiguous storage, h5py's default, as nac reads their
  /// global heap itself: HDF5 1.10 trusts a corrupt one); numpy's 'S' (bytes) and 'U' (UTF-32,
  /// returned as UTF-8) arrays without trailing NULs, as numpy strips them. The bytes come back as
  /// stored (no check of the character set). Throws nac::Error naming the file and the array for
  /// a numeric array, variable-length strings in other storage, or truncated or corrupt data.
  virtual std::vector<std::string> strings(const std::string& name) const = 0;

  const std::filesystem::path& path() const { return path_; }

 protected:
  explicit ArrayFile(std::filesystem::path file) : path_(std::move(file)) {}

 private:
  std::filesystem::path path_;
};

/// An array to write, by reference to values held elsewhere (no copy of the data is made).
struct ArrayView {
  std::string name;
  Shape shape;
  std::span<const float> values;  // row-major, product(shape) values
};

/// Writes the arrays to a file of the format its extension names, as float32:
///   .npy        exactly one array (its name is not stored; the file's stem names it on reading)
///   .npz        a ZIP archive with one stored (uncompressed) member NAME.npy per array, readable
///               by numpy.load; ZIP64 records where sizes or offsets need them
///   .h5/.hdf5   one float32 dataset per array at its name; "group/x" creates the group
/// Each array's values must number product(shape); names must be non-empty and distinct. The file
/// is written to FILE.tmp, then renamed to FILE, so readers never see a partial file; on failure
/// FILE.tmp is removed and FILE is left as it was. Throws nac::Error naming the file.
void write_arrays(const std::filesystem::path& file, const std::vector<ArrayView>& arrays);
/// The same for arrays held in Array values.
void write_arrays(const std::filesystem::path& file, const std::vector<Array>& arrays);

}  // namespace nac::data
NAC_PUBLIC_END
