#include "nac/run/compression_stage.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "line_plot.hpp"
#include "nac/error.hpp"
#include "nac/model_cost.hpp"
#include "nac/nn/fold.hpp"
#include "nac/nn/loss.hpp"
#include "nac/nn/model_io.hpp"
#include "nac/ops.hpp"
#include "nac/registry.hpp"
#include "nac/text.hpp"

namespace nac {

namespace fs = std::filesystem;

CompressionConfig compression_config(const ConfigTable& t, const Registry& registry, bool in_search) {
  CompressionConfig c;
  c.compressors = t.strings("compressors", std::nullopt);
  if (c.compressors.empty())
    t.fail("compressors", "name at least one compressor, e.g. [\"qat\", \"magnitude_pruning\"]");
  for (auto b : t.integers("bits", std::vector<std::int64_t>{}, Range::between(2, 32))) {
    if (b > 16 && b != 32) t.fail("bits", "each bit width is 2 to 16, or 32 (float); found " + std::to_string(b));
    c.bits.push_back(static_cast<int>(b));
  }
  c.metric = t.string("metric", std::string());
  c.tolerance = t.real("tolerance", 0.05, Range::at_least(0));
  c.lr = t.real("lr", 0.0, Range::at_least(0));
  c.save_every_step =
      t.string("save", std::string(in_search ? "chosen" : "every_step"), {"every_step", "chosen"}) == "every_step";
  c.fold_batch_norms = t.boolean("fold_batch_norms", true);
  std::map<std::string, std::pair<CompressorFactory, ConfigTable>> makers;
  for (const auto& name : c.compressors) {
    const ConfigTable sub = t.table(name, false);
    const CompressorFactory& factory = registry.compressor(name);
    (void)factory(sub);  // its settings checked now, not after the first pass
    sub.finish();
    makers.emplace(name, std::make_pair(factory, sub));
  }
  t.finish();
  c.make = [makers = std::move(makers)](const std::string& name) {
    const auto& [factory, table] = makers.at(name);
    return factory(table);
  };
  return c;
}

void check_compression_metric(const ConfigTable& table, const CompressionConfig& config, const DatasetTask& task) {
  if (config.metric == "loss") return;
  const auto metrics = task.metrics();
  std::string known = "loss";
  for (const auto& m : metrics) {
    const bool chosen = config.metric.empty() ? &m == &metrics.front() : m.name == config.metric;
    if (chosen && m.direction != Direction::Minimize)
      table.fail("metric", "the task's '" + m.name +
                               "' is maximised; the tolerance compares a metric where lower is better (name one, or "
                               "\"loss\")");
    if (chosen) return;
    known += ", " + m.name;
  }
  if (config.metric.empty()) return;
  table.fail("metric", "'" + config.metric + "' is not a metric of the task; it reports " + known);
}

namespace {

int widest_weight(const ModelSpec& spec) {
  int w = 0;
  auto visit = [&](auto&& self, const std::vector<LayerSpec>& layers) -> void {
    for (const auto& l : layers) {
      if (find_op(l.op).container) self(self, l.children);
      else if (compressible(l)) w = std::max(w, precision_of(l, "weight").width);
    }
  };
  visit(visit, spec.layers);
  return w ? w : 32;
}

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? "\"\"" : std::string(1, c);
  return q + "\"";
}

std::string file_label(const std::string& s) {
  std::string out;
  for (char c : s) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out;
}

}  // namespace

CompressionReport run_compression(const fs::path& model_file, const DatasetTask& task, const TaskData& data,
                                  const nn::TrainConfig& recipe, const CompressionConfig& config, const fs::path& out,
                                  bool progress) {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  {
    std::error_code ec;
    fs::create_directories(config.save_every_step ? out / "models" : out, ec);
    if (ec) throw WriteError(out.string() + ": cannot be created: " + ec.message());
    fs::remove(out / "chosen.nacm", ec);  // an earlier run's choice is not this run's
  }
  std::vector<std::string> metric_names{"loss"};
  for (const auto& m : task.metrics()) metric_names.push_back(m.name);
  const std::string metric = config.metric.empty() ? metric_names.at(metric_names.size() > 1 ? 1 : 0) : config.metric;
  if (std::find(metric_names.begin(), metric_names.end(), metric) == metric_names.end()) {
    std::string known;
    for (const auto& n : metric_names) known += (known.empty() ? "" : ", ") + n;
    throw Error("[compression] metric '" + metric + "': the task reports " + known);
  }
  auto evaluate = [&](nn::Model& m) {
    const nn::Tensor pred = nn::predict(m, data.validation.inputs, 256);
    Metrics r = task.score(pred, data.validation.targets);
    r["loss"] = nn::compute_loss(recipe.loss, pred, data.validation.targets, nullptr);
    return r;
  };
  auto fine_tune = [&](nn::Model& m, int epochs, const std::vector<nn::TrainCallback*>& callbacks) {
    nn::TrainConfig c = recipe;
    c.epochs = epochs;
    if (config.lr > 0) c.optimizer.lr = config.lr;
    c.callbacks = callbacks;
    c.progress = false;
    c.metrics = nullptr;
    const nn::TrainResult r = nn::train(m, data.train, data.validation, c);
    return FineTuneOutcome{r.status == nn::TrainStatus::Diverged, r.message, static_cast<int>(r.history.size())};
  };

  CompressionReport report;
  {
    nn::Model dense = nn::load_model(model_file);
    report.dense = evaluate(dense);
    report.dense_bops = total_bops(dense.spec());
  }
  const double reference = report.dense.at(metric);
  const fs::path csv = out / "compression.csv";
  {
    std::ofstream f(csv);
    f << "bits,weight_bits,compressor,step,round,sparsity,status";
    for (const auto& n : metric_names) f << ',' << n;
    f << ",bops,effective_bops,model,message\n";
    f << "32,32,dense,dense,0,0,ok";
    for (const auto& n : metric_names) f << ',' << fmt(report.dense.count(n) ? report.dense.at(n) : NAN);
    f << ',' << fmt(report.dense_bops) << ',' << fmt(report.dense_bops) << ',' << csv_field(model_file.string())
      << ",\n";
    if (!f) throw WriteError(csv.string() + ": cannot be written");
  }
  if (progress) std::fprintf(stderr, "dense: %s %.5g, %.4g BOPs\n", metric.c_str(), reference, report.dense_bops);

  const std::vector<int> sweep = config.bits.empty() ? std::vector<int>{0} : config.bits;
  const nn::Tensor& inputs = data.train.inputs;
  const bool nonnegative = std::all_of(inputs.data(), inputs.data() + inputs.size(), [](float v) { return v >= 0; });
  for (int bits : sweep) {
    nn::Model model = nn::load_model(model_file);
    if (config.fold_batch_norms) {
      nn::FoldResult folded = [&] {
        try {
          return nn::fold_batch_norms(model);
        } catch (const Error& e) {
          throw Error(std::string("compression: ") + e.what() + " (or set fold_batch_norms = false)");
        }
      }();
      if (progress && !folded.folded.empty() && bits == sweep.front())
        std::fprintf(stderr, "batch norms folded into the layers before them: %s\n", join(folded.folded).c_str());
      model = std::move(folded.model);
    }
    for (const auto& name : config.compressors) {
      const auto compressor = config.make(name);
      bool failed = false;
      auto on_step = [&](const CompressionStep& step, nn::Model& m) {
        CompressionRow row;
        row.sweep_bits = bits;
        row.weight_bits = widest_weight(m.spec());
        row.compressor = name;
        row.step = step;
        row.bops = total_bops(m.spec());
        row.effective_bops = total_effective_bops(m.spec());
        const std::string file = "models/" + (bits ? std::to_string(bits) + "bits_" : std::string()) + name + "_" +
                                 file_label(step.label) + ".nacm";
        if (config.save_every_step) {
          row.model_file = file;
          nn::save_model(m, out / file);
        }
        std::ofstream f(csv, std::ios::app);
        f << (bits ? std::to_string(bits) : std::string("-")) << ',' << row.weight_bits << ',' << name << ','
          << csv_field(step.label) << ',' << step.round << ',' << fmt(step.sparsity) << ','
          << (step.failed ? "failed" : "ok");
        for (const auto& n : metric_names) f << ',' << fmt(step.metrics.count(n) ? step.metrics.at(n) : NAN);
        f << ',' << fmt(row.bops) << ',' << fmt(row.effective_bops) << ',' << row.model_file << ','
          << csv_field(step.message) << '\n';
        if (!f) throw WriteError(csv.string() + ": cannot be written");
        // The chosen step so far (the fewest BOPs within the tolerance), saved as it is found,
        // after its row.
        const bool within =
            !step.failed && step.metrics.count(metric) && step.metrics.at(metric) <= reference * (1 + config.tolerance);
        if (within && (report.chosen < 0 || row.bops < report.rows[static_cast<std::size_t>(report.chosen)].bops)) {
          report.chosen = static_cast<int>(report.rows.size());
          report.chosen_spec = m.spec();
          nn::save_model(m, out / "chosen.nacm");
        }
        failed = failed || step.failed;
        if (progress) {
          const double v = step.metrics.count(metric) ? step.metrics.at(metric) : NAN;
          std::fprintf(stderr,
                       "%s | %s %s | sparsity %.1f%% | %s %.5g (dense %.5g) | %.4g BOPs (%.1fx fewer) | %.0f s%s\n",
                       bits ? (std::to_string(bits) + " bits").c_str() : "as configured", name.c_str(),
                       step.label.c_str(), 100 * step.sparsity, metric.c_str(), v, reference, row.bops,
                       report.dense_bops / row.bops, std::chrono::duration<double>(Clock::now() - t0).count(),
                       step.failed ? (" | FAILED: " + step.message).c_str() : "");
        }
        report.rows.push_back(std::move(row));
      };
      CompressionContext ctx{model, evaluate, fine_tune,   metric,     reference, config.tolerance,
                             bits,  on_step,  recipe.seed, nonnegative};
      try {
        compressor->compress(ctx);
      } catch (const WriteError&) {
        throw;
      } catch (const Error& e) {
        throw Error("compression: " + name + (bits ? " at " + std::to_string(bits) + " bits" : std::string()) + ": " +
                    e.what());
      }
      if (failed) break;  // the chain stops for this bit width; its finished rows stay
    }
  }

  nlohmann::ordered_json summary{{"model", model_file.string()},    {"metric", metric},
                                 {"tolerance", config.tolerance},   {"dense", report.dense},
                                 {"dense_bops", report.dense_bops}, {"steps", report.rows.size()}};
  if (report.chosen >= 0) {
    const auto& c = report.rows[static_cast<std::size_t>(report.chosen)];
    summary["chosen"] = {{"model", c.model_file.empty() ? std::string("chosen.nacm") : c.model_file},
                         {"bits", c.sweep_bits},
                         {"weight_bits", c.weight_bits},
                         {"compressor", c.compressor},
                         {"step", c.step.label},
                         {"sparsity", c.step.sparsity},
                         {"metrics", c.step.metrics},
                         {"bops", c.bops},
                         {"effective_bops", c.effective_bops},
                         {"bops_reduction", report.dense_bops / c.bops}};
  }
  {
    std::ofstream f(out / "summary.json");
    f << summary.dump(2) << '\n';
    if (!f) throw WriteError((out / "summary.json").string() + ": cannot be written");
  }

  // The papers' figure: the metric against sparsity per bit width, and against BOPs.
  LinePanel by_sparsity{
      metric + " against sparsity", "sparsity of the prunable weights", metric, false, {}, reference, "dense"};
  LinePanel by_bops{metric + " against BOPs", "BOPs", metric, true, {}, reference, "dense"};
  if (reference > 0) by_sparsity.y_max = by_bops.y_max = 3 * reference;  // collapsed rounds: on the top edge
  std::map<int, std::size_t> series;
  for (const auto& r : report.rows) {
    if (r.step.failed || !r.step.metrics.count(metric)) continue;
    const int key = r.sweep_bits ? r.sweep_bits : r.weight_bits;
    if (!series.count(key)) {
      series[key] = by_sparsity.series.size();
      const std::string label = key == 32 ? "float32" : std::to_string(key) + " bits";
      by_sparsity.series.push_back({label, {}});
      by_bops.series.push_back({label, {}});
    }
    by_sparsity.series[series[key]].points.emplace_back(r.step.sparsity, r.step.metrics.at(metric));
    by_bops.series[series[key]].points.emplace_back(r.bops, r.step.metrics.at(metric));
  }
  write_line_plot(out / "compression.svg", "compression of " + model_file.filename().string(), {by_sparsity, by_bops});
  return report;
}

}  // namespace nac
