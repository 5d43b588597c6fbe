#include "nac/nn/fixed_inference.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "nac/error.hpp"
#include "fixed_kernels.hpp"
#include "parallel_ranges.hpp"
#include "nac/nn/parameter.hpp"

namespace nac::nn {

void fixed_refuse(const LayerSpec& l, const std::string& why) {
  throw Error("fixed-point inference: layer '" + l.name + "' (" + l.op + "): " + why);
}

// The layers in the order they run (sequential containers opened).
static void flatten_layers(const std::vector<LayerSpec>& in, std::vector<const LayerSpec*>& out) {
  for (const auto& l : in) {
    if (l.op == "sequential") flatten_layers(l.children, out);
    else out.push_back(&l);
  }
}

NumberType fixed_or_default(const LayerSpec& l, const std::string& role, const NumberType& fallback) {
  const NumberType t = precision_of(l, role);
  if (t.kind == NumberType::Kind::Fixed) return t;
  if (t.kind == NumberType::Kind::ScaledInt)
    fixed_refuse(l, "its " + role + " type " + to_string(t) +
                        " is a scaled integer, which has no fixed-point equivalent; quantize with ap_fixed types "
                        "(qat's mode = \"fixed\")");
  return fallback;
}

std::vector<std::int64_t> raw_values(const Tensor& t, const NumberType& type) {
  std::vector<std::int64_t> r(t.size());
  for (std::size_t i = 0; i < t.size(); ++i) r[i] = static_cast<std::int64_t>(fixed_from_double(t[i], type));
  return r;
}

NumberType fitted_type(const NumberType& like, double max_magnitude, bool is_signed) {
  NumberType t = NumberType::fixed(like.width, 1, is_signed, like.rounding, like.overflow);
  const int sign = is_signed ? 1 : 0;
  while (t.integer < 96 && max_magnitude > std::ldexp(1.0, t.integer - sign) - std::ldexp(1.0, t.integer - t.width))
    ++t.integer;
  return t;
}

NumberType weight_type_of(const LayerSpec& l, const std::string& role, const NumberType& def, bool fit,
                          const Tensor& values) {
  if (!fit || precision_of(l, role).kind == NumberType::Kind::Fixed) return fixed_or_default(l, role, def);
  double m = 0;
  for (std::size_t i = 0; i < values.size(); ++i) m = std::max(m, std::fabs(static_cast<double>(values[i])));
  return fitted_type(def, m);
}

std::int64_t fixed_cast_raw(FixedRaw raw, int frac, const NumberType& t) {
  return static_cast<std::int64_t>(fixed_cast({raw, frac}, t));
}

namespace {

// Sums over products, exact in Acc (std::int64_t when the accumulator type is at most 62 bits
// wide, else FixedRaw): accum_t is wide enough that no partial sum rounds or wraps, so every
// accum_t(...) of the templates is exact and the sum is done once, aligned to accum_t's units.
struct Dot {
  int product_shift, bias_shift, accum_frac;
  explicit Dot(const FixedLayer& l)
      : product_shift(fraction_bits(l.accum_type) - fraction_bits(l.input_type) - fraction_bits(l.weight_type)),
        bias_shift(fraction_bits(l.accum_type) - fraction_bits(l.bias_type)),
        accum_frac(fraction_bits(l.accum_type)) {}
};

template <class Acc>
void conv2d(const FixedLayer& l, const std::vector<std::int64_t>& x, std::vector<std::int64_t>& y) {
  const Dot dot(l);
  const Acc product_scale = Acc(1) << dot.product_shift;
  const std::int64_t c_in = l.input[0], h = l.input[1], w = l.input[2];
  const std::int64_t c_out = l.output[0], oh = l.output[1], ow = l.output[2];
  const std::int64_t k = l.kernel, cg = c_in / l.groups, fg = c_out / l.groups;
  y.assign(static_cast<std::size_t>(oh * ow * c_out), 0);
  for (std::int64_t r = 0; r < oh; ++r)
    for (std::int64_t q = 0; q < ow; ++q)
      for (std::int64_t f = 0; f < c_out; ++f) {
        const std::int64_t c0 = f / fg * cg;
        Acc acc = l.bias.empty() ? Acc(0) : Acc(l.bias[f]) * (Acc(1) << dot.bias_shift);
        const std::int64_t* wf = l.weights.data() + f * k * k * cg;
        for (std::int64_t a = 0; a < k; ++a)
          for (std::int64_t b = 0; b < k; ++b) {
            const std::int64_t ir = r * l.stride - l.padding + a, iq = q * l.stride - l.padding + b;
            const std::int64_t* wk = wf + (a * k + b) * cg;
            if (ir < 0 || ir >= h || iq < 0 || iq >= w) continue;  // zero padding: products of 0
            const std::int64_t* xin = x.data() + (ir * w + iq) * c_in + c0;
            for (std::int64_t c = 0; c < cg; ++c) acc += Acc(xin[c]) * Acc(wk[c]) * product_scale;
          }
        y[(r * ow + q) * c_out + f] = fixed_cast_raw(FixedRaw(acc), dot.accum_frac, l.result_type);
      }
}

template <class Acc>
void linear(const FixedLayer& l, const std::int64_t* x, std::int64_t* y) {
  const Dot dot(l);
  const Acc product_scale = Acc(1) << dot.product_shift;
  const std::int64_t n_in = l.input[0], n_out = l.output[0];
  for (std::int64_t j = 0; j < n_out; ++j) {
    Acc acc = l.bias.empty() ? Acc(0) : Acc(l.bias[j]) * (Acc(1) << dot.bias_shift);
    const std::int64_t* wj = l.weights.data() + j * n_in;
    for (std::int64_t i = 0; i < n_in; ++i) acc += Acc(x[i]) * Acc(wj[i]) * product_scale;
    y[j] = fixed_cast_raw(FixedRaw(acc), dot.accum_frac, l.result_type);
  }
}

void maxpool(const FixedLayer& l, const std::vector<std::int64_t>& x, std::vector<std::int64_t>& y) {
  const std::int64_t c = l.input[0], h = l.input[1], w = l.input[2], oh = l.output[1], ow = l.output[2];
  const auto lowest = static_cast<std::int64_t>(fixed_raw_min(l.input_type));
  y.assign(static_cast<std::size_t>(oh * ow * c), 0);
  for (std::int64_t r = 0; r < oh; ++r)
    for (std::int64_t q = 0; q < ow; ++q)
      for (std::int64_t ch = 0; ch < c; ++ch) {
        std::int64_t m = lowest;
        for (std::int64_t a = 0; a < l.kernel; ++a)
          for (std::int64_t b = 0; b < l.kernel; ++b) {
            const std::int64_t ir = r * l.stride - l.padding + a, iq = q * l.stride - l.padding + b;
            const bool inside = ir >= 0 && ir < h && iq >= 0 && iq < w;
            m = std::max(m, inside ? x[(ir * w + iq) * c + ch] : lowest);
          }
        y[(r * ow + q) * c + ch] = fixed_cast_raw(m, fraction_bits(l.input_type), l.result_type);
      }
}

// x * scale[c] + bias[c], exact, then result_t; c the channel (channels last) or the feature.
void batchnorm(const FixedLayer& l, const std::vector<std::int64_t>& x, std::vector<std::int64_t>& y) {
  const int fx = fraction_bits(l.input_type), fw = fraction_bits(l.weight_type), fb = fraction_bits(l.bias_type);
  const int f = std::max(fx + fw, fb);
  const auto channels = static_cast<std::size_t>(l.input[0]);
  y.resize(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const std::size_t c = i % channels;
    const FixedRaw v = FixedRaw(x[i]) * l.weights[c] * (FixedRaw(1) << (f - fx - fw)) +
                       FixedRaw(l.bias[c]) * (FixedRaw(1) << (f - fb));
    y[i] = fixed_cast_raw(v, f, l.result_type);
  }
}

// Average pooling as hls4ml's: the window's sum in accum_t (padding counts as zeros), divided by
// the window's size (nac counts the padding, as PyTorch does) with ap_fixed's integer division,
// which truncates toward zero, then result_t.
void avgpool(const FixedLayer& l, const std::vector<std::int64_t>& x, std::vector<std::int64_t>& y) {
  const std::int64_t c = l.input[0], h = l.input[1], w = l.input[2], oh = l.output[1], ow = l.output[2];
  const int fx = fraction_bits(l.input_type), fa = fraction_bits(l.accum_type);
  y.assign(static_cast<std::size_t>(oh * ow * c), 0);
  for (std::int64_t r = 0; r < oh; ++r)
    for (std::int64_t q = 0; q < ow; ++q)
      for (std::int64_t ch = 0; ch < c; ++ch) {
        FixedRaw sum = 0;
        for (std::int64_t a = 0; a < l.kernel; ++a)
          for (std::int64_t b = 0; b < l.kernel; ++b) {
            const std::int64_t ir = r * l.stride - l.padding + a, iq = q * l.stride - l.padding + b;
            if (ir >= 0 && ir < h && iq >= 0 && iq < w) sum += x[(ir * w + iq) * c + ch];
          }
        const FixedRaw acc = fixed_cast({sum, fx}, l.accum_type) / (l.kernel * l.kernel);
        y[(r * ow + q) * c + ch] = fixed_cast_raw(acc, fa, l.result_type);
      }
}

// A set (P, F) to (F): the max, or as hls4ml's global average pooling the sum in accum_t, divided
// by P for the mean (truncated toward zero), then result_t.
void set_pool(const FixedLayer& l, const std::vector<std::int64_t>& x, std::vector<std::int64_t>& y) {
  const std::int64_t p = l.input[0], f = l.input[1];
  const int fx = fraction_bits(l.input_type), fa = fraction_bits(l.accum_type);
  y.assign(static_cast<std::size_t>(f), 0);
  for (std::int64_t c = 0; c < f; ++c) {
    if (l.op == "set_pool_max") {
      std::int64_t m = x[static_cast<std::size_t>(c)];
      for (std::int64_t e = 1; e < p; ++e) m = std::max(m, x[static_cast<std::size_t>(e * f + c)]);
      y[static_cast<std::size_t>(c)] = fixed_cast_raw(m, fx, l.result_type);
      continue;
    }
    FixedRaw sum = 0;
    for (std::int64_t e = 0; e < p; ++e) sum += x[static_cast<std::size_t>(e * f + c)];
    FixedRaw acc = fixed_cast({sum, fx}, l.accum_type);
    if (l.op == "set_pool_mean") acc /= p;
    y[static_cast<std::size_t>(c)] = fixed_cast_raw(acc, fa, l.result_type);
  }
}

void elementwise(const FixedLayer& l, const std::vector<std::int64_t>& x, std::vector<std::int64_t>& y) {
  const int fx = fraction_bits(l.input_type);
  y.resize(x.size());
  if (l.op == "relu") {
    for (std::size_t i = 0; i < x.size(); ++i) y[i] = x[i] > 0 ? fixed_cast_raw(x[i], fx, l.result_type) : 0;
  } else if (l.op == "leaky_relu") {
    const int fa = fx + fraction_bits(l.weight_type);  // alpha * x, exact
    for (std::size_t i = 0; i < x.size(); ++i)
      y[i] = x[i] > 0 ? fixed_cast_raw(x[i], fx, l.result_type)
                      : fixed_cast_raw(FixedRaw(x[i]) * l.alpha, fa, l.result_type);
  } else {  // flatten, dropout, identity
    for (std::size_t i = 0; i < x.size(); ++i) y[i] = fixed_cast_raw(x[i], fx, l.result_type);
  }
}

// trunc(x * scale) for x raw with `frac` fractional bits: toward zero, as ap_fixed's to_int().
std::int64_t scaled_to_int(std::int64_t x, int frac, std::int64_t scale) {
  const FixedRaw v = FixedRaw(x) * scale;
  if (frac <= 0) return static_cast<std::int64_t>(v * (FixedRaw(1) << -frac));
  return static_cast<std::int64_t>(v / (FixedRaw(1) << frac));  // C++ division truncates toward zero
}

// sigmoid and tanh: index = trunc(x * N / range) + N / 2, clamped; out = result_t(table[index]).
// GELU: the same index (range 16); out = result_t(x * table[index]), the product exact.
void lookup(const FixedLayer& l, const std::vector<std::int64_t>& x, std::vector<std::int64_t>& y) {
  const auto n = static_cast<std::int64_t>(l.table.size());
  const std::int64_t per_unit = n / (l.op == "tanh" ? 8 : 16);
  const int fx = fraction_bits(l.input_type), ft = fraction_bits(l.table_type);
  y.resize(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const std::int64_t index = std::clamp<std::int64_t>(scaled_to_int(x[i], fx, per_unit) + n / 2, 0, n - 1);
    const std::int64_t t = l.table[static_cast<std::size_t>(index)];
    y[i] = l.op == "gelu" ? fixed_cast_raw(FixedRaw(x[i]) * t, fx + ft, l.result_type)
                          : fixed_cast_raw(t, ft, l.result_type);
  }
}

// The index of a table of 2^bits entries: the top `bits` bits of a W-bit raw value (as unsigned).
std::int64_t top_bits(std::int64_t raw, const NumberType& t, int bits) {
  const std::uint64_t u = static_cast<std::uint64_t>(raw) & ((std::uint64_t{1} << t.width) - 1);
  return static_cast<std::int64_t>(u >> (t.width - bits));
}

// hls4ml's stable softmax: d = norm_t(max - x); e = exp_table[top bits of d]; the sum of the e in
// accum_t, then in inv_inp_t; inv = inv_table[top 10 bits]; out = result_t(e * inv).
}  // namespace

void fixed_softmax(const FixedLayer& l, const std::vector<std::int64_t>& x, std::vector<std::int64_t>& y) {
  const int fx = fraction_bits(l.input_type), fe = fraction_bits(l.table_type), fa = fraction_bits(l.accum_type);
  const int fi = fraction_bits(l.inverse_type);
  const int exp_bits = ceil_log2(static_cast<std::int64_t>(l.table.size())),
            inv_bits = ceil_log2(static_cast<std::int64_t>(l.inverse.size()));
  const std::int64_t mx = *std::max_element(x.begin(), x.end());
  std::vector<std::int64_t> e(x.size());
  FixedRaw sum = 0;  // accum_t: exact (same step as the table, enough integer bits)
  for (std::size_t i = 0; i < x.size(); ++i) {
    const auto d = static_cast<std::int64_t>(fixed_cast({FixedRaw(mx) - x[i], fx}, l.norm_type));
    e[i] = l.table[static_cast<std::size_t>(top_bits(d, l.norm_type, exp_bits))];
    sum = fixed_cast({sum + FixedRaw(e[i]) * (FixedRaw(1) << (fa - fe)), fa}, l.accum_type);
  }
  const auto s = static_cast<std::int64_t>(fixed_cast({sum, fa}, l.inverse_input_type));
  const std::int64_t inv = l.inverse[static_cast<std::size_t>(top_bits(s, l.inverse_input_type, inv_bits))];
  y.resize(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) y[i] = fixed_cast_raw(FixedRaw(e[i]) * inv, fe + fi, l.result_type);
}

void fixed_linear(const FixedLayer& l, const std::int64_t* x, std::int64_t* y) {
  if (l.accum_type.width <= 62) linear<std::int64_t>(l, x, y);
  else linear<FixedRaw>(l, x, y);
}

namespace {

bool is_image(const Shape& s) { return s.size() == 3; }

}  // namespace

void softmax_tables(FixedLayer& l) {
  const NumberType& in = l.input_type;
  // x_max - x >= 0: unsigned, one bit less for a signed input, saturating.
  l.norm_type = NumberType::fixed(in.is_signed ? in.width - 1 : in.width, in.is_signed ? in.integer - 1 : in.integer,
                                  false, Rounding::Trn, Overflow::Sat);
  const int norm_bits = std::min(10, l.norm_type.width);
  l.table_type = NumberType::fixed(18, 8, true, Rounding::Rnd, Overflow::Sat);  // exp_table_t
  l.table.resize(std::size_t{1} << norm_bits);
  for (std::size_t i = 0; i < l.table.size(); ++i) {  // exp(-v), v: top bits i, the rest 0
    const double v = fixed_to_double(FixedRaw(i) << (l.norm_type.width - norm_bits), l.norm_type);
    l.table[i] = static_cast<std::int64_t>(fixed_from_double(std::exp(-v), l.table_type));
  }
  const int extra = ceil_log2(static_cast<std::int64_t>(numel(l.input)));
  l.accum_type = NumberType::fixed(18 + extra, 8 + extra);
  l.inverse_input_type = NumberType::fixed(18, 8, true, Rounding::Rnd, Overflow::Sat);
  l.inverse_type = NumberType::fixed(18, 8, true, Rounding::Rnd, Overflow::Sat);
  l.inverse.resize(1024);
  for (std::size_t i = 0; i < l.inverse.size(); ++i) {  // 1 / v, v: the signed value whose top 10 bits are i
    FixedRaw raw = FixedRaw(i) << 8;
    if (i >= 512) raw -= FixedRaw(1) << 18;
    const double v = fixed_to_double(raw, l.inverse_input_type);
    l.inverse[i] = v > 0 ? static_cast<std::int64_t>(fixed_from_double(1 / v, l.inverse_type)) : 0;
  }
}

std::vector<FixedTypes> fixed_types(const ModelSpec& spec, const NumberType& def) {
  std::vector<const LayerSpec*> order;
  flatten_layers(spec.layers, order);
  std::vector<FixedTypes> r;
  for (std::size_t i = 0; i < order.size(); ++i) {
    const LayerSpec& s = *order[i];
    FixedTypes t;
    t.layer = &s;
    t.input = i == 0 ? fixed_or_default(s, "input", def) : r.back().result;
    t.result = i + 1 < order.size() ? fixed_or_default(*order[i + 1], "input", def) : def;
    const bool weighted =
        s.op == "conv2d" || s.op == "linear" || s.op == "attention" || s.op == "batchnorm" || s.op == "layernorm";
    t.weight = weighted ? fixed_or_default(s, "weight", def) : NumberType::float32();
    const bool biased = weighted && !((s.op == "conv2d" || s.op == "linear") && attr_int(s, "bias", 1) == 0);
    t.bias = biased ? fixed_or_default(s, "bias", def) : NumberType::float32();
    r.push_back(t);
  }
  return r;
}

FixedPointModel::FixedPointModel(const Model& model, FixedInferenceOptions options) {
  const ModelSpec& spec = model.spec();
  const NumberType& def = options.default_type;
  if (def.kind != NumberType::Kind::Fixed) throw Error("fixed-point inference: the default type must be ap_fixed");
  check(def);
  // Each layer's weight and bias parameters, by layer name; every parameter and buffer by name.
  std::map<std::string, std::map<std::string, const Param*>> params;
  std::map<std::string, const Param*> by_name;
  for (const Param* p : model.params()) {
    params[model.layer_of(*p)][Model::role_of(*p)] = p;
    by_name[p->name()] = p;
  }
  std::map<std::string, const Tensor*> stats;
  for (const auto& [name, t] : model.buffers()) stats[name] = t;

  input_shape_ = spec.input;
  std::vector<FixedTypes> types = fixed_types(spec, def);
  // Calibrated ranges: a tensor the model gives no ap_fixed type takes the default's width and the
  // integer bits of twice its range.
  const auto range_of = [&](const std::string& key, const LayerSpec& reader) -> const double* {
    const auto it = options.ranges.find(key);
    if (it == options.ranges.end() || precision_of(reader, "input").kind == NumberType::Kind::Fixed) return nullptr;
    return &it->second;
  };
  for (std::size_t i = 0; i < types.size(); ++i) {
    if (i == 0)
      if (const double* r = range_of("", *types[0].layer)) types[0].input = fitted_type(def, 2 * *r);
    const bool last = i + 1 == types.size();
    const auto it = options.ranges.find(types[i].layer->name);
    if (it == options.ranges.end() || (!last && !range_of(types[i].layer->name, *types[i + 1].layer))) continue;
    types[i].result = fitted_type(def, 2 * it->second);
    if (!last) types[i + 1].input = types[i].result;
  }
  input_type_ = types.empty() ? def : types.front().input;
  Shape flattened_from;  // the image a vector was flattened from, held channels last
  for (const FixedTypes& type : types) {
    const LayerSpec& s = *type.layer;
    FixedLayer l;
    l.name = s.name, l.op = s.op, l.input = s.input, l.output = s.output;
    l.input_type = type.input;
    l.result_type = type.result;
    const auto weight_of = [&](const std::string& role) -> const Param* {
      auto it = params.find(s.name);
      if (it == params.end()) return nullptr;
      auto r = it->second.find(role);
      return r == it->second.end() ? nullptr : r->second;
    };
    if (s.op == "conv2d" || s.op == "linear") {
      const Param* w = weight_of("weight");
      const Param* b = weight_of("bias");
      if (!w) fixed_refuse(s, "has no weights");
      l.weight_type = weight_type_of(s, "weight", def, options.fit_weights, w->effective());
      l.bias_type = b ? weight_type_of(s, "bias", def, options.fit_weights, b->effective()) : NumberType::float32();
      const std::vector<std::int64_t> nac_order = raw_values(w->effective(), l.weight_type);
      if (b) l.bias = raw_values(b->effective(), l.bias_type);
      std::int64_t n_ops = 0;
      if (s.op == "linear" && s.input.size() == 2) {
        // On a set (P, F): a 1x1 convolution over the image (F, P, 1), whose channels-last memory
        // is the set's; its weights [f][c] are the linear layer's [j][i].
        l.op = "conv2d";
        l.input = {s.input[1], s.input[0], 1};
        l.output = {s.output[1], s.output[0], 1};
        l.kernel = 1;
        n_ops = s.input[1];
        l.weights = nac_order;
      } else if (s.op == "conv2d") {
        l.kernel = attr_int(s, "kernel");
        l.stride = attr_int(s, "stride", 1);
        l.padding = attr_int(s, "padding", 0);
        l.groups = attr_int(s, "groups", 1);
        const std::int64_t cg = s.input[0] / l.groups, k = l.kernel, f_out = s.output[0];
        n_ops = cg * k * k;
        l.weights.resize(nac_order.size());
        for (std::int64_t f = 0; f < f_out; ++f)  // [f][c][kh][kw] -> [f][kh][kw][c]
          for (std::int64_t c = 0; c < cg; ++c)
            for (std::int64_t a = 0; a < k; ++a)
              for (std::int64_t bb = 0; bb < k; ++bb)
                l.weights[((f * k + a) * k + bb) * cg + c] = nac_order[((f * cg + c) * k + a) * k + bb];
      } else {
        const std::int64_t n_in = s.input[0], n_out = s.output[0];
        n_ops = n_in;
        l.weights.resize(nac_order.size());
        for (std::int64_t j = 0; j < n_out; ++j)
          for (std::int64_t ii = 0; ii < n_in; ++ii) {
            std::int64_t col = ii;  // nac's column of the ii-th input as held
            if (!flattened_from.empty()) {
              const std::int64_t c = flattened_from[0], hw = flattened_from[1] * flattened_from[2];
              col = (ii % c) * hw + ii / c;
            }
            l.weights[j * n_in + ii] = nac_order[j * n_in + col];
          }
        flattened_from.clear();
      }
      l.accum_type = infer_accum_type(l.input_type, l.weight_type, b ? &l.bias_type : nullptr, n_ops);
    } else if (s.op == "relu" || s.op == "leaky_relu" || s.op == "dropout" || s.op == "identity") {
      if (s.op == "leaky_relu") {
        const double slope = attr_real(s, "slope", 0.01);  // hls4ml's param_t: the default type (or fitted)
        l.weight_type = options.fit_weights ? fitted_type(def, std::fabs(slope)) : def;
        l.alpha = static_cast<std::int64_t>(fixed_from_double(slope, l.weight_type));
      }
    } else if (s.op == "sigmoid" || s.op == "tanh") {
      // hls4ml's table_t and 1024 entries over [-8, 8) (tanh: [-4, 4)), entry i = f((i - 512) / 64).
      l.table_type = NumberType::fixed(18, 8);
      l.table.resize(1024);
      for (std::size_t i = 0; i < l.table.size(); ++i) {
        const double v = (static_cast<double>(i) - 512) / (s.op == "sigmoid" ? 64.0 : 128.0);
        const double f = s.op == "sigmoid" ? 1 / (1 + std::exp(-v)) : std::tanh(v);
        l.table[i] = static_cast<std::int64_t>(fixed_from_double(f, l.table_type));
      }
    } else if (s.op == "gelu") {
      // x Phi(x): Phi from 1024 entries over [-8, 8), indexed as sigmoid (toward zero), each entry
      // Phi at the middle of the inputs that reach it; beyond the range Phi is 0 or 1, so GELU(x)
      // is 0 or x. (A table of GELU itself errs by its slope times a bin, and stops at 8.)
      l.table_type = NumberType::fixed(18, 1, false, Rounding::Rnd, Overflow::Sat);
      l.table.resize(1024);
      for (std::size_t i = 0; i < l.table.size(); ++i) {
        const double k = static_cast<double>(i) - 512;
        const double v = (k > 0 ? k + 0.5 : k < 0 ? k - 0.5 : 0.0) / 64;
        l.table[i] = static_cast<std::int64_t>(fixed_from_double(0.5 * std::erfc(-v / std::sqrt(2.0)), l.table_type));
      }
    } else if (s.op == "softmax") {
      softmax_tables(l);
    } else if (s.op == "attention") {
      build_attention(l, s, by_name, options);
    } else if (s.op == "layernorm") {
      build_layernorm(l, s, by_name, options);
    } else if (s.op == "flatten") {
      if (is_image(s.input)) flattened_from = s.input;
    } else if (s.op == "set_pool") {
      l.op = "set_pool_" + attr_string(s, "reduce", "mean");
      if (l.op == "set_pool_mean" || l.op == "set_pool_sum") {  // as avgpool2d's accumulator, over P elements
        const int extra = ceil_log2(s.input[0]);
        l.accum_type = l.input_type;
        l.accum_type.width += 2 * extra, l.accum_type.integer += extra;
        l.accum_type.rounding = Rounding::Trn, l.accum_type.overflow = Overflow::Wrap;
      }
    } else if (s.op == "maxpool2d" || s.op == "avgpool2d") {
      l.kernel = attr_int(s, "kernel");
      l.stride = attr_int(s, "stride", l.kernel);
      l.padding = attr_int(s, "padding", 0);
      if (s.op == "avgpool2d") {  // hls4ml's accumulator: 2 ceil(log2 k^2) more bits, half of them integer
        const int extra = ceil_log2(l.kernel * l.kernel);
        l.accum_type = l.input_type;  // (wider than a tensor's type may be: not through NumberType::fixed)
        l.accum_type.width += 2 * extra, l.accum_type.integer += extra;
        l.accum_type.rounding = Rounding::Trn, l.accum_type.overflow = Overflow::Wrap;
      }
    } else if (s.op == "batchnorm") {
      // hls4ml's normalization: x * scale + bias per channel, scale = gamma / sqrt(var + eps) and
      // bias = beta - scale * mean in the default type (fitted to their magnitudes with
      // fit_weights), the result exact until result_t.
      const Param* g = weight_of("weight");
      const Param* b = weight_of("bias");
      const auto mean = stats.find(s.name + ".running_mean"), var = stats.find(s.name + ".running_var");
      if (!g || !b || mean == stats.end() || var == stats.end()) fixed_refuse(s, "has no parameters or statistics");
      const double eps = attr_real(s, "eps", 1e-5);
      std::vector<double> scale, shift;
      double max_scale = 0, max_shift = 0;
      if (s.input.size() == 2) l.input = l.output = {s.input[1], s.input[0], 1};  // a set: its features channels last
      for (std::int64_t c = 0; c < l.input[0]; ++c) {
        scale.push_back(g->effective()[c] / std::sqrt(static_cast<double>((*var->second)[c]) + eps));
        shift.push_back(b->effective()[c] - scale.back() * (*mean->second)[c]);
        max_scale = std::max(max_scale, std::fabs(scale.back()));
        max_shift = std::max(max_shift, std::fabs(shift.back()));
      }
      l.weight_type = options.fit_weights ? fitted_type(def, max_scale) : def;
      l.bias_type = options.fit_weights ? fitted_type(def, max_shift) : def;
      for (std::size_t c = 0; c < scale.size(); ++c) {
        l.weights.push_back(static_cast<std::int64_t>(fixed_from_double(scale[c], l.weight_type)));
        l.bias.push_back(static_cast<std::int64_t>(fixed_from_double(shift[c], l.bias_type)));
      }
    } else {
      fixed_refuse(
          s,
          "the fixed-point executor cannot run this op yet (it runs conv2d, linear, relu, leaky_relu, "
          "sigmoid, tanh, gelu, softmax, attention, batchnorm, layernorm, maxpool2d, avgpool2d, set_pool, flatten, "
          "dropout and identity)");
    }
    layers_.push_back(std::move(l));
  }
  if (!types.empty() && spec.output().size() == 2)
    fixed_refuse(*types.back().layer, "its output is a set (P, F); fixed-point models end on a vector or an image");
  output_size_ = static_cast<std::int64_t>(numel(spec.output()));
}

std::vector<std::int64_t> FixedPointModel::run_sample(const float* sample, bool held_order,
                                                      std::vector<double>* maxima) const {
  const auto record = [&](std::size_t k, const std::vector<std::int64_t>& v, const NumberType& t) {
    if (!maxima) return;
    std::int64_t m = 0;
    for (const std::int64_t e : v) m = std::max(m, e < 0 ? -e : e);
    (*maxima)[k] = std::max((*maxima)[k], fixed_to_double(m, t));
  };
  std::vector<std::int64_t> x(numel(input_shape_)), y;
  if (is_image(input_shape_)) {  // (C, H, W) -> channels last
    const std::int64_t c = input_shape_[0], hw = input_shape_[1] * input_shape_[2];
    for (std::int64_t ch = 0; ch < c; ++ch)
      for (std::int64_t p = 0; p < hw; ++p)
        x[p * c + ch] = static_cast<std::int64_t>(fixed_from_double(sample[ch * hw + p], input_type_));
  } else {
    for (std::size_t i = 0; i < x.size(); ++i)
      x[i] = static_cast<std::int64_t>(fixed_from_double(sample[i], input_type_));
  }
  record(0, x, input_type_);
  Shape held_from;  // as in the constructor: a vector flattened from an image, channels last
  for (std::size_t k = 0; k < layers_.size(); ++k) {
    const FixedLayer& l = layers_[k];
    if (l.op == "conv2d") {
      if (l.accum_type.width <= 62) conv2d<std::int64_t>(l, x, y);
      else conv2d<FixedRaw>(l, x, y);
    } else if (l.op == "linear") {
      y.resize(static_cast<std::size_t>(l.output[0]));
      fixed_linear(l, x.data(), y.data());
      held_from.clear();
    } else if (l.op == "attention") {
      fixed_attention(l, x, y, maxima ? &(*maxima)[layers_.size() + 1 + k] : nullptr);
    } else if (l.op.starts_with("set_pool_")) {
      set_pool(l, x, y);
    } else if (l.op == "maxpool2d") {
      maxpool(l, x, y);
    } else if (l.op == "avgpool2d") {
      avgpool(l, x, y);
    } else if (l.op == "sigmoid" || l.op == "tanh" || l.op == "gelu") {
      lookup(l, x, y);
    } else if (l.op == "softmax") {
      fixed_softmax(l, x, y);
    } else if (l.op == "batchnorm") {
      batchnorm(l, x, y);
    } else if (l.op == "layernorm") {
      fixed_layernorm(l, x, y);
    } else {
      if (l.op == "flatten" && is_image(l.input)) held_from = l.input;
      elementwise(l, x, y);
    }
    std::swap(x, y);
    record(k + 1, x, l.result_type);
  }
  // Back to nac's order: an image or a flattened image from channels last to channels first.
  const Shape& out = layers_.empty() ? input_shape_ : layers_.back().output;
  const Shape image = is_image(out) ? out : held_from;
  if (image.empty() || held_order) return x;
  const std::int64_t c = image[0], hw = image[1] * image[2];
  std::vector<std::int64_t> r(x.size());
  for (std::int64_t ch = 0; ch < c; ++ch)
    for (std::int64_t p = 0; p < hw; ++p) r[ch * hw + p] = x[p * c + ch];
  return r;
}

std::vector<double> FixedPointModel::run(const Tensor& batch) const {
  const std::int64_t n = batch.dim(0), per = static_cast<std::int64_t>(numel(input_shape_));
  if (static_cast<std::int64_t>(batch.size()) != n * per)
    throw Error("fixed-point inference: a batch of " + to_string(batch.shape()) + " does not match the input " +
                to_string(input_shape_));
  for (std::size_t i = 0; i < batch.size(); ++i)  // (checked here: no exception may leave the parallel loop)
    if (!std::isfinite(batch[i]))
      throw Error("fixed-point inference: sample " + std::to_string(static_cast<std::int64_t>(i) / per) +
                  " holds a NaN or an infinity");
  std::vector<double> out(static_cast<std::size_t>(n * output_size_));
  detail::parallel_for(n, [&](std::int64_t i) {  // samples are independent: any split gives the same result
    const std::vector<std::int64_t> r = run_raw(batch.data() + i * per);
    for (std::int64_t k = 0; k < output_size_; ++k) out[i * output_size_ + k] = fixed_to_double(r[k], output_type());
  });
  return out;
}

std::map<std::string, double> FixedPointModel::output_ranges(const Tensor& batch) const {
  const std::int64_t n = batch.dim(0), per = static_cast<std::int64_t>(numel(input_shape_));
  if (static_cast<std::int64_t>(batch.size()) != n * per)
    throw Error("fixed-point calibration: a batch of " + to_string(batch.shape()) + " does not match the input " +
                to_string(input_shape_));
  for (std::size_t i = 0; i < batch.size(); ++i)
    if (!std::isfinite(batch[i]))
      throw Error("fixed-point calibration: sample " + std::to_string(static_cast<std::int64_t>(i) / per) +
                  " holds a NaN or an infinity");
  std::vector<double> maxima(2 * layers_.size() + 1, 0.0);  // the input, each output, each block's internals
  for (std::int64_t i = 0; i < n; ++i) (void)run_sample(batch.data() + i * per, false, &maxima);
  std::map<std::string, double> r{{"", maxima[0]}};
  for (std::size_t k = 0; k < layers_.size(); ++k) {
    r[layers_[k].name] = maxima[k + 1];
    if (layers_[k].op == "attention") r[layers_[k].name + ".internal"] = maxima[layers_.size() + 1 + k];
  }
  return r;
}

std::map<std::string, double> calibrate_ranges(const Model& model, const Tensor& batch, bool fit_weights) {
  FixedInferenceOptions wide;
  wide.default_type = NumberType::fixed(32, 16, true, Rounding::Rnd, Overflow::Sat);
  wide.fit_weights = fit_weights;
  return FixedPointModel(model, wide).output_ranges(batch);
}

}  // namespace nac::nn
