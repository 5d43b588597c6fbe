#pragma once
// CPU inference latency of a model with nac's engine (oneDNN): batch 1 and batch N, fp32 and, when
// the model's convolutions and linear layers are quantized to 8 bits or less, int8
// (docs/cpu_backend.md).
#include <cstdint>
#include <string>
#include <vector>

#include "nac/nn/model.hpp"

namespace nac::cpu {

struct TimingSettings {
  std::int64_t batch = 256;       // the large batch (samples per forward)
  double min_seconds = 0.2;       // per measurement, after the warm-up
  std::int64_t min_repeats = 20;  // per measurement, at least
  std::int64_t warmup = 5;        // forwards before timing
};

/// One measurement: the time of one forward of `batch` samples over `repeats` runs.
struct Timing {
  std::string precision;  // "fp32" or "int8"
  std::int64_t batch = 1, repeats = 0;
  double median_us = 0, p10_us = 0, p90_us = 0;
  double samples_per_second() const { return median_us > 0 ? 1e6 * static_cast<double>(batch) / median_us : 0; }
};

struct LatencyReport {
  std::vector<Timing> timings;           // fp32 batch 1, fp32 batch N, then int8 ones if any
  std::vector<std::string> int8_layers;  // the layers that ran int8 (empty: no int8 timings)
  int threads = 1;
};

/// Times evaluation forwards of random inputs in [-1, 1] (seeded) on the engine's current
/// threads. The model's integer-inference switch is restored afterwards.
LatencyReport measure_latency(nn::Model& model, const TimingSettings& settings);

/// One measurement (the median of at least min_repeats forwards, for at least min_seconds).
Timing time_forward(nn::Model& model, std::int64_t batch, const TimingSettings& settings);

/// The report as JSON (docs/cpu_backend.md) and as the lines of a summary.
std::string to_json(const LatencyReport& r);
std::string to_text(const LatencyReport& r);

}  // namespace nac::cpu
