#pragma once
// The local stage's search space: a training recipe's settings as parameters (docs/pipeline.md).
//
//   [stage.local.space]            # each key: a range, a list of choices, or a fixed value
//   optimizer = ["sgd", "adam", "rmsprop"]
//   lr = { low = 1e-5, high = 5e-3, log = true }
//   weight_decay = 0               # fixed (not searched)
//   defaults = true                # keys not listed keep Morph's ranges (false: the base recipe's value)
//
// The defaults are Morph's HPO.py ranges (the seeds' local search): lr 1e-5 to 5e-3 (log), weight
// decay 1e-9 to 1e-3 (log), momentum 0 to 0.99, schedule step (step size 1 to epochs, gamma 0.1 to
// 1), cosine (period 1 to epochs) or exponential (gamma 0.1 to 1); Morph's SGD joined by Adam and
// RMSprop (nac's global recipe). Settings that apply to some choices only (momentum to SGD and
// RMSprop, a schedule's own settings) are conditional on them.
#include <memory>
#include <string>
#include <vector>

#include "nac/assignment.hpp"
#include "nac/config.hpp"
#include "nac/nn/trainer.hpp"
#include "nac/search_space.hpp"
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac {

class RecipeSpace {
 public:
  /// `space`: the [stage.local.space] table (an empty table: the defaults); `base`: the recipe the
  /// values are put into (the experiment's [training]), read with `default_loss` as training_config
  /// reads it. Throws nac::Error naming the key for an unknown setting, a bad range or a setting
  /// that cannot apply (momentum with optimizer = "adam" fixed).
  RecipeSpace(const ConfigTable& space, const ConfigTable& base, std::string default_loss);

  std::shared_ptr<const SearchSpace> space() const { return space_; }
  /// The base recipe with the assignment's values (and the fixed ones). Throws nac::Error for a
  /// combination training_config refuses.
  nn::TrainConfig apply(const Assignment& params) const;
  /// The base recipe itself.
  nn::TrainConfig base() const;
  /// The settings an assignment changes, as "key=value" (for tables and reports).
  static std::string describe(const Assignment& params);

 private:
  nn::TrainConfig read(const toml::table& table) const;

  std::shared_ptr<toml::table> base_;  // the base [training] table with the fixed values
  std::string file_, default_loss_;
  std::shared_ptr<const SearchSpace> space_;
};

}  // namespace nac
NAC_PUBLIC_END
