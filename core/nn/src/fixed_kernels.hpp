#pragma once
// Internal: the pieces of the fixed-point executor (fixed_inference.cpp) that the attention block
// (fixed_attention.cpp) shares.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "nac/nn/fixed_inference.hpp"
#include "nac/nn/parameter.hpp"

namespace nac::nn {

/// nac::Error "fixed-point inference: layer 'NAME' (OP): WHY".
[[noreturn]] void fixed_refuse(const LayerSpec& l, const std::string& why);
/// A layer's precision of a role when it is ap_fixed, else `fallback`; scaled integers refused.
NumberType fixed_or_default(const LayerSpec& l, const std::string& role, const NumberType& fallback);
/// The raw values of a tensor converted to a type.
std::vector<std::int64_t> raw_values(const Tensor& t, const NumberType& type);
/// The type of a weight tensor of a role: the layer's precision when it is ap_fixed, else the
/// default, fitted to the tensor's largest magnitude when `fit` (FixedInferenceOptions).
NumberType weight_type_of(const LayerSpec& l, const std::string& role, const NumberType& def, bool fit,
                          const Tensor& values);
/// raw * 2^-frac converted to t, as a 64-bit raw value.
std::int64_t fixed_cast_raw(FixedRaw raw, int frac, const NumberType& t);

/// A dense layer on one vector: l.input = {n_in}, l.output = {n_out}, weights [j][i].
void fixed_linear(const FixedLayer& l, const std::int64_t* x, std::int64_t* y);
/// hls4ml's stable softmax over x, with l's tables (softmax_tables).
void fixed_softmax(const FixedLayer& l, const std::vector<std::int64_t>& x, std::vector<std::int64_t>& y);
/// The softmax's types and tables for l.input_type and l.input (its size).
void softmax_tables(FixedLayer& l);

/// The attention block's parts and types; `params` are the model's parameters by name.
void build_attention(FixedLayer& l, const LayerSpec& s, const std::map<std::string, const Param*>& params,
                     const FixedInferenceOptions& options);
/// One sample: x and y (n positions x C channels, channels last); the largest magnitude of the
/// block's internal tensors (theta, phi, g, the mix, out) into internal_max when given.
void fixed_attention(const FixedLayer& l, const std::vector<std::int64_t>& x, std::vector<std::int64_t>& y,
                     double* internal_max = nullptr);

/// Layer norm's types, table, scale and shift (fixed_norm.cpp).
void build_layernorm(FixedLayer& l, const LayerSpec& s, const std::map<std::string, const Param*>& params,
                     const FixedInferenceOptions& options);
void fixed_layernorm(const FixedLayer& l, const std::vector<std::int64_t>& x, std::vector<std::int64_t>& y);

}  // namespace nac::nn
