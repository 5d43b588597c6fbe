// The `cpu` backend plugin: the model's inference latency on this CPU with nac's engine (oneDNN),
// at batch 1 and batch N, fp32 and int8 (docs/cpu_backend.md); and the objective cpu_latency_us.
//
//   [backend]
//   name = "cpu"
//   batch = 256          # the large batch
//   threads = 1          # engine threads while timing
//   min_seconds = 0.2    # per measurement, after a warm-up of 5 forwards
#include <filesystem>
#include <fstream>
#include <memory>

#include "cpu_latency.hpp"
#include "nac/backend.hpp"
#include "nac/error.hpp"
#include "nac/objective.hpp"
#include "nac/plugin.hpp"
#include "nac/nn/runtime.hpp"

namespace {

using namespace nac;
namespace fs = std::filesystem;

const Setting<std::int64_t> kBatch{
    .key = "batch", .fallback = 256, .range = Range::between(1, 1e6), .help = "the large batch (samples per forward)"};
const Setting<std::int64_t> kThreads{
    .key = "threads", .fallback = 1, .range = Range::between(1, 4096), .help = "engine threads while timing"};
const Setting<double> kMinSeconds{.key = "min_seconds",
                                  .fallback = 0.2,
                                  .range = Range::between(0, 3600),
                                  .help = "time per measurement (at least 20 forwards), after 5 forwards of warm-up"};
const Setting<std::int64_t> kObjectiveBatch{
    .key = "batch", .fallback = 1, .range = Range::between(1, 1e6), .help = "samples per timed forward"};
const Setting<double> kObjectiveSeconds{.key = "min_seconds",
                                        .fallback = 0.05,
                                        .range = Range::between(0, 3600),
                                        .help = "time per candidate (at least 20 forwards), after 5 of warm-up"};

cpu::TimingSettings timing(const ConfigTable& t, const Setting<std::int64_t>& batch, const Setting<double>& seconds) {
  cpu::TimingSettings s;
  s.batch = t.get(batch);
  s.min_seconds = t.get(seconds);
  return s;
}

class CpuBackend final : public Backend {
 public:
  CpuBackend(cpu::TimingSettings s, int threads) : s_(s), threads_(threads) {}
  std::string name() const override { return "cpu"; }
  BackendReport run(const BackendContext& context) override {
    if (!context.model) throw Error("the cpu backend needs the model");
    const int before = nn::threads();
    nn::set_threads(threads_);
    cpu::LatencyReport r;
    try {
      r = cpu::measure_latency(*context.model, s_);
    } catch (...) {
      nn::set_threads(before);
      throw;
    }
    nn::set_threads(before);
    fs::create_directories(context.out_dir);
    const fs::path file = context.out_dir / "cpu_latency.json";
    std::ofstream(file) << cpu::to_json(r);
    if (!fs::exists(file)) throw Error("cpu: cannot write " + file.string());
    BackendReport report;
    report.files.push_back(file);
    report.summary = "CPU inference latency with nac's engine (oneDNN), " + file.string() + ":\n" + cpu::to_text(r);
    if (!report.summary.empty() && report.summary.back() == '\n') report.summary.pop_back();
    for (const cpu::Timing& t : r.timings) {
      const std::string key = "latency_us_" + t.precision + "_b" + std::to_string(t.batch);
      report.estimates[key] = t.median_us;
      report.estimates["samples_per_second_" + t.precision + "_b" + std::to_string(t.batch)] = t.samples_per_second();
    }
    return report;
  }

 private:
  cpu::TimingSettings s_;
  int threads_;
};

// The candidate's median forward time on this CPU: a network built from its description (random
// weights: the time does not depend on their values), int8 where its precisions allow.
class CpuLatencyObjective final : public Objective {
 public:
  explicit CpuLatencyObjective(cpu::TimingSettings s) : s_(s) {}
  std::string name() const override { return "cpu_latency_us"; }
  Direction direction() const override { return Direction::Minimize; }
  double evaluate(const Candidate& c) const override {
    if (!c.model) throw Error("objective 'cpu_latency_us' needs a network; this task has none");
    nn::Model m(*c.model, 0);
    m.set_integer_inference(true);  // only the layers quantized to 8 bits or less run int8
    return cpu::time_forward(m, s_.batch, s_).median_us;
  }

 private:
  cpu::TimingSettings s_;
};

void register_factories(Registry& r) {
  r.add_backend(
      "cpu",
      [](const ConfigTable& t) {
        return std::make_unique<CpuBackend>(timing(t, kBatch, kMinSeconds), static_cast<int>(t.get(kThreads)));
      },
      "the model's inference latency on this CPU (oneDNN): batch 1 and batch N, fp32 and int8",
      describe_settings(kBatch, kThreads, kMinSeconds));
  r.add_objective(
      "cpu_latency_us",
      [](const ConfigTable& t) {
        return std::make_unique<CpuLatencyObjective>(timing(t, kObjectiveBatch, kObjectiveSeconds));
      },
      "measured median time of one forward of the candidate on this CPU, in microseconds (on the trial's threads; "
      "a measurement, so not reproducible bit for bit)",
      describe_settings(kObjectiveBatch, kObjectiveSeconds));
}

}  // namespace

NAC_PLUGIN("cpu", "1.0.0", "CPU backend: inference latency with oneDNN", register_factories)
