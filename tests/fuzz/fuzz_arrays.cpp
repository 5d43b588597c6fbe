// Fuzzes the array readers (.npy, .npz, HDF5: the format is chosen by the file's magic bytes):
// open, then every array's shape, dtype, a row range and the whole array (a string array's
// strings).
#include <algorithm>

#include "fuzz_support.hpp"
#include "nac/data/array_io.hpp"
#include "nac/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto file = nac::fuzz::scratch() / "arrays.npy";  // (a .npy is named by its stem)
  nac::fuzz::write_bytes(file, data, size);
  try {
    const auto f = nac::data::ArrayFile::open(file);
    for (const auto& name : f->names()) {
      try {
        const nac::Shape shape = f->shape(name);
        if (f->dtype(name) == "string") {
          (void)f->strings(name);
          continue;
        }
        if (!shape.empty()) (void)f->read_rows(name, 0, std::min<std::int64_t>(shape[0], 2));
        (void)f->read(name);
      } catch (const nac::Error&) {
      }
    }
  } catch (const nac::Error&) {
  }
  return 0;
}
