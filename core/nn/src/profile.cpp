#include "nac/nn/profile.hpp"

#include <cstdio>

#include "nac/model_cost.hpp"

namespace nac::nn {

namespace {
thread_local Profile* g_active = nullptr;

std::string line(const char* fmt, auto... args) {
  char buf[256];
  std::snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}
}  // namespace

Profile* active_profile() { return g_active; }

ProfileScope::ProfileScope(Profile& p) : saved_(g_active) { g_active = &p; }
ProfileScope::~ProfileScope() { g_active = saved_; }

void Profile::add_layer(const std::string& name, const std::string& op, bool backward, bool training,
                        std::int64_t samples, double seconds) {
  auto [it, fresh] = index_.try_emplace(name, layers_.size());
  if (fresh) layers_.push_back(LayerTimes{.name = name, .op = op, .depth = depth_});
  LayerTimes& l = layers_[it->second];
  if (backward) {
    l.backward += seconds;
    l.backward_samples += samples;
  } else if (training) {
    l.train_forward += seconds;
    l.train_samples += samples;
  } else {
    l.eval_forward += seconds;
    l.eval_samples += samples;
  }
}

void Profile::add_phase(const std::string& phase, double seconds) {
  for (auto& [name, s] : phases_)
    if (name == phase) return void(s += seconds);
  phases_.emplace_back(phase, seconds);
}

double Profile::phase(const std::string& name) const {
  for (const auto& [n, s] : phases_)
    if (n == name) return s;
  return 0;
}

void Profile::count_allocation(std::size_t bytes) {
  ++allocations_;
  allocated_bytes_ += bytes;
  if (first_step_done_) ++later_allocations_;
}

std::string Profile::report(const ModelSpec& spec, double total_seconds, std::int64_t steps) const {
  std::string out;
  const double total = total_seconds > 0 ? total_seconds : 1;
  out += line("%-34s %10s %7s\n", "where the time went", "seconds", "share");
  double accounted = 0;
  for (const auto& [name, s] : phases_) {
    const bool inner = name.rfind("in layers:", 0) == 0;
    if (!inner) accounted += s;
    out += line("%-34s %10.3f %6.1f%%\n", (inner ? "  " + name : name).c_str(), s, 100 * s / total);
  }
  out +=
      line("%-34s %10.3f %6.1f%%\n", "other (set-up, metrics)", total - accounted, 100 * (total - accounted) / total);
  out += line("%-34s %10.3f\n", "total", total_seconds);
  out += line("tensor allocations: %lld (%.1f MB), %lld of them after the first training step\n\n",
              static_cast<long long>(allocations_), static_cast<double>(allocated_bytes_) / 1e6,
              static_cast<long long>(later_allocations_));

  std::map<std::string, double> macs;
  for (const LayerCost& c : layer_costs(spec)) macs[c.name] = c.macs;
  double layer_total = 0;
  for (const LayerTimes& l : layers_)
    if (l.depth == 0) layer_total += l.train_forward + l.backward + l.eval_forward;
  if (layer_total <= 0) layer_total = 1;
  const double per_step = steps > 0 ? 1e3 / static_cast<double>(steps) : 0;
  out += line("%-28s %-20s %9s %9s %9s %6s %10s %8s\n", "layer", "op", "fwd ms", "bwd ms", "eval ms", "share", "MACs",
              "GFLOP/s");
  out += line("%-28s %-20s %9s %9s %9s %6s %10s %8s\n", "", "", "per step", "per step", "per step", "", "/sample",
              "train");
  for (const LayerTimes& l : layers_) {
    const double t = l.train_forward + l.backward + l.eval_forward;
    double m = 0;
    for (const auto& [name, v] : macs)  // a container's MACs are those of its children
      if (name == l.name || name.rfind(l.name + ".", 0) == 0) m += v;
    // Training: 2 FLOPs per MAC forward, 4 backward (data and weights).
    const double flops = 2 * m * static_cast<double>(l.train_samples) + 4 * m * static_cast<double>(l.backward_samples);
    const double secs = l.train_forward + l.backward;
    const std::string name = std::string(static_cast<std::size_t>(2 * l.depth), ' ') + l.name;
    out += line("%-28s %-20s %9.3f %9.3f %9.3f %5.1f%% %10.0f %8s\n", name.c_str(), l.op.c_str(),
                l.train_forward * per_step, l.backward * per_step, l.eval_forward * per_step, 100 * t / layer_total, m,
                m > 0 && secs > 0 ? line("%.1f", flops / secs / 1e9).c_str() : "");
  }
  return out;
}

}  // namespace nac::nn
