// The attention block in fixed point (BraggNN's non-local block), as nac's HLS template
// nnet_attention.h computes it. For n positions of C channels and `hidden` channels, with int_t
// the default type (or its width fitted to the calibrated range of these tensors):
//   theta, phi, g: dense C -> hidden at each position (the block's weight precision or fitted), int_t
//   s[i][j] = sum_k theta[i][k] phi[j][k] (* scale), exact (score_t: no rounding, no overflow)
//   a[i] = the block's softmax over j of s[i]:
//     d = norm_t(max - s), norm_t = ap_ufixed<10,4,AP_TRN,AP_SAT> (steps of 1/64 up to 16)
//     e = exp_table[d's 10 bits], entry k = exp(-(k + 1/2) / 64) in ap_ufixed<18,1,AP_RND,AP_SAT>
//     S = sum of the e, exact (17 fraction bits)
//     p = the top set bit of S's raw value; m = S's 10 bits from p down; q = p - 16
//     a = weight_t(e * inv_table[m - 512] * 2^-q), inv_table[j] = 1024 / (512 + j + 1/2) in
//         ap_ufixed<18,1,AP_RND,AP_SAT> (1/S with a relative step below 2^-9), 2^-q from a table
//         of powers of two, weight_t = ap_ufixed<18,1,AP_RND,AP_SAT>, the product exact
//   y[i][k] = int_t(sum_j a[i][j] g[j][k]), exact sums
//   out: dense hidden -> C at each position, int_t; result_t(out + x) (or result_t(out))
// The first design cast the scores to int_t and used hls4ml's softmax (tables indexed by the top
// bits of int_t and of an ap_fixed<18,8> sum): saturated scores at narrow types, and coarse
// steps at wide ones (1/2 at ap_fixed<24,10>), with +68% to +127% error on a front model.
#include <algorithm>
#include <cmath>

#include "fixed_kernels.hpp"
#include "nac/error.hpp"

namespace nac::nn {

namespace {

// A dense part; its weights and biases as weight_type_of gives them for the block.
FixedLayer dense_part(const LayerSpec& s, const std::string& part, const std::map<std::string, const Param*>& params,
                      std::int64_t n_in, std::int64_t n_out, const NumberType& input_type,
                      const FixedInferenceOptions& options, const NumberType& result_type) {
  FixedLayer d;
  d.name = s.name + "." + part;
  d.op = "linear";
  d.input = {n_in};
  d.output = {n_out};
  d.input_type = input_type;
  d.result_type = result_type;
  const auto w = params.find(s.name + "." + part + ".weight"), b = params.find(s.name + "." + part + ".bias");
  if (w == params.end() || b == params.end()) fixed_refuse(s, "has no " + part + " weights");
  const NumberType& def = options.default_type;
  d.weight_type = weight_type_of(s, "weight", def, options.fit_weights, w->second->effective());
  d.bias_type = weight_type_of(s, "bias", def, options.fit_weights, b->second->effective());
  d.weights = raw_values(w->second->effective(), d.weight_type);  // (n_out, n_in, 1, 1): [j][i]
  d.bias = raw_values(b->second->effective(), d.bias_type);
  d.accum_type = infer_accum_type(input_type, d.weight_type, &d.bias_type, n_in);
  return d;
}

}  // namespace

void build_attention(FixedLayer& l, const LayerSpec& s, const std::map<std::string, const Param*>& params,
                     const FixedInferenceOptions& options) {
  // int_t: the default type, or its width with the integer bits of twice the calibrated range of
  // the block's internal tensors (FixedInferenceOptions::ranges, key NAME.internal).
  const auto calibrated = options.ranges.find(s.name + ".internal");
  const NumberType def = calibrated == options.ranges.end() ? options.default_type
                                                            : fitted_type(options.default_type, 2 * calibrated->second);
  const std::int64_t c = s.input[0], n = s.input[1] * s.input[2], h = attr_int(s, "hidden");
  if (n > (std::int64_t{1} << 14))  // the sum of the exponentials stays within 32 bits
    fixed_refuse(s, "attends over " + std::to_string(n) + " positions; the fixed-point block takes at most 16384");
  for (const char* part : {"theta", "phi", "g"})
    l.parts.push_back(dense_part(s, part, params, c, h, l.input_type, options, def));
  FixedLayer soft;
  soft.name = s.name + ".softmax";
  soft.op = "softmax";
  soft.input = {n};
  soft.output = {n};
  soft.input_type = def;
  soft.norm_type = NumberType::fixed(10, 4, false, Rounding::Trn, Overflow::Sat);
  soft.table_type = soft.inverse_type = soft.result_type =
      NumberType::fixed(18, 1, false, Rounding::Rnd, Overflow::Sat);
  soft.table.resize(1024);
  for (std::size_t k = 0; k < soft.table.size(); ++k)
    soft.table[k] =
        static_cast<std::int64_t>(fixed_from_double(std::exp(-(static_cast<double>(k) + 0.5) / 64), soft.table_type));
  soft.inverse.resize(512);
  for (std::size_t j = 0; j < soft.inverse.size(); ++j)
    soft.inverse[j] =
        static_cast<std::int64_t>(fixed_from_double(1024 / (512 + static_cast<double>(j) + 0.5), soft.inverse_type));
  const int bits = ceil_log2(n);  // the sum of n values <= 1: bits + 1 integer bits
  soft.accum_type = NumberType::fixed(18 + bits, 1 + bits, false);
  soft.max_half = bits + 1;  // the largest q
  l.parts.push_back(std::move(soft));
  l.parts.push_back(dense_part(s, "out", params, h, c, def, options, def));
  l.score_accum_type = infer_accum_type(def, def, nullptr, h);
  l.mix_accum_type = infer_accum_type(l.parts[3].result_type, def, nullptr, n);
  l.scale = attr_int(s, "scale", 0) != 0
                ? static_cast<std::int64_t>(fixed_from_double(1 / std::sqrt(static_cast<double>(h)), def))
                : 0;
  l.residual = attr_int(s, "residual", 1) != 0;
  l.weight_type = l.parts[0].weight_type;
  l.accum_type = l.parts[0].accum_type;
}

namespace {

// The block's softmax (above) of exact scores with `frac` fraction bits.
void attention_softmax(const FixedLayer& soft, const std::vector<FixedRaw>& scores, int frac,
                       std::vector<std::int64_t>& a) {
  const FixedRaw mx = *std::max_element(scores.begin(), scores.end());
  const std::size_t n = scores.size();
  std::vector<std::int64_t> e(n);
  std::int64_t sum = 0;  // exact: 17 fraction bits, as the table
  for (std::size_t i = 0; i < n; ++i) {
    const auto d = static_cast<std::size_t>(fixed_cast({mx - scores[i], frac}, soft.norm_type));
    e[i] = soft.table[d];
    sum += e[i];
  }
  int p = 0;
  while (p < 62 && (sum >> (p + 1)) != 0) ++p;
  const int q = std::max(p - 16, 0);
  const std::int64_t j = std::max<std::int64_t>((sum >> (q + 7)) - 512, 0);
  const std::int64_t inv = soft.inverse[static_cast<std::size_t>(j)];
  const int f = fraction_bits(soft.table_type) + fraction_bits(soft.inverse_type) + static_cast<int>(soft.max_half);
  const FixedRaw unscale = FixedRaw(1) << (soft.max_half - q);  // 2^-q, max_half fraction bits
  a.resize(n);
  for (std::size_t i = 0; i < n; ++i) a[i] = fixed_cast_raw(FixedRaw(e[i]) * inv * unscale, f, soft.result_type);
}

}  // namespace

void fixed_attention(const FixedLayer& l, const std::vector<std::int64_t>& x, std::vector<std::int64_t>& y,
                     double* internal_max) {
  const FixedLayer &theta = l.parts[0], &phi = l.parts[1], &g = l.parts[2], &soft = l.parts[3], &out = l.parts[4];
  const std::int64_t c = l.input[0], n = l.input[1] * l.input[2], h = theta.output[0];
  const NumberType& int_t = theta.result_type;
  const int fi = fraction_bits(int_t);
  std::vector<std::int64_t> t(n * h), p(n * h), v(n * h), mix(n * h);
  for (std::int64_t i = 0; i < n; ++i) {
    fixed_linear(theta, x.data() + i * c, t.data() + i * h);
    fixed_linear(phi, x.data() + i * c, p.data() + i * h);
    fixed_linear(g, x.data() + i * c, v.data() + i * h);
  }
  std::vector<FixedRaw> scores(n);
  std::vector<std::int64_t> weights;
  const int fs = l.scale != 0 ? 3 * fi : 2 * fi, fa = fraction_bits(soft.result_type);
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t j = 0; j < n; ++j) {
      FixedRaw acc = 0;  // exact: score_accum_t never rounds, nor does the scale's product
      for (std::int64_t k = 0; k < h; ++k) acc += FixedRaw(t[i * h + k]) * p[j * h + k];
      scores[j] = l.scale != 0 ? acc * l.scale : acc;
    }
    attention_softmax(soft, scores, fs, weights);
    for (std::int64_t k = 0; k < h; ++k) {
      FixedRaw acc = 0;
      for (std::int64_t j = 0; j < n; ++j) acc += FixedRaw(weights[j]) * v[j * h + k];
      mix[i * h + k] = fixed_cast_raw(acc, fa + fi, int_t);
    }
  }
  y.resize(x.size());
  std::vector<std::int64_t> o(c);
  const int fx = fraction_bits(l.input_type);
  const int f = std::max(fi, fx);
  std::int64_t largest = 0;  // of the internal tensors, for calibration
  if (internal_max)
    for (const auto* part : {&t, &p, &v, &mix})
      for (const std::int64_t e : *part) largest = std::max(largest, e < 0 ? -e : e);
  for (std::int64_t i = 0; i < n; ++i) {
    fixed_linear(out, mix.data() + i * h, o.data());
    if (internal_max)
      for (const std::int64_t e : o) largest = std::max(largest, e < 0 ? -e : e);
    for (std::int64_t ch = 0; ch < c; ++ch) {
      const FixedRaw sum = FixedRaw(o[ch]) * (FixedRaw(1) << (f - fi)) +
                           (l.residual ? FixedRaw(x[i * c + ch]) * (FixedRaw(1) << (f - fx)) : FixedRaw(0));
      y[i * c + ch] = fixed_cast_raw(sum, f, l.result_type);
    }
  }
  if (internal_max) *internal_max = std::max(*internal_max, fixed_to_double(largest, int_t));
}

}  // namespace nac::nn
