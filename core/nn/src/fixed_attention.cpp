// The attention block in fixed point (BraggNN's non-local block), as nac's HLS template
// nnet_attention.h computes it. For n positions of C channels and `hidden` channels, with every
// internal tensor in the default type (int_t):
//   theta, phi, g: dense C -> hidden at each position (the block's weight precision), int_t
//   s[i][j] = score_t(sum_k theta[i][k] phi[j][k] (* scale)), exact sums, score_t = int_t
//   a[i] = stable softmax over j of s[i] (tables as for the softmax layer), int_t
//   y[i][k] = int_t(sum_j a[i][j] g[j][k]), exact sums
//   out: dense hidden -> C at each position, int_t; result_t(out + x) (or result_t(out))
#include <cmath>

#include "fixed_kernels.hpp"
#include "nac/error.hpp"

namespace nac::nn {

namespace {

FixedLayer dense_part(const LayerSpec& s, const std::string& part, const std::map<std::string, const Param*>& params,
                      std::int64_t n_in, std::int64_t n_out, const NumberType& input_type,
                      const NumberType& weight_type, const NumberType& bias_type, const NumberType& result_type) {
  FixedLayer d;
  d.name = s.name + "." + part;
  d.op = "linear";
  d.input = {n_in};
  d.output = {n_out};
  d.input_type = input_type;
  d.weight_type = weight_type;
  d.bias_type = bias_type;
  d.result_type = result_type;
  const auto w = params.find(s.name + "." + part + ".weight"), b = params.find(s.name + "." + part + ".bias");
  if (w == params.end() || b == params.end()) fixed_refuse(s, "has no " + part + " weights");
  d.weights = raw_values(w->second->effective(), weight_type);  // (n_out, n_in, 1, 1): [j][i]
  d.bias = raw_values(b->second->effective(), bias_type);
  d.accum_type = infer_accum_type(input_type, weight_type, &bias_type, n_in);
  return d;
}

}  // namespace

void build_attention(FixedLayer& l, const LayerSpec& s, const std::map<std::string, const Param*>& params,
                     const NumberType& def) {
  const std::int64_t c = s.input[0], n = s.input[1] * s.input[2], h = attr_int(s, "hidden");
  l.weight_type = fixed_or_default(s, "weight", def);
  l.bias_type = fixed_or_default(s, "bias", def);
  for (const char* part : {"theta", "phi", "g"})
    l.parts.push_back(dense_part(s, part, params, c, h, l.input_type, l.weight_type, l.bias_type, def));
  FixedLayer soft;
  soft.name = s.name + ".softmax";
  soft.op = "softmax";
  soft.input = {n};
  soft.output = {n};
  soft.input_type = def;
  soft.result_type = def;
  softmax_tables(soft);
  l.parts.push_back(std::move(soft));
  l.parts.push_back(dense_part(s, "out", params, h, c, def, l.weight_type, l.bias_type, def));
  l.score_accum_type = infer_accum_type(def, def, nullptr, h);
  l.mix_accum_type = infer_accum_type(def, def, nullptr, n);
  l.scale = attr_int(s, "scale", 0) != 0
                ? static_cast<std::int64_t>(fixed_from_double(1 / std::sqrt(static_cast<double>(h)), def))
                : 0;
  l.residual = attr_int(s, "residual", 1) != 0;
  l.weight_type = l.parts[0].weight_type;
  l.accum_type = l.parts[0].accum_type;
}

void fixed_attention(const FixedLayer& l, const std::vector<std::int64_t>& x, std::vector<std::int64_t>& y) {
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
  std::vector<std::int64_t> scores(n), weights;
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t j = 0; j < n; ++j) {
      FixedRaw acc = 0;  // exact: score_accum_t never rounds
      for (std::int64_t k = 0; k < h; ++k) acc += FixedRaw(t[i * h + k]) * p[j * h + k];
      scores[j] = l.scale != 0 ? fixed_cast_raw(acc * l.scale, 3 * fi, int_t) : fixed_cast_raw(acc, 2 * fi, int_t);
    }
    fixed_softmax(soft, scores, weights);
    for (std::int64_t k = 0; k < h; ++k) {
      FixedRaw acc = 0;
      for (std::int64_t j = 0; j < n; ++j) acc += FixedRaw(weights[j]) * v[j * h + k];
      mix[i * h + k] = fixed_cast_raw(acc, 2 * fi, int_t);
    }
  }
  y.resize(x.size());
  std::vector<std::int64_t> o(c);
  const int fx = fraction_bits(l.input_type);
  const int f = std::max(fi, fx);
  for (std::int64_t i = 0; i < n; ++i) {
    fixed_linear(out, mix.data() + i * h, o.data());
    for (std::int64_t ch = 0; ch < c; ++ch) {
      const FixedRaw sum = FixedRaw(o[ch]) * (FixedRaw(1) << (f - fi)) +
                           (l.residual ? FixedRaw(x[i * c + ch]) * (FixedRaw(1) << (f - fx)) : FixedRaw(0));
      y[i * c + ch] = fixed_cast_raw(sum, f, l.result_type);
    }
  }
}

}  // namespace nac::nn
