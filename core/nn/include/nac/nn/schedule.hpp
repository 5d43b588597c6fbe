#pragma once
// Learning-rate schedules, stepped once per epoch (epoch 0 uses the base rate), as PyTorch's:
//   constant
//   step:        lr0 * gamma^floor(epoch / step_size)
//   exponential: lr0 * gamma^epoch
//   cosine:      eta_min + (lr0 - eta_min) (1 + cos(pi * epoch / t_max)) / 2
//   plateau:     multiply by `factor` when the validation loss has not improved by more than
//                `threshold` (relative) for `patience` epochs; never below min_lr
#include <string>
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac::nn {

struct ScheduleConfig {
  std::string kind = "constant";  // constant step exponential cosine plateau
  int step_size = 10;
  double gamma = 0.1;  // step: 0.1; exponential: set it (e.g. 0.95)
  int t_max = 0;       // cosine: 0 means the number of epochs
  double eta_min = 0;
  double factor = 0.1;  // plateau
  int patience = 10;
  double threshold = 1e-4;
  double min_lr = 0;
};

class LrSchedule {
 public:
  /// Throws nac::Error for an unknown kind or invalid settings.
  LrSchedule(ScheduleConfig config, double base_lr, int epochs);
  /// The learning rate for an epoch (0-based).
  double lr(int epoch) const;
  /// Tells a plateau schedule the validation loss at the end of an epoch.
  void observe(double validation_loss);

 private:
  ScheduleConfig c_;
  double base_;
  double plateau_lr_;
  double best_;
  int bad_epochs_ = 0;
};

}  // namespace nac::nn
NAC_PUBLIC_END
