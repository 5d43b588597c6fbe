// Commands that use a found model: nac show (its layers with shapes and costs), nac evaluate (a
// task's metrics on the task's data or a data file) and nac predict (inference on a data file's
// inputs, streamed in blocks of rows).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>

#include "cli_support.hpp"
#include "commands.hpp"
#include "nac/data/array_io.hpp"
#include "nac/dataset_task.hpp"
#include "nac/error.hpp"
#include "nac/model_cost.hpp"
#include "nac/nn/model_io.hpp"
#include "nac/nn/runtime.hpp"
#include "nac/nn/tensor.hpp"
#include "nac/nn/trainer.hpp"
#include "nac/registry.hpp"
#include "nac/text.hpp"

namespace nac::cli {

namespace fs = std::filesystem;

namespace {

ModelSpec spec_of(const std::string& file) {
  return fs::path(file).extension() == ".nacm" ? nn::load_model(file).spec() : nn::load_model_spec(file);
}

std::int64_t elements(const Shape& s) { return static_cast<std::int64_t>(nn::numel(s)); }

std::string precision_text(const LayerSpec& l) {
  std::string out;
  for (const auto& [role, type] : l.precision) out += (out.empty() ? "" : " ") + role + "=" + to_string(type);
  return out;
}

}  // namespace

int show(const std::string& model) {
  const ModelSpec spec = spec_of(model);
  std::map<std::string, LayerCost> costs;
  for (const LayerCost& c : layer_costs(spec)) costs[c.name] = c;
  std::printf("%s: input %s, output %s\n", model.c_str(), to_string(spec.input).c_str(),
              to_string(spec.output()).c_str());
  std::printf("%-28s %-11s %-14s %10s %12s %12s  %s\n", "layer", "op", "output", "params", "MACs", "BOPs",
              "precision, sparsity");
  const std::function<void(const std::vector<LayerSpec>&, int)> rows = [&](const std::vector<LayerSpec>& layers,
                                                                           int depth) {
    for (const LayerSpec& l : layers) {
      const std::string name = std::string(static_cast<std::size_t>(2 * depth), ' ') + l.name;
      const auto c = costs.find(l.name);
      const bool costed = c != costs.end() && l.children.empty();
      std::string notes = precision_text(l);
      if (l.sparsity > 0) {
        char b[32];
        std::snprintf(b, sizeof b, "sparsity %.3g", l.sparsity);
        notes += (notes.empty() ? "" : ", ") + std::string(b);
      }
      std::printf("%-28s %-11s %-14s %10s %12s %12s  %s\n", name.c_str(), l.op.c_str(), to_string(l.output).c_str(),
                  costed ? count_text(c->second.params).c_str() : "", costed ? count_text(c->second.macs).c_str() : "",
                  costed ? count_text(c->second.bops).c_str() : "", notes.c_str());
      rows(l.children, depth + 1);
    }
  };
  rows(spec.layers, 0);
  std::printf("%-28s %-11s %-14s %10s %12s %12s\n", "total", "", "", count_text(total_params(spec)).c_str(),
              count_text(total_macs(spec)).c_str(), count_text(total_bops(spec)).c_str());
  return 0;
}

int evaluate(const CommonOptions& common, const EvaluateArgs& args) {
  Registry registry;
  PluginLoader loader(registry);
  load_plugins(loader, common);
  nn::Model model = nn::load_model(args.model);
  const auto task_object = make_task(registry, args.task);
  const DatasetTask& task = as_dataset_task(*task_object, "nac evaluate");
  check_model_fits_task(model.spec(), task, args.model);
  if (args.threads) nn::set_threads(*args.threads);
  nn::Dataset data;
  std::string what;
  if (args.data) {
    const auto* files = dynamic_cast<const DataFiles*>(&task);
    if (!files) throw Error("--data: the task '" + args.task.name + "' reads no data files");
    data = files->read_data(*args.data);
    what = *args.data;
  } else {
    std::fprintf(stderr, "loading data...\n");
    TaskData t = task.load_data();
    data = args.split == "train"        ? std::move(t.train)
           : args.split == "validation" ? std::move(t.validation)
                                        : std::move(t.test);
    what = "the task's " + args.split + " split";
  }
  if (data.size() == 0) throw Error(what + " holds no samples");
  const Shape sample(data.inputs.shape().begin() + 1, data.inputs.shape().end());
  if (sample != model.spec().input)
    throw Error(what + ": samples of " + to_string(sample) + ", the model takes " + to_string(model.spec().input));
  const Metrics metrics = task.score(nn::predict(model, data.inputs, args.batch), data.targets);
  std::printf("%s on %s (%zu samples):\n", args.model.c_str(), what.c_str(), data.size());
  for (const auto& m : task.metrics())
    if (metrics.count(m.name))
      std::printf("  %-22s %.6g   %s\n", m.name.c_str(), metrics.at(m.name), m.description.c_str());
  return 0;
}

int predict(const CommonOptions& common, const EvaluateArgs& args, const std::string& array, const std::string& out) {
  nn::Model model = nn::load_model(args.model);
  // With --task, the outputs are written in the convention the task's settings give its data
  // files (e.g. bragg's label_origin and label_units), as its data files hold their targets.
  Registry registry;
  PluginLoader loader(registry);  // (keeps the task's library loaded while the task lives)
  std::unique_ptr<Task> task_object;
  const DataFiles* files = nullptr;
  if (!args.task.name.empty() || args.task.config || !args.task.settings.empty()) {
    load_plugins(loader, common);
    task_object = make_task(registry, args.task);
    const DatasetTask& task = as_dataset_task(*task_object, "nac predict --task");
    check_model_fits_task(model.spec(), task, args.model);
    files = dynamic_cast<const DataFiles*>(&task);
    if (!files)
      throw Error("--task: the task '" + args.task.name + "' reads no data files, so it has no file convention");
  }
  if (args.threads) nn::set_threads(*args.threads);
  const Shape& input = model.spec().input;
  const std::int64_t per = elements(input);
  const auto file = data::ArrayFile::open(*args.data);
  // The inputs: the named array, or the one array whose rows hold one sample each.
  std::string name = array;
  if (name.empty()) {
    std::vector<std::string> fitting;
    for (const std::string& n : file->names())
      if (file->dtype(n) != "string") {
        const Shape s = file->shape(n);
        if (!s.empty() && elements(Shape(s.begin() + 1, s.end())) == per) fitting.push_back(n);
      }
    if (fitting.size() != 1)
      throw Error(*args.data + ": " + (fitting.empty() ? "no array" : "several arrays (" + join(fitting) + ")") +
                  " with rows of " + std::to_string(per) + " values, the model's input " + to_string(input) +
                  "; name one with --array");
    name = fitting.front();
  }
  const Shape shape = file->shape(name);
  if (shape.empty() || elements(Shape(shape.begin() + 1, shape.end())) != per)
    throw Error(*args.data + ": array '" + name + "' is " + to_string(shape) + "; the model takes rows of " +
                to_string(input) + " (" + std::to_string(per) + " values)");
  const std::int64_t n = shape[0], outputs = elements(model.spec().output());
  const bool csv = fs::path(out).extension() == ".csv";
  if (!csv && fs::path(out).extension() != ".npy")
    throw Error("-o " + out + ": the predictions go to a .npy or .csv file");
  std::vector<float> result;
  std::ofstream text;
  if (csv) {
    text.open(out);
    if (!text) throw Error(out + ": cannot be written");
  } else {
    result.reserve(static_cast<std::size_t>(n * outputs));
  }
  const auto t0 = std::chrono::steady_clock::now();
  const std::int64_t block = std::max<std::int64_t>(args.batch, 65536 / std::max<std::int64_t>(1, per / 64));
  Shape batched{0};
  batched.insert(batched.end(), input.begin(), input.end());
  for (std::int64_t first = 0; first < n; first += block) {
    const std::int64_t count = std::min(block, n - first);
    const data::Array rows = file->read_rows(name, first, count);
    batched[0] = count;
    nn::Tensor x(batched);
    std::copy(rows.values.begin(), rows.values.end(), x.data());
    nn::Tensor y = nn::predict(model, x, args.batch);
    if (files) files->outputs_to_file_convention(y);
    if (csv) {
      char b[32];
      for (std::int64_t i = 0; i < count; ++i)
        for (std::int64_t k = 0; k < outputs; ++k) {
          std::snprintf(b, sizeof b, "%.9g", static_cast<double>(y[static_cast<std::size_t>(i * outputs + k)]));
          text << b << (k + 1 < outputs ? ',' : '\n');
        }
    } else {
      result.insert(result.end(), y.data(), y.data() + y.size());
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (csv) {
    text.close();
    if (!text) throw Error(out + ": cannot be written");
  } else {
    Shape o{n};
    for (auto d : model.spec().output()) o.push_back(d);
    data::write_arrays(out, {data::ArrayView{"predictions", o, {result.data(), result.size()}}});
  }
  std::fprintf(stderr, "%lld samples of '%s' in %.2f s (%.3g us per sample): %s\n", static_cast<long long>(n),
               name.c_str(), seconds, n ? 1e6 * seconds / static_cast<double>(n) : 0.0, out.c_str());
  return 0;
}

}  // namespace nac::cli
