// Layer norm in fixed point, as nac's HLS template nnet_layernorm.h computes it (over all d
// values of a sample, as nac's layernorm op):
//   mean = mean_t(sum(x) * k), k = 1/d in ap_ufixed<25,1,AP_RND,AP_SAT>, the sum exact
//   diff = mean_t(x - mean)
//   var = var_t(sum(diff^2) * k), the sum exact; var_t unsigned, saturating, the default's widths
//   inv = table[top bits of var], 1/sqrt(v + eps) at the middle v of each bin, 4096 entries (or
//         2^W for var_t narrower than 12 bits) in ap_ufixed<20,10,AP_RND,AP_SAT>
//   out = result_t(diff * inv * scale + shift), exact until the cast
// mean_t is the default type; scale and shift are per element (their weight and bias precision).
#include <cmath>

#include "fixed_kernels.hpp"
#include "nac/error.hpp"

namespace nac::nn {

namespace {

int table_bits(const NumberType& var) { return std::min(12, var.width); }

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
                     const NumberType& def) {
  const auto w = params.find(s.name + ".weight"), b = params.find(s.name + ".bias");
  if (w == params.end() || b == params.end()) fixed_refuse(s, "has no scale or shift");
  const auto d = static_cast<std::int64_t>(numel(s.input));
  l.weight_type = fixed_or_default(s, "weight", def);
  l.bias_type = fixed_or_default(s, "bias", def);
  l.weights = channels_last(raw_values(w->second->effective(), l.weight_type), s.input);
  l.bias = channels_last(raw_values(b->second->effective(), l.bias_type), s.input);
  l.k_type = NumberType::fixed(25, 1, false, Rounding::Rnd, Overflow::Sat);
  l.k_inv = static_cast<std::int64_t>(fixed_from_double(1.0 / static_cast<double>(d), l.k_type));
  l.mean_type = def;
  l.var_type = NumberType::fixed(def.width, def.integer, false, Rounding::Rnd, Overflow::Sat);
  l.table_type = NumberType::fixed(20, 10, false, Rounding::Rnd, Overflow::Sat);
  const int bits = table_bits(l.var_type);
  const double eps = attr_real(s, "eps", 1e-5);
  l.table.resize(std::size_t{1} << bits);
  const double bin = std::ldexp(1.0, l.var_type.integer - bits);  // the width of a bin of var
  for (std::size_t i = 0; i < l.table.size(); ++i)
    l.table[i] = static_cast<std::int64_t>(
        fixed_from_double(1 / std::sqrt((static_cast<double>(i) + 0.5) * bin + eps), l.table_type));
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
  const std::int64_t inv = l.table[static_cast<std::size_t>(var >> (l.var_type.width - bits))];
  const int fp = fm + ft + fw, fo = std::max(fp, fb);
  y.resize(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const FixedRaw v = FixedRaw(diff[i]) * inv * l.weights[i] * (FixedRaw(1) << (fo - fp)) +
                       FixedRaw(l.bias[i]) * (FixedRaw(1) << (fo - fb));
    y[i] = fixed_cast_raw(v, fo, l.result_type);
  }
}

}  // namespace nac::nn
