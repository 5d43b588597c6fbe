#pragma once
// What the fuzz targets share: a scratch folder of their own and writing an input into a file.
// Each target calls nac's reader on the file and accepts nac::Error (a clear message) as the
// only way out; anything else that escapes, and every sanitizer report, is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

namespace nac::fuzz {

inline const std::filesystem::path& scratch() {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("nac_fuzz_" + std::to_string(getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

/// The build's plugin folder, or $NAC_FUZZ_PLUGINS (a copy of the build fuzzing for hours while
/// the tree is rebuilt).
inline std::filesystem::path plugin_dir() {
  const char* env = std::getenv("NAC_FUZZ_PLUGINS");
  return env && *env ? env : NAC_PLUGIN_DIR;
}

inline void write_bytes(const std::filesystem::path& file, const std::uint8_t* data, std::size_t size) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
}

}  // namespace nac::fuzz
