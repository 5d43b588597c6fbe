#include "nac/nn/training_config.hpp"

namespace nac {

nn::TrainConfig training_config(const ConfigTable& t, const std::string& default_loss) {
  nn::TrainConfig c;
  c.epochs = static_cast<int>(t.integer("epochs", c.epochs, Range::between(1, 1e6)));
  c.batch = static_cast<int>(t.integer("batch", c.batch, Range::between(1, 1e7)));
  c.loss = nn::loss_from_name(t.string("loss", default_loss, {"mse", "l1", "huber", "cross_entropy"}));
  c.loss.huber_delta = t.real("huber_delta", 1.0, Range::above(0));
  auto& o = c.optimizer;
  o.kind = t.string("optimizer", o.kind, {"sgd", "adam", "adamw", "rmsprop"});
  o.lr = t.real("lr", o.lr, Range::above(0));
  o.weight_decay = t.real("weight_decay", o.kind == "adamw" ? 0.01 : 0.0, Range::at_least(0));
  o.momentum = t.real("momentum", o.momentum, Range{0, 1, false, true});
  o.nesterov = t.boolean("nesterov", o.nesterov);
  if (o.nesterov && (o.kind != "sgd" || o.momentum == 0))
    t.fail("nesterov", "Nesterov momentum needs optimizer = \"sgd\" and momentum > 0");
  const auto betas = t.reals("betas", std::vector<double>{o.beta1, o.beta2}, Range{0, 1, false, true});
  if (betas.size() != 2) t.fail("betas", "expected two numbers, found " + std::to_string(betas.size()));
  o.beta1 = betas[0];
  o.beta2 = betas[1];
  o.eps = t.real("eps", o.eps, Range::above(0));
  o.alpha = t.real("alpha", o.alpha, Range{0, 1, false, true});
  o.centered = t.boolean("centered", o.centered);
  auto& s = c.schedule;
  s.kind = t.string("schedule", s.kind, {"constant", "step", "exponential", "cosine", "plateau"});
  s.step_size = static_cast<int>(t.integer("lr_step_size", s.step_size, Range::at_least(1)));
  s.gamma = t.real("lr_gamma", s.kind == "exponential" ? 0.95 : s.gamma, Range::above(0));
  s.t_max = static_cast<int>(t.integer("lr_t_max", 0, Range::at_least(0)));
  s.eta_min = t.real("lr_min", s.eta_min, Range::at_least(0));
  s.factor = t.real("lr_factor", s.factor, Range{0, 1, true, true});
  s.patience = static_cast<int>(t.integer("lr_patience", s.patience, Range::at_least(0)));
  s.threshold = t.real("lr_threshold", s.threshold, Range::at_least(0));
  s.min_lr = s.eta_min;
  c.patience = static_cast<int>(t.integer("patience", 0, Range::at_least(0)));
  c.min_delta = t.real("min_delta", 0, Range::at_least(0));
  c.clip_norm = t.real("clip_norm", 0, Range::at_least(0));
  c.validate_every_epoch = t.string("validate", "every_epoch", {"every_epoch", "last_epoch"}) == "every_epoch";
  if (!c.validate_every_epoch && c.patience > 0)
    t.fail("validate", "\"last_epoch\" leaves early stopping nothing to watch: set patience = 0");
  if (!c.validate_every_epoch && s.kind == "plateau")
    t.fail("validate", "\"last_epoch\" leaves the plateau schedule nothing to watch");
  c.seed = static_cast<std::uint64_t>(t.integer("seed", 0, Range::at_least(0)));
  c.threads = static_cast<int>(t.integer("threads", 0, Range::between(0, 1024)));
  return c;
}

}  // namespace nac
