// HDF5 files through the HDF5 C library. Every HDF5 call runs under one lock (Debian's serial
// HDF5 is not built thread-safe) with HDF5's automatic error printing off; failures become
// nac::Error with the innermost message of HDF5's error stack. Every handle is closed by RAII.
// Variable-length strings are the exception: nac reads their global heap itself (read_variable).
#include <hdf5.h>

#include <algorithm>
#include <limits>
#include <map>
#include <mutex>
#include <new>
#include <string_view>
#include <utility>

#include "array_formats.hpp"
#include "nac/error.hpp"
#include "nac/memory.hpp"

namespace nac::data::detail {

namespace {

std::mutex& hdf5_mutex() {
  static std::mutex m;
  return m;
}

// Taken before any HDF5 call; declared before any Id, so handles close while it is held.
class Hdf5Lock {
 public:
  Hdf5Lock() : lock_(hdf5_mutex()) { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

 private:
  std::lock_guard<std::mutex> lock_;
};

// An HDF5 handle closed by its destructor.
class Id {
 public:
  using Close = herr_t (*)(hid_t);
  Id() = default;
  Id(hid_t id, Close close) : id_(id), close_(close) {}
  ~Id() { close(); }
  Id(Id&& o) noexcept : id_(std::exchange(o.id_, -1)), close_(o.close_) {}
  Id& operator=(Id&& o) noexcept {
    if (this != &o) {
      close();
      id_ = std::exchange(o.id_, -1);
      close_ = o.close_;
    }
    return *this;
  }
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }
  /// Closes now; false if HDF5 reports a failure (e.g. flushing a file).
  bool close() {
    const bool good = id_ < 0 || close_(id_) >= 0;
    id_ = -1;
    return good;
  }

 private:
  hid_t id_ = -1;
  Close close_ = nullptr;
};

// The innermost message of HDF5's error stack (the most specific one), and clears the stack.
std::string reason() {
  std::string out;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_UPWARD,
      [](unsigned n, const H5E_error2_t* e, void* data) -> herr_t {
        if (n == 0 && e->desc) *static_cast<std::string*>(data) = e->desc;
        return 0;
      },
      &out);
  H5Eclear2(H5E_DEFAULT);
  return out.empty() ? std::string("HDF5 reports no reason") : out;
}

struct Dataset {
  std::string name;
  Shape shape;
  std::string dtype;
  bool numeric = false;   // integer or float: HDF5 converts it to float32
  bool string = false;    // fixed- or variable-length strings, read by strings()
  bool variable = false;  // variable-length strings
  std::uint64_t count = 0;
  std::vector<hsize_t> chunk;  // chunked storage: the chunk's extents
  std::uint64_t chunk_bytes = 0;
  unsigned all_filters = 0;  // a chunk's filter mask when it skips every filter
};

std::string dtype_name(hid_t type) {
  const std::string bits = std::to_string(8 * H5Tget_size(type));
  switch (H5Tget_class(type)) {
    case H5T_INTEGER: return (H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int") + bits;
    case H5T_FLOAT: return "float" + bits;
    case H5T_STRING: return "string";
    case H5T_COMPOUND: return "compound";
    case H5T_ENUM: return "enum";
    case H5T_BITFIELD: return "bitfield";
    case H5T_OPAQUE: return "opaque";
    case H5T_REFERENCE: return "reference";
    case H5T_VLEN: return "vlen";
    case H5T_ARRAY: return "array";
    case H5T_TIME: return "time";
    default: return "unknown";
  }
}

// Collects the full path of every dataset (hard links only: each dataset once, no dangling links).
herr_t collect(hid_t group, const char* name, const H5L_info_t* info, void* data) {
  if (info->type != H5L_TYPE_HARD) return 0;
  const Id object(H5Oopen(group, name, H5P_DEFAULT), H5Oclose);
  if (!object.ok()) return -1;
  try {
    if (H5Iget_type(object.get()) == H5I_DATASET) static_cast<std::vector<std::string>*>(data)->push_back(name);
  } catch (...) {
    return -1;
  }
  return 0;
}

Id open_dataset(const fs::path& file, hid_t h5, const std::string& name) {
  Id d(H5Dopen2(h5, name.c_str(), H5P_DEFAULT), H5Dclose);
  if (!d.ok()) fail(file, "dataset '" + name + "': cannot open it: " + reason());
  return d;
}

constexpr std::size_t kMaxStringSize = std::size_t{1} << 24;  // bytes of one fixed-length string

// Why a dataset's metadata cannot be right ("" if it looks sound); notes its chunking. HDF5 1.10
// trusts some of it when reading (a corrupt type size makes it copy past its buffers), so nac
// checks first.
std::string metadata_problem(hid_t d, hid_t type, Dataset& ds, std::size_t variable_bytes) {
  const H5T_class_t c = H5Tget_class(type);
  std::size_t size = H5Tget_size(type);
  if (c == H5T_STRING && ds.variable) {
    size = variable_bytes;  // in the dataset: a reference into the global heap, which holds the text
  } else if (c == H5T_STRING) {
    if (size < 1 || size > kMaxStringSize) return "a string size of " + std::to_string(size) + " bytes";
  } else if (c != H5T_INTEGER && c != H5T_FLOAT) {
    return "";  // not read
  }
  const std::size_t precision = H5Tget_precision(type);
  const int offset = H5Tget_offset(type);
  if (c != H5T_STRING && (size < 1 || size > 16 || (c == H5T_FLOAT && size < 2)))
    return "a value size of " + std::to_string(size) + " bytes";
  if (c != H5T_STRING && (precision < 1 || offset < 0 || precision + static_cast<std::size_t>(offset) > 8 * size))
    return "a type of " + std::to_string(precision) + " bits at bit " + std::to_string(offset) + " in " +
           std::to_string(size) + " bytes";
  if (c == H5T_FLOAT) {
    std::size_t sign = 0, exp_pos = 0, exp_size = 0, mant_pos = 0, mant_size = 0;
    if (H5Tget_fields(type, &sign, &exp_pos, &exp_size, &mant_pos, &mant_size) < 0 || sign >= precision ||
        exp_size < 1 || exp_size > 32 || exp_pos + exp_size > precision || mant_size < 1 ||
        mant_pos + mant_size > precision)
      return "a float type with impossible fields";
  }
  const Id create(H5Dget_create_plist(d), H5Pclose);
  if (!create.ok()) return "no creation properties";
  if (ds.count > std::numeric_limits<std::uint64_t>::max() / size) return "an impossibly large dataset";
  const std::uint64_t bytes = ds.count * size;
  switch (H5Pget_layout(create.get())) {
    case H5D_COMPACT:
    case H5D_CONTIGUOUS: {
      const hsize_t stored = H5Dget_storage_size(d);  // contiguous 0: not written yet (fill values)
      if (stored != bytes && (stored != 0 || H5Pget_layout(create.get()) == H5D_COMPACT))
        return std::to_string(stored) + " bytes of storage for " + std::to_string(bytes) + " bytes of values";
      return "";
    }
    case H5D_CHUNKED: {
      std::vector<hsize_t> chunk(ds.shape.size() + 1);
      const int rank = H5Pget_chunk(create.get(), static_cast<int>(chunk.size()), chunk.data());
      if (rank != static_cast<int>(ds.shape.size())) return "chunks of another rank than the dataset";
      chunk.resize(static_cast<std::size_t>(rank));
      ds.chunk_bytes = size;
      for (const hsize_t c : chunk) {
        if (c < 1 || c > (std::uint64_t{1} << 32)) return "a chunk extent of " + std::to_string(c);
        ds.chunk_bytes *= c;
        if (ds.chunk_bytes > (std::uint64_t{1} << 32)) return "chunks of more than 4 GB";
      }
      const int filters = H5Pget_nfilters(create.get());
      if (filters < 0 || filters > 32) return "an impossible filter pipeline";
      ds.all_filters = filters == 32 ? ~0u : (1u << filters) - 1;
      ds.chunk = std::move(chunk);
      return "";
    }
    case H5D_VIRTUAL: return "";
    default: return "an unknown storage layout";
  }
}

// variable_bytes: a variable-length string's size in a dataset's storage (its length, 4 bytes,
// and its global heap ID: an address and a 4-byte index).
Dataset describe(const fs::path& file, hid_t h5, const std::string& name, std::size_t variable_bytes) {
  const Id d = open_dataset(file, h5, name);
  const Id space(H5Dget_space(d.get()), H5Sclose), type(H5Dget_type(d.get()), H5Tclose);
  if (!space.ok() || !type.ok()) fail(file, "dataset '" + name + "': cannot read its shape and type: " + reason());
  Dataset ds;
  ds.name = name;
  switch (H5Sget_simple_extent_type(space.get())) {
    case H5S_SCALAR: break;
    case H5S_NULL: ds.shape = {0}; break;  // no data at all
    case H5S_SIMPLE: {
      const int rank = H5Sget_simple_extent_ndims(space.get());
      std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
      if (rank < 0 || H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) < 0)
        fail(file, "dataset '" + name + "': cannot read its shape: " + reason());
      for (const hsize_t n : dims) {
        if (n > static_cast<hsize_t>(std::numeric_limits<std::int64_t>::max()))
          fail(file, "dataset '" + name + "': an extent of " + std::to_string(n) + " is too large");
        ds.shape.push_back(static_cast<std::int64_t>(n));
      }
      break;
    }
    default: fail(file, "dataset '" + name + "': cannot read its shape: " + reason());
  }
  ds.count = element_count(ds.shape, file.string() + ": dataset '" + name + "'");
  ds.dtype = dtype_name(type.get());
  const H5T_class_t c = H5Tget_class(type.get());
  ds.numeric = c == H5T_INTEGER || c == H5T_FLOAT;
  ds.string = c == H5T_STRING;
  if (ds.string) {
    const htri_t variable = H5Tis_variable_str(type.get());
    if (variable < 0) fail(file, "dataset '" + name + "': cannot read its string type: " + reason());
    ds.variable = variable > 0;
  }
  const std::string problem = metadata_problem(d.get(), type.get(), ds, variable_bytes);
  if (!problem.empty()) fail(file, "dataset '" + name + "' is corrupt: its metadata gives " + problem);
  return ds;
}

// The chunks holding rows [first, first + count): a chunk stored without its filters (or of a
// dataset without filters) must hold exactly a chunk's bytes, which HDF5 1.10 does not check
// before copying them out (a corrupt filter mask made it read past its buffer).
void check_chunks(const fs::path& file, const Dataset& ds, hid_t d, std::uint64_t first, std::uint64_t count) {
  if (ds.chunk.empty() || count == 0) return;
  const std::size_t rank = ds.chunk.size();
  std::vector<hsize_t> lo(rank, 0), hi(rank), at(rank), offset(rank);
  for (std::size_t i = 0; i < rank; ++i) hi[i] = (static_cast<hsize_t>(ds.shape[i]) - 1) / ds.chunk[i];
  lo[0] = first / ds.chunk[0];
  hi[0] = (first + count - 1) / ds.chunk[0];
  at = lo;
  while (true) {
    for (std::size_t i = 0; i < rank; ++i) offset[i] = at[i] * ds.chunk[i];
    unsigned mask = 0;
    haddr_t address = HADDR_UNDEF;
    hsize_t size = 0;
    if (H5Dget_chunk_info_by_coord(d, offset.data(), &mask, &address, &size) < 0)
      fail(file, "dataset '" + ds.name + "' is corrupt: its chunk index cannot be read: " + reason());
    if (address != HADDR_UNDEF && (mask & ds.all_filters) == ds.all_filters && size != ds.chunk_bytes)
      fail(file, "dataset '" + ds.name + "' is corrupt: an unfiltered chunk holds " + std::to_string(size) +
                     " bytes, not " + std::to_string(ds.chunk_bytes));
    std::size_t i = rank;  // the next chunk, last axis fastest
    while (i > 0 && at[i - 1] == hi[i - 1]) {
      at[i - 1] = lo[i - 1];
      --i;
    }
    if (i == 0) return;
    ++at[i - 1];
  }
}

// The sizes of a file's addresses and lengths, and where its addresses count from (the user
// block's size): what nac needs to read global heap collections itself.
struct FileSizes {
  std::size_t addresses = 8, lengths = 8;
  std::uint64_t base = 0;
};

std::uint64_t little_endian(const char* p, std::size_t bytes) {
  std::uint64_t v = 0;
  for (std::size_t i = bytes; i-- > 0;) v = v << 8 | static_cast<unsigned char>(p[i]);
  return v;
}

class Hdf5File final : public ArrayFile {
 public:
  Hdf5File(const fs::path& file, Id h5, std::vector<Dataset> datasets, FileSizes sizes)
      : ArrayFile(file), h5_(std::move(h5)), datasets_(std::move(datasets)), sizes_(sizes) {}
  ~Hdf5File() override {
    const Hdf5Lock lock;
    h5_.close();
  }

  std::vector<std::string> names() const override {
    std::vector<std::string> out;
    for (const Dataset& d : datasets_) out.push_back(d.name);
    return out;
  }
  bool has(const std::string& name) const override { return find(name) != nullptr; }
  Shape shape(const std::string& name) const override { return dataset(name).shape; }
  std::string dtype(const std::string& name) const override { return dataset(name).dtype; }

  Array read(const std::string& name) const override {
    const Dataset& ds = readable(name);
    Array a{ds.name, ds.shape, allocate_values(path(), ds.name, ds.shape, ds.count), ds.dtype};
    if (ds.count == 0) return a;
    const Hdf5Lock lock;
    const Id d = open_dataset(path(), h5_.get(), ds.name);
    if (!ds.shape.empty()) check_chunks(path(), ds, d.get(), 0, static_cast<std::uint64_t>(ds.shape[0]));
    if (H5Dread(d.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, a.values.data()) < 0)
      fail(path(), "dataset '" + ds.name + "': reading failed: " + reason());
    return a;
  }

  Array read_rows(const std::string& name, std::int64_t first, std::int64_t count) const override {
    const Dataset& ds = readable(name);
    const Rows rows = row_range(path(), ds.name, ds.shape, first, count);
    Array a{ds.name, rows.shape, allocate_values(path(), ds.name, rows.shape, rows.elements), ds.dtype};
    if (rows.elements == 0) return a;
    std::vector<hsize_t> start(ds.shape.size(), 0), extent(rows.shape.begin(), rows.shape.end());
    start[0] = static_cast<hsize_t>(first);
    const Hdf5Lock lock;
    const Id d = open_dataset(path(), h5_.get(), ds.name);
    check_chunks(path(), ds, d.get(), static_cast<std::uint64_t>(first), static_cast<std::uint64_t>(count));
    const Id file_space(H5Dget_space(d.get()), H5Sclose);
    const Id memory_space(H5Screate_simple(static_cast<int>(extent.size()), extent.data(), nullptr), H5Sclose);
    if (!file_space.ok() || !memory_space.ok() ||
        H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, extent.data(), nullptr) < 0 ||
        H5Dread(d.get(), H5T_NATIVE_FLOAT, memory_space.get(), file_space.get(), H5P_DEFAULT, a.values.data()) < 0)
      fail(path(), "dataset '" + ds.name + "': reading rows [" + std::to_string(first) + ", " +
                       std::to_string(first + count) + ") failed: " + reason());
    return a;
  }

  std::vector<std::string> strings(const std::string& name) const override {
    const Dataset& ds = dataset(name);
    if (!ds.string) not_strings(path(), ds.name, ds.dtype);
    std::vector<std::string> out = allocate_strings(path(), ds.name, ds.shape, ds.count);
    if (ds.count == 0) return out;
    const Hdf5Lock lock;
    const Id d = open_dataset(path(), h5_.get(), ds.name);
    if (ds.variable) {
      read_variable(ds, d.get(), out);
      return out;
    }
    const Id type(H5Dget_type(d.get()), H5Tclose), memory(H5Tcopy(H5T_C_S1), H5Tclose);
    if (!type.ok() || !memory.ok() || H5Tset_cset(memory.get(), H5Tget_cset(type.get())) < 0)
      fail(path(), "dataset '" + ds.name + "': cannot read its string type: " + reason());
    if (!ds.shape.empty()) check_chunks(path(), ds, d.get(), 0, static_cast<std::uint64_t>(ds.shape[0]));
    read_fixed(ds, d.get(), type.get(), memory.get(), out);
    return out;
  }

 private:
  const Dataset* find(const std::string& name) const {
    const std::string_view n = !name.empty() && name[0] == '/' ? std::string_view(name).substr(1) : name;
    for (const Dataset& d : datasets_)
      if (d.name == n) return &d;
    return nullptr;
  }
  const Dataset& dataset(const std::string& name) const {
    const Dataset* d = find(name);
    if (!d) no_dataset(path(), name, names());
    return *d;
  }
  const Dataset& readable(const std::string& name) const {
    const Dataset& d = dataset(name);
    if (!d.numeric) not_numeric(path(), d.name, d.dtype);
    return d;
  }

  // Fixed-length strings, read as stored (the memory type has the file's size and padding, so HDF5
  // converts nothing), then cut at the padding. Called with the lock held.
  void read_fixed(const Dataset& ds, hid_t d, hid_t type, hid_t memory, std::vector<std::string>& out) const {
    const std::size_t size = H5Tget_size(type);
    const H5T_str_t pad = H5Tget_strpad(type);
    if (pad == H5T_STR_ERROR || H5Tset_size(memory, size) < 0 || H5Tset_strpad(memory, pad) < 0)
      fail(path(), "dataset '" + ds.name + "': cannot read its string type: " + reason());
    // (metadata_problem bounds the product; a chunked and compressed dataset may still claim more
    // than the memory holds.)
    static const std::uint64_t memory_bytes = physical_memory();
    std::vector<char> bytes;
    try {
      if (ds.count * size > memory_bytes) throw std::bad_alloc();
      bytes.resize(static_cast<std::size_t>(ds.count * size));
    } catch (const std::bad_alloc&) {
      fail(path(), "dataset '" + ds.name + "' of shape " + to_string(ds.shape) + " (" + std::to_string(ds.count) +
                       " strings of " + std::to_string(size) + " bytes) does not fit in memory (" +
                       std::to_string(memory_bytes >> 20) + " MiB)");
    }
    if (H5Dread(d, memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data()) < 0)
      fail(path(), "dataset '" + ds.name + "': reading failed: " + reason());
    for (std::uint64_t i = 0; i < ds.count; ++i) {
      const char* p = bytes.data() + i * size;
      std::size_t length = size;
      if (pad == H5T_STR_NULLTERM) {  // up to the first NUL
        length = static_cast<std::size_t>(std::find(p, p + size, '\0') - p);
      } else {  // padded: without the trailing NULs or spaces
        const char padding = pad == H5T_STR_SPACEPAD ? ' ' : '\0';
        while (length > 0 && p[length - 1] == padding) --length;
      }
      out.emplace_back(p, length);
    }
  }

  // Variable-length strings, read by nac itself: HDF5 1.10 trusts the global heap collections
  // that hold them (a corrupt one made it loop forever on an object of size 0; a corrupt type made
  // it allocate gigabytes per string). A string in a dataset's storage is a reference: its length
  // (4 bytes), the address of a global heap collection and the index of an object in it (4
  // bytes); the object holds the string's bytes. Each collection is walked as HDF5 walks it (the
  // H5HG format): a header ("GCOL", version 1, 3 reserved bytes, the collection's size), then
  // objects (index 2 bytes, reference count 2, reserved 4, size, the data padded to 8 bytes;
  // index 0 is the free space, whose size includes its header); too little room for an object
  // header at the end is free space. Only contiguous storage is read so (h5py's default). Called
  // with the lock held.
  void read_variable(const Dataset& ds, hid_t d, std::vector<std::string>& out) const {
    const std::string where = "dataset '" + ds.name + "'";
    const Id create(H5Dget_create_plist(d), H5Pclose);
    if (!create.ok()) fail(path(), where + ": cannot read its creation properties: " + reason());
    if (H5Pget_layout(create.get()) != H5D_CONTIGUOUS || H5Pget_external_count(create.get()) != 0)
      fail(path(), where +
                       ": variable-length strings are read from contiguous storage in the file only, not from "
                       "chunked, compact, virtual or external storage");
    if (sizes_.addresses > 8 || sizes_.lengths > 8)
      fail(path(), "addresses of " + std::to_string(sizes_.addresses) + " bytes are not supported");
    const haddr_t at = H5Dget_offset(d);
    if (at == HADDR_UNDEF) {  // never written: every string is the fill value, by default null
      H5D_fill_value_t fill = H5D_FILL_VALUE_ERROR;
      if (H5Pfill_value_defined(create.get(), &fill) < 0 || fill == H5D_FILL_VALUE_USER_DEFINED)
        fail(path(), where + ": a variable-length fill value is not supported");
      out.assign(static_cast<std::size_t>(ds.count), std::string());
      return;
    }
    const InFile in(path());
    const std::size_t ref = 4 + sizes_.addresses + 4;
    std::vector<char> refs(static_cast<std::size_t>(ds.count) * ref);  // (metadata_problem checked the storage)
    in.read_at(sizes_.base + at, refs.data(), refs.size(), where);
    std::map<std::uint64_t, Heap> heaps;  // by address
    for (std::uint64_t i = 0; i < ds.count; ++i) {
      const char* p = refs.data() + i * ref;
      const std::uint64_t length = little_endian(p, 4), address = little_endian(p + 4, sizes_.addresses),
                          index = little_endian(p + 4 + sizes_.addresses, 4);
      if (address == 0) {  // a null string
        out.emplace_back();
        continue;
      }
      auto heap = heaps.find(address);
      if (heap == heaps.end()) heap = heaps.emplace(address, read_heap(in, address, where)).first;
      const auto object = heap->second.objects.find(index);
      if (index == 0 || object == heap->second.objects.end())
        fail(path(), where + " is corrupt: string " + std::to_string(i) + " refers to object " + std::to_string(index) +
                         " of the global heap collection at " + std::to_string(address) + ", which has none");
      if (object->second.second != length)
        fail(path(), where + " is corrupt: string " + std::to_string(i) + " of " + std::to_string(length) +
                         " bytes refers to a global heap object of " + std::to_string(object->second.second));
      out.emplace_back(heap->second.bytes.data() + object->second.first, length);
    }
  }

  // A global heap collection: its bytes, and its objects' data (offset in the bytes, size) by index.
  struct Heap {
    std::string bytes;
    std::map<std::uint64_t, std::pair<std::uint64_t, std::uint64_t>> objects;
  };

  Heap read_heap(const InFile& in, std::uint64_t address, const std::string& where) const {
    const std::string what = where + " is corrupt: the global heap collection at " + std::to_string(address);
    const std::uint64_t header = 8 + sizes_.lengths, object_header = 8 + sizes_.lengths;
    const std::uint64_t start = sizes_.base + address;
    if (start > in.size() || in.size() - start < header) fail(path(), what + " lies outside the file");
    Heap heap;
    heap.bytes.resize(static_cast<std::size_t>(header));
    in.read_at(start, heap.bytes.data(), heap.bytes.size(), "a global heap collection");
    const std::uint64_t size = little_endian(heap.bytes.data() + 8, sizes_.lengths);
    if (heap.bytes.compare(0, 4, "GCOL") != 0 || heap.bytes[4] != 1)
      fail(path(), what + " has no GCOL version 1 signature");
    if (size < header || size > in.size() - start) fail(path(), what + " claims " + std::to_string(size) + " bytes");
    heap.bytes.resize(static_cast<std::size_t>(size));
    in.read_at(start, heap.bytes.data(), heap.bytes.size(), "a global heap collection");
    for (std::uint64_t p = header; p < size;) {
      if (size - p < object_header) break;  // free space
      const std::uint64_t index = little_endian(&heap.bytes[p], 2),
                          length = little_endian(&heap.bytes[p + 8], sizes_.lengths);
      const std::uint64_t need = length > size - p ? 0 : index > 0 ? object_header + (length + 7) / 8 * 8 : length;
      if (need == 0 || need > size - p)
        fail(path(), what + " holds an object of " + std::to_string(length) + " bytes at byte " + std::to_string(p) +
                         (need == 0 && length == 0 ? ", which is empty" : ", beyond its end"));
      if (index > 0) heap.objects[index] = {p + object_header, length};
      p += need;
    }
    return heap;
  }

  Id h5_;
  std::vector<Dataset> datasets_;
  FileSizes sizes_;
};

}  // namespace

std::unique_ptr<ArrayFile> open_hdf5(const fs::path& file) {
  const Hdf5Lock lock;
  Id h5(H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!h5.ok()) fail(file, "cannot open it as an HDF5 file: " + reason());
  FileSizes sizes;
  {
    const Id create(H5Fget_create_plist(h5.get()), H5Pclose);
    hsize_t user_block = 0;
    if (!create.ok() || H5Pget_sizes(create.get(), &sizes.addresses, &sizes.lengths) < 0 ||
        H5Pget_userblock(create.get(), &user_block) < 0)
      fail(file, "cannot read its file properties: " + reason());
    sizes.base = user_block;
  }
  std::vector<std::string> names;
  if (H5Lvisit(h5.get(), H5_INDEX_NAME, H5_ITER_INC, collect, &names) < 0)
    fail(file, "cannot list its datasets (corrupt file?): " + reason());
  std::vector<Dataset> datasets;
  for (const std::string& name : names) datasets.push_back(describe(file, h5.get(), name, 4 + sizes.addresses + 4));
  return std::make_unique<Hdf5File>(file, std::move(h5), std::move(datasets), sizes);
}

void write_hdf5(const fs::path& file, const fs::path& tmp, const std::vector<ArrayView>& arrays) {
  const Hdf5Lock lock;
  // Version 1.8 file structures: checksummed metadata, readable by HDF5 1.8 and later (h5py too).
  const Id access(H5Pcreate(H5P_FILE_ACCESS), H5Pclose), links(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  if (!access.ok() || !links.ok() || H5Pset_libver_bounds(access.get(), H5F_LIBVER_V18, H5F_LIBVER_V18) < 0 ||
      H5Pset_create_intermediate_group(links.get(), 1) < 0)
    fail(file, "cannot set up HDF5 file properties: " + reason());
  Id h5(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access.get()), H5Fclose);
  if (!h5.ok()) fail(file, "cannot create " + tmp.string() + ": " + reason());
  for (const ArrayView& a : arrays) {
    const std::vector<hsize_t> dims(a.shape.begin(), a.shape.end());
    const Id space(
        a.shape.empty() ? H5Screate(H5S_SCALAR) : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
        H5Sclose);
    if (!space.ok()) fail(file, "dataset '" + a.name + "' of shape " + to_string(a.shape) + ": " + reason());
    Id d(H5Dcreate2(h5.get(), a.name.c_str(), H5T_IEEE_F32LE, space.get(), links.get(), H5P_DEFAULT, H5P_DEFAULT),
         H5Dclose);
    if (!d.ok()) fail(file, "cannot create dataset '" + a.name + "': " + reason());
    if (!a.values.empty() && H5Dwrite(d.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, a.values.data()) < 0)
      fail(file, "writing dataset '" + a.name + "' failed: " + reason());
    if (!d.close()) fail(file, "writing dataset '" + a.name + "' failed: " + reason());
  }
  if (!h5.close()) fail(file, "writing " + tmp.string() + " failed: " + reason());
}

}  // namespace nac::data::detail
