#pragma once
// Bit-accurate fixed-point inference: a model run exactly as hls4ml's HLS templates compute it
// (io_parallel, latency strategy), on exact integers (nac/fixed_point.hpp). The HLS backend's C
// simulation must equal this, bit for bit; docs/hls_backend.md states every rule.
//
// Types. Every tensor has a fixed-point type: the model's input and each layer's output take the
// "input" precision of the layer that reads them when it is an ap_fixed type, else the default
// type (hls4ml's model default, ap_fixed<16,6>); the last layer's output takes the default type.
// A layer's weights and biases take their "weight" and "bias" precisions, or the default type;
// float weights are converted as an ap_fixed assignment converts a double. Scaled-integer types
// (int<B>) have no fixed-point equivalent and are refused (use qat's mode = "fixed").
//
// Arithmetic, per output of a dense or convolution layer: acc = accum_t(bias); for each input in
// order acc = accum_t(acc + accum_t(x * w)); out = result_t(acc), where accum_t is hls4ml's
// automatic accumulator type (nac::infer_accum_type), wide enough that nothing rounds or wraps.
// relu: x > 0 ? result_t(x) : 0. leaky relu: x > 0 ? result_t(x) : result_t(alpha * x), alpha in
// the default type. sigmoid, tanh and softmax through hls4ml's lookup tables (the "stable"
// softmax), the tables computed by nac and written into the project. The attention block as
// per-position dense layers, products, a stable softmax and a residual add. max pooling: the largest input (padding:
// the type's lowest value), cast to result_t. flatten, dropout and identity: result_t(x). Images are held channels last
// (as the HLS project lays them out); a linear layer after a flatten reads its inputs in that order.
//
// Ops the executor cannot run (average pooling, ...) are refused
// by name when it is built; fold batch norms first (nac/nn/fold.hpp).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "nac/fixed_point.hpp"
#include "nac/nn/model.hpp"
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac::nn {

struct FixedInferenceOptions {
  /// The type of every tensor whose precision is not an ap_fixed type (hls4ml's model default).
  NumberType default_type = NumberType::fixed(16, 6);
  /// Weights and biases without an ap_fixed precision in the model (and batch norm's folded scale
  /// and shift) take the default type's width, signed, with the fewest integer bits (at least 1)
  /// that hold their largest magnitude; false: the default type itself, as hls4ml's default.
  bool fit_weights = true;
  /// Calibrated ranges (calibrate_ranges): the largest magnitude of each layer's output, by layer
  /// name, of the model's input (key "") and of an attention block's internal tensors (key
  /// NAME.internal: its int_t), on representative data. A tensor without an
  /// ap_fixed precision in the model whose range is known takes the default type's width, signed,
  /// with the integer bits of twice that range (one bit of headroom; the default's overflow mode
  /// beyond it). Empty: every such tensor in the default type.
  std::map<std::string, double> ranges{};
};

/// `like`'s width, rounding and overflow, signed (or unsigned), with the fewest integer bits (at
/// least 1) whose range holds every value of magnitude up to `max_magnitude`.
NumberType fitted_type(const NumberType& like, double max_magnitude, bool is_signed = true);

/// One layer as the executor runs it, with its types (those it does not use are float32).
/// Tensors' raw integers fit 64 bits (their types are at most 32 bits wide).
struct FixedLayer {
  std::string name, op;
  Shape input, output;  // per sample, nac's order: (C, H, W) or (F)
  NumberType input_type, weight_type, bias_type, accum_type, result_type;
  /// Raw weights, per output its inputs in the order they are summed: a convolution's filter f
  /// as [f][kh][kw][c] (c within f's group), a linear layer's output j as [j][i] with i in the
  /// order its input is held (channels last after a flatten of an image).
  std::vector<std::int64_t> weights, bias;
  std::int64_t kernel = 0, stride = 1, padding = 0, groups = 1;
  std::int64_t alpha = 0;  // leaky relu: the slope, raw in the default type
  /// sigmoid and tanh: `table` (raw, table_type); softmax: `table` the exponentials (table_type),
  /// `inverse` the inverses (inverse_type), the differences in norm_type, the sum in accum_type
  /// and then in inverse_input_type (docs/hls_backend.md).
  std::vector<std::int64_t> table, inverse;
  NumberType table_type, inverse_type, norm_type, inverse_input_type;
  /// attention: its parts theta, phi, g (linear, per position), softmax (over the keys) and out
  /// (linear); the accumulators of the scores and of A g; the scale (raw in the default type,
  /// 0: none) and whether the input is added (docs/hls_backend.md).
  std::vector<FixedLayer> parts;
  NumberType score_accum_type, mix_accum_type;
  /// layernorm: 1/d (raw) in k_type; the mean and the differences in the default type (weight_type
  /// and bias_type are the scale's and shift's); the variance in var_type; `table` 1/sqrt(v + eps)
  /// in table_type for the raw variances v below its size, larger ones shifted right by an even
  /// number of bits, up to 2 max_half, to fit it (docs/hls_backend.md). Scale and shift per
  /// element, channels last.
  std::int64_t k_inv = 0, max_half = 0;
  NumberType k_type, mean_type, var_type;
  std::int64_t scale = 0;
  bool residual = false;
};

/// The fixed-point types of each layer of a description, as FixedPointModel gives them (sequential
/// containers opened, in order): input, weight and bias (float32 for a layer without them), and
/// result. For estimates that need no weights (the hls backend's latency and resources): with
/// fit_weights the executor keeps these widths but may choose other integer bits for weights.
struct FixedTypes {
  const LayerSpec* layer = nullptr;
  NumberType input, weight, bias, result;
};
std::vector<FixedTypes> fixed_types(const ModelSpec& spec, const NumberType& default_type);

/// The ranges of FixedInferenceOptions::ranges measured on a batch of representative inputs, by
/// the executor at ap_fixed<32,16,AP_RND,AP_SAT> (wide enough to neither saturate nor round much).
std::map<std::string, double> calibrate_ranges(const Model& model, const Tensor& batch, bool fit_weights = true);

class FixedPointModel {
 public:
  /// Reads the model's description and its effective (masked, quantized) weights. Throws
  /// nac::Error naming the layer and op for an op it cannot run or a type it cannot use.
  explicit FixedPointModel(const Model& model, FixedInferenceOptions options = {});

  /// One sample (nac's layout, the model's input shape) to the raw integers of the output, of
  /// output_type(): in nac's order, or with `held_order` as the executor and the HLS project
  /// hold it (an image, or a vector flattened from one, channels last).
  std::vector<std::int64_t> run_raw(const float* sample, bool held_order = false) const {
    return run_sample(sample, held_order, nullptr);
  }
  /// The output values of a batch (N, ...input) as doubles (exact).
  std::vector<double> run(const Tensor& batch) const;
  /// The largest magnitude of each layer's output over a batch, by layer name, of the input (key
  /// "") and of each attention block's internal tensors (key NAME.internal), in this model's types.
  std::map<std::string, double> output_ranges(const Tensor& batch) const;

  const NumberType& input_type() const { return input_type_; }
  const NumberType& output_type() const { return layers_.empty() ? input_type_ : layers_.back().result_type; }
  const std::vector<FixedLayer>& layers() const { return layers_; }
  std::int64_t output_size() const { return output_size_; }

 private:
  // run_raw, and each layer's largest |output| (and the input's, first) into `maxima` when given.
  std::vector<std::int64_t> run_sample(const float* sample, bool held_order, std::vector<double>* maxima) const;

  std::vector<FixedLayer> layers_;
  NumberType input_type_;
  Shape input_shape_;
  std::int64_t output_size_ = 0;
};

}  // namespace nac::nn
NAC_PUBLIC_END
