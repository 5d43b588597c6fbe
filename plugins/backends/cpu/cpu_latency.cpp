#include "cpu_latency.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "nac/nn/runtime.hpp"
#include "nac/rng.hpp"

namespace nac::cpu {

namespace {

nn::Tensor random_batch(const Shape& input, std::int64_t batch) {
  Shape shape{batch};
  shape.insert(shape.end(), input.begin(), input.end());
  nn::Tensor x(shape);
  Rng rng(1);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(rng.uniform(-1, 1));
  return x;
}

double quantile(std::vector<double> v, double q) {  // of a non-empty sample, by the nearest rank
  std::sort(v.begin(), v.end());
  const auto k = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(k, v.size() - 1)];
}

}  // namespace

Timing time_forward(nn::Model& model, std::int64_t batch, const TimingSettings& s) {
  const nn::Tensor x = random_batch(model.spec().input, batch);
  for (std::int64_t i = 0; i < s.warmup; ++i) (void)model.forward(x, false);
  using clock = std::chrono::steady_clock;
  std::vector<double> us;
  const auto start = clock::now();
  while (static_cast<std::int64_t>(us.size()) < s.min_repeats ||
         std::chrono::duration<double>(clock::now() - start).count() < s.min_seconds) {
    const auto t0 = clock::now();
    (void)model.forward(x, false);
    us.push_back(std::chrono::duration<double, std::micro>(clock::now() - t0).count());
  }
  Timing t;
  t.precision = model.integer_inference() ? "int8" : "fp32";
  t.batch = batch;
  t.repeats = static_cast<std::int64_t>(us.size());
  t.median_us = quantile(us, 0.5);
  t.p10_us = quantile(us, 0.1);
  t.p90_us = quantile(us, 0.9);
  return t;
}

LatencyReport measure_latency(nn::Model& model, const TimingSettings& s) {
  LatencyReport r;
  r.threads = nn::threads();
  const bool was_integer = model.integer_inference();
  try {
    model.set_integer_inference(false);
    r.timings.push_back(time_forward(model, 1, s));
    if (s.batch > 1) r.timings.push_back(time_forward(model, s.batch, s));
    model.set_integer_inference(true);
    (void)model.forward(random_batch(model.spec().input, 1), false);
    r.int8_layers = model.integer_layers();
    if (!r.int8_layers.empty()) {
      r.timings.push_back(time_forward(model, 1, s));
      if (s.batch > 1) r.timings.push_back(time_forward(model, s.batch, s));
    }
  } catch (...) {
    model.set_integer_inference(was_integer);
    throw;
  }
  model.set_integer_inference(was_integer);
  return r;
}

std::string to_json(const LatencyReport& r) {
  nlohmann::json j;
  j["threads"] = r.threads;
  j["int8_layers"] = r.int8_layers;
  j["timings"] = nlohmann::json::array();
  for (const Timing& t : r.timings)
    j["timings"].push_back({{"precision", t.precision},
                            {"batch", t.batch},
                            {"repeats", t.repeats},
                            {"median_us", t.median_us},
                            {"p10_us", t.p10_us},
                            {"p90_us", t.p90_us},
                            {"samples_per_second", t.samples_per_second()}});
  return j.dump(2) + "\n";
}

std::string to_text(const LatencyReport& r) {
  std::string out;
  char line[200];
  for (const Timing& t : r.timings) {
    std::snprintf(line, sizeof line,
                  "%s batch %lld: %.1f us per forward (p10 %.1f, p90 %.1f; %lld runs), %.0f samples/s\n",
                  t.precision.c_str(), static_cast<long long>(t.batch), t.median_us, t.p10_us, t.p90_us,
                  static_cast<long long>(t.repeats), t.samples_per_second());
    out += line;
  }
  out += r.int8_layers.empty() ? std::string("int8: no convolution or linear layer is quantized to 8 bits or less\n")
                               : "int8 layers: " + std::to_string(r.int8_layers.size()) + "\n";
  out += "threads: " + std::to_string(r.threads) + "\n";
  return out;
}

}  // namespace nac::cpu
