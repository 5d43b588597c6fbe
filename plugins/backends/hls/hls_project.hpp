#pragma once
// The hls backend's project writer: an hls4ml-shaped Vitis HLS project (io_parallel, latency
// strategy) of a model that nac's fixed-point executor runs (nac/nn/fixed_inference.hpp), with a
// testbench and the data to check its C simulation bit for bit (docs/hls_backend.md).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "nac/nn/fixed_inference.hpp"
#include "nac/nn/model.hpp"
#include "nac/nn/tensor.hpp"

namespace nac::hls {

struct HlsSettings {
  std::string name = "myproject";             // the top function and file names
  std::string part = "xcvu13p-flga2577-2-e";  // hls4ml's default part
  double clock_ns = 5;
  std::int64_t reuse = 1;  // reuse factor of every layer (the nearest valid one per layer)
  NumberType default_type = NumberType::fixed(16, 6, true, Rounding::Rnd, Overflow::Sat);
  bool fit_weights = true;       // nn::FixedInferenceOptions::fit_weights
  bool fold_batch_norms = true;  // into the convolution or linear layer before them (nn::fold_batch_norms)
  bool calibrate = true;         // integer bits from the ranges on representative testbench inputs
};

/// Rows of testbench inputs (N, ...model input) for tb_data/; `representative`: rows of real data
/// (a file), which calibrate the tensors' ranges (at most the first 1000 rows).
struct TestbenchInputs {
  nn::Tensor inputs;
  bool representative = false;
};

/// The reuse factor hls4ml would use for a layer of n_in x n_out multiplications: `wanted` if it
/// is valid, else the nearest valid one (ties: the smaller).
std::int64_t valid_reuse_factor(std::int64_t n_in, std::int64_t n_out, std::int64_t wanted);

struct WrittenProject {
  std::vector<std::filesystem::path> files;
  std::vector<std::string> warnings;  // e.g. a reuse factor replaced by the nearest valid one
  std::vector<std::string> folded;    // the batch norms folded into the layer before them
  std::int64_t calibrated = 0;        // the testbench rows that calibrated the ranges (0: none)
  std::string output_type;
  std::int64_t samples = 0;
};

/// Writes the project into `dir` (which must not exist yet): firmware/, the testbench, tb_data/
/// (the inputs, the float model's outputs and the fixed-point executor's outputs),
/// build_prj.tcl, build_csim.sh and README.md. The files are written into a sibling folder first
/// and renamed at the end, so a failure leaves no half-written project.
WrittenProject write_hls_project(nn::Model& model, const HlsSettings& settings, const TestbenchInputs& tb,
                                 const std::filesystem::path& dir);

}  // namespace nac::hls
