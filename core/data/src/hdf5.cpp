// HDF5 files through the HDF5 C library. Every HDF5 call runs under one lock (Debian's serial
// HDF5 is not built thread-safe) with HDF5's automatic error printing off; failures become
// nac::Error with the innermost message of HDF5's error stack. Every handle is closed by RAII.
#include <hdf5.h>

#include <algorithm>
#include <limits>
#include <mutex>
#include <string_view>
#include <utility>

#include "array_formats.hpp"
#include "nac/error.hpp"

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
  bool numeric = false;  // integer or float: HDF5 converts it to float32
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

// Why a dataset's metadata cannot be right ("" if it looks sound); notes its chunking. HDF5 1.10
// trusts some of it when reading (a corrupt type size makes it copy past its buffers), so nac
// checks first.
std::string metadata_problem(hid_t d, hid_t type, Dataset& ds) {
  const H5T_class_t c = H5Tget_class(type);
  if (c != H5T_INTEGER && c != H5T_FLOAT) return "";  // not read
  const std::size_t size = H5Tget_size(type), precision = H5Tget_precision(type);
  const int offset = H5Tget_offset(type);
  if (size < 1 || size > 16 || (c == H5T_FLOAT && size < 2))
    return "a value size of " + std::to_string(size) + " bytes";
  if (precision < 1 || offset < 0 || precision + static_cast<std::size_t>(offset) > 8 * size)
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

Dataset describe(const fs::path& file, hid_t h5, const std::string& name) {
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
  const std::string problem = metadata_problem(d.get(), type.get(), ds);
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

class Hdf5File final : public ArrayFile {
 public:
  Hdf5File(const fs::path& file, Id h5, std::vector<Dataset> datasets)
      : ArrayFile(file), h5_(std::move(h5)), datasets_(std::move(datasets)) {}
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
    if (!d.numeric)
      fail(path(), "dataset '" + d.name + "' has dtype " + d.dtype + "; only integer and float datasets can be read");
    return d;
  }

  Id h5_;
  std::vector<Dataset> datasets_;
};

}  // namespace

std::unique_ptr<ArrayFile> open_hdf5(const fs::path& file) {
  const Hdf5Lock lock;
  Id h5(H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!h5.ok()) fail(file, "cannot open it as an HDF5 file: " + reason());
  std::vector<std::string> names;
  if (H5Lvisit(h5.get(), H5_INDEX_NAME, H5_ITER_INC, collect, &names) < 0)
    fail(file, "cannot list its datasets (corrupt file?): " + reason());
  std::vector<Dataset> datasets;
  for (const std::string& name : names) datasets.push_back(describe(file, h5.get(), name));
  return std::make_unique<Hdf5File>(file, std::move(h5), std::move(datasets));
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
