// The cpu backend: latency measurements of the engine's forwards, their report, and the objective.
#include <fstream>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "cpu_latency.hpp"
#include "nac/nn/model_io.hpp"
#include "nac/nn/runtime.hpp"
#include "nn_test_support.hpp"
#include "test_support.hpp"

using namespace nac;
using nac::test::layer;

namespace {

ModelSpec small_mlp() {
  ModelSpec spec;
  spec.input = {16};
  spec.layers = {layer("linear", "fc1", {{"out_features", Value(std::int64_t{32})}}), layer("relu", "a"),
                 layer("linear", "fc2", {{"out_features", Value(std::int64_t{2})}})};
  return spec;
}

}  // namespace

TEST_CASE("cpu latency: batch 1 and N in fp32, int8 exactly when layers are quantized to 8 bits") {
  cpu::TimingSettings s;
  s.batch = 64;
  s.min_seconds = 0.01;
  s.min_repeats = 25;
  nn::Model fp32(small_mlp(), 1);
  const cpu::LatencyReport r = cpu::measure_latency(fp32, s);
  REQUIRE(r.timings.size() == 2);  // no layer is quantized: no int8 timings
  CHECK(r.int8_layers.empty());
  CHECK(r.threads == nn::threads());
  for (const cpu::Timing& t : r.timings) {
    CHECK(t.precision == "fp32");
    CHECK(t.repeats >= 25);
    CHECK(t.p10_us <= t.median_us);
    CHECK(t.median_us <= t.p90_us);
    CHECK(t.median_us > 0);
    CHECK(t.samples_per_second() == doctest::Approx(1e6 * static_cast<double>(t.batch) / t.median_us));
  }
  CHECK(r.timings[0].batch == 1);
  CHECK(r.timings[1].batch == 64);

  // fc1's weights and input as 8-bit integers: it runs int8, fc2 does not.
  nn::Model q(small_mlp(), 1);
  q.set_precision("fc1", "weight", NumberType::scaled_int(8));
  q.set_precision("fc1", "input", NumberType::scaled_int(8));
  const cpu::LatencyReport ri = cpu::measure_latency(q, s);
  REQUIRE(ri.timings.size() == 4);
  CHECK(ri.int8_layers == std::vector<std::string>{"fc1"});
  CHECK(ri.timings[2].precision == "int8");
  CHECK(ri.timings[3].batch == 64);
  CHECK_FALSE(q.integer_inference());  // the switch is restored

  // The JSON holds every timing as measured.
  const nlohmann::json j = nlohmann::json::parse(cpu::to_json(ri));
  REQUIRE(j["timings"].size() == 4);
  CHECK(j["timings"][2]["precision"] == "int8");
  CHECK(j["timings"][1]["median_us"].get<double>() == ri.timings[1].median_us);
  CHECK(j["int8_layers"] == nlohmann::json::array({"fc1"}));
  CHECK(cpu::to_text(r).find("int8: no convolution or linear layer is quantized") != std::string::npos);
}

TEST_CASE("nac export cpu: cpu_latency.json and the summary - the objective in an experiment's objectives") {
  test::TempDir dir("cpu_backend");
  nn::Model m(small_mlp(), 2);
  nn::save_model(m, dir.path() / "m.nacm");
  const auto r = test::run_nac("export cpu " + (dir.path() / "m.nacm").string() + " --out " +
                               (dir.path() / "out").string() + " --set batch=32 --set min_seconds=0.01");
  INFO(r.out);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("fp32 batch 1: ") != std::string::npos);
  CHECK(r.out.find("fp32 batch 32: ") != std::string::npos);
  std::ifstream in(dir.path() / "out" / "cpu_latency.json");
  const nlohmann::json j = nlohmann::json::parse(in);
  CHECK(j["timings"].size() == 2);
  CHECK(j["threads"] == 1);
  const auto bad = test::run_nac("export cpu " + (dir.path() / "m.nacm").string() + " --out " +
                                 (dir.path() / "bad").string() + " --set batch=0");
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("batch") != std::string::npos);
  const auto described = test::run_nac("plugins --describe cpu_latency_us");
  CHECK(described.exit_code == 0);
  CHECK(described.out.find("min_seconds") != std::string::npos);
}
