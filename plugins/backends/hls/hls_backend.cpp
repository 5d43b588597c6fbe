// The `hls` backend plugin: writes an hls4ml-shaped Vitis HLS project of a model whose C
// simulation equals nac's fixed-point inference bit for bit (docs/hls_backend.md).
//
//   [backend]
//   name = "hls"
//   project = "myproject"           # top function and file names
//   part = "xcvu13p-flga2577-2-e"
//   clock_ns = 5.0
//   reuse_factor = 1                # every layer's (the nearest valid one per layer, with a warning)
//   default_type = "ap_fixed<16,6,AP_RND,AP_SAT>"  # tensors without an ap_fixed precision
//   fit_weights = true              # weights without one: the default's width, integer bits fitted
//   fold_batch_norms = true         # into the layer before them, as hls4ml does
//   calibrate = true                # integer bits of tensors from testbench_inputs' ranges
//   testbench_inputs = "val.npz"    # optional: rows of this data file (else uniform in [-1, 1])
//   testbench_array = "inputs"      # the array of that file (default: its first)
//   testbench_samples = 1000
//   seed = 0                        # of the random testbench inputs
#include <cstdio>
#include <algorithm>
#include <memory>

#include "hls_estimate.hpp"
#include "hls_project.hpp"
#include "nac/backend.hpp"
#include "nac/data/array_io.hpp"
#include "nac/error.hpp"
#include "nac/objective.hpp"
#include "nac/plugin.hpp"
#include "nac/rng.hpp"
#include "nac/text.hpp"

namespace {

using namespace nac;
namespace fs = std::filesystem;

const Setting<std::string> kProject{.key = "project", .fallback = "myproject", .help = "top function and file names"};
const Setting<std::string> kPart{
    .key = "part", .fallback = "xcvu13p-flga2577-2-e", .help = "FPGA part (build_prj.tcl)"};
const Setting<double> kClock{
    .key = "clock_ns", .fallback = 5.0, .range = Range::above(0), .help = "clock period in ns (build_prj.tcl)"};
const Setting<std::int64_t> kReuse{.key = "reuse_factor",
                                   .fallback = 1,
                                   .range = Range::between(1, 1e9),
                                   .help = "reuse factor of every layer; an invalid one becomes the nearest valid"};
const Setting<std::string> kDefaultType{.key = "default_type",
                                        .fallback = "ap_fixed<16,6,AP_RND,AP_SAT>",
                                        .help = "type of every tensor without an ap_fixed precision"};
const Setting<bool> kFitWeights{
    .key = "fit_weights",
    .fallback = true,
    .help =
        "weights and biases without an ap_fixed precision: the default type's width with the integer bits their "
        "largest magnitude needs (false: the default type)"};
const Setting<bool> kFold{
    .key = "fold_batch_norms",
    .fallback = true,
    .help =
        "fold each batch norm into the convolution or linear layer before it, as hls4ml does (when the layer's "
        "weights are not quantized)"};
const Setting<bool> kCalibrate{
    .key = "calibrate",
    .fallback = true,
    .help =
        "tensors without an ap_fixed precision: the default's width with the integer bits of twice their range "
        "on the first 1000 rows of testbench_inputs (without that file: the default type)"};
const Setting<std::string> kInputs{
    .key = "testbench_inputs",
    .fallback = std::nullopt,
    .help = "data file (.npy, .npz, HDF5) of testbench inputs (default: uniform in [-1, 1])",
    .required = false};
const Setting<std::string> kArray{
    .key = "testbench_array", .fallback = std::nullopt, .help = "its array (default: the first)", .required = false};
const Setting<std::int64_t> kSamples{
    .key = "testbench_samples", .fallback = 1000, .range = Range::between(1, 1e7), .help = "testbench samples"};
const Setting<std::int64_t> kSeed{
    .key = "seed", .fallback = 0, .range = Range::between(0, 9e18), .help = "seed of random testbench inputs"};

struct Settings {
  hls::HlsSettings project;
  std::optional<std::string> inputs, array;
  std::int64_t samples = 1000;
  std::uint64_t seed = 0;
};

// The testbench's inputs: rows of the data file, or uniform values in [-1, 1].
nn::Tensor testbench_inputs(const Settings& s, const ModelSpec& spec) {
  Shape shape{s.samples};
  shape.insert(shape.end(), spec.input.begin(), spec.input.end());
  nn::Tensor x(shape);
  if (!s.inputs) {
    Rng rng(s.seed);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(rng.uniform(-1, 1));
    return x;
  }
  const auto file = data::ArrayFile::open(*s.inputs);
  const auto names = file->names();
  if (names.empty()) throw Error(*s.inputs + ": no arrays");
  const std::string name = s.array ? *s.array : names.front();
  const Shape stored = file->shape(name);
  const Shape per(stored.begin() + (stored.empty() ? 0 : 1), stored.end());
  std::int64_t n_stored = 1, n_model = 1;
  for (const auto d : per) n_stored *= d;
  for (const auto d : spec.input) n_model *= d;
  if (stored.empty() || n_stored != n_model)
    throw Error(*s.inputs + ": array '" + name + "' of shape " + to_string(stored) +
                " does not hold rows of the model's input " + to_string(spec.input));
  const std::int64_t rows = std::min<std::int64_t>(stored[0], s.samples);
  const data::Array a = file->read_rows(name, 0, rows);
  shape[0] = rows;
  x.resize(shape);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = a.values[i];
  return x;
}

class HlsBackend final : public Backend {
 public:
  explicit HlsBackend(Settings s) : s_(std::move(s)) {}
  std::string name() const override { return "hls"; }
  BackendReport run(const BackendContext& context) override {
    if (!context.model) throw Error("the hls backend needs the model's weights");
    const nn::Tensor x = testbench_inputs(s_, context.model->spec());
    const hls::WrittenProject p =
        hls::write_hls_project(*context.model, s_.project, {x, s_.inputs.has_value()}, context.out_dir);
    BackendReport r;
    for (const auto& f : p.files) r.files.push_back(context.out_dir / f);
    r.summary = "HLS project '" + s_.project.name + "' in " + context.out_dir.string() + ": " +
                std::to_string(p.files.size()) + " files, output type " + p.output_type + ", " +
                std::to_string(p.samples) + " testbench samples";
    if (!p.folded.empty()) r.summary += "\nbatch norms folded into the layer before them: " + join(p.folded, ", ");
    if (p.calibrated)
      r.summary += "\ninteger bits of tensors without a precision calibrated on " + std::to_string(p.calibrated) +
                   " testbench rows";
    else if (s_.project.calibrate)
      r.summary += "\nnot calibrated (no testbench_inputs file): tensors without a precision take the default type";
    for (const auto& w : p.warnings) r.summary += "\nwarning: " + w;
    const hls::HlsEstimate e = hls::estimate_hls(context.model->spec(), s_.project);
    const hls::Device& d = hls::find_device(s_.project.part);
    r.estimates = {{"latency_cycles", static_cast<double>(e.cycles)},
                   {"latency_ns", e.latency_ns},
                   {"ii_cycles", static_cast<double>(e.ii)},
                   {"dsp", static_cast<double>(e.dsp)},
                   {"lut", static_cast<double>(e.lut)},
                   {"ff", static_cast<double>(e.ff)},
                   {"bram18", static_cast<double>(e.bram18)},
                   {"dsp_share", static_cast<double>(e.dsp) / static_cast<double>(d.dsp)},
                   {"lut_share", static_cast<double>(e.lut) / static_cast<double>(d.lut)}};
    for (const auto& w : e.warnings) r.summary += "\nwarning: " + w;
    r.summary += "\nestimate (analytic, docs/hls_backend.md; per layer in estimates.csv) for " + d.name + ":";
    return r;
  }

 private:
  Settings s_;
};

// The settings an estimate reads (the backend's and the hardware objectives').
void read_hardware(const ConfigTable& t, hls::HlsSettings& s) {
  s.part = t.get(kPart);
  try {
    (void)hls::find_device(s.part);
  } catch (const Error& e) {
    t.fail(kPart.key, e.what());
  }
  s.clock_ns = t.get(kClock);
  s.reuse = t.get(kReuse);
  try {
    s.default_type = parse_number_type(t.get(kDefaultType));
  } catch (const Error& e) {
    t.fail(kDefaultType.key, e.what());
  }
  if (s.default_type.kind != NumberType::Kind::Fixed) t.fail(kDefaultType.key, "must be an ap_fixed or ap_ufixed type");
  s.fold_batch_norms = t.get(kFold);
}

Settings read_settings(const ConfigTable& t) {
  Settings s;
  s.project.name = t.get(kProject);
  read_hardware(t, s.project);
  s.project.fit_weights = t.get(kFitWeights);
  s.project.calibrate = t.get(kCalibrate);
  s.inputs = t.get_optional(kInputs);
  s.array = t.get_optional(kArray);
  if (s.array && !s.inputs) t.fail(kArray.key, "names an array of testbench_inputs, which is not set");
  s.samples = t.get(kSamples);
  s.seed = static_cast<std::uint64_t>(t.get(kSeed));
  return s;
}

// A hardware objective: one figure of nac's estimate of the candidate's HLS project (minimised).
class HardwareObjective final : public Objective {
 public:
  HardwareObjective(std::string name, hls::HlsSettings s) : name_(std::move(name)), s_(std::move(s)) {}
  std::string name() const override { return name_; }
  Direction direction() const override { return Direction::Minimize; }
  double evaluate(const Candidate& c) const override {
    if (!c.model) throw Error("objective '" + name_ + "' needs a network; this task has none");
    const hls::HlsEstimate e = hls::estimate_hls(*c.model, s_);
    const hls::Device& d = hls::find_device(s_.part);
    const auto share = [](std::int64_t used, std::int64_t have) {
      return static_cast<double>(used) / static_cast<double>(have);
    };
    if (name_ == "latency_cycles") return static_cast<double>(e.cycles);
    if (name_ == "latency_ns") return e.latency_ns;
    if (name_ == "dsp") return static_cast<double>(e.dsp);
    if (name_ == "lut") return static_cast<double>(e.lut);
    if (name_ == "ff") return static_cast<double>(e.ff);
    if (name_ == "bram18") return static_cast<double>(e.bram18);
    return std::max({share(e.dsp, d.dsp), share(e.lut, d.lut), share(e.ff, d.ff), share(e.bram18, d.bram18)});
  }

 private:
  std::string name_;
  hls::HlsSettings s_;
};

const char* const kHardwareObjectives[][2] = {
    {"latency_cycles", "estimated latency of the model's HLS project, in clock cycles"},
    {"latency_ns", "estimated latency of the model's HLS project, in ns at clock_ns"},
    {"dsp", "estimated DSP slices of the model's HLS project"},
    {"lut", "estimated LUTs of the model's HLS project"},
    {"ff", "estimated flip-flops of the model's HLS project"},
    {"bram18", "estimated 18 kbit block RAMs of the model's HLS project"},
    {"device_share", "the largest share of the part's DSP, LUT, FF or BRAM the estimate uses (1: full)"},
};

void register_factories(Registry& r) {
  for (const auto& [name, help] : kHardwareObjectives) {
    const std::string n = name;
    r.add_objective(
        n,
        [n](const ConfigTable& t) {
          hls::HlsSettings s;
          read_hardware(t, s);
          return std::make_unique<HardwareObjective>(n, s);
        },
        help, describe_settings(kPart, kClock, kReuse, kDefaultType, kFold));
  }
  r.add_backend(
      "hls", [](const ConfigTable& t) { return std::make_unique<HlsBackend>(read_settings(t)); },
      "an hls4ml-shaped Vitis HLS project whose C simulation equals nac's fixed-point inference bit for bit",
      describe_settings(kProject, kPart, kClock, kReuse, kDefaultType, kFold, kFitWeights, kCalibrate, kInputs, kArray,
                        kSamples, kSeed));
}

}  // namespace

NAC_PLUGIN("hls", "1.0.0", "HLS backend: hls4ml-shaped FPGA projects", register_factories)
