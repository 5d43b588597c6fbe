#include "nac/nn/schedule.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "nac/error.hpp"

namespace nac::nn {

LrSchedule::LrSchedule(ScheduleConfig c, double base_lr, int epochs)
    : c_(std::move(c)), base_(base_lr), plateau_lr_(base_lr), best_(std::numeric_limits<double>::infinity()) {
  auto bad = [&](const std::string& why) { throw Error("schedule '" + c_.kind + "': " + why); };
  if (c_.kind == "cosine" && c_.t_max <= 0) c_.t_max = std::max(1, epochs);
  if (c_.kind == "step" && c_.step_size < 1) bad("step_size must be at least 1");
  if ((c_.kind == "step" || c_.kind == "exponential") && !(c_.gamma > 0)) bad("gamma must be positive");
  if (c_.kind == "plateau" && !(c_.factor > 0 && c_.factor < 1)) bad("factor must be in (0, 1)");
  if (c_.kind == "plateau" && c_.patience < 0) bad("patience must not be negative");
  if (c_.kind != "constant" && c_.kind != "step" && c_.kind != "exponential" && c_.kind != "cosine" &&
      c_.kind != "plateau")
    throw Error("unknown schedule '" + c_.kind + "'; known: constant, step, exponential, cosine, plateau");
}

double LrSchedule::lr(int epoch) const {
  if (c_.kind == "step") return base_ * std::pow(c_.gamma, epoch / c_.step_size);
  if (c_.kind == "exponential") return base_ * std::pow(c_.gamma, epoch);
  if (c_.kind == "cosine") {
    const int e = std::min(epoch, c_.t_max);
    return c_.eta_min + (base_ - c_.eta_min) * (1 + std::cos(M_PI * e / c_.t_max)) / 2;
  }
  if (c_.kind == "plateau") return plateau_lr_;
  return base_;
}

void LrSchedule::observe(double loss) {
  if (c_.kind != "plateau" || !std::isfinite(loss)) return;
  if (loss < best_ * (1 - c_.threshold)) {
    best_ = loss;
    bad_epochs_ = 0;
    return;
  }
  if (++bad_epochs_ > c_.patience) {
    plateau_lr_ = std::max(c_.min_lr, plateau_lr_ * c_.factor);
    bad_epochs_ = 0;
  }
}

}  // namespace nac::nn
