#include "hls_estimate.hpp"

#include <algorithm>
#include <cmath>

#include "nac/error.hpp"
#include "nac/fixed_point.hpp"
#include "nac/nn/fixed_inference.hpp"
#include "nac/nn/fold.hpp"
#include "nac/nn/tensor.hpp"
#include "nac/text.hpp"

namespace nac::hls {

namespace {

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }
std::int64_t count(const Shape& s) { return static_cast<std::int64_t>(nn::numel(s)); }

// DSP48 slices of one multiplication, 0 when it goes to LUTs: hls4ml's rule (weights of 9 bits
// or more use DSPs), each DSP48E2 multiplying 27 x 18 bits.
std::int64_t dsp_per_multiplier(int input_bits, int weight_bits) {
  if (weight_bits < 9) return 0;
  return ceil_div(std::max(input_bits, weight_bits), 27) * ceil_div(std::min(input_bits, weight_bits), 18);
}

// LUTs of one multiplier in fabric (FINN-R's estimate): (2 ceil((W + A) / 6) - 1) (W + A).
std::int64_t lut_multiplier(int a, int b) { return (2 * ceil_div(a + b, 6) - 1) * (a + b); }

// Products of a dense step: n_in x n_out of which `products` are nonzero, shared over `reuse`.
void dense_resources(LayerEstimate& e, std::int64_t n_in, std::int64_t n_out, std::int64_t products,
                     const NumberType& in, const NumberType& w, const NumberType& accum) {
  e.multipliers = ceil_div(products, e.reuse);
  const std::int64_t dsp = dsp_per_multiplier(in.width, w.width);
  e.dsp = e.multipliers * dsp;
  // The adder tree: an adder of the accumulator's width per product beyond the first of each
  // output, half of it absorbed by the DSPs' post-adders when the products use DSPs; with a reuse
  // factor, multiplexers in front of each multiplier choose its operands.
  const std::int64_t adders = std::max<std::int64_t>(0, ceil_div(products - n_out, e.reuse));
  const std::int64_t muxes = e.reuse > 1 ? e.multipliers * (in.width + w.width) * ceil_log2(e.reuse) : 0;
  e.lut = (dsp ? 0 : e.multipliers * lut_multiplier(in.width, w.width)) + adders * accum.width / (dsp ? 2 : 1) + muxes;
  e.ff = n_in * in.width + n_out * accum.width;  // the input and the accumulators
  e.cycles = e.reuse + (dsp ? 1 : 0);
  e.ii = e.reuse;
}

std::int64_t nonzero(std::int64_t products, double sparsity) {
  return static_cast<std::int64_t>(std::llround(static_cast<double>(products) * (1 - sparsity)));
}

// A table of `entries` values of `bits` in block RAM (18 kbit blocks).
std::int64_t table_bram(std::int64_t entries, int bits) { return ceil_div(entries * bits, 18 * 1024); }

}  // namespace

HlsEstimate estimate_hls(const ModelSpec& original, const HlsSettings& s) {
  ModelSpec spec = original;  // as the project has it: batch norms folded when they can be
  if (s.fold_batch_norms) try {
      spec = nn::fold_batch_norms(original);
    } catch (const Error&) {
    }
  HlsEstimate total;
  for (const nn::FixedTypes& t : nn::fixed_types(spec, s.default_type)) {
    const LayerSpec& l = *t.layer;
    LayerEstimate e;
    e.name = l.name;
    e.op = l.op;
    const std::int64_t n = count(l.input);
    const int out_bits = t.result.width;
    if (l.op == "conv2d" || l.op == "linear") {
      const bool conv = l.op == "conv2d", set = l.input.size() == 2;  // set: a 1x1 convolution over P elements
      const std::int64_t k = conv ? attr_int(l, "kernel") : 1, groups = conv ? attr_int(l, "groups", 1) : 1;
      const std::int64_t n_in = conv ? k * k * l.input[0] : l.input.back();
      const std::int64_t n_out = conv ? l.output[0] : l.output.back();
      const std::int64_t ops = conv ? k * k * (l.input[0] / groups) : n_in;  // products per output
      const NumberType* bias = t.bias.is_float() ? nullptr : &t.bias;
      const NumberType accum = infer_accum_type(t.input, t.weight, bias, ops);
      e.reuse = valid_reuse_factor(n_in, n_out, s.reuse);
      dense_resources(e, n_in, n_out, nonzero(ops * n_out, l.sparsity), t.input, t.weight, accum);
      if (conv || set) {  // the pixels (elements) one after the other through the same multipliers
        const std::int64_t pixels = conv ? l.output[1] * l.output[2] : l.input[0];
        e.cycles += (pixels - 1) * e.reuse;
        e.ii = pixels * e.reuse;
        e.ff += n_in * t.input.width;  // the window's buffer
      }
    } else if (l.op == "attention") {
      const std::int64_t c = l.input[0], pos = l.input[1] * l.input[2], h = attr_int(l, "hidden");
      const NumberType& it = s.default_type;
      const NumberType acc = infer_accum_type(t.input, t.weight, &t.bias, c);
      e.reuse = valid_reuse_factor(c, h, s.reuse);
      // theta, phi, g and out at each position; the scores' and the mixing's products of a row.
      LayerEstimate part;
      part.reuse = e.reuse;
      dense_resources(part, c, 4 * h, nonzero(4 * c * h, l.sparsity), t.input, t.weight, acc);
      LayerEstimate rows;
      rows.reuse = e.reuse;
      dense_resources(rows, h, 2 * pos, 2 * pos * h, it, it, infer_accum_type(it, it, nullptr, pos));
      e.multipliers = part.multipliers + rows.multipliers;
      e.dsp = part.dsp + rows.dsp + pos;  // + the softmax's products
      e.lut = part.lut + rows.lut + pos * 2 * it.width;
      e.ff = part.ff + rows.ff + 3 * pos * h * it.width;
      e.bram18 = (ceil_div(pos, 2) + 1) * table_bram(1024, 18);
      const std::int64_t softmax_cycles = 2 + ceil_log2(pos);
      e.cycles = 2 * pos * part.cycles + pos * (rows.cycles + softmax_cycles);
      e.ii = e.cycles;               // one sample at a time (the block is not pipelined across samples)
    } else if (l.op == "softmax") {  // n lookups of the exp table at once: a dual-port copy per two
      e.multipliers = n;
      e.dsp = n * dsp_per_multiplier(18, 18);
      e.lut = n * (t.input.width + 18);
      e.ff = n * (18 + out_bits);
      e.bram18 = (ceil_div(n, 2) + 1) * table_bram(1024, 18);
      e.cycles = 2 + ceil_log2(n);
    } else if (l.op == "sigmoid" || l.op == "tanh" || l.op == "gelu") {
      e.lut = n * t.input.width;
      e.ff = n * out_bits;
      e.bram18 = table_bram(1024, 18);
      e.cycles = 2;
      if (l.op == "gelu") {  // and x * Phi(x): a multiplier per value, one cycle more
        e.multipliers = n;
        e.dsp = n * dsp_per_multiplier(t.input.width, 18);
        if (!e.dsp) e.lut += n * lut_multiplier(t.input.width, 18);
        e.cycles = 3;
      }
    } else if (l.op == "batchnorm" || l.op == "layernorm") {
      const std::int64_t products = l.op == "batchnorm" ? n : 3 * n;
      e.multipliers = products;
      e.dsp = products * dsp_per_multiplier(t.input.width, t.weight.width);
      e.lut = (e.dsp ? 0 : products * lut_multiplier(t.input.width, t.weight.width)) + n * out_bits;
      e.ff = n * out_bits * (l.op == "batchnorm" ? 1 : 3);
      e.bram18 = l.op == "layernorm" ? table_bram(1024, 18) : 0;
      e.cycles = l.op == "batchnorm" ? 3 : 2 * ceil_log2(std::max<std::int64_t>(n, 2)) + 8;
    } else if (l.op == "set_pool") {  // per feature a tree over the P elements: comparators or adders
      const std::int64_t p = l.input[0], f = l.input[1];
      const bool max = attr_string(l, "reduce", "mean") == "max";
      const int width = max ? t.input.width : t.input.width + 2 * ceil_log2(p);
      e.lut = f * (p - 1) * width;
      e.ff = f * out_bits;
      e.cycles = ceil_log2(std::max<std::int64_t>(p, 2)) + 1;
      if (!max && attr_string(l, "reduce", "mean") == "mean" && (p & (p - 1))) {  // a division, not a shift
        e.lut += f * width * width / 2;
        e.cycles += 2;
      }
    } else if (l.op == "maxpool2d" || l.op == "avgpool2d") {
      const std::int64_t k = attr_int(l, "kernel"), outputs = count(l.output);
      e.lut = outputs * (k * k - 1) * t.input.width;
      e.ff = outputs * out_bits;
      e.cycles = ceil_log2(std::max<std::int64_t>(k * k, 2)) + 1;
    } else if (l.op == "relu" || l.op == "leaky_relu" || l.op == "flatten" || l.op == "dropout" ||
               l.op == "identity") {  // a multiplexer or a wire per value
      e.lut = l.op == "relu" || l.op == "leaky_relu" ? n * out_bits : 0;
      e.ff = 0;
      e.cycles = 0;  // combinational, inside the pipeline of the layers around it
    } else {
      throw Error("hls estimate: layer '" + l.name + "' (" + l.op + "): no model of this op's latency and resources");
    }
    if (e.multipliers > 4096)
      total.warnings.push_back("layer '" + l.name + "': " + std::to_string(e.multipliers) +
                               " multiplications in flight; Vivado HLS does not unroll more than about 4096 per "
                               "layer (raise the reuse factor)");
    total.dsp += e.dsp;
    total.lut += e.lut;
    total.ff += e.ff;
    total.bram18 += e.bram18;
    total.cycles += e.cycles;
    total.ii = std::max(total.ii, e.ii);
    total.layers.push_back(std::move(e));
  }
  total.latency_ns = static_cast<double>(total.cycles) * s.clock_ns;
  return total;
}

const std::vector<Device>& hls_devices() {
  // Resources from the vendor's product tables (BRAM in 18 kbit blocks: twice the 36 kbit count).
  static const std::vector<Device> devices = {
      {"Virtex UltraScale+ VU13P (hls4ml's default)", "xcvu13p-flga2577-2-e", 1728000, 3456000, 12288, 5376},
      {"Alveo U250", "xcu250-figd2104-2L-e", 1728000, 3456000, 12288, 5376},
      {"Zynq UltraScale+ ZU9EG (ZCU102)", "xczu9eg-ffvb1156-2-e", 274080, 548160, 2520, 1824},
      {"Zynq-7020 (PYNQ-Z2)", "xc7z020-clg400-1", 53200, 106400, 220, 280},
  };
  return devices;
}

const Device& find_device(const std::string& part) {
  std::vector<std::string> known;
  for (const Device& d : hls_devices()) {
    if (d.part == part) return d;
    known.push_back(d.part);
  }
  throw Error("unknown FPGA part '" + part + "' (known: " + join(known) + ")");
}

}  // namespace nac::hls
