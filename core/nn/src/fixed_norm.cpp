// Layer norm in fixed point, as nac's HLS template nnet_layernorm.h computes it (over all d
// values of a sample, as nac's layernorm op):
//   mean = mean_t(sum(x) * k), k = 1/d in ap_ufixed<25,1,AP_RND,AP_SAT>, the sum exact
//   diff = mean_t(x - mean)
//   var = var_t(sum(diff^2) * k), the sum exact; var_t unsigned, saturating, the default's widths
//   v = var's raw bits; h = the least h >= 0 with v >> 2h below the table's size 2^B (B = 10, or
//       var_t's width when narrower); inv = table[v >> 2h] * 2^-h, exact (2^-h from a table of
//       h + 1 powers of two)
//   table[m] = 1/sqrt((m + 1/2) 2^-F + eps) (F: var_t's fraction bits) in ap_ufixed<18, I> with
//       the integer bits I of its largest entry, AP_RND, AP_SAT
//   out = result_t(diff * inv * scale + shift), exact until the cast
// mean_t is the default type; scale and shift are per element (their weight and bias precision,
// or fitted). The shift keeps the table's relative step below 2^-8 for every variance of at least
// 2^(B-2-F): a table over var_t's whole range by its top bits, the first design, was coarse for
// small variances and grew coarser with the default's integer bits.
#include <cmath>

#include "fixed_kernels.hpp"
#include "nac/error.hpp"

namespace nac::nn {

namespace {

int table_bits(const NumberType& var) { return std::min(10, var.width); }

// An image's per-element values (C, H, W) reordered channels last.
std::vector<std::int64_t> channels_last(const std::vector<std::int64_t>& v, const Shape& shape) {
  if (shape.size() != 3) return v;
  const std::int64_t c = shape[0], hw = shape[1] * shape[2];
  std::vector<std::int64_t> r(v.size());
  for (std::int64_t ch = 0; ch < c; ++ch)
    for (std::int64_t p = 0; p < hw; ++p) r[p * c + ch] = v[ch * hw + p];
  return r;
}

}  // namespace

void build_layernorm(FixedLayer& l, const LayerSpec& s, const std::map<std::string, const Param*>& params,
                     const FixedInferenceOptions& options) {
  const NumberType& def = options.default_type;
  const auto w = params.find(s.name + ".weight"), b = params.find(s.name + ".bias");
  if (w == params.end() || b == params.end()) fixed_refuse(s, "has no scale or shift");
  const auto d = static_cast<std::int64_t>(numel(s.input));
  l.weight_type = weight_type_of(s, "weight", def, options.fit_weights, w->second->effective());
  l.bias_type = weight_type_of(s, "bias", def, options.fit_weights, b->second->effective());
  l.weights = channels_last(raw_values(w->second->effective(), l.weight_type), s.input);
  l.bias = channels_last(raw_values(b->second->effective(), l.bias_type), s.input);
  l.k_type = NumberType::fixed(25, 1, false, Rounding::Rnd, Overflow::Sat);
  l.k_inv = static_cast<std::int64_t>(fixed_from_double(1.0 / static_cast<double>(d), l.k_type));
  l.mean_type = def;
  l.var_type = NumberType::fixed(def.width, def.integer, false, Rounding::Rnd, Overflow::Sat);
  const int bits = table_bits(l.var_type);
  l.max_half = (l.var_type.width - bits + 1) / 2;
  const double eps = attr_real(s, "eps", 1e-5), step = std::ldexp(1.0, -fraction_bits(l.var_type));
  l.table_type = fitted_type(NumberType::fixed(18, 1, false, Rounding::Rnd, Overflow::Sat),
                             1 / std::sqrt(0.5 * step + eps), false);  // its largest entry
  l.table.resize(std::size_t{1} << bits);
  for (std::size_t i = 0; i < l.table.size(); ++i)
    l.table[i] = static_cast<std::int64_t>(
        fixed_from_double(1 / std::sqrt((static_cast<double>(i) + 0.5) * step + eps), l.table_type));
}

void fixed_layernorm(const FixedLayer& l, const std::vector<std::int64_t>& x, std::vector<std::int64_t>& y) {
  const int fx = fraction_bits(l.input_type), fk = fraction_bits(l.k_type), fm = fraction_bits(l.mean_type);
  const int ft = fraction_bits(l.table_type), fw = fraction_bits(l.weight_type), fb = fraction_bits(l.bias_type);
  FixedRaw sum = 0;
  for (const std::int64_t v : x) sum += v;
  const std::int64_t mean = fixed_cast_raw(sum * l.k_inv, fx + fk, l.mean_type);
  const int f = std::max(fx, fm);
  std::vector<std::int64_t> diff(x.size());
  FixedRaw squares = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    diff[i] = fixed_cast_raw(FixedRaw(x[i]) * (FixedRaw(1) << (f - fx)) - FixedRaw(mean) * (FixedRaw(1) << (f - fm)), f,
                             l.mean_type);
    squares += FixedRaw(diff[i]) * diff[i];
  }
  const std::int64_t var = fixed_cast_raw(squares * l.k_inv, 2 * fm + fk, l.var_type);
  const int bits = table_bits(l.var_type);
  std::int64_t half = 0;
  while ((var >> (2 * half)) >= (std::int64_t{1} << bits)) ++half;
  const std::int64_t inv = l.table[static_cast<std::size_t>(var >> (2 * half))];
  const FixedRaw unscale = FixedRaw(1) << (l.max_half - half);  // 2^-half, max_half fraction bits
  const int fp = fm + ft + static_cast<int>(l.max_half) + fw, fo = std::max(fp, fb);
  y.resize(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const FixedRaw v = FixedRaw(diff[i]) * (inv * unscale) * l.weights[i] * (FixedRaw(1) << (fo - fp)) +
                       FixedRaw(l.bias[i]) * (FixedRaw(1) << (fo - fb));
    y[i] = fixed_cast_raw(v, fo, l.result_type);
  }
}

}  // namespace nac::nn
