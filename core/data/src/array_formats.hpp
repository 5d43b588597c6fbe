#pragma once
// Internals of nac/data/array_io.hpp shared by its format files: npy.cpp, npz.cpp, hdf5.cpp, and
// array_io.cpp (opening by magic bytes, writing through FILE.tmp, checks shared by the formats).
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "nac/data/array_io.hpp"

namespace nac::data::detail {

namespace fs = std::filesystem;

/// Throws nac::Error("FILE: message").
[[noreturn]] void fail(const fs::path& file, const std::string& message);
/// Throws nac::Error("FILE: no dataset 'name' (it has: a, b)").
[[noreturn]] void no_dataset(const fs::path& file, const std::string& name, const std::vector<std::string>& names);

/// product(shape); throws nac::Error(where + ": ...") for a negative extent or an overflow.
std::uint64_t element_count(const Shape& shape, const std::string& where);

/// A row range checked against the array's shape: elements [first_element, first_element +
/// elements) in C order, and the shape of the result.
struct Rows {
  std::uint64_t first_element = 0, elements = 0;
  Shape shape;
};
Rows row_range(const fs::path& file, const std::string& name, const Shape& shape, std::int64_t first,
               std::int64_t count);

/// count floats, or nac::Error naming the file and array if memory runs out.
std::vector<float> allocate_values(const fs::path& file, const std::string& name, const Shape& shape,
                                   std::uint64_t count);
/// An empty vector with room for count strings, or nac::Error naming the file and array if they
/// cannot fit in memory (a corrupt file can claim any shape).
std::vector<std::string> allocate_strings(const fs::path& file, const std::string& name, const Shape& shape,
                                          std::uint64_t count);
/// Throws nac::Error("FILE: dataset 'name' has dtype D; only integer and float datasets can be
/// read"), for read() and read_rows() of a string array.
[[noreturn]] void not_numeric(const fs::path& file, const std::string& name, const std::string& dtype);
/// Throws nac::Error("FILE: dataset 'name' has dtype D, not strings"), for strings() of a numeric
/// array.
[[noreturn]] void not_strings(const fs::path& file, const std::string& name, const std::string& dtype);

/// A file read at offsets (pread), so one object serves several threads at once.
class InFile {
 public:
  explicit InFile(const fs::path& file);  // throws nac::Error naming the file
  ~InFile();
  InFile(const InFile&) = delete;
  InFile& operator=(const InFile&) = delete;

  std::uint64_t size() const { return size_; }
  const fs::path& path() const { return path_; }
  /// Exactly n bytes at offset; if the file ends first, nac::Error "FILE: truncated: WHAT ...".
  void read_at(std::uint64_t offset, void* dst, std::size_t n, const std::string& what) const;

 private:
  fs::path path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

/// A file written sequentially, for the writers (errors name `file`, the target, not `tmp`).
class OutFile {
 public:
  OutFile(const fs::path& file, const fs::path& tmp);
  ~OutFile();
  OutFile(const OutFile&) = delete;
  OutFile& operator=(const OutFile&) = delete;

  void write(const void* data, std::size_t n);
  std::uint64_t offset() const { return offset_; }
  void close();  // flushes; throws on failure (e.g. a full disk)

 private:
  fs::path file_, tmp_;
  std::FILE* f_ = nullptr;
  std::uint64_t offset_ = 0;
};

/// A sequential source of bytes; the .npy decoder reads through it.
class ByteReader {
 public:
  virtual ~ByteReader() = default;
  virtual void read_exact(char* dst, std::size_t n) = 0;  // throws nac::Error when it ends early
};

// ---- .npy (npy.cpp) ----

// Bytes and Unicode: numpy's 'S<n>' (n bytes, NUL padded) and '<U<n>' (n UTF-32LE code points).
enum class DType {
  Bool,
  Int8,
  Int16,
  Int32,
  Int64,
  UInt8,
  UInt16,
  UInt32,
  UInt64,
  Float16,
  Float32,
  Float64,
  Bytes,
  Unicode
};

struct NpyHeader {
  DType dtype = DType::Float32;
  std::string dtype_name;  // "float32", ..., "string" (Bytes and Unicode)
  std::size_t itemsize = 4;
  Shape shape;
  std::uint64_t count = 0;        // product(shape)
  std::uint64_t data_offset = 0;  // bytes before the data: magic, version, length, header dict
  std::uint64_t data_bytes = 0;   // count * itemsize
};

constexpr std::size_t kNpyPrefix = 12;  // enough bytes to know a header's size (v2.0/3.0: 12, v1.0: 10)

/// The size of a .npy header (data_offset) from its first min(kNpyPrefix, available) bytes, where
/// `available` is how many bytes the .npy holds in all. Errors: nac::Error(where + ": ...").
std::uint64_t npy_header_size(const std::string& where, const char* bytes, std::size_t n, std::uint64_t available);
/// Parses a whole header (data_offset bytes). Checks the dtype, the order and the shape.
NpyHeader parse_npy_header(const std::string& where, const std::string& header);
/// Whether the header's dtype is a number (not Bytes or Unicode).
bool is_numeric(const NpyHeader& header);
/// Reads count values of the header's (numeric) dtype from `in` and converts them to float32.
void read_npy_values(ByteReader& in, const NpyHeader& header, std::uint64_t count, float* out);
/// Reads count strings of a Bytes or Unicode header from `in` (trailing NULs stripped, Unicode as
/// UTF-8) and appends them to out. Errors: nac::Error(where + ": ...").
void read_npy_strings(ByteReader& in, const NpyHeader& header, std::uint64_t count, const std::string& where,
                      std::vector<std::string>& out);
/// A version 1.0 (or 2.0 if needed) header for little-endian float32 data of this shape, padded
/// to a multiple of 64 bytes as numpy pads it.
std::string npy_float32_header(const Shape& shape);

// ---- the formats ----

std::unique_ptr<ArrayFile> open_npy(const fs::path& file);
std::unique_ptr<ArrayFile> open_npz(const fs::path& file);
std::unique_ptr<ArrayFile> open_hdf5(const fs::path& file);

/// The writers write already-checked arrays to tmp; errors name file.
void write_npy(const fs::path& file, const fs::path& tmp, const ArrayView& array);
void write_npz(const fs::path& file, const fs::path& tmp, const std::vector<ArrayView>& arrays);
void write_hdf5(const fs::path& file, const fs::path& tmp, const std::vector<ArrayView>& arrays);

}  // namespace nac::data::detail
