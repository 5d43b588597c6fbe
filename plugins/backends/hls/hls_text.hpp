#pragma once
// Text pieces of the generated HLS code: type names, exact decimals, arrays of weights.
#include <cstdint>
#include <string>
#include <vector>

#include "nac/fixed_point.hpp"

namespace nac::hls {

/// The C++ spelling of a fixed type: ap_fixed<W,I> or ap_ufixed<W,I>, with its rounding and
/// overflow modes when they are not the defaults.
std::string cpp_type(const NumberType& t);

/// raw * 2^-fraction_bits(t) as an exact decimal (no rounding: a dyadic fraction has a finite
/// decimal expansion), e.g. "-0.4375", "12", "0.0009765625".
std::string exact_decimal(FixedRaw raw, const NumberType& t);

/// "{v0, v1, ...}" of exact decimals, eight to a line.
std::string decimal_list(const std::vector<std::int64_t>& raw, const NumberType& t);

/// A file of the embedded templates and headers (plugins/backends/hls/{ap_types,nnet_utils}/),
/// by its path relative to firmware/, e.g. "nnet_utils/nnet_dense.h".
struct EmbeddedFile {
  const char* path;
  const char* text;
};
const std::vector<EmbeddedFile>& embedded_files();

}  // namespace nac::hls
