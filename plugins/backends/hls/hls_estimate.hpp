#pragma once
// Latency and resource estimates of the hls backend's project of a model, without vendor tools:
// an analytic model of nac's templates (io_parallel, latency strategy) from the model's
// description alone (shapes, precisions, sparsity), stated with its sources and limits in
// docs/hls_backend.md. A first model, to be calibrated against published synthesis figures.
#include <cstdint>
#include <string>
#include <vector>

#include "hls_project.hpp"
#include "nac/model_spec.hpp"

namespace nac::hls {

struct LayerEstimate {
  std::string name, op;
  std::int64_t reuse = 1;        // the layer's (valid) reuse factor
  std::int64_t multipliers = 0;  // multiplications in flight: nonzero products / reuse
  std::int64_t dsp = 0, lut = 0, ff = 0, bram18 = 0;
  std::int64_t cycles = 0;  // latency
  std::int64_t ii = 1;      // initiation interval
};

struct HlsEstimate {
  std::vector<LayerEstimate> layers;
  std::int64_t dsp = 0, lut = 0, ff = 0, bram18 = 0;
  std::int64_t cycles = 0, ii = 1;
  double latency_ns = 0;
  std::vector<std::string> warnings;  // e.g. a layer beyond what Vivado HLS unrolls
};

/// The estimate of a model's project with these settings (reuse factor, clock, default type).
HlsEstimate estimate_hls(const ModelSpec& spec, const HlsSettings& settings);

/// An FPGA's resources, for estimates as shares of a device.
struct Device {
  std::string name, part;
  std::int64_t lut = 0, ff = 0, dsp = 0, bram18 = 0;
};
const std::vector<Device>& hls_devices();
/// The device of a part name (as hls4ml and Vivado spell it); nac::Error listing the known parts.
const Device& find_device(const std::string& part);

}  // namespace nac::hls
