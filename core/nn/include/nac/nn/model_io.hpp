#pragma once
// Saving and loading models. The format (docs/model_format.md) is one file:
//   8 bytes  "NACMODEL"
//   4 bytes  format version, little-endian uint32 (2; version 1 files load too)
//   8 bytes  header length H, little-endian uint64
//   H bytes  JSON: {"spec": ModelSpec, "tensors": [{"name", "kind": "param"|"buffer"|"mask",
//            "shape", "offset"}], "dtype": "float32-le"}
//   the data: each tensor's float32 values, little-endian, at its byte offset from here
// Version 2 adds each layer's precision and sparsity to the spec and a parameter's mask (0/1,
// named as the parameter, kind "mask"); version 1 kept compression as the attributes bits_w,
// bits_a and pruned, which load as precision and sparsity. The round trip is exact (the bytes of
// every value are kept), so a reloaded model computes the same outputs bit for bit.
#include <filesystem>

#include "nac/model_spec.hpp"
#include "nac/nn/model.hpp"
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac::nn {

void save_model(Model& model, const std::filesystem::path& file);
/// Throws nac::Error naming the file for a missing, truncated or malformed file.
Model load_model(const std::filesystem::path& file);

/// Reads a model description (ModelSpec JSON; layer shapes may be omitted) and infers shapes.
ModelSpec load_model_spec(const std::filesystem::path& file);

}  // namespace nac::nn
NAC_PUBLIC_END
