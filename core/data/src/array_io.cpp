// ArrayFile::open (the format by magic bytes), write_arrays (through FILE.tmp), and the pieces the
// formats share: error messages, shape and row-range checks, files read at offsets and written.
#include "nac/data/array_io.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <new>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

#include "array_formats.hpp"
#include "nac/error.hpp"
#include "nac/memory.hpp"

namespace nac::data {

namespace detail {

void fail(const fs::path& file, const std::string& message) { throw Error(file.string() + ": " + message); }

void no_dataset(const fs::path& file, const std::string& name, const std::vector<std::string>& names) {
  std::string list;
  for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
  fail(file, "no dataset '" + name + "' (" + (names.empty() ? std::string("it has none") : "it has: " + list) + ")");
}

std::uint64_t element_count(const Shape& shape, const std::string& where) {
  std::uint64_t n = 1;
  for (const std::int64_t d : shape) {
    if (d < 0) throw Error(where + ": shape " + to_string(shape) + " has a negative extent");
    if (d != 0 && n > std::numeric_limits<std::uint64_t>::max() / 8 / static_cast<std::uint64_t>(d))
      throw Error(where + ": shape " + to_string(shape) + " is impossibly large");
    n *= static_cast<std::uint64_t>(d);
  }
  return n;
}

Rows row_range(const fs::path& file, const std::string& name, const Shape& shape, std::int64_t first,
               std::int64_t count) {
  const std::string where = file.string() + ": dataset '" + name + "'";
  if (shape.empty()) throw Error(where + " is a scalar; it has no rows to read");
  if (first < 0 || count < 0 || first > shape[0] || count > shape[0] - first)
    throw Error(where + ": rows [" + std::to_string(first) + ", " + std::to_string(first) + " + " +
                std::to_string(count) + ") are out of range; it has " + std::to_string(shape[0]) + " rows");
  const std::uint64_t row = element_count(Shape(shape.begin() + 1, shape.end()), where);
  Rows r;
  r.first_element = static_cast<std::uint64_t>(first) * row;
  r.elements = static_cast<std::uint64_t>(count) * row;
  r.shape = shape;
  r.shape[0] = count;
  return r;
}

std::vector<float> allocate_values(const fs::path& file, const std::string& name, const Shape& shape,
                                   std::uint64_t count) {
  // More than the machine's memory cannot work; asking for it would only end in the OOM killer
  // (a corrupt file can claim any shape).
  static const std::uint64_t memory = physical_memory();
  if (count <= memory / sizeof(float)) {
    try {
      return std::vector<float>(static_cast<std::size_t>(count));
    } catch (const std::bad_alloc&) {  // reported below
    }
  }
  fail(file, "dataset '" + name + "' of shape " + to_string(shape) + " (" + std::to_string(count) +
                 " float32 values) does not fit in memory (" + std::to_string(memory >> 20) + " MiB)");
}

std::vector<std::string> allocate_strings(const fs::path& file, const std::string& name, const Shape& shape,
                                          std::uint64_t count) {
  static const std::uint64_t memory = physical_memory();
  std::vector<std::string> out;
  if (count <= memory / sizeof(std::string)) {
    try {
      out.reserve(static_cast<std::size_t>(count));
      return out;
    } catch (const std::bad_alloc&) {  // reported below
    }
  }
  fail(file, "dataset '" + name + "' of shape " + to_string(shape) + " (" + std::to_string(count) +
                 " strings) does not fit in memory (" + std::to_string(memory >> 20) + " MiB)");
}

void not_numeric(const fs::path& file, const std::string& name, const std::string& dtype) {
  fail(file, "dataset '" + name + "' has dtype " + dtype + "; only integer and float datasets can be read");
}

void not_strings(const fs::path& file, const std::string& name, const std::string& dtype) {
  fail(file, "dataset '" + name + "' has dtype " + dtype + ", not strings");
}

InFile::InFile(const fs::path& file) : path_(file) {
  // O_NONBLOCK: a named pipe must be refused below, not wait in open() for a writer forever (on a
  // regular file the flag changes nothing).
  fd_ = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd_ < 0) fail(file, std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    const int e = errno;
    ::close(fd_);
    fail(file, std::string("cannot stat: ") + std::strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd_);
    fail(file, S_ISDIR(st.st_mode) ? "is a folder, not an array file" : "is not a regular file");
  }
  size_ = static_cast<std::uint64_t>(st.st_size);
}

InFile::~InFile() {
  if (fd_ >= 0) ::close(fd_);
}

void InFile::read_at(std::uint64_t offset, void* dst, std::size_t n, const std::string& what) const {
  char* p = static_cast<char*>(dst);
  const auto truncated = [&] {
    fail(path_, "truncated: " + what + " (bytes " + std::to_string(offset) + " to " + std::to_string(offset + n) +
                    ") runs past the end of the file (" + std::to_string(size_) + " bytes)");
  };
  if (offset > size_ || n > size_ - offset) truncated();
  while (n > 0) {
    const std::size_t chunk = std::min<std::size_t>(n, std::size_t{1} << 30);
    const ssize_t got = ::pread(fd_, p, chunk, static_cast<off_t>(offset));
    if (got < 0) {
      if (errno == EINTR) continue;
      fail(path_, "reading " + what + " failed: " + std::strerror(errno));
    }
    if (got == 0) truncated();  // the file shrank since it was opened
    p += got;
    n -= static_cast<std::size_t>(got);
    offset += static_cast<std::uint64_t>(got);
  }
}

OutFile::OutFile(const fs::path& file, const fs::path& tmp) : file_(file), tmp_(tmp) {
  f_ = std::fopen(tmp.c_str(), "wb");
  if (!f_) fail(file_, "cannot write " + tmp.string() + ": " + std::strerror(errno));
}

OutFile::~OutFile() {
  if (f_) std::fclose(f_);
}

void OutFile::write(const void* data, std::size_t n) {
  if (n > 0 && std::fwrite(data, 1, n, f_) != n)
    fail(file_, "writing " + tmp_.string() + " failed: " + std::strerror(errno));
  offset_ += n;
}

void OutFile::close() {
  std::FILE* f = f_;
  f_ = nullptr;
  if (std::fclose(f) != 0) fail(file_, "writing " + tmp_.string() + " failed: " + std::strerror(errno));
}

}  // namespace detail

using namespace detail;

ArrayFile::~ArrayFile() = default;

namespace {

enum class Format { Npy, Npz, Hdf5, Unknown };

constexpr char kNpyMagic[] = "\x93NUMPY";
constexpr char kZipLocal[] = "PK\x03\x04";
constexpr char kZipEnd[] = "PK\x05\x06";  // an empty archive starts with its end record
constexpr char kHdf5Magic[] = "\x89HDF\r\n\x1a\n";

std::string lower_extension(const fs::path& file) {
  std::string ext = file.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

Format by_extension(const fs::path& file) {
  const std::string ext = lower_extension(file);
  if (ext == ".npy") return Format::Npy;
  if (ext == ".npz") return Format::Npz;
  if (ext == ".h5" || ext == ".hdf5") return Format::Hdf5;
  return Format::Unknown;
}

const char* format_name(Format f) {
  switch (f) {
    case Format::Npy: return ".npy";
    case Format::Npz: return ".npz (ZIP)";
    case Format::Hdf5: return "HDF5";
    case Format::Unknown: break;
  }
  return "unknown";
}

bool starts_with(const std::string& bytes, const char* magic) {
  const std::size_t n = std::strlen(magic);
  return bytes.size() >= n && bytes.compare(0, n, magic, n) == 0;
}

// The bytes are the start of the magic, but the file ends before the magic does.
bool prefix_of(const std::string& bytes, const char* magic) {
  return bytes.size() < std::strlen(magic) && std::string(magic).compare(0, bytes.size(), bytes) == 0;
}

std::string hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (const unsigned char c : bytes) {
    if (!out.empty()) out += ' ';
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

}  // namespace

std::unique_ptr<ArrayFile> ArrayFile::open(const fs::path& file) {
  std::error_code ec;
  if (fs::status(file, ec).type() == fs::file_type::not_found) fail(file, "no such file");
  std::string head;
  {
    const InFile in(file);
    if (in.size() == 0)
      fail(file,
           std::string("empty file (0 bytes); expected ") +
               (by_extension(file) == Format::Unknown ? "a .npy, .npz or HDF5 file" : format_name(by_extension(file))));
    head.resize(static_cast<std::size_t>(std::min<std::uint64_t>(in.size(), 8)));
    in.read_at(0, head.data(), head.size(), "the magic bytes");
  }
  if (starts_with(head, kNpyMagic)) return open_npy(file);
  if (starts_with(head, kZipLocal) || starts_with(head, kZipEnd)) return open_npz(file);
  if (starts_with(head, kHdf5Magic)) return open_hdf5(file);

  const Format ext = by_extension(file);
  // HDF5 files may start with a user block (the signature then sits at byte 512, 1024, ...).
  if (ext == Format::Hdf5 && head.size() == 8) return open_hdf5(file);
  const char* magic = ext == Format::Npy ? kNpyMagic : ext == Format::Npz ? kZipLocal : kHdf5Magic;
  if (ext != Format::Unknown && prefix_of(head, magic))
    fail(file,
         "truncated: only " + std::to_string(head.size()) + " bytes, the start of a " + format_name(ext) + " file");
  fail(file, "not a .npy, .npz or HDF5 file: it starts with bytes " + hex(head) +
                 (ext == Format::Unknown ? std::string()
                                         : std::string(", not the ") + format_name(ext) + " signature " + hex(magic) +
                                               " its extension promises"));
}

void write_arrays(const fs::path& file, const std::vector<Array>& arrays) {
  std::vector<ArrayView> views;
  for (const Array& a : arrays) views.push_back({a.name, a.shape, a.values});
  write_arrays(file, views);
}

void write_arrays(const fs::path& file, const std::vector<ArrayView>& arrays) {
  const Format format = by_extension(file);
  if (format == Format::Unknown)
    fail(file, "cannot write arrays to a file named '" + file.filename().string() +
                   "': use the extension .npy, .npz, .h5 or .hdf5");
  if (format == Format::Npy && arrays.size() != 1)
    fail(file, "a .npy file holds exactly one array, not " + std::to_string(arrays.size()) +
                   " (write several to a .npz or .h5 file)");
  std::set<std::string> seen;
  for (const ArrayView& a : arrays) {
    const std::string where = file.string() + ": array '" + a.name + "'";
    if (format != Format::Npy && a.name.empty()) fail(file, "an array without a name");
    if (format != Format::Npy && !seen.insert(a.name).second) fail(file, "two arrays named '" + a.name + "'");
    const std::uint64_t n = element_count(a.shape, where);
    if (n != a.values.size())
      throw Error(where + ": shape " + to_string(a.shape) + " holds " + std::to_string(n) + " values, but it has " +
                  std::to_string(a.values.size()));
  }

  fs::path tmp = file;
  tmp += ".tmp";
  try {
    switch (format) {
      case Format::Npy: write_npy(file, tmp, arrays.front()); break;
      case Format::Npz: write_npz(file, tmp, arrays); break;
      case Format::Hdf5: write_hdf5(file, tmp, arrays); break;
      case Format::Unknown: break;
    }
  } catch (...) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  }
  std::error_code ec;
  fs::rename(tmp, file, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    fail(file, "cannot rename " + tmp.string() + " to it: " + ec.message());
  }
}

}  // namespace nac::data
