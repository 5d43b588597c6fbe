// nac export BACKEND MODEL.nacm --out DIR: a backend run on a model (hls: its HLS project).
// nac hls csim DIR: the project's C simulation (g++ and nac's ap_fixed.h), compared with nac's
// fixed-point inference (bit for bit) and with the float model (docs/hls_backend.md).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"
#include "nac/backend.hpp"
#include "nac/error.hpp"
#include "nac/fixed_point.hpp"
#include "nac/dataset_task.hpp"
#include "nac/nn/fixed_inference.hpp"
#include "nac/nn/fold.hpp"
#include "nac/nn/model_io.hpp"
#include "nac/text.hpp"

namespace nac::cli {

namespace fs = std::filesystem;

int export_model(const CommonOptions& common, const ExportArgs& args) {
  Registry registry;
  PluginLoader loader(registry);
  load_plugins(loader, common);
  nn::Model model = nn::load_model(args.model);
  std::vector<std::string> lines = args.settings;
  if (args.name) lines.push_back("project=\"" + *args.name + "\"");
  if (args.part) lines.push_back("part=\"" + *args.part + "\"");
  if (args.reuse) lines.push_back("reuse_factor=" + std::to_string(*args.reuse));
  if (args.clock) lines.push_back("clock_ns=" + std::to_string(*args.clock));
  if (args.inputs) lines.push_back("testbench_inputs=\"" + *args.inputs + "\"");
  const ConfigTable table = settings_table("backend", lines);
  auto backend = registry.backend(args.backend)(table);
  table.finish();
  if (args.backend != "hls") fs::create_directories(args.out);  // (hls writes its folder whole, or nothing)
  const BackendReport report = backend->run(BackendContext{model.spec(), &model, args.out});
  std::printf("%s\n", report.summary.c_str());
  for (const auto& [name, value] : report.estimates) std::printf("  %s = %.6g\n", name.c_str(), value);
  if (args.backend == "hls") std::printf("next: nac hls csim %s\n", args.out.c_str());
  return 0;
}

namespace {

std::vector<std::vector<double>> read_rows(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw Error(file.string() + ": cannot read (is this a project written by nac export hls?)");
  std::vector<std::vector<double>> rows;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream values(line);
    std::vector<double> row;
    std::string word;
    while (values >> word) {
      char* end = nullptr;
      const double v = std::strtod(word.c_str(), &end);
      if (end == word.c_str() || *end != '\0')
        throw Error(file.string() + ":" + std::to_string(rows.size() + 1) + ": '" + word + "' is not a number");
      row.push_back(v);
    }
    if (!row.empty()) rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace

int hls_csim(const fs::path& dir) {
  const fs::path manifest = dir / "nac_project.json";
  std::ifstream mf(manifest);
  if (!mf) throw Error(manifest.string() + ": not found; is " + dir.string() + " a project written by nac export hls?");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(mf);
  } catch (const nlohmann::json::exception& e) {
    throw Error(manifest.string() + ": " + e.what());
  }
  const NumberType out_type = parse_number_type(j.at("output_type").get<std::string>());
  const double lsb = std::ldexp(1.0, -fraction_bits(out_type));
  std::fprintf(stderr, "building and running the C simulation (%s/build_csim.sh)...\n", dir.c_str());
  const std::string command = "sh '" + (dir / "build_csim.sh").string() + "'";
  if (std::system(command.c_str()) != 0)
    throw Error("the C simulation failed to build or run: " + command + " (its output is above)");
  const auto csim = read_rows(dir / "tb_data" / "csim_results.log");
  const auto fixed = read_rows(dir / "tb_data" / "nac_fixed_predictions.dat");
  const auto floats = read_rows(dir / "tb_data" / "tb_output_predictions.dat");
  if (csim.size() != fixed.size() || csim.size() != floats.size())
    throw Error("the C simulation wrote " + std::to_string(csim.size()) + " samples; nac's files hold " +
                std::to_string(fixed.size()) + " and " + std::to_string(floats.size()));
  std::size_t values = 0, differ = 0;
  double max_lsb = 0, max_float = 0, sum_float = 0;
  for (std::size_t i = 0; i < csim.size(); ++i) {
    if (csim[i].size() != fixed[i].size() || csim[i].size() != floats[i].size())
      throw Error("sample " + std::to_string(i + 1) + ": the C simulation wrote " + std::to_string(csim[i].size()) +
                  " outputs, nac " + std::to_string(fixed[i].size()));
    for (std::size_t k = 0; k < csim[i].size(); ++k, ++values) {
      const double d = std::abs(csim[i][k] - fixed[i][k]) / lsb;
      differ += d != 0;
      max_lsb = std::max(max_lsb, d);
      const double f = std::abs(csim[i][k] - floats[i][k]);
      max_float = std::max(max_float, f);
      sum_float += f;
    }
  }
  std::printf("%zu samples, %zu outputs; output type %s\n", csim.size(), values, to_string(out_type).c_str());
  std::printf("C simulation vs nac's fixed-point inference: %zu values differ, largest difference %.6g LSB%s\n", differ,
              max_lsb, differ == 0 ? " (bit-exact)" : "");
  std::printf("C simulation vs the float model: largest |difference| %.6g, mean %.6g\n", max_float,
              values ? sum_float / static_cast<double>(values) : 0.0);
  if (differ != 0) throw Error("the C simulation differs from nac's fixed-point inference");
  return 0;
}

int hls_accuracy(const CommonOptions& common, const HlsAccuracyArgs& args) {
  Registry registry;
  PluginLoader loader(registry);
  load_plugins(loader, common);
  nn::Model loaded = nn::load_model(args.model);
  // Batch norms folded into the layer before them, as nac export hls does (when it can).
  std::optional<nn::FoldResult> fold;
  if (!args.no_fold) try {
      fold = nn::fold_batch_norms(loaded);
      if (!fold->folded.empty())
        std::fprintf(stderr, "batch norms folded into the layer before them: %s\n", join(fold->folded, ", ").c_str());
    } catch (const Error& e) {
      std::fprintf(stderr, "batch norms not folded: %s\n", e.what());
    }
  nn::Model& model = fold ? fold->model : loaded;
  const auto task_object = make_task(registry, args.task);
  const DatasetTask& task = as_dataset_task(*task_object, "nac hls accuracy");
  std::vector<NumberType> types;
  for (const auto& t : args.types) {
    try {
      types.push_back(parse_number_type(t));
    } catch (const Error& e) {
      throw Error(std::string("--types: ") + e.what());
    }
    if (types.back().kind != NumberType::Kind::Fixed) throw Error("--types: " + t + " is not an ap_fixed type");
  }
  // Every type is checked (and every op of the model) before the data is loaded.
  for (const auto& t : types) (void)nn::FixedPointModel(model, nn::FixedInferenceOptions{t, !args.default_weights});
  std::fprintf(stderr, "loading data...\n");
  const TaskData data = task.load_data();
  const nn::Dataset& test = data.test.size() ? data.test : data.validation;
  if (!test.size()) throw Error("the task has no test or validation samples to score");
  const std::int64_t n = std::min<std::int64_t>(static_cast<std::int64_t>(test.size()), args.samples);
  Shape in_shape = test.inputs.shape(), out_shape = test.targets.shape();
  in_shape[0] = out_shape[0] = n;
  nn::Tensor x(in_shape), y(out_shape);
  std::copy(test.inputs.data(), test.inputs.data() + x.size(), x.data());
  std::copy(test.targets.data(), test.targets.data() + y.size(), y.data());

  // Calibration: each tensor's range on training samples (not the scored ones).
  std::map<std::string, double> ranges;
  const nn::Dataset& calibration = data.train.size() ? data.train : data.validation;
  const std::int64_t n_cal = std::min<std::int64_t>(static_cast<std::int64_t>(calibration.size()), args.calibrate);
  if (n_cal > 0) {
    Shape cal_shape = calibration.inputs.shape();
    cal_shape[0] = n_cal;
    nn::Tensor cal(cal_shape);
    std::copy(calibration.inputs.data(), calibration.inputs.data() + cal.size(), cal.data());
    ranges = nn::calibrate_ranges(model, cal, !args.default_weights);
  }
  const Metrics dense = task.score(model.forward(x, false), y);
  // The task's first declared metric leads (the bragg task's mean distance "error").
  std::string first = dense.begin()->first;
  for (const MetricInfo& info : task.metrics())
    if (dense.count(info.name)) {
      first = info.name;
      break;
    }
  std::printf("%lld test samples; the model's own precisions where it has ap_fixed ones, else the type below",
              static_cast<long long>(n));
  if (n_cal > 0)
    std::printf(" with integer bits calibrated on %lld %s samples", static_cast<long long>(n_cal),
                data.train.size() ? "training" : "validation");
  std::printf("\n");
  std::printf("%-32s %14s %10s", "type", first.c_str(), "gap");
  for (const auto& [name, v] : dense)
    if (name != first) std::printf(" %14s", name.c_str());
  std::printf("\n%-32s %14.6g %10s", "float32", dense.at(first), "-");
  for (const auto& [name, v] : dense)
    if (name != first) std::printf(" %14.6g", v);
  std::printf("\n");
  for (const auto& t : types) {
    const nn::FixedPointModel fixed(model, nn::FixedInferenceOptions{t, !args.default_weights, ranges});
    const std::vector<double> out = fixed.run(x);
    nn::Tensor pred(out_shape);
    for (std::size_t i = 0; i < pred.size(); ++i) pred[i] = static_cast<float>(out[i]);
    const Metrics m = task.score(pred, y);
    const double gap = dense.at(first) != 0 ? 100 * (m.at(first) / dense.at(first) - 1) : 0;
    std::printf("%-32s %14.6g %+9.1f%%", to_string(t).c_str(), m.at(first), gap);
    for (const auto& [name, v] : m)
      if (name != first) std::printf(" %14.6g", v);
    std::printf("\n");
  }
  return 0;
}

}  // namespace nac::cli
