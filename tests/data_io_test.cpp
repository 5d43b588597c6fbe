// Array files (nac/data/array_io.hpp): round trips through each format, numpy-written fixtures
// (tests/fixtures/data, see its README.md), HDF5 files of other dtypes made with the C API here,
// string arrays (HDF5's fixed- and variable-length strings, numpy's 'S' and 'U'),
// hand-made ZIP64 archives, and truncated and corrupted files, which must give a nac::Error naming
// the file and never a crash.
#include <doctest/doctest.h>
#include <hdf5.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <thread>

#include "nac/data/array_io.hpp"
#include "nac/error.hpp"
#include "test_support.hpp"

using nac::Error;
using nac::Shape;
using nac::data::Array;
using nac::data::ArrayFile;
using nac::data::write_arrays;
using nac::test::read_file;
using nac::test::TempDir;
using nac::test::write_file;
namespace fs = std::filesystem;

// HDF5 1.10 itself leaks a little when it rejects a corrupt file (a plain H5Fopen/H5Fclose loop
// over the corrupted files below shows the same). LeakSanitizer (the asan preset) reads this
// function; elsewhere it is unused. That nac closes every HDF5 handle is checked directly with
// H5Fget_obj_count instead.
extern "C" const char* __lsan_default_suppressions() { return "leak:libhdf5_serial.so\n"; }

namespace {

const fs::path kFixtures = fs::path(NAC_SOURCE_DIR) / "tests" / "fixtures" / "data";

std::vector<float> iota(std::size_t n, float start = 0, float step = 1) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = start + step * static_cast<float>(i);
  return v;
}

// Arrays every writer must round-trip: several ranks, odd values, a scalar, an empty array.
std::vector<Array> sample_arrays() {
  std::vector<float> odd = {-0.0f, 1e-38f, -3.4e38f, std::numeric_limits<float>::infinity(), 1.0f / 3, 7};
  return {
      {"frames", {4, 2, 3}, iota(24, -2.0f, 0.25f), ""},
      {"odd", {6}, odd, ""},
      {"scalar", {}, {42.5f}, ""},
      {"empty", {0, 3}, {}, ""},
  };
}

void check_same(const Array& got, const Array& want) {
  INFO("array ", want.name);
  CHECK(got.shape == want.shape);
  REQUIRE(got.values.size() == want.values.size());
  if (!want.values.empty())  // bit for bit: -0.0 and infinities included
    CHECK(std::memcmp(got.values.data(), want.values.data(), want.values.size() * sizeof(float)) == 0);
}

// Opens the file and reads everything in it; "" or the nac::Error's message. Other exceptions
// escape (and fail the test).
std::string read_everything(const fs::path& file) {
  try {
    const auto f = ArrayFile::open(file);
    for (const std::string& name : f->names()) {
      const Shape shape = f->shape(name);
      if (f->dtype(name) == "string") {
        f->strings(name);
        continue;
      }
      f->read(name);
      if (!shape.empty() && shape[0] > 0) f->read_rows(name, shape[0] - 1, 1);
    }
    return "";
  } catch (const Error& e) {
    return e.what();
  }
}

// The message of the nac::Error `f` throws ("" if it throws none).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::uint32_t crc32_of(const std::string& bytes) {
  std::uint32_t crc = 0xffffffffu;
  for (const unsigned char c : bytes) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

struct LittleEndian {
  std::string s;
  LittleEndian& put(std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
    return *this;
  }
  LittleEndian& raw(const std::string& r) {
    s += r;
    return *this;
  }
};

// A one-member ZIP whose central directory and end record use ZIP64 fields for everything.
std::string zip64_archive(const std::string& member, const std::string& data, bool with_extra = true) {
  const std::uint32_t crc = crc32_of(data);
  LittleEndian z;
  z.put(0x04034b50, 4).put(45, 2).put(0, 2).put(0, 2).put(0, 2).put(0x21, 2).put(crc, 4);
  z.put(0xffffffff, 4).put(0xffffffff, 4).put(member.size(), 2).put(20, 2).raw(member);
  z.put(1, 2).put(16, 2).put(data.size(), 8).put(data.size(), 8).raw(data);
  const std::uint64_t cd = z.s.size();
  z.put(0x02014b50, 4).put(45, 2).put(45, 2).put(0, 2).put(0, 2).put(0, 2).put(0x21, 2).put(crc, 4);
  z.put(0xffffffff, 4).put(0xffffffff, 4).put(member.size(), 2).put(with_extra ? 28 : 0, 2);
  z.put(0, 2).put(0, 2).put(0, 2).put(0, 4).put(0xffffffff, 4).raw(member);
  if (with_extra) z.put(1, 2).put(24, 2).put(data.size(), 8).put(data.size(), 8).put(0, 8);
  const std::uint64_t cd_size = z.s.size() - cd, end64 = z.s.size();
  z.put(0x06064b50, 4).put(44, 8).put(45, 2).put(45, 2).put(0, 4).put(0, 4).put(1, 8).put(1, 8);
  z.put(cd_size, 8).put(cd, 8);
  z.put(0x07064b50, 4).put(0, 4).put(end64, 8).put(1, 4);
  z.put(0x06054b50, 4).put(0, 2).put(0, 2).put(0xffff, 2).put(0xffff, 2).put(0xffffffff, 4).put(0xffffffff, 4);
  z.put(0, 2);
  return z.s;
}

}  // namespace

TEST_CASE("arrays: .npy round trip") {
  TempDir dir("npy");
  for (const Array& want : sample_arrays()) {
    const fs::path file = dir.path() / (want.name + ".npy");
    write_arrays(file, {want});
    CHECK_FALSE(fs::exists(file.string() + ".tmp"));
    const auto f = ArrayFile::open(file);
    CHECK(f->path() == file);
    CHECK(f->names() == std::vector<std::string>{want.name});
    CHECK(f->has(want.name));
    CHECK_FALSE(f->has("other"));
    CHECK(f->shape(want.name) == want.shape);
    CHECK(f->dtype(want.name) == "float32");
    const Array got = f->read(want.name);
    CHECK(got.name == want.name);
    CHECK(got.stored_dtype == "float32");
    check_same(got, want);
  }
}

TEST_CASE("arrays: .npz round trip") {
  TempDir dir("npz");
  std::vector<Array> arrays = sample_arrays();
  arrays.push_back({"group/x", {2, 2}, {1, 2, 3, 4}, ""});
  const fs::path file = dir.path() / "data.npz";
  write_arrays(file, arrays);
  CHECK_FALSE(fs::exists(file.string() + ".tmp"));
  const auto f = ArrayFile::open(file);
  CHECK(f->names() == std::vector<std::string>{"frames", "odd", "scalar", "empty", "group/x"});
  for (const Array& want : arrays) {
    CHECK(f->dtype(want.name) == "float32");
    CHECK(f->shape(want.name) == want.shape);
    check_same(f->read(want.name), want);
  }
}

TEST_CASE("arrays: HDF5 round trip") {
  TempDir dir("h5");
  std::vector<Array> arrays = sample_arrays();
  arrays.push_back({"group/x", {2, 2}, {1, 2, 3, 4}, ""});
  for (const char* name : {"data.h5", "data.hdf5"}) {
    const fs::path file = dir.path() / name;
    write_arrays(file, arrays);
    CHECK_FALSE(fs::exists(file.string() + ".tmp"));
    const auto f = ArrayFile::open(file);
    std::vector<std::string> names = f->names();
    std::sort(names.begin(), names.end());
    CHECK(names == std::vector<std::string>{"empty", "frames", "group/x", "odd", "scalar"});
    CHECK(f->has("/group/x"));  // a leading '/' is fine
    for (const Array& want : arrays) {
      CHECK(f->dtype(want.name) == "float32");
      check_same(f->read(want.name), want);
    }
  }
  CHECK(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) == 0);  // every HDF5 handle was closed
}

TEST_CASE("arrays: the format comes from the magic bytes") {
  TempDir dir("magic");
  const std::vector<Array> arrays = {{"x", {3}, {1, 2, 3}, ""}};
  for (const char* ext : {".npy", ".npz", ".h5"}) {
    const fs::path written = dir.path() / (std::string("x") + ext), renamed = dir.path() / "x.bin";
    write_arrays(written, arrays);
    fs::rename(written, renamed);
    const auto f = ArrayFile::open(renamed);
    CHECK(f->read(f->names().front()).values == arrays[0].values);
  }
}

TEST_CASE("arrays: read_rows on each format") {
  TempDir dir("rows");
  const Array frames{"frames", {5, 2, 3}, iota(30, 1.0f), ""};
  const Array scalar{"scalar", {}, {1.0f}, ""};
  const std::vector<fs::path> files = {dir.path() / "frames.npy", dir.path() / "data.npz", dir.path() / "data.h5",
                                       kFixtures / "savez.npz", kFixtures / "savez_compressed.npz"};
  write_arrays(files[0], {frames});
  write_arrays(files[1], {frames, scalar});
  write_arrays(files[2], {frames, scalar});
  for (const fs::path& file : files) {
    INFO(file.string());
    const auto f = ArrayFile::open(file);
    const bool fixture = file.parent_path() == kFixtures;
    const Shape full = f->shape("frames");
    const std::vector<float> all = f->read("frames").values;
    for (int pass = 0; pass < 2; ++pass) {  // twice: the second read of a .npz member skips its CRC check
      const Array rows = f->read_rows("frames", 1, 3);
      CHECK(rows.name == "frames");
      CHECK(rows.shape == Shape{3, full[1], full[2]});
      const std::size_t row = static_cast<std::size_t>(full[1] * full[2]);
      CHECK(rows.values == std::vector<float>(all.begin() + row, all.begin() + 4 * row));
    }
    if (!fixture) CHECK(all == frames.values);
    CHECK(f->read_rows("frames", full[0], 0).shape == Shape{0, full[1], full[2]});
    CHECK(f->read_rows("frames", 0, full[0]).values == all);

    const std::string where = file.string() + ": dataset 'frames'";
    CHECK(contains(error_of([&] { f->read_rows("frames", full[0] - 1, 2); }), where));
    CHECK(contains(error_of([&] { f->read_rows("frames", -1, 1); }), where));
    CHECK(contains(error_of([&] { f->read_rows("frames", 0, -1); }), where));
    CHECK(error_of([&] { f->read_rows("nope", 0, 1); }).starts_with(file.string() + ": no dataset 'nope'"));
    if (f->has("scalar"))
      CHECK(error_of([&] { f->read_rows("scalar", 0, 1); }) ==
            file.string() + ": dataset 'scalar' is a scalar; it has no rows to read");
  }
}

TEST_CASE("arrays: numpy-written .npy files of several dtypes and versions") {
  const auto f64 = ArrayFile::open(kFixtures / "f64_v1.npy");
  CHECK(f64->names() == std::vector<std::string>{"f64_v1"});
  CHECK(f64->dtype("f64_v1") == "float64");
  const Array a = f64->read("f64_v1");
  CHECK(a.shape == Shape{3, 4});
  CHECK(a.stored_dtype == "float64");
  CHECK(a.values == iota(12, -1.0f, 0.5f));
  CHECK(f64->read_rows("f64_v1", 2, 1).values == iota(4, 3.0f, 0.5f));

  const Array i16 = ArrayFile::open(kFixtures / "i16.npy")->read("i16");
  CHECK(i16.stored_dtype == "int16");
  CHECK(i16.shape == Shape{2, 3});
  CHECK(i16.values == std::vector<float>{-32768, -1, 0, 1, 2, 32767});

  const Array u8 = ArrayFile::open(kFixtures / "u8_v2.npy")->read("u8_v2");
  CHECK(u8.stored_dtype == "uint8");
  CHECK(u8.values == std::vector<float>{0, 7, 255});

  const Array b = ArrayFile::open(kFixtures / "bool_v3.npy")->read("bool_v3");
  CHECK(b.stored_dtype == "bool");
  CHECK(b.shape == Shape{2, 2});
  CHECK(b.values == std::vector<float>{1, 0, 0, 1});

  const Array s = ArrayFile::open(kFixtures / "scalar.npy")->read("scalar");
  CHECK(s.shape == Shape{});
  CHECK(s.values == std::vector<float>{2.5f});
}

TEST_CASE("arrays: numpy-written .npz files stored and deflated") {
  for (const char* name : {"savez.npz", "savez_compressed.npz"}) {
    INFO(name);
    const auto f = ArrayFile::open(kFixtures / name);
    CHECK(f->names() == std::vector<std::string>{"frames", "labels"});
    CHECK(f->dtype("frames") == "float32");
    CHECK(f->dtype("labels") == "int64");
    const Array frames = f->read("frames");
    CHECK(frames.shape == Shape{4, 2, 3});
    CHECK(frames.values == iota(24, 0.0f, 0.25f));
    const Array labels = f->read("labels");
    CHECK(labels.shape == Shape{4});
    CHECK(labels.values == std::vector<float>{3, -1, 0, 9});
    CHECK(f->read_rows("labels", 1, 2).values == std::vector<float>{-1, 0});
  }

  const auto f = ArrayFile::open(kFixtures / "dtypes.npz");
  const std::vector<std::string> dtypes = {"bool",   "int8",   "int16",  "int32",   "int64",   "uint8",
                                           "uint16", "uint32", "uint64", "float16", "float32", "float64"};
  CHECK(f->names() == dtypes);
  for (const std::string& t : dtypes) {
    INFO(t);
    CHECK(f->dtype(t) == t);
    CHECK(f->read(t).values == (t == "bool" ? std::vector<float>{0, 1, 1} : std::vector<float>{0, 1, 100}));
  }
}

TEST_CASE("arrays: unsupported .npy files name the file and the dtype") {
  const fs::path big = kFixtures / "big_endian.npy", fortran = kFixtures / "fortran.npy",
                 object = kFixtures / "object.npy";
  const std::string e1 = error_of([&] { ArrayFile::open(big); });
  CHECK(e1.starts_with(big.string() + ": big-endian dtype '>f4' is not supported"));
  const std::string e2 = error_of([&] { ArrayFile::open(fortran); });
  CHECK(e2.starts_with(fortran.string() + ": Fortran-order"));
  CHECK(contains(e2, "float32"));
  const std::string e3 = error_of([&] { ArrayFile::open(object); });
  CHECK(e3.starts_with(object.string() + ": object dtype '|O'"));
}

TEST_CASE("arrays: a missing dataset lists what the file has") {
  const fs::path file = kFixtures / "savez.npz";
  const auto f = ArrayFile::open(file);
  const std::string want = file.string() + ": no dataset 'x' (it has: frames, labels)";
  CHECK(error_of([&] { f->shape("x"); }) == want);
  CHECK(error_of([&] { f->dtype("x"); }) == want);
  CHECK(error_of([&] { f->read("x"); }) == want);
  CHECK_FALSE(f->has("x"));

  TempDir dir("none");
  write_arrays(dir.path() / "empty.h5", std::vector<Array>{});
  const auto e = ArrayFile::open(dir.path() / "empty.h5");
  CHECK(e->names().empty());
  CHECK(error_of([&] { e->read("x"); }) == (dir.path() / "empty.h5").string() + ": no dataset 'x' (it has none)");
}

TEST_CASE("arrays: HDF5 datasets of other dtypes convert to float32") {
  TempDir dir("h5types");
  const fs::path file = dir.path() / "types.h5";
  {  // HDF5's default (oldest) file format, as many tools write it
    const hid_t f = H5Fcreate(file.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    REQUIRE(f >= 0);
    const hsize_t dims[2] = {2, 3};
    const hid_t space = H5Screate_simple(2, dims, nullptr);
    const std::uint16_t counts[6] = {0, 1, 2, 65535, 300, 7};
    hid_t d = H5Dcreate2(f, "counts", H5T_STD_U16LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(H5Dwrite(d, H5T_NATIVE_UINT16, H5S_ALL, H5S_ALL, H5P_DEFAULT, counts) >= 0);
    H5Dclose(d);

    const hid_t g = H5Gcreate2(f, "g", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const double reals[6] = {-1.5, 0, 2.25, 1e300, -1e-300, 3};
    d = H5Dcreate2(g, "reals", H5T_IEEE_F64BE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);  // big-endian
    CHECK(H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, reals) >= 0);
    H5Dclose(d);

    const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);  // chunked and deflated
    const hsize_t chunk[2] = {1, 3};
    H5Pset_chunk(dcpl, 2, chunk);
    H5Pset_deflate(dcpl, 4);
    const std::int64_t longs[6] = {-5, 4, 3, 2, 1, 0};
    d = H5Dcreate2(g, "longs", H5T_STD_I64LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    CHECK(H5Dwrite(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, longs) >= 0);
    H5Dclose(d);
    H5Pclose(dcpl);
    H5Gclose(g);

    const hid_t text = H5Tcopy(H5T_C_S1);
    H5Tset_size(text, 4);
    const hid_t one = H5Screate(H5S_SCALAR);
    d = H5Dcreate2(f, "label", text, one, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(H5Dwrite(d, text, H5S_ALL, H5S_ALL, H5P_DEFAULT, "abcd") >= 0);
    H5Dclose(d);
    H5Sclose(one);
    H5Tclose(text);
    CHECK(H5Lcreate_soft("/counts", f, "alias", H5P_DEFAULT, H5P_DEFAULT) >= 0);  // links are not datasets
    H5Sclose(space);
    CHECK(H5Fclose(f) >= 0);
  }
  const auto f = ArrayFile::open(file);
  std::vector<std::string> names = f->names();
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"counts", "g/longs", "g/reals", "label"});
  CHECK(f->dtype("counts") == "uint16");
  CHECK(f->dtype("g/reals") == "float64");
  CHECK(f->dtype("g/longs") == "int64");
  CHECK(f->dtype("label") == "string");
  CHECK(f->shape("label") == Shape{});

  const Array counts = f->read("counts");
  CHECK(counts.stored_dtype == "uint16");
  CHECK(counts.shape == Shape{2, 3});
  CHECK(counts.values == std::vector<float>{0, 1, 2, 65535, 300, 7});
  CHECK(f->read_rows("counts", 1, 1).values == std::vector<float>{65535, 300, 7});
  const Array reals = f->read("g/reals");
  CHECK(reals.values[0] == -1.5f);
  CHECK(reals.values[2] == 2.25f);
  CHECK(std::isinf(reals.values[3]));
  CHECK(reals.values[5] == 3.0f);
  CHECK(f->read("g/longs").values == std::vector<float>{-5, 4, 3, 2, 1, 0});
  CHECK(f->read_rows("/g/longs", 1, 1).values == std::vector<float>{2, 1, 0});
  CHECK(error_of([&] { f->read("label"); }) ==
        file.string() + ": dataset 'label' has dtype string; only integer and float datasets can be read");
}

TEST_CASE("arrays: HDF5 string datasets, fixed and variable length, made with the C API") {
  TempDir dir("h5strings");
  const fs::path file = dir.path() / "strings.h5";
  {
    const hid_t f = H5Fcreate(file.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    REQUIRE(f >= 0);
    // Fixed-length strings of each padding: the bytes as stored, size by size.
    const auto fixed = [&](const char* name, std::size_t size, H5T_str_t pad, std::vector<hsize_t> dims,
                           const std::string& bytes, hid_t create = H5P_DEFAULT) {
      const hid_t type = H5Tcopy(H5T_C_S1);
      H5Tset_size(type, size);
      H5Tset_strpad(type, pad);
      const hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
      const hid_t d = H5Dcreate2(f, name, type, space, H5P_DEFAULT, create, H5P_DEFAULT);
      CHECK(H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data()) >= 0);
      H5Dclose(d);
      H5Sclose(space);
      H5Tclose(type);
    };
    fixed("nullterm", 5, H5T_STR_NULLTERM, {3}, std::string("abcd\0a\0bc\0xyz\0\0", 15));
    fixed("nullpad", 3, H5T_STR_NULLPAD, {2, 2}, std::string("ab\0abca\0b\0\0\0", 12));
    fixed("spacepad", 4, H5T_STR_SPACEPAD, {2}, "ab  a b ");
    fixed("none", 3, H5T_STR_NULLPAD, {0}, "");
    H5Gclose(H5Gcreate2(f, "g", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);  // chunked and deflated
    const hsize_t chunk[1] = {2};
    H5Pset_chunk(dcpl, 1, chunk);
    H5Pset_deflate(dcpl, 4);
    fixed("g/chunked", 2, H5T_STR_NULLPAD, {5}, std::string("a\0bbc\0d\0ee", 10), dcpl);
    H5Pclose(dcpl);

    const hid_t text = H5Tcopy(H5T_C_S1);  // variable length, UTF-8
    H5Tset_size(text, H5T_VARIABLE);
    H5Tset_cset(text, H5T_CSET_UTF8);
    const hsize_t three = 3;
    const hid_t space = H5Screate_simple(1, &three, nullptr), one = H5Screate(H5S_SCALAR);
    const char* values[3] = {"jet", "\xc3\xa9\xe2\x9c\x93", ""};
    hid_t d = H5Dcreate2(f, "variable", text, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(H5Dwrite(d, text, H5S_ALL, H5S_ALL, H5P_DEFAULT, values) >= 0);
    H5Dclose(d);
    const char* single[1] = {"one"};
    d = H5Dcreate2(f, "scalar", text, one, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(H5Dwrite(d, text, H5S_ALL, H5S_ALL, H5P_DEFAULT, single) >= 0);
    H5Dclose(d);
    d = H5Dcreate2(f, "unwritten", text, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);  // null strings
    H5Dclose(d);
    const hid_t chunked = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(chunked, 1, &three);
    d = H5Dcreate2(f, "chunked_variable", text, space, H5P_DEFAULT, chunked, H5P_DEFAULT);
    CHECK(H5Dwrite(d, text, H5S_ALL, H5S_ALL, H5P_DEFAULT, values) >= 0);
    H5Dclose(d);
    H5Pclose(chunked);
    const float numbers[3] = {1, 2, 3};
    d = H5Dcreate2(f, "numbers", H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, numbers) >= 0);
    H5Dclose(d);
    H5Sclose(one);
    H5Sclose(space);
    H5Tclose(text);
    CHECK(H5Fclose(f) >= 0);
  }
  const auto f = ArrayFile::open(file);
  using Strings = std::vector<std::string>;
  CHECK(f->strings("nullterm") == Strings{"abcd", "a", "xyz"});                      // up to the first NUL
  CHECK(f->strings("nullpad") == Strings{"ab", "abc", std::string("a\0b", 3), ""});  // trailing NULs only
  CHECK(f->shape("nullpad") == Shape{2, 2});
  CHECK(f->strings("spacepad") == Strings{"ab", "a b"});
  CHECK(f->strings("none").empty());
  CHECK(f->strings("/g/chunked") == Strings{"a", "bb", "c", "d", "ee"});
  CHECK(f->strings("variable") == Strings{"jet", "\xc3\xa9\xe2\x9c\x93", ""});
  CHECK(f->strings("scalar") == Strings{"one"});
  CHECK(f->shape("scalar") == Shape{});
  CHECK(f->strings("unwritten") == Strings{"", "", ""});
  CHECK(error_of([&] { f->strings("chunked_variable"); }) ==
        file.string() +
            ": dataset 'chunked_variable': variable-length strings are read from contiguous storage in the file only, "
            "not from chunked, compact, virtual or external storage");
  for (const char* name : {"nullterm", "variable", "scalar"}) CHECK(f->dtype(name) == "string");
  CHECK(error_of([&] { f->strings("numbers"); }) ==
        file.string() + ": dataset 'numbers' has dtype float32, not strings");
  CHECK(error_of([&] { f->read("variable"); }) ==
        file.string() + ": dataset 'variable' has dtype string; only integer and float datasets can be read");
  CHECK(error_of([&] { f->read_rows("nullpad", 0, 1); }) ==
        file.string() + ": dataset 'nullpad' has dtype string; only integer and float datasets can be read");
  CHECK(error_of([&] { f->strings("x"); }).starts_with(file.string() + ": no dataset 'x' (it has: "));
  CHECK(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) == 1);  // f is open
}

TEST_CASE("arrays: string arrays written by numpy and h5py") {
  using Strings = std::vector<std::string>;
  const Strings words = {"ab", "", std::string("a\0b", 3), "xyz"};                // an inner NUL stays
  const Strings text = {"jet", "\xc3\xa9\xe2\x9c\x93", "", "\xf0\x9d\x9c\x8bx"};  // as UTF-8
  const auto npy = ArrayFile::open(kFixtures / "strings_u.npy");
  CHECK(npy->dtype("strings_u") == "string");
  CHECK(npy->shape("strings_u") == Shape{4});
  CHECK(npy->strings("strings_u") == text);
  CHECK(error_of([&] { npy->read("strings_u"); }) ==
        (kFixtures / "strings_u.npy").string() +
            ": dataset 'strings_u' has dtype string; only integer and float datasets can be read");

  const fs::path npz_file = kFixtures / "strings.npz";
  const auto npz = ArrayFile::open(npz_file);
  CHECK(npz->shape("words") == Shape{2, 2});
  CHECK(npz->strings("words") == words);
  CHECK(npz->strings("text") == text);
  CHECK(npz->read("numbers").values == std::vector<float>{0, 1, 2});
  CHECK(error_of([&] { npz->strings("numbers"); }) ==
        npz_file.string() + ": dataset 'numbers' has dtype int16, not strings");
  CHECK(error_of([&] { npz->read_rows("words", 0, 1); }) ==
        npz_file.string() + ": dataset 'words' has dtype string; only integer and float datasets can be read");

  {
    const auto h5 = ArrayFile::open(kFixtures / "strings.h5");
    CHECK(h5->strings("fixed") == words);
    CHECK(h5->strings("variable") == Strings(text.begin(), text.begin() + 3));
  }
  CHECK(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) == 0);

  // Hand-made .npy headers: a big-endian 'U' is refused, a code point beyond Unicode is corrupt.
  TempDir dir("npy_strings");
  const auto npy_with = [&](const std::string& descr, const std::string& data) {
    std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (1,), }";
    header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');  // (numpy pads to 64 bytes)
    header += '\n';
    std::string bytes = "\x93NUMPY";
    bytes += '\x01';
    bytes += '\x00';
    bytes += static_cast<char>(header.size());
    bytes += '\x00';
    write_file(dir.path() / "s.npy", bytes + header + data);
    return dir.path() / "s.npy";
  };
  CHECK(error_of([&] {
          ArrayFile::open(npy_with(">U1", std::string("\0\0\0a", 4)));
        }).starts_with((dir.path() / "s.npy").string() + ": big-endian dtype '>U1' is not supported"));
  const auto bad = ArrayFile::open(npy_with("<U1", std::string("\0\0\x11\0", 4)));  // U+110000
  CHECK(error_of([&] { bad->strings("s"); }) ==
        (dir.path() / "s.npy").string() + ": corrupt string 0: code point 1114112 is not Unicode");
  CHECK(ArrayFile::open(npy_with("|S2", std::string("a\0", 2)))->strings("s") == Strings{"a"});
}

TEST_CASE("arrays: corrupt global heaps of variable-length strings are errors (HDF5 1.10 looped forever)") {
  const fs::path source = kFixtures / "strings.h5";
  const std::string bytes = read_file(source);
  const std::size_t heap = bytes.find("GCOL");
  REQUIRE(heap != std::string::npos);
  haddr_t refs = HADDR_UNDEF;  // where the dataset's references are
  {
    const hid_t f = H5Fopen(source.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    const hid_t d = H5Dopen2(f, "variable", H5P_DEFAULT);
    refs = H5Dget_offset(d);
    H5Dclose(d);
    H5Fclose(f);
  }
  REQUIRE(refs != HADDR_UNDEF);
  TempDir dir("heaps");
  const fs::path file = dir.path() / "heap.h5";
  const auto message = [&](std::size_t at, const std::string& patch) {
    std::string copy = bytes;
    copy.replace(at, patch.size(), patch);
    write_file(file, copy);
    return error_of([&] { ArrayFile::open(file)->strings("variable"); });
  };
  // The first object (after the 16-byte header) made the free space of size 0: HDF5 1.10 never
  // got past it.
  const std::string where =
      file.string() + ": dataset 'variable' is corrupt: the global heap collection at " + std::to_string(heap);
  CHECK(message(heap + 16, std::string(8, '\0') + std::string(8, '\0')) ==
        where + " holds an object of 0 bytes at byte 16, which is empty");
  CHECK(message(heap + 24, std::string(8, '\xff')) ==
        where + " holds an object of 18446744073709551615 bytes at byte 16, beyond its end");
  CHECK(message(heap, "GCOM") == where + " has no GCOL version 1 signature");
  // A string longer than its object (HDF5 would copy the object into a buffer of the string's
  // length); an object the collection does not hold.
  CHECK(message(refs, std::string("\x09\0\0\0", 4)) ==
        file.string() + ": dataset 'variable' is corrupt: string 0 of 9 bytes refers to a global heap object of 3");
  CHECK(message(refs + 12, std::string("\x63\0\0\0", 4)) ==
        file.string() +
            ": dataset 'variable' is corrupt: string 0 refers to object 99 of the global heap collection at " +
            std::to_string(heap) + ", which has none");
  CHECK(message(0, "") == "");  // (the file unchanged)
  CHECK(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) == 0);
}

TEST_CASE("arrays: ZIP64 archives as large numpy archives have them") {
  TempDir dir("zip64");
  const fs::path npy = dir.path() / "a.npy";
  write_arrays(npy, {{"a", {2, 2}, {1, 2, 3, 4}, ""}});
  const fs::path file = dir.path() / "zip64.npz";
  write_file(file, zip64_archive("a.npy", read_file(npy)));
  const auto f = ArrayFile::open(file);
  CHECK(f->names() == std::vector<std::string>{"a"});
  CHECK(f->read("a").values == std::vector<float>{1, 2, 3, 4});
  CHECK(f->read_rows("a", 1, 1).values == std::vector<float>{3, 4});

  const fs::path broken = dir.path() / "broken.npz";
  write_file(broken, zip64_archive("a.npy", read_file(npy), false));
  CHECK(error_of([&] { ArrayFile::open(broken); }) ==
        broken.string() + ": corrupt ZIP archive: member 'a.npy' needs a ZIP64 extra field and has none");
}

TEST_CASE("arrays: missing and empty and foreign files") {
  TempDir dir("bad");
  const fs::path missing = dir.path() / "missing.npy";
  CHECK(error_of([&] { ArrayFile::open(missing); }) == missing.string() + ": no such file");
  CHECK(contains(error_of([&] { ArrayFile::open(dir.path()); }), dir.path().string() + ": is a folder"));
  for (const char* name : {"e.npy", "e.npz", "e.h5", "e.bin"}) {
    const fs::path file = dir.path() / name;
    write_file(file, "");
    CHECK(error_of([&] { ArrayFile::open(file); }).starts_with(file.string() + ": empty file (0 bytes)"));
  }
  const fs::path text = dir.path() / "notes.npz";
  write_file(text, "hello, world\n");
  CHECK(error_of([&] {
          ArrayFile::open(text);
        }).starts_with(text.string() + ": not a .npy, .npz or HDF5 file: it starts with bytes 68 65 6c 6c"));
  const fs::path short_npy = dir.path() / "short.npy";
  write_file(short_npy, "\x93NUM");
  CHECK(error_of([&] { ArrayFile::open(short_npy); }).starts_with(short_npy.string() + ": truncated"));
  const fs::path fake_h5 = dir.path() / "fake.h5";
  write_file(fake_h5, std::string(600, 'x'));
  CHECK(error_of([&] { ArrayFile::open(fake_h5); }).starts_with(fake_h5.string() + ": cannot open it as an HDF5 file"));
}

TEST_CASE("arrays: truncated files name the file") {
  TempDir dir("truncated");
  const Array frames{"frames", {5, 2, 3}, iota(30), ""};
  write_arrays(dir.path() / "ours.npy", {frames});
  write_arrays(dir.path() / "ours.npz", {frames, {"b", {2}, {1, 2}, ""}});
  write_arrays(dir.path() / "ours.h5", {frames, {"b", {2}, {1, 2}, ""}});
  for (const fs::path& source :
       {dir.path() / "ours.npy", dir.path() / "ours.npz", dir.path() / "ours.h5", kFixtures / "f64_v1.npy",
        kFixtures / "savez_compressed.npz", kFixtures / "strings.npz", kFixtures / "strings.h5"}) {
    const std::string bytes = read_file(source);
    for (const double fraction : {0.0, 0.01, 0.05, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99}) {
      for (const std::size_t cut : {static_cast<std::size_t>(fraction * static_cast<double>(bytes.size())),
                                    bytes.size() - 1 - static_cast<std::size_t>(fraction * 10)}) {
        const fs::path file = dir.path() / ("cut" + source.extension().string());
        write_file(file, bytes.substr(0, cut));
        INFO(source.string(), " cut to ", cut, " of ", bytes.size(), " bytes");
        const std::string error = read_everything(file);
        CHECK(error.starts_with(file.string() + ": "));
      }
    }
  }
}

TEST_CASE("arrays: corrupted files give a nac::Error or data and never crash") {
  TempDir dir("flipped");
  const Array frames{"frames", {3, 4}, iota(12), ""};
  write_arrays(dir.path() / "ours.npz", {frames, {"b", {2}, {1, 2}, ""}});
  write_arrays(dir.path() / "ours.h5", {frames, {"g/b", {2}, {1, 2}, ""}});
  int errors = 0, reads = 0;
  for (const fs::path& source :
       {kFixtures / "f64_v1.npy", kFixtures / "i16.npy", kFixtures / "savez.npz", kFixtures / "savez_compressed.npz",
        dir.path() / "ours.npz", dir.path() / "ours.h5", kFixtures / "strings_u.npy", kFixtures / "strings.npz"}) {
    // (Not h5py's strings.h5: some of its flipped bytes make HDF5 1.10.8 itself read past a
    // buffer while it decodes an object header, before nac sees anything; ASan reports it.)
    const std::string bytes = read_file(source);
    const fs::path file = dir.path() / ("flipped" + source.extension().string());
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      for (const unsigned char mask : {0x01, 0xff}) {
        std::string copy = bytes;
        copy[i] = static_cast<char>(static_cast<unsigned char>(copy[i]) ^ mask);
        write_file(file, copy);
        INFO(source.string(), ": byte ", i, " ^ ", int(mask));
        const std::string error = read_everything(file);
        if (!error.empty()) CHECK(error.starts_with(file.string() + ": "));
        ++(error.empty() ? reads : errors);
      }
    }
  }
  CHECK(errors > 0);
  CHECK(reads > 0);  // some bytes are data, changed without a trace (but .npz members have CRCs)
  CHECK(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) == 0);  // every HDF5 handle was closed
}

TEST_CASE("arrays: a CRC-32 mismatch in a .npz member is an error") {
  TempDir dir("crc");
  const fs::path file = dir.path() / "data.npz";
  write_arrays(file, {{"a", {4}, {1, 2, 3, 4}, ""}});
  std::string bytes = read_file(file);
  const std::size_t last_value = bytes.find("PK\x01\x02") - 1;  // the last byte of the member's data
  bytes[last_value] = static_cast<char>(bytes[last_value] ^ 0x40);
  write_file(file, bytes);
  const auto f = ArrayFile::open(file);  // the headers are fine
  const std::string e = file.string() + ": corrupt member 'a.npy': CRC-32 mismatch";
  CHECK(error_of([&] { f->read_rows("a", 0, 1); }).starts_with(e));
  CHECK(error_of([&] { f->read("a"); }).starts_with(e));
}

TEST_CASE("arrays: write errors name the file and leave no partial file") {
  TempDir dir("write");
  const Array a{"a", {2}, {1, 2}, ""}, b{"b", {1}, {3}, ""};
  const fs::path npy = dir.path() / "two.npy";
  CHECK(error_of([&] {
          write_arrays(npy, {a, b});
        }) == npy.string() + ": a .npy file holds exactly one array, not 2 (write several to a .npz or .h5 file)");
  const fs::path txt = dir.path() / "x.txt";
  CHECK(error_of([&] { write_arrays(txt, {a}); }).starts_with(txt.string() + ": cannot write arrays"));
  const fs::path npz = dir.path() / "x.npz";
  CHECK(error_of([&] {
          write_arrays(npz, {{"a", {2, 2}, {1, 2, 3}, ""}});
        }) == npz.string() + ": array 'a': shape (2, 2) holds 4 values, but it has 3");
  CHECK(error_of([&] { write_arrays(npz, {a, a}); }) == npz.string() + ": two arrays named 'a'");
  CHECK(error_of([&] { write_arrays(npz, {{"", {1}, {1}, ""}}); }) == npz.string() + ": an array without a name");
  for (const char* name : {"no/such/folder/x.npy", "no/such/folder/x.npz", "no/such/folder/x.h5"}) {
    const fs::path file = dir.path() / name;
    CHECK(error_of([&] { write_arrays(file, {a}); }).starts_with(file.string() + ": cannot "));
  }
  // A failing write leaves the old file as it was, and no FILE.tmp.
  const fs::path h5 = dir.path() / "keep.h5";
  write_arrays(h5, {a});
  CHECK(error_of([&] { write_arrays(h5, {a, {"a/x", {1}, {1}, ""}}); }).starts_with(h5.string() + ": "));
  CHECK_FALSE(fs::exists(h5.string() + ".tmp"));
  CHECK(ArrayFile::open(h5)->read("a").values == a.values);
  CHECK(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) == 0);  // the failed write closed its handles
}

TEST_CASE("arrays: several threads read one file at once") {
  TempDir dir("threads");
  const Array big{"x", {64, 100}, iota(6400), ""};
  for (const char* name : {"t.npy", "t.npz", "t.h5"}) {
    const fs::path file = dir.path() / name;
    write_arrays(file, {big});
    const auto f = ArrayFile::open(file);
    const std::string n = f->names().front();
    std::array<int, 4> bad{};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        for (int i = 0; i < 16; ++i) {
          const Array rows = f->read_rows(n, (t * 16 + i) % 60, 4);
          bad[t] += rows.values != std::vector<float>(big.values.begin() + 100 * ((t * 16 + i) % 60),
                                                      big.values.begin() + 100 * ((t * 16 + i) % 60 + 4));
        }
      });
    for (std::thread& t : threads) t.join();
    CHECK(bad == std::array<int, 4>{});
  }
}

TEST_CASE("arrays: a .npy header whose dtype is the empty string is refused (a fuzz_arrays finding)") {
  TempDir dir("npy_empty_dtype");
  // A version 1.0 header padded to a multiple of 64 bytes, as numpy writes it, with 'descr': ''.
  std::string header = "{'descr': '', 'fortran_order': False, 'shape': (1, 2), }";
  header.append(128 - 10 - header.size() - 1, ' ');
  header += '\n';
  std::string bytes = "\x93NUMPY";
  bytes += '\x01';
  bytes += '\x00';
  bytes += static_cast<char>(header.size());
  bytes += '\x00';
  bytes += header + std::string(8, '\0');
  write_file(dir.path() / "x.npy", bytes);
  std::string message;
  try {
    (void)ArrayFile::open(dir.path() / "x.npy");
  } catch (const Error& e) {
    message = e.what();
  }
  CHECK(message.find("dtype '' is not supported") != std::string::npos);
}
