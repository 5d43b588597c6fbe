#include "hls_project.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>

#include "hls_estimate.hpp"
#include "hls_text.hpp"
#include "nac/error.hpp"
#include "nac/nn/fold.hpp"

namespace nac::hls {

namespace fs = std::filesystem;

std::int64_t valid_reuse_factor(std::int64_t n_in, std::int64_t n_out, std::int64_t wanted) {
  const auto valid = [&](std::int64_t rf) {
    const std::int64_t mult = std::min(n_in, rf);
    const std::int64_t limit = (n_in * n_out + mult - 1) / mult;
    return (limit % n_out == 0 || rf >= n_in) && (rf % n_in == 0 || rf < n_in) && (n_in * n_out) % rf == 0;
  };
  if (wanted >= 1 && wanted <= n_in * n_out && valid(wanted)) return wanted;
  std::int64_t best = 1;  // 1 is always valid
  for (std::int64_t rf = 1; rf <= n_in * n_out; ++rf)
    if (valid(rf) && std::llabs(rf - wanted) < std::llabs(best - wanted)) best = rf;
  return best;
}

namespace {

// What one layer contributes to the generated code.
struct Emitted {
  std::string config;  // parameters.h: its config struct(s)
  std::string call;    // the top function's call
  std::string weights_header;
  std::string loads;  // nac_load_weights()'s lines for its arrays
};

std::int64_t count(const Shape& s) { return static_cast<std::int64_t>(nn::numel(s)); }

std::string u(std::int64_t v) { return std::to_string(v); }

// A weights header: the array in the template's layout, exact values. Synthesis sees a constant
// array of the fixed type; C simulation a constant array of doubles converted once into the fixed
// type by nac_load_weights() (`loads` gains the line that does it): g++ takes minutes to compile
// large constant arrays of ap_fixed objects, whose every element is a constructor call.
std::string array_header(const std::string& array, const std::string& type_name, const NumberType& type,
                         const std::vector<std::int64_t>& raw, const std::string& what, std::string& loads) {
  std::int64_t zeros = 0;
  for (const auto v : raw) zeros += v == 0;
  std::string guard = array;
  for (auto& c : guard) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const std::string n = u(static_cast<std::int64_t>(raw.size()));
  loads += "  for (unsigned i = 0; i < " + n + "; i++) " + array + "[i] = " + array + "_values[i];\n";
  return "// " + what + ": " + n + " values, " + u(zeros) + " zeros, exact values of " + cpp_type(type) + "\n#ifndef " +
         guard + "_H_\n#define " + guard + "_H_\n\ntypedef " + cpp_type(type) + " " + type_name +
         ";\n#ifdef __SYNTHESIS__\nconst " + type_name + " " + array + "[" + n + "] =\n#else\nstatic const double " +
         array + "_values[" + n + "] =\n#endif\n    " + decimal_list(raw, type) + ";\n#ifndef __SYNTHESIS__\nstatic " +
         type_name + " " + array + "[" + n + "];\n#endif\n\n#endif\n";
}

// The powers 2^-k, k = 0 .. max_shift, exact in ap_ufixed<max_shift + 1, 1>: the templates' table
// that undoes a right shift of a table's index by k (layer norm, the attention block's softmax).
std::string powers_header(const std::string& array, std::int64_t max_shift, const std::string& what,
                          std::string& loads) {
  std::vector<std::int64_t> powers;
  for (std::int64_t k = 0; k <= max_shift; ++k) powers.push_back(std::int64_t{1} << (max_shift - k));
  return array_header(array, array + "_t", NumberType::fixed(static_cast<int>(max_shift) + 1, 1, false), powers, what,
                      loads);
}

// A dense step's config struct (nnet_dense.h) for weights laid out [input][output] (`w`), at the
// nearest valid reuse factor (a warning naming the layer when it is not `reuse`).
std::string dense_config(const std::string& name, const nn::FixedLayer& l, std::int64_t n_in, std::int64_t n_out,
                         const std::vector<std::int64_t>& w, const std::string& weight_t, const std::string& bias_t,
                         std::int64_t reuse, std::vector<std::string>& warnings) {
  std::int64_t zeros = 0;
  for (const auto v : w) zeros += v == 0;
  const std::int64_t rf = valid_reuse_factor(n_in, n_out, reuse);
  if (rf != reuse)
    warnings.push_back("layer '" + l.name + "': reuse factor " + u(reuse) + " is not valid for " + u(n_in) + " x " +
                       u(n_out) + " multiplications; using " + u(rf) + ", the nearest valid one");
  return "struct " + name + " : nnet::dense_config {\n  static const unsigned n_in = " + u(n_in) +
         ", n_out = " + u(n_out) + ";\n  static const unsigned reuse_factor = " + u(rf) + ", n_zeros = " + u(zeros) +
         ", multiplier_limit = " + u((n_in * n_out + rf - 1) / rf - zeros / rf) + ";\n  typedef " +
         cpp_type(l.accum_type) + " accum_t;\n  typedef " + weight_t + " weight_t;\n  typedef " + bias_t +
         " bias_t;\n};\n";
}

// A linear layer's weights [j][i] laid out [i][j], as nnet_dense.h reads them.
std::vector<std::int64_t> input_major(const nn::FixedLayer& d) {
  const std::int64_t n_in = d.input[0], n_out = d.output[0];
  std::vector<std::int64_t> w(static_cast<std::size_t>(n_in * n_out));
  for (std::int64_t j = 0; j < n_out; ++j)
    for (std::int64_t i = 0; i < n_in; ++i) w[i * n_out + j] = d.weights[j * n_in + i];
  return w;
}

// A stable softmax's config struct and its two tables' headers (exp`id`, inv`id`).
std::string softmax_config(const std::string& name, const nn::FixedLayer& soft, const std::string& id, Emitted& e) {
  const auto size = [](const std::vector<std::int64_t>& t) { return u(static_cast<std::int64_t>(t.size())); };
  e.weights_header += array_header("exp" + id, "exp" + id + "_t", soft.table_type, soft.table,
                                   "layer '" + soft.name + "' exp(-x) table", e.loads) +
                      "\n" +
                      array_header("inv" + id, "inv" + id + "_t", soft.inverse_type, soft.inverse,
                                   "layer '" + soft.name + "' 1/x table", e.loads);
  return "struct " + name + " {\n  static const unsigned n_in = " + u(count(soft.input)) +
         ";\n  static const unsigned exp_table_size = " + size(soft.table) +
         ", exp_bits = " + u(ceil_log2(static_cast<std::int64_t>(soft.table.size()))) +
         ";\n  static const unsigned inv_table_size = " + size(soft.inverse) +
         ", inv_bits = " + u(ceil_log2(static_cast<std::int64_t>(soft.inverse.size()))) + ";\n  typedef exp" + id +
         "_t exp_table_t;\n  typedef inv" + id + "_t inv_table_t;\n  typedef " + cpp_type(soft.accum_type) +
         " accum_t;\n  typedef " + cpp_type(soft.norm_type) + " inp_norm_t;\n  typedef " +
         cpp_type(soft.inverse_input_type) + " inv_inp_t;\n};\n";
}

Emitted dense_like(const nn::FixedLayer& l, std::size_t index, const HlsSettings& s, const std::string& in_type,
                   const std::string& in, const std::string& out, const std::string& out_type,
                   std::vector<std::string>& warnings) {
  Emitted e;
  const std::string id = u(static_cast<std::int64_t>(index));
  const bool conv = l.op == "conv2d";
  const std::int64_t n_out = l.output[0], c_in = l.input[0];
  const std::int64_t k = conv ? l.kernel : 1;
  const std::int64_t n_in = conv ? k * k * c_in : l.input[0];
  // Weights in the template's layout [i][j]; a grouped convolution's filters get zeros for the
  // channels outside their group (zero products add nothing: the result is the same).
  std::vector<std::int64_t> w(static_cast<std::size_t>(n_in * n_out), 0);
  if (conv) {
    const std::int64_t cg = c_in / l.groups, fg = n_out / l.groups;
    for (std::int64_t f = 0; f < n_out; ++f)
      for (std::int64_t a = 0; a < k * k; ++a)
        for (std::int64_t c = 0; c < cg; ++c)
          w[((a * c_in) + f / fg * cg + c) * n_out + f] = l.weights[(f * k * k + a) * cg + c];
  } else {
    w = input_major(l);
  }
  const NumberType bias_type = l.bias.empty() ? NumberType::fixed(2, 1) : l.bias_type;
  const std::vector<std::int64_t> b = l.bias.empty() ? std::vector<std::int64_t>(n_out, 0) : l.bias;
  const std::int64_t rf = valid_reuse_factor(n_in, n_out, s.reuse);
  const std::string mult = conv ? "config" + id + "_mult" : "config" + id;
  e.config = "// layer '" + l.name + "' (" + l.op + ")\n" +
             dense_config(mult, l, n_in, n_out, w, "weight" + id + "_t", "bias" + id + "_t", s.reuse, warnings);
  if (conv) {
    e.config += "struct config" + id + " {\n  static const unsigned in_height = " + u(l.input[1]) +
                ", in_width = " + u(l.input[2]) + ", n_chan = " + u(c_in) + ";\n" +
                "  static const unsigned filt_height = " + u(k) + ", filt_width = " + u(k) + ", n_filt = " + u(n_out) +
                ";\n  static const unsigned stride_height = " + u(l.stride) + ", stride_width = " + u(l.stride) +
                ", pad_top = " + u(l.padding) + ", pad_left = " + u(l.padding) + ";\n" +
                "  static const unsigned out_height = " + u(l.output[1]) + ", out_width = " + u(l.output[2]) +
                ", reuse_factor = " + u(rf) + ";\n  typedef " + mult + " mult_config;\n  typedef weight" + id +
                "_t weight_t;\n  typedef bias" + id + "_t bias_t;\n};\n";
  }
  e.weights_header = array_header("w" + id, "weight" + id + "_t", l.weight_type, w,
                                  "layer '" + l.name + "' weights, [input][output]", e.loads) +
                     "\n" +
                     array_header("b" + id, "bias" + id + "_t", bias_type, b, "layer '" + l.name + "' biases", e.loads);
  e.call = std::string("  nnet::") + (conv ? "conv_2d_cl" : "dense") + "<" + in_type + ", " + out_type + ", config" +
           id + ">(" + in + ", " + out + ", w" + id + ", b" + id + ");\n";
  return e;
}

Emitted elementwise(const nn::FixedLayer& l, std::size_t index, const std::string& in_type, const std::string& in,
                    const std::string& out, const std::string& out_type) {
  Emitted e;
  const std::string id = u(static_cast<std::int64_t>(index));
  e.config = "// layer '" + l.name + "' (" + l.op + ")\nstruct config" + id +
             " : nnet::activ_config {\n  static const unsigned n_in = " + u(count(l.input)) + ";\n";
  if (l.op == "leaky_relu") e.config += "  typedef " + cpp_type(l.weight_type) + " param_t;\n";
  e.config += "};\n";
  const std::string fn = l.op == "relu" ? "relu" : (l.op == "leaky_relu" ? "leaky_relu" : "convert");
  const std::string alpha = l.op == "leaky_relu" ? exact_decimal(l.alpha, l.weight_type) + ", " : "";
  e.call =
      "  nnet::" + fn + "<" + in_type + ", " + out_type + ", config" + id + ">(" + in + ", " + alpha + out + ");\n";
  return e;
}

// sigmoid, tanh, GELU and softmax: their tables as weights arrays.
Emitted table_layer(const nn::FixedLayer& l, std::size_t index, const std::string& in_type, const std::string& in,
                    const std::string& out, const std::string& out_type) {
  Emitted e;
  const std::string id = u(static_cast<std::int64_t>(index));
  const auto size = [](const std::vector<std::int64_t>& t) { return u(static_cast<std::int64_t>(t.size())); };
  if (l.op == "softmax") {
    e.config = "// layer '" + l.name + "' (softmax)\n" + softmax_config("config" + id, l, id, e);
    e.call = "  nnet::softmax_stable<" + in_type + ", " + out_type + ", config" + id + ">(" + in + ", " + out +
             ", exp" + id + ", inv" + id + ");\n";
  } else {
    e.config = "// layer '" + l.name + "' (" + l.op + ")\nstruct config" + id +
               " {\n  static const unsigned n_in = " + u(count(l.input)) +
               ";\n  static const unsigned table_size = " + size(l.table) +
               ", table_range = " + (l.op == "tanh" ? "8" : "16") + ";\n  typedef table" + id + "_t table_t;\n};\n";
    e.weights_header = array_header("table" + id, "table" + id + "_t", l.table_type, l.table,
                                    "layer '" + l.name + "' " + l.op + " table", e.loads);
    e.call = std::string("  nnet::") + (l.op == "gelu" ? "gelu_activation<" : "lookup_activation<") + in_type + ", " +
             out_type + ", config" + id + ">(" + in + ", " + out + ", table" + id + ");\n";
  }
  return e;
}

// The attention block: four dense parts, the softmax's tables, the block's config.
Emitted attention(const nn::FixedLayer& l, std::size_t index, const HlsSettings& s, const std::string& in_type,
                  const std::string& in, const std::string& out, const std::string& out_type,
                  std::vector<std::string>& warnings) {
  Emitted e;
  const std::string id = u(static_cast<std::int64_t>(index));
  const char* names[] = {"theta", "phi", "g", "softmax", "out"};
  e.config = "// layer '" + l.name + "' (attention)\n";
  std::string args;
  for (int k : {0, 1, 2, 4}) {
    const nn::FixedLayer& part = l.parts[static_cast<std::size_t>(k)];
    const std::string wt = "weight" + id + "_" + names[k] + "_t", bt = "bias" + id + "_" + names[k] + "_t";
    const std::vector<std::int64_t> w = input_major(part);
    e.config +=
        dense_config("config" + id + "_" + names[k], part, part.input[0], part.output[0], w, wt, bt, s.reuse, warnings);
    const std::string base = "w" + id + "_" + names[k];
    e.weights_header +=
        array_header(base, wt, part.weight_type, w, "layer '" + l.name + "' " + names[k] + " weights", e.loads) + "\n" +
        array_header("b" + id + "_" + names[k], bt, part.bias_type, part.bias,
                     "layer '" + l.name + "' " + names[k] + " biases", e.loads) +
        "\n";
    args += ", " + base + ", b" + id + "_" + names[k];
  }
  const nn::FixedLayer& soft = l.parts[3];
  const auto size = [](const std::vector<std::int64_t>& t) { return u(static_cast<std::int64_t>(t.size())); };
  e.weights_header += array_header("exp" + id, "exp" + id + "_t", soft.table_type, soft.table,
                                   "layer '" + soft.name + "' exp(-x) table", e.loads) +
                      "\n" +
                      array_header("inv" + id, "inv" + id + "_t", soft.inverse_type, soft.inverse,
                                   "layer '" + soft.name + "' 1/x table", e.loads) +
                      "\n" +
                      powers_header("unscale" + id, soft.max_half,
                                    "layer '" + soft.name + "' powers 2^-q of the sum's shifts", e.loads);
  e.config += "struct config" + id + "_softmax {\n  static const unsigned n_in = " + u(count(soft.input)) +
              ", exp_table_size = " + size(soft.table) + ", inv_table_size = " + size(soft.inverse) +
              ", max_shift = " + u(soft.max_half) + ";\n  typedef exp" + id + "_t exp_table_t;\n  typedef inv" + id +
              "_t inv_table_t;\n  typedef unscale" + id + "_t unscale_t;\n  typedef " + cpp_type(soft.norm_type) +
              " norm_t;\n  typedef " + cpp_type(soft.accum_type) + " accum_t;\n  typedef " +
              cpp_type(soft.result_type) + " weight_t;\n};\n";
  const NumberType& int_t = l.parts[0].result_type;
  NumberType score_t = l.score_accum_type;  // exact: with the scale, its product's full width
  if (l.scale != 0) score_t.width += int_t.width, score_t.integer += int_t.integer;
  e.config += "struct config" + id + " {\n  static const unsigned n_pos = " + u(l.input[1] * l.input[2]) +
              ", n_chan = " + u(l.input[0]) + ", n_hidden = " + u(l.parts[0].output[0]) +
              ";\n  static const bool scaled = " + (l.scale != 0 ? "true" : "false") +
              ", residual = " + (l.residual ? "true" : "false") + ";\n  typedef " + cpp_type(int_t) +
              " internal_t;\n  typedef " + cpp_type(l.score_accum_type) + " score_accum_t;\n  typedef " +
              cpp_type(l.mix_accum_type) + " mix_accum_t;\n  typedef " + cpp_type(score_t) + " score_t;\n";
  for (const char* n : names) e.config += std::string("  typedef config") + id + "_" + n + " " + n + "_config;\n";
  e.config += "};\n";
  e.call = "  nnet::attention<" + in_type + ", " + out_type + ", config" + id + ">(" + in + ", " + out + args +
           ", exp" + id + ", inv" + id + ", unscale" + id + ", " + exact_decimal(l.scale, int_t) + ");\n";
  return e;
}

Emitted batchnorm(const nn::FixedLayer& l, std::size_t index, const std::string& in_type, const std::string& in,
                  const std::string& out, const std::string& out_type) {
  Emitted e;
  const std::string id = u(static_cast<std::int64_t>(index));
  e.config = "// layer '" + l.name + "' (batchnorm)\nstruct config" + id +
             " {\n  static const unsigned n_in = " + u(count(l.input)) + ", n_filt = " + u(l.input[0]) +
             ";\n  typedef scale" + id + "_t scale_t;\n  typedef bias" + id + "_t bias_t;\n};\n";
  e.weights_header =
      array_header("s" + id, "scale" + id + "_t", l.weight_type, l.weights, "layer '" + l.name + "' scales", e.loads) +
      "\n" + array_header("b" + id, "bias" + id + "_t", l.bias_type, l.bias, "layer '" + l.name + "' shifts", e.loads);
  e.call = "  nnet::normalize<" + in_type + ", " + out_type + ", config" + id + ">(" + in + ", " + out + ", s" + id +
           ", b" + id + ");\n";
  return e;
}

Emitted layernorm(const nn::FixedLayer& l, std::size_t index, const std::string& in_type, const std::string& in,
                  const std::string& out, const std::string& out_type) {
  Emitted e;
  const std::string id = u(static_cast<std::int64_t>(index));
  const std::int64_t n = count(l.input);
  const int extra = ceil_log2(n);
  NumberType sum_t = l.input_type;  // exact: n values need ceil(log2 n) more integer bits
  sum_t.width += extra, sum_t.integer += extra, sum_t.rounding = Rounding::Trn, sum_t.overflow = Overflow::Wrap;
  const NumberType sq_sum_t = infer_accum_type(l.mean_type, l.mean_type, nullptr, n);
  e.config =
      "// layer '" + l.name + "' (layernorm)\nstruct config" + id + " {\n  static const unsigned n_in = " + u(n) +
      ", table_size = " + u(static_cast<std::int64_t>(l.table.size())) +
      ", table_bits = " + u(ceil_log2(static_cast<std::int64_t>(l.table.size()))) + ", max_half = " + u(l.max_half) +
      ";\n  typedef " + cpp_type(sum_t) + " sum_t;\n  typedef " + cpp_type(sq_sum_t) + " sq_sum_t;\n  typedef " +
      cpp_type(l.mean_type) + " mean_t;\n  typedef " + cpp_type(l.var_type) + " var_t;\n  typedef " +
      cpp_type(l.k_type) + " k_t;\n  typedef scale" + id + "_t scale_t;\n  typedef bias" + id +
      "_t bias_t;\n  typedef table" + id + "_t table_t;\n  typedef unscale" + id + "_t unscale_t;\n};\n";
  e.weights_header =
      array_header("s" + id, "scale" + id + "_t", l.weight_type, l.weights, "layer '" + l.name + "' scales", e.loads) +
      "\n" + array_header("b" + id, "bias" + id + "_t", l.bias_type, l.bias, "layer '" + l.name + "' shifts", e.loads) +
      "\n" +
      array_header("table" + id, "table" + id + "_t", l.table_type, l.table,
                   "layer '" + l.name + "' 1/sqrt(var + eps) table", e.loads) +
      "\n" +
      powers_header("unscale" + id, l.max_half, "layer '" + l.name + "' powers 2^-k of the variance's shifts", e.loads);
  e.call = "  nnet::layernorm<" + in_type + ", " + out_type + ", config" + id + ">(" + in + ", " + out + ", s" + id +
           ", b" + id + ", table" + id + ", unscale" + id + ", " + exact_decimal(l.k_inv, l.k_type) + ");\n";
  return e;
}

Emitted pooling(const nn::FixedLayer& l, std::size_t index, const std::string& in_type, const std::string& in,
                const std::string& out, const std::string& out_type) {
  Emitted e;
  const std::string id = u(static_cast<std::int64_t>(index));
  e.config = "// layer '" + l.name + "' (" + l.op + ")\nstruct config" + id +
             " {\n  static const unsigned in_height = " + u(l.input[1]) + ", in_width = " + u(l.input[2]) +
             ", n_filt = " + u(l.input[0]) + ";\n" + "  static const unsigned pool_height = " + u(l.kernel) +
             ", pool_width = " + u(l.kernel) + ", stride_height = " + u(l.stride) + ", stride_width = " + u(l.stride) +
             ";\n" + "  static const unsigned pad_top = " + u(l.padding) + ", pad_left = " + u(l.padding) +
             ", out_height = " + u(l.output[1]) + ", out_width = " + u(l.output[2]) + ";\n" +
             (l.op == "avgpool2d" ? "  typedef " + cpp_type(l.accum_type) + " accum_t;\n" : std::string()) + "};\n";
  e.call = std::string("  nnet::") + (l.op == "avgpool2d" ? "pooling2d_avg_cl<" : "pooling2d_max_cl<") + in_type +
           ", " + out_type + ", config" + id + ">(" + in + ", " + out + ");\n";
  return e;
}

Emitted set_pool(const nn::FixedLayer& l, std::size_t index, const std::string& in_type, const std::string& in,
                 const std::string& out, const std::string& out_type) {
  Emitted e;
  const std::string id = u(static_cast<std::int64_t>(index));
  const bool max = l.op == "set_pool_max";
  e.config = "// layer '" + l.name + "' (set_pool, " + l.op.substr(9) + ")\nstruct config" + id +
             " {\n  static const unsigned n_elem = " + u(l.input[0]) + ", n_feat = " + u(l.input[1]) + ", op = " +
             (max                      ? "2"
              : l.op == "set_pool_sum" ? "1"
                                       : "0") +
             ";\n  typedef " + (max ? in_type : cpp_type(l.accum_type)) + " accum_t;\n};\n";
  e.call = "  nnet::set_pool_cl<" + in_type + ", " + out_type + ", config" + id + ">(" + in + ", " + out + ");\n";
  return e;
}

void write_file(const fs::path& path, const std::string& text, std::vector<fs::path>& files, const fs::path& root) {
  fs::create_directories(path.parent_path());
  std::ofstream f(path, std::ios::binary);
  f << text;
  f.close();
  if (!f) throw Error("hls: cannot write " + path.string());
  files.push_back(fs::relative(path, root));
}

std::string rows_text(const std::vector<double>& values, std::int64_t per_row, const char* format) {
  std::string s;
  char buf[64];
  for (std::size_t i = 0; i < values.size(); ++i) {
    std::snprintf(buf, sizeof buf, format, values[i]);
    s += buf;
    s += (static_cast<std::int64_t>(i + 1) % per_row == 0) ? "\n" : " ";
  }
  return s;
}

// n samples of a shape in nac's order, as the project holds them: an image (C, H, W) channels last.
std::vector<double> channels_last(const float* v, std::int64_t n, const Shape& shape) {
  const std::int64_t per = count(shape);
  std::vector<double> out(static_cast<std::size_t>(n * per));
  const bool image = shape.size() == 3;
  const std::int64_t c = image ? shape[0] : 1, hw = image ? shape[1] * shape[2] : per;
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t ch = 0; ch < c; ++ch)
      for (std::int64_t p = 0; p < hw; ++p) out[i * per + p * c + ch] = v[i * per + ch * hw + p];
  return out;
}

std::string testbench(const std::string& name) {
  return "// The C simulation's testbench: reads tb_data/tb_input_features.dat (one sample per line,\n"
         "// floats), runs " +
         name +
         "() and writes every output exactly (17 significant digits)\n"
         "// to tb_data/csim_results.log, one sample per line. It compares nothing: `nac hls csim`\n"
         "// compares the log with tb_data/nac_fixed_predictions.dat (nac's fixed-point inference).\n"
         "#include <cstdio>\n#include <fstream>\n#include <sstream>\n#include <string>\n#include <vector>\n\n"
         "#include \"firmware/" +
         name +
         ".h\"\n\n"
         "int main() {\n"
         "  std::ifstream in(\"tb_data/tb_input_features.dat\");\n"
         "  std::FILE* out = std::fopen(\"tb_data/csim_results.log\", \"w\");\n"
         "  if (!in || !out) {\n"
         "    std::fprintf(stderr, \"cannot open tb_data/tb_input_features.dat or tb_data/csim_results.log\\n\");\n"
         "    return 1;\n  }\n"
         "  std::string line;\n  int samples = 0;\n"
         "  while (std::getline(in, line)) {\n"
         "    std::istringstream values(line);\n    std::vector<float> v;\n    float x;\n"
         "    while (values >> x) v.push_back(x);\n"
         "    if (v.empty()) continue;\n"
         "    if (v.size() != N_INPUT) {\n"
         "      std::fprintf(stderr, \"sample %d has %zu values, expected %d\\n\", samples + 1, v.size(), N_INPUT);\n"
         "      return 1;\n    }\n"
         "    input_t input[N_INPUT];\n    result_t output[N_OUTPUT];\n"
         "    for (int i = 0; i < N_INPUT; i++) input[i] = v[i];\n"
         "    " +
         name +
         "(input, output);\n"
         "    for (int i = 0; i < N_OUTPUT; i++) std::fprintf(out, i + 1 < N_OUTPUT ? \"%.17g \" : \"%.17g\\n\", "
         "output[i].to_double());\n"
         "    ++samples;\n  }\n"
         "  std::fclose(out);\n"
         "  std::printf(\"%d samples\\n\", samples);\n  return 0;\n}\n";
}

std::string build_tcl(const std::string& name, const HlsSettings& s) {
  char clock[32];
  std::snprintf(clock, sizeof clock, "%g", s.clock_ns);
  return "# Vitis HLS: vitis_hls -f build_prj.tcl \"csim=1 synth=1 cosim=0 export=0\"\n"
         "# (nac cannot run Vitis HLS; this follows its Tcl commands. Synthesis uses the vendor's ap_fixed\n"
         "# headers; firmware/ap_types/ is nac's header for C simulation without them.)\n"
         "array set opt {reset 0 csim 1 synth 1 cosim 0 export 0}\n"
         "foreach arg $::argv {\n  foreach o [lsort [array names opt]] {\n    regexp \"$o=+(\\\\w+)\" $arg unused "
         "opt($o)\n  }\n}\n"
         "open_project -reset " +
         name +
         "_prj\n"
         "set_top " +
         name +
         "\n"
         "add_files firmware/" +
         name +
         ".cpp -cflags \"-std=c++14 -Ifirmware\"\n"
         "add_files -tb " +
         name +
         "_test.cpp -cflags \"-std=c++14 -Ifirmware\"\n"
         "add_files -tb tb_data\n"
         "open_solution -reset \"solution1\"\n"
         "set_part {" +
         s.part +
         "}\n"
         "create_clock -period " +
         clock +
         " -name default\n"
         "if {$opt(csim)} { csim_design }\n"
         "if {$opt(synth)} { csynth_design }\n"
         "if {$opt(cosim)} { cosim_design -trace_level all }\n"
         "if {$opt(export)} { export_design -format ip_catalog }\n"
         "exit\n";
}

std::string build_csim(const std::string& name) {
  return "#!/bin/sh\n# C simulation with g++ and nac's ap_fixed.h (no vendor tools): builds and runs the testbench.\n"
         "set -e\ncd \"$(dirname \"$0\")\"\n"
         "${CXX:-g++} -O2 -std=c++14 -Wall -Wextra -Ifirmware -Ifirmware/ap_types -o csim " +
         name + "_test.cpp firmware/" + name + ".cpp\n./csim\n";
}

}  // namespace

WrittenProject write_hls_project(nn::Model& original, const HlsSettings& s, const TestbenchInputs& tb,
                                 const fs::path& dir) {
  WrittenProject project;
  // Batch norms fold into the layer before them, as hls4ml's export does: one rounding less, and
  // no input of a norm quantized before a large scale multiplies its error.
  std::optional<nn::FoldResult> fold;
  if (s.fold_batch_norms) try {
      fold = nn::fold_batch_norms(original);
      project.folded = fold->folded;
    } catch (const Error& e) {
      project.warnings.push_back(std::string("batch norms not folded: ") + e.what());
    }
  nn::Model& model = fold ? fold->model : original;
  if (fs::exists(dir)) throw Error("hls: " + dir.string() + " already exists; choose another output folder");
  if (s.name.empty() || !(std::isalpha(static_cast<unsigned char>(s.name[0])) || s.name[0] == '_'))
    throw Error("hls: the project name '" + s.name + "' is not a C identifier");
  for (const char c : s.name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_')
      throw Error("hls: the project name '" + s.name + "' is not a C identifier");
  nn::FixedInferenceOptions options{s.default_type, s.fit_weights};
  if (s.calibrate && tb.representative && tb.inputs.dim(0) > 0) {
    project.calibrated = std::min<std::int64_t>(tb.inputs.dim(0), 1000);
    Shape shape = tb.inputs.shape();
    shape[0] = project.calibrated;
    nn::Tensor rows(shape);
    std::copy(tb.inputs.data(), tb.inputs.data() + rows.size(), rows.data());
    options.ranges = nn::calibrate_ranges(model, rows, s.fit_weights);
  }
  const nn::FixedPointModel fixed(model, options);
  const auto& layers = fixed.layers();
  if (layers.empty()) throw Error("hls: the model has no layers");

  const fs::path tmp = dir.string() + ".partial";
  fs::remove_all(tmp);
  try {
    const std::int64_t n_input = count(model.spec().input), n_output = fixed.output_size();
    std::string defines = "#ifndef DEFINES_H_\n#define DEFINES_H_\n\n#include \"ap_fixed.h\"\n\n#define N_INPUT " +
                          u(n_input) + "\n#define N_OUTPUT " + u(n_output) + "\n";
    std::string typedefs = "\ntypedef " + cpp_type(fixed.input_type()) + " input_t;\n";
    std::string params =
        "#ifndef PARAMETERS_H_\n#define PARAMETERS_H_\n\n#include \"defines.h\"\n"
        "#include \"nnet_utils/nnet_activation.h\"\n#include \"nnet_utils/nnet_attention.h\"\n"
        "#include \"nnet_utils/nnet_batchnorm.h\"\n#include \"nnet_utils/nnet_layernorm.h\"\n"
        "#include \"nnet_utils/nnet_conv2d.h\"\n"
        "#include \"nnet_utils/nnet_dense.h\"\n#include \"nnet_utils/nnet_pooling.h\"\n";
    std::string configs, body, loads;
    std::string in = "input", in_type = "input_t";
    for (std::size_t i = 0; i < layers.size(); ++i) {
      const nn::FixedLayer& l = layers[i];
      const std::size_t id = i + 1;
      const bool last = i + 1 == layers.size();
      const std::string out_type = last ? "result_t" : "layer" + u(static_cast<std::int64_t>(id)) + "_t";
      const std::string out = last ? "output" : "layer" + u(static_cast<std::int64_t>(id)) + "_out";
      if (!last) {
        defines += "#define N_LAYER_" + u(static_cast<std::int64_t>(id)) + " " + u(count(l.output)) + "\n";
        typedefs += "typedef " + cpp_type(l.result_type) + " " + out_type + ";  // " + l.name + "\n";
        body += "  " + out_type + " " + out + "[N_LAYER_" + u(static_cast<std::int64_t>(id)) +
                "];\n"
                "NAC_HLS_PRAGMA(HLS ARRAY_PARTITION variable = " +
                out + " complete dim = 0)\n";
      } else {
        typedefs += "typedef " + cpp_type(l.result_type) + " result_t;  // " + l.name + "\n";
      }
      Emitted e;
      if (l.op == "conv2d" || l.op == "linear") {
        e = dense_like(l, id, s, in_type, in, out, out_type, project.warnings);
        const fs::path wfile = tmp / "firmware" / "weights" / ("w" + u(static_cast<std::int64_t>(id)) + ".h");
        write_file(wfile, e.weights_header, project.files, tmp);
        params += "#include \"weights/w" + u(static_cast<std::int64_t>(id)) + ".h\"\n";
      } else if (l.op == "attention") {
        e = attention(l, id, s, in_type, in, out, out_type, project.warnings);
        write_file(tmp / "firmware" / "weights" / ("a" + u(static_cast<std::int64_t>(id)) + ".h"), e.weights_header,
                   project.files, tmp);
        params += "#include \"weights/a" + u(static_cast<std::int64_t>(id)) + ".h\"\n";
      } else if (l.op == "sigmoid" || l.op == "tanh" || l.op == "gelu" || l.op == "softmax") {
        e = table_layer(l, id, in_type, in, out, out_type);
        write_file(tmp / "firmware" / "weights" / ("t" + u(static_cast<std::int64_t>(id)) + ".h"), e.weights_header,
                   project.files, tmp);
        params += "#include \"weights/t" + u(static_cast<std::int64_t>(id)) + ".h\"\n";
      } else if (l.op == "batchnorm" || l.op == "layernorm") {
        e = l.op == "batchnorm" ? batchnorm(l, id, in_type, in, out, out_type)
                                : layernorm(l, id, in_type, in, out, out_type);
        write_file(tmp / "firmware" / "weights" / ("n" + u(static_cast<std::int64_t>(id)) + ".h"), e.weights_header,
                   project.files, tmp);
        params += "#include \"weights/n" + u(static_cast<std::int64_t>(id)) + ".h\"\n";
      } else if (l.op == "maxpool2d" || l.op == "avgpool2d") {
        e = pooling(l, id, in_type, in, out, out_type);
      } else if (l.op.starts_with("set_pool_")) {
        e = set_pool(l, id, in_type, in, out, out_type);
      } else {
        e = elementwise(l, id, in_type, in, out, out_type);
      }
      configs += "\n" + e.config;
      body += e.call;
      loads += e.loads;
      in = out, in_type = out_type;
    }
    defines += typedefs + "\n#endif\n";
    params += configs +
              "\n#ifndef __SYNTHESIS__\n// C simulation: the weights converted once from their exact decimals.\n"
              "inline void nac_load_weights() {\n  static bool done = false;\n  if (done) return;\n  done = true;\n" +
              loads + "}\n#endif\n\n#endif\n";
    const std::string header = "#ifndef " + s.name + "_H_\n#define " + s.name +
                               "_H_\n\n#include \"defines.h\"\n\n"
                               "void " +
                               s.name + "(input_t input[N_INPUT], result_t output[N_OUTPUT]);\n\n#endif\n";
    const std::string top = "// Generated by nac from a model of " + u(static_cast<std::int64_t>(layers.size())) +
                            " layers: io_parallel, latency strategy.\n#include \"" + s.name +
                            ".h\"\n"
                            "#include \"parameters.h\"\n\nvoid " +
                            s.name +
                            "(input_t input[N_INPUT], result_t output[N_OUTPUT]) {\n"
                            "NAC_HLS_PRAGMA(HLS ARRAY_RESHAPE variable = input complete dim = 0)\n"
                            "NAC_HLS_PRAGMA(HLS ARRAY_PARTITION variable = output complete dim = 0)\n"
                            "NAC_HLS_PRAGMA(HLS INTERFACE ap_vld port = input, output)\nNAC_HLS_PRAGMA(HLS PIPELINE)\n"
                            "#ifndef __SYNTHESIS__\n  nac_load_weights();\n#endif\n\n" +
                            body + "}\n";
    const fs::path fw = tmp / "firmware";
    write_file(fw / (s.name + ".cpp"), top, project.files, tmp);
    write_file(fw / (s.name + ".h"), header, project.files, tmp);
    write_file(fw / "defines.h", defines, project.files, tmp);
    write_file(fw / "parameters.h", params, project.files, tmp);
    for (const EmbeddedFile& f : embedded_files()) write_file(fw / f.path, f.text, project.files, tmp);
    write_file(tmp / (s.name + "_test.cpp"), testbench(s.name), project.files, tmp);
    write_file(tmp / "build_prj.tcl", build_tcl(s.name, s), project.files, tmp);
    write_file(tmp / "build_csim.sh", build_csim(s.name), project.files, tmp);
    fs::permissions(tmp / "build_csim.sh", fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                    fs::perm_options::add);

    // Testbench data, in the project's order (images channels last): the inputs (floats, exactly
    // as float32), the float model's outputs and the fixed-point executor's (exact).
    const nn::Tensor& x = tb.inputs;
    const std::int64_t n = x.dim(0);
    std::vector<double> inputs = channels_last(x.data(), n, model.spec().input);
    write_file(tmp / "tb_data" / "tb_input_features.dat", rows_text(inputs, n_input, "%.9g"), project.files, tmp);
    const nn::Tensor& y = model.forward(x, false);
    write_file(tmp / "tb_data" / "tb_output_predictions.dat",
               rows_text(channels_last(y.data(), n, model.spec().output()), n_output, "%.9g"), project.files, tmp);
    std::vector<double> exact;
    for (std::int64_t i = 0; i < n; ++i)
      for (const std::int64_t r : fixed.run_raw(x.data() + i * n_input, true))
        exact.push_back(fixed_to_double(r, fixed.output_type()));
    write_file(tmp / "tb_data" / "nac_fixed_predictions.dat", rows_text(exact, n_output, "%.17g"), project.files, tmp);
    project.output_type = cpp_type(fixed.output_type());
    project.samples = x.dim(0);
    std::ostringstream readme;
    readme << "# " << s.name << ": an HLS project written by nac\n\n"
           << "The model's " << layers.size() << " layers as hls4ml-style templates (io_parallel, latency strategy), "
           << "output type `" << project.output_type << "`, part " << s.part << ", clock " << s.clock_ns << " ns.\n\n"
           << "- `./build_csim.sh`: C simulation with g++ and nac's `firmware/ap_types/ap_fixed.h` (no vendor tools);\n"
           << "  writes `tb_data/csim_results.log`. `nac hls csim .` also compares it with\n"
           << "  `tb_data/nac_fixed_predictions.dat` (nac's fixed-point inference: equal bit for bit) and with\n"
           << "  `tb_data/tb_output_predictions.dat` (the float model).\n"
           << "- `vitis_hls -f build_prj.tcl \"csim=1 synth=1\"`: Vitis HLS with the vendor's headers.\n"
           << "- `firmware/weights/`: every weight and bias as the exact decimal of its fixed-point value.\n";
    const HlsEstimate est = estimate_hls(model.spec(), s);
    std::string csv = "layer,op,reuse,multipliers,dsp,lut,ff,bram18,cycles,ii\n";
    for (const LayerEstimate& e : est.layers)
      csv += e.name + "," + e.op + "," + u(e.reuse) + "," + u(e.multipliers) + "," + u(e.dsp) + "," + u(e.lut) + "," +
             u(e.ff) + "," + u(e.bram18) + "," + u(e.cycles) + "," + u(e.ii) + "\n";
    csv += "total,,,," + u(est.dsp) + "," + u(est.lut) + "," + u(est.ff) + "," + u(est.bram18) + "," + u(est.cycles) +
           "," + u(est.ii) + "\n";
    write_file(tmp / "estimates.csv", csv, project.files, tmp);
    const Device& device = find_device(s.part);
    const auto share = [](std::int64_t used, std::int64_t have) {
      return 100.0 * static_cast<double>(used) / static_cast<double>(have);
    };
    readme
        << "\nnac's estimate (an analytic model, not a synthesis: docs/hls_backend.md; per layer in `estimates.csv`): "
        << est.cycles << " cycles (" << est.latency_ns << " ns at " << s.clock_ns << " ns), II " << est.ii << "; "
        << est.dsp << " DSP (" << share(est.dsp, device.dsp) << "% of the " << device.name << "), " << est.lut
        << " LUT (" << share(est.lut, device.lut) << "%), " << est.ff << " FF (" << share(est.ff, device.ff) << "%), "
        << est.bram18 << " BRAM18 (" << share(est.bram18, device.bram18) << "%).\n";
    write_file(tmp / "README.md", readme.str(), project.files, tmp);
    write_file(tmp / "nac_project.json",
               "{\n  \"format\": \"nac hls project 1\",\n  \"name\": \"" + s.name + "\",\n  \"output_type\": \"" +
                   project.output_type + "\",\n  \"inputs\": " + u(n_input) + ",\n  \"outputs\": " + u(n_output) +
                   ",\n  \"samples\": " + u(project.samples) + "\n}\n",
               project.files, tmp);
    fs::rename(tmp, dir);
  } catch (...) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
    throw;
  }
  return project;
}

}  // namespace nac::hls
