#include "nac/nn/trainer.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <unistd.h>

#include "nac/error.hpp"
#include "nac/nn/profile.hpp"
#include "nac/nn/runtime.hpp"

namespace nac::nn {

using nac::to_string;

const char* to_string(TrainStatus s) {
  switch (s) {
    case TrainStatus::Completed: return "completed";
    case TrainStatus::EarlyStopped: return "early_stopped";
    case TrainStatus::Diverged: return "diverged";
    case TrainStatus::Stopped: return "stopped";
  }
  return "?";
}

namespace {

using Clock = std::chrono::steady_clock;

// Copies the rows `idx[from, to)` of `src` into `dst`.
void gather(const Tensor& src, const std::vector<std::size_t>& idx, std::size_t from, std::size_t to, Tensor& dst) {
  Shape shape = src.shape();
  shape[0] = static_cast<std::int64_t>(to - from);
  dst.resize(shape);
  const std::size_t row = src.sample_size();
  for (std::size_t k = from; k < to; ++k)
    std::memcpy(dst.data() + (k - from) * row, src.data() + idx[k] * row, row * sizeof(float));
}

void slice(const Tensor& src, std::size_t from, std::size_t to, Tensor& dst) {
  Shape shape = src.shape();
  shape[0] = static_cast<std::int64_t>(to - from);
  dst.resize(shape);
  const std::size_t row = src.sample_size();
  std::memcpy(dst.data(), src.data() + from * row, (to - from) * row * sizeof(float));
}

void check_data(const Dataset& d, const Model& m, const char* which) {
  if (d.size() == 0) throw Error(std::string("the ") + which + " set is empty");
  if (d.targets.rank() == 0 || static_cast<std::size_t>(d.targets.dim(0)) != d.size())
    throw Error(std::string("the ") + which + " set has " + std::to_string(d.size()) + " inputs but " +
                (d.targets.rank() ? std::to_string(d.targets.dim(0)) : std::string("no")) + " targets");
  const Shape sample(d.inputs.shape().begin() + 1, d.inputs.shape().end());
  if (sample != m.spec().input)
    throw Error(std::string("the ") + which + " set's samples are " + to_string(sample) + ", the model takes " +
                to_string(m.spec().input));
}

struct Snapshot {
  std::vector<Tensor> values;
  void take(Model& m) {
    values.clear();
    for (Param* p : m.params()) values.push_back(p->value());
    for (auto& [name, t] : m.buffers()) values.push_back(*t);
  }
  void restore(Model& m) const {
    std::size_t k = 0;
    for (Param* p : m.params()) {
      p->value() = values[k++];
      p->apply_mask();  // (a callback may have pruned more since)
    }
    for (auto& [name, t] : m.buffers()) *t = values[k++];
    m.refresh();
  }
};

}  // namespace

Tensor predict(Model& model, const Tensor& inputs, int batch) {
  const auto n = static_cast<std::size_t>(inputs.dim(0));
  Tensor out, chunk;
  for (std::size_t from = 0; from < n; from += static_cast<std::size_t>(batch)) {
    const std::size_t to = std::min(n, from + static_cast<std::size_t>(batch));
    slice(inputs, from, to, chunk);
    const Tensor& y = model.forward(chunk, false);
    if (from == 0) out.resize(batched(static_cast<std::int64_t>(n), Shape(y.shape().begin() + 1, y.shape().end())));
    std::memcpy(out.data() + from * y.sample_size(), y.data(), y.size() * sizeof(float));
  }
  return out;
}

double evaluate_loss(Model& model, const Dataset& data, const Loss& loss, int batch) {
  const Tensor pred = predict(model, data.inputs, batch);
  return compute_loss(loss, pred, data.targets, nullptr);
}

TrainResult train(Model& model, const Dataset& train_set, const Dataset& val_set, const TrainConfig& c) {
  if (c.epochs < 1) throw Error("training needs at least 1 epoch, found " + std::to_string(c.epochs));
  if (c.batch < 1) throw Error("the batch size must be at least 1, found " + std::to_string(c.batch));
  check_data(train_set, model, "training");
  check_data(val_set, model, "validation");
  if (c.threads > 0) set_threads(c.threads);
  auto optimizer = make_optimizer(c.optimizer);
  LrSchedule schedule(c.schedule, c.optimizer.lr, c.epochs);
  const bool progress = c.progress && isatty(STDERR_FILENO);

  TrainResult result;
  const auto t0 = Clock::now();
  Rng rng(c.seed);
  const std::size_t n = train_set.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  Tensor x, t, grad;
  Snapshot best;
  double best_loss = std::numeric_limits<double>::infinity();
  int since_best = 0;
  const auto params = model.params();
  for (TrainCallback* cb : c.callbacks) cb->on_train_begin(model, c);
  bool stop = false;

  for (int epoch = 0; epoch < c.epochs && !stop; ++epoch) {
    const auto e0 = Clock::now();
    const double lr = schedule.lr(epoch);
    for (TrainCallback* cb : c.callbacks) cb->on_epoch_begin(model, epoch);
    {
      const PhaseTimer timer("step: data (shuffle, gather)");
      for (std::size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);  // Fisher-Yates
    }
    double sum = 0;
    std::size_t seen = 0;
    for (std::size_t from = 0; from < n; from += static_cast<std::size_t>(c.batch)) {
      const std::size_t to = std::min(n, from + static_cast<std::size_t>(c.batch));
      {
        const PhaseTimer timer("step: data (shuffle, gather)");
        gather(train_set.inputs, order, from, to, x);
        gather(train_set.targets, order, from, to, t);
      }
      const Tensor* yp;
      {
        const PhaseTimer timer("step: forward");
        yp = &model.forward(x, true, &rng);
      }
      double l;
      {
        const PhaseTimer timer("step: loss");
        l = compute_loss(c.loss, *yp, t, &grad);
      }
      if (!std::isfinite(l)) {
        result.status = TrainStatus::Diverged;
        char buf[200];
        std::snprintf(buf, sizeof buf,
                      "training diverged: the loss became %s at epoch %d, batch %zu (learning rate %g)",
                      std::isnan(l) ? "NaN" : "infinite", epoch + 1, from / static_cast<std::size_t>(c.batch) + 1, lr);
        result.message = buf;
        break;
      }
      {
        const PhaseTimer timer("step: backward");
        model.backward(grad);
      }
      {
        const PhaseTimer timer("step: optimizer");
        if (c.clip_norm > 0) clip_gradients(params, c.clip_norm);
        optimizer->step(params, lr);
      }
      if (Profile* profile = active_profile()) profile->first_step_done();
      ++result.steps;
      for (TrainCallback* cb : c.callbacks) cb->on_step_end(model, result.steps, epoch);
      sum += l * static_cast<double>(to - from);
      seen += to - from;
    }
    result.samples_seen += seen;
    if (result.status == TrainStatus::Diverged) break;

    EpochRecord rec;
    rec.epoch = epoch + 1;
    rec.train_loss = sum / static_cast<double>(seen);
    rec.lr = lr;
    if (!c.validate_every_epoch && epoch + 1 < c.epochs) {  // validated after the last epoch only
      rec.val_loss = std::numeric_limits<double>::quiet_NaN();
      rec.seconds = std::chrono::duration<double>(Clock::now() - e0).count();
      result.history.push_back(rec);
      for (TrainCallback* cb : c.callbacks) stop = !cb->on_epoch_end(model, rec) || stop;
      if (stop) result.status = TrainStatus::Stopped;
      continue;
    }
    {
      const PhaseTimer timer("validation");
      const Tensor pred = predict(model, val_set.inputs, std::max(c.batch, 256));
      rec.val_loss = compute_loss(c.loss, pred, val_set.targets, nullptr);
      if (c.metrics) rec.metrics = c.metrics(pred, val_set.targets);
    }
    rec.seconds = std::chrono::duration<double>(Clock::now() - e0).count();
    result.history.push_back(rec);
    if (!std::isfinite(rec.val_loss)) {
      result.status = TrainStatus::Diverged;
      result.message = "training diverged: the validation loss became " +
                       std::string(std::isnan(rec.val_loss) ? "NaN" : "infinite") + " at epoch " +
                       std::to_string(epoch + 1);
      break;
    }
    schedule.observe(rec.val_loss);
    if (rec.val_loss < best_loss - c.min_delta) {
      best_loss = rec.val_loss;
      result.best_epoch = rec.epoch;
      const PhaseTimer timer("best weights (copies)");
      if (c.validate_every_epoch) best.take(model);  // (otherwise this is the last epoch: the model is it)
      since_best = 0;
    } else {
      ++since_best;
    }
    if (progress) {
      std::fprintf(stderr, "\r\033[Kepoch %d/%d | train %.5g | val %.5g | best %.5g (epoch %d) | lr %.3g | %.1f s",
                   rec.epoch, c.epochs, rec.train_loss, rec.val_loss, best_loss, result.best_epoch, lr,
                   std::chrono::duration<double>(Clock::now() - t0).count());
      std::fflush(stderr);
    }
    for (TrainCallback* cb : c.callbacks) stop = !cb->on_epoch_end(model, rec) || stop;
    if (stop) {
      result.status = TrainStatus::Stopped;
      break;
    }
    if (c.patience > 0 && since_best >= c.patience) {
      result.status = TrainStatus::EarlyStopped;
      break;
    }
  }
  if (progress) std::fputc('\n', stderr);
  if (result.best_epoch > 0 && c.validate_every_epoch) {  // the best weights, also after a divergence
    const PhaseTimer timer("best weights (copies)");
    best.restore(model);
  }
  result.best_val_loss = result.best_epoch > 0 ? best_loss : std::numeric_limits<double>::quiet_NaN();
  result.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  for (TrainCallback* cb : c.callbacks) cb->on_train_end(model, result);
  return result;
}

}  // namespace nac::nn
