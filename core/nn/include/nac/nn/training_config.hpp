#pragma once
// The [training] table of an experiment file: the recipe every candidate is trained with.
//
//   [training]
//   epochs = 50            batch = 256            loss = "mse"   # mse l1 huber cross_entropy
//   optimizer = "rmsprop"  lr = 1.5e-3            weight_decay = 0
//   momentum = 0           nesterov = false       betas = [0.9, 0.999]   eps = 1e-8
//   alpha = 0.99           centered = false       # rmsprop
//   schedule = "cosine"    # constant step exponential cosine plateau
//   lr_step_size = 10  lr_gamma = 0.1  lr_t_max = 0 (= epochs)  lr_min = 0
//   lr_factor = 0.1  lr_patience = 10  lr_threshold = 1e-4          # plateau
//   patience = 0           min_delta = 0          # early stopping; 0 = off
//   clip_norm = 0          seed = 0               threads = 0 (= leave as is)
#include <string>

#include "nac/config.hpp"
#include "nac/nn/trainer.hpp"
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac {

/// Reads and checks a training table; absent keys keep TrainConfig's defaults, except the loss,
/// which is `default_loss` (the task's, Task::default_loss) when the table names none.
nn::TrainConfig training_config(const ConfigTable& table, const std::string& default_loss = "mse");

}  // namespace nac
NAC_PUBLIC_END
