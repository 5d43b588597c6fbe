#pragma once
// A Backend turns a (compressed) model into something that runs on hardware, or estimates how
// it would: an hls4ml-shaped HLS project, CPU latency, resource and latency estimates.
//
// Threads: run() is never called concurrently on one object. (The backend stage that runs
// backends is a coming step of the codesign; this interface is what it will call.)
#include <filesystem>
#include <string>
#include <vector>

#include "nac/metrics.hpp"
#include "nac/model_spec.hpp"
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac {

namespace nn {
class Model;
}

struct BackendContext {
  const ModelSpec& spec;
  /// Weights, when the backend needs them. Not const: evaluation forwards (a testbench's float
  /// outputs) need a non-const model; a backend must not change its weights.
  nn::Model* model = nullptr;
  std::filesystem::path out_dir;  // where the backend writes its files
};

struct BackendReport {
  Metrics estimates;  // e.g. "latency_cycles", "lut", "dsp", "latency_us"
  std::vector<std::filesystem::path> files;
  std::string summary;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  virtual BackendReport run(const BackendContext& context) = 0;
};

}  // namespace nac
NAC_PUBLIC_END
