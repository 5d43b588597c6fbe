// Losses, optimizers and schedules against hand computations; training that learns; divergence,
// early stopping and determinism; the model file round trip.
#include <cmath>
#include <cstring>
#include <fstream>

#include <doctest/doctest.h>

#include "nac/error.hpp"
#include "nac/nn/model_io.hpp"
#include "nac/nn/runtime.hpp"
#include "nac/nn/training_config.hpp"
#include "nac/nn/trainer.hpp"
#include "test_support.hpp"

using namespace nac;
using namespace nac::nn;
using I = std::int64_t;

namespace {

Tensor make(Shape s, std::vector<float> v) {
  Tensor t(std::move(s));
  for (std::size_t i = 0; i < v.size(); ++i) t[i] = v[i];
  return t;
}

ModelSpec mlp(std::int64_t in, std::int64_t hidden, std::int64_t out, const std::string& act = "tanh") {
  ModelSpec s;
  s.input = {in};
  append_layer(s, "linear", "l1", {{"out_features", hidden}});
  append_layer(s, act, "a1");
  append_layer(s, "linear", "l2", {{"out_features", hidden}});
  append_layer(s, act, "a2");
  append_layer(s, "linear", "l3", {{"out_features", out}});
  return s;
}

// y = sin(2 x0) + x1^2 - 0.5 x2 on [-1, 1]^3.
Dataset regression(std::size_t n, std::uint64_t seed) {
  Rng rng(seed);
  Dataset d{Tensor({static_cast<I>(n), 3}), Tensor({static_cast<I>(n), 1})};
  for (std::size_t i = 0; i < n; ++i) {
    float x[3];
    for (float& v : x) v = static_cast<float>(rng.uniform(-1, 1));
    std::memcpy(d.inputs.data() + 3 * i, x, sizeof x);
    d.targets[i] = std::sin(2 * x[0]) + x[1] * x[1] - 0.5f * x[2];
  }
  return d;
}

double variance(const Tensor& t) {
  double mean = 0, v = 0;
  for (std::size_t i = 0; i < t.size(); ++i) mean += t[i];
  mean /= static_cast<double>(t.size());
  for (std::size_t i = 0; i < t.size(); ++i) v += (t[i] - mean) * (t[i] - mean);
  return v / static_cast<double>(t.size());
}

}  // namespace

TEST_CASE("losses by hand and their gradients by finite differences") {
  const Tensor y = make({2, 2}, {1.0f, 2.0f, 0.5f, -3.0f}), t = make({2, 2}, {0.0f, 2.5f, 0.5f, 0.0f});
  Tensor g;
  // MSE: (1 + 0.25 + 0 + 9) / 4
  CHECK(compute_loss(Loss{LossKind::Mse}, y, t, &g) == doctest::Approx(10.25 / 4));
  CHECK(g[0] == doctest::Approx(2 * 1.0 / 4));
  // L1: (1 + 0.5 + 0 + 3) / 4
  CHECK(compute_loss(Loss{LossKind::L1}, y, t, &g) == doctest::Approx(4.5 / 4));
  CHECK(g[3] == doctest::Approx(-0.25));
  // Huber (delta 1): 0.5 + 0.125 + 0 + (3 - 0.5), over 4
  CHECK(compute_loss(Loss{LossKind::Huber}, y, t, &g) == doctest::Approx(3.125 / 4));
  // Cross-entropy with class indices: -log softmax.
  const Tensor logits = make({2, 3}, {1.0f, 2.0f, 3.0f, 0.0f, 0.0f, 0.0f}), labels = make({2}, {2.0f, 0.0f});
  const double l0 = -std::log(std::exp(3.0) / (std::exp(1.0) + std::exp(2.0) + std::exp(3.0))), l1 = std::log(3.0);
  CHECK(compute_loss(Loss{LossKind::CrossEntropy}, logits, labels, &g) == doctest::Approx((l0 + l1) / 2));
  for (LossKind k : {LossKind::Mse, LossKind::L1, LossKind::Huber, LossKind::CrossEntropy}) {
    CAPTURE(to_string(k));
    Tensor z = k == LossKind::CrossEntropy ? logits : y;
    const Tensor& target = k == LossKind::CrossEntropy ? labels : t;
    compute_loss(Loss{k}, z, target, &g);
    for (std::size_t i = 0; i < z.size(); ++i) {
      const float keep = z[i];
      z[i] = keep + 1e-3f;
      const double up = compute_loss(Loss{k}, z, target, nullptr);
      z[i] = keep - 1e-3f;
      const double down = compute_loss(Loss{k}, z, target, nullptr);
      z[i] = keep;
      CHECK(g[i] == doctest::Approx((up - down) / 2e-3).epsilon(1e-2));
    }
  }
  CHECK_THROWS_WITH_AS(loss_from_name("hinge"), "unknown loss 'hinge'; known: mse, l1, huber, cross_entropy", Error);
}

TEST_CASE("optimizer steps by hand") {
  auto one_step = [](OptimizerConfig c, float w0, float g0, int steps = 1) {
    Param p("w", {1});
    p.value()[0] = w0;
    auto opt = make_optimizer(c);
    for (int s = 0; s < steps; ++s) {
      p.grad()[0] = g0;
      opt->step({&p}, c.lr);
    }
    return p.value()[0];
  };
  OptimizerConfig sgd{"sgd", 0.1};
  CHECK(one_step(sgd, 1.0f, 2.0f) == doctest::Approx(0.8));
  sgd.weight_decay = 0.5;  // g + 0.5 w = 2.5
  CHECK(one_step(sgd, 1.0f, 2.0f) == doctest::Approx(0.75));
  OptimizerConfig mom{"sgd", 0.1};
  mom.momentum = 0.9;  // step 1: buf = 2, w = 0.8; step 2: buf = 0.9*2 + 2 = 3.8, w = 0.8 - 0.38
  CHECK(one_step(mom, 1.0f, 2.0f, 2) == doctest::Approx(0.42));
  mom.nesterov = true;  // step 1: d = 2 + 0.9*2 = 3.8 -> 0.62; step 2: buf 3.8, d = 2 + 3.42 -> 0.62 - 0.542
  CHECK(one_step(mom, 1.0f, 2.0f, 2) == doctest::Approx(0.078));
  // Adam's first step moves by lr * g / (|g| + eps) whatever the scale of g.
  CHECK(one_step(OptimizerConfig{"adam", 0.01}, 1.0f, 123.0f) == doctest::Approx(0.99));
  OptimizerConfig adamw{"adamw", 0.01};
  adamw.weight_decay = 0.1;  // decoupled: w (1 - lr wd) then the Adam step
  CHECK(one_step(adamw, 1.0f, 5.0f) == doctest::Approx(1.0 * (1 - 0.001) - 0.01));
  // RMSprop's first step: sq = 0.01 g^2, so w -= lr g / (0.1 |g|) = 10 lr sign(g).
  CHECK(one_step(OptimizerConfig{"rmsprop", 0.001}, 1.0f, -4.0f) == doctest::Approx(1.01).epsilon(1e-5));
  CHECK_THROWS_WITH_AS(make_optimizer(OptimizerConfig{"lamb"}), doctest::Contains("unknown optimizer 'lamb'"), Error);
}

TEST_CASE("clipping scales gradients to the global norm") {
  Param a("a", {2}), b("b", {1});
  a.grad()[0] = 3, a.grad()[1] = 0, b.grad()[0] = 4;
  CHECK(clip_gradients({&a, &b}, 1.0) == doctest::Approx(5.0));
  CHECK(a.grad()[0] == doctest::Approx(0.6).epsilon(1e-5));
  CHECK(b.grad()[0] == doctest::Approx(0.8).epsilon(1e-5));
}

TEST_CASE("learning-rate schedules by hand") {
  ScheduleConfig step{"step"};
  step.step_size = 2;
  step.gamma = 0.5;
  const LrSchedule s(step, 1.0, 10);
  CHECK(s.lr(0) == 1.0);
  CHECK(s.lr(3) == 0.5);
  CHECK(s.lr(4) == 0.25);
  ScheduleConfig cos{"cosine"};
  cos.eta_min = 0.1;
  const LrSchedule c(cos, 1.0, 10);  // t_max = epochs
  CHECK(c.lr(0) == doctest::Approx(1.0));
  CHECK(c.lr(5) == doctest::Approx(0.55));
  CHECK(c.lr(10) == doctest::Approx(0.1));
  ScheduleConfig ex{"exponential"};
  ex.gamma = 0.9;
  CHECK(LrSchedule(ex, 2.0, 5).lr(2) == doctest::Approx(2.0 * 0.81));
  ScheduleConfig pl{"plateau"};
  pl.patience = 1;
  pl.factor = 0.5;
  LrSchedule p(pl, 1.0, 10);
  p.observe(1.0);  // best
  p.observe(1.0);  // 1 bad epoch: within patience
  CHECK(p.lr(2) == 1.0);
  p.observe(1.0);  // 2 bad epochs: reduce
  CHECK(p.lr(3) == 0.5);
}

TEST_CASE("training learns a regression with every optimizer") {
  set_threads(1);  // small networks: one thread is fastest, and robust on a busy machine
  const Dataset tr = regression(2000, 1), va = regression(500, 2);
  const double mean_predictor = variance(va.targets);
  for (const char* kind : {"sgd", "adam", "adamw", "rmsprop"}) {
    CAPTURE(kind);
    Model model(mlp(3, 32, 1), 11);
    TrainConfig c;
    c.epochs = 30;
    c.batch = 32;
    c.optimizer.kind = kind;
    c.optimizer.lr = std::string(kind) == "sgd" ? 0.05 : 3e-3;
    if (std::string(kind) == "sgd") c.optimizer.momentum = 0.9;
    c.schedule.kind = "cosine";
    c.seed = 3;
    const TrainResult r = train(model, tr, va, c);
    CHECK(r.status == TrainStatus::Completed);
    REQUIRE(r.history.size() == 30);
    CHECK(r.best_val_loss < 0.05 * mean_predictor);
    CHECK(evaluate_loss(model, va, c.loss) == doctest::Approx(r.best_val_loss));
  }
}

TEST_CASE("a diverging run ends with a failure report") {
  const Dataset tr = regression(256, 1), va = regression(64, 2);
  Model model(mlp(3, 16, 1, "relu"), 1);
  TrainConfig c;
  c.epochs = 20;
  c.batch = 32;
  c.optimizer = OptimizerConfig{"sgd", 1e12};
  const TrainResult r = train(model, tr, va, c);
  CHECK(r.status == TrainStatus::Diverged);
  CHECK(r.message.find("training diverged: the loss became") == 0);
  CHECK(r.history.size() < 20);
}

TEST_CASE("early stopping restores the best epoch's weights") {
  const Dataset tr = regression(256, 1), va = regression(64, 2);
  Model model(mlp(3, 8, 1), 1);
  TrainConfig c;
  c.epochs = 50;
  c.batch = 64;
  c.optimizer = OptimizerConfig{"sgd", 1e-9};  // nothing improves by min_delta
  c.patience = 3;
  c.min_delta = 1e-3;
  const TrainResult r = train(model, tr, va, c);
  CHECK(r.status == TrainStatus::EarlyStopped);
  CHECK(r.history.size() == 4);
  CHECK(r.best_epoch == 1);
}

TEST_CASE("validating after the last epoch only trains the same weights and validates once") {
  const Dataset tr = regression(256, 1), va = regression(64, 2);
  TrainConfig c;
  c.epochs = 4;
  c.batch = 32;
  c.optimizer = OptimizerConfig{"adam", 1e-3};  // small steps: the validation loss falls every epoch
  Model every(mlp(3, 8, 1), 1), last(mlp(3, 8, 1), 1);
  const TrainResult re = train(every, tr, va, c);
  REQUIRE(re.best_epoch == 4);  // so the kept weights are the last epoch's in both runs
  c.validate_every_epoch = false;
  const TrainResult rl = train(last, tr, va, c);
  REQUIRE(rl.history.size() == 4);
  for (int e = 0; e < 3; ++e) CHECK(std::isnan(rl.history[e].val_loss));
  CHECK(rl.history[3].val_loss == re.history[3].val_loss);
  CHECK(rl.best_epoch == 4);
  CHECK(rl.best_val_loss == re.best_val_loss);
  for (std::size_t k = 0; k < every.params().size(); ++k)
    for (std::size_t i = 0; i < every.params()[k]->value().size(); ++i)
      REQUIRE(every.params()[k]->value()[i] == last.params()[k]->value()[i]);
}

TEST_CASE("validate takes every_epoch or last_epoch and refuses last_epoch with what needs every epoch") {
  auto config = [](const std::string& text) {
    return training_config(root_table(parse_toml_text(text, "t.toml"), "t.toml"), "mse");
  };
  CHECK(config("").validate_every_epoch);
  CHECK_FALSE(config("validate = \"last_epoch\"").validate_every_epoch);
  CHECK(test::error_of([&] { config("validate = \"final\""); }).rfind("t.toml:1:12: 'validate': expected one of", 0) ==
        0);
  CHECK(test::error_of([&] { config("validate = \"last_epoch\"\npatience = 2"); }).find("set patience = 0") !=
        std::string::npos);
  CHECK(test::error_of([&] { config("validate = \"last_epoch\"\nschedule = \"plateau\""); }).find("plateau schedule") !=
        std::string::npos);
}

TEST_CASE("same seed and threads give the same weights") {
  // Every kind of kernel a search's candidates run: a few-tap convolution (nac's), batch norm,
  // GELU, attention (nac's kernels, its 1x1 convolutions few-tap too), flatten fused into a
  // linear layer, dropout.
  ModelSpec spec;
  spec.input = {1, 7, 7};
  append_layer(spec, "conv2d", "c", {{"out_channels", I{4}}, {"kernel", I{3}}});
  append_layer(spec, "batchnorm", "bn");
  append_layer(spec, "gelu", "a");
  append_layer(spec, "attention", "att", {{"hidden", I{2}}});
  append_layer(spec, "flatten", "f");  // fused into the linear layer after it
  append_layer(spec, "linear", "l0", {{"out_features", I{8}}});
  append_layer(spec, "dropout", "d", {{"p", 0.2}});
  append_layer(spec, "linear", "l", {{"out_features", I{2}}});
  Rng rng(1);
  Dataset d{Tensor({200, 1, 7, 7}), Tensor({200, 2})};
  for (std::size_t i = 0; i < d.inputs.size(); ++i) d.inputs[i] = static_cast<float>(rng.normal());
  for (std::size_t i = 0; i < d.targets.size(); ++i) d.targets[i] = static_cast<float>(rng.uniform());
  for (int threads : {1, 2}) {
    CAPTURE(threads);
    std::vector<std::vector<float>> runs;
    for (int run = 0; run < 2; ++run) {
      Model m(spec, 5);
      TrainConfig c;
      c.epochs = 2;
      c.batch = 32;
      c.seed = 9;
      c.threads = threads;
      train(m, d, d, c);
      std::vector<float> all;
      for (Param* p : m.params()) all.insert(all.end(), p->value().data(), p->value().data() + p->value().size());
      runs.push_back(all);
    }
    CHECK(runs[0] == runs[1]);
  }
  set_threads(1);
}

TEST_CASE("save and load: the round trip is exact and bad files are named") {
  ModelSpec spec = load_model_spec(std::filesystem::path(NAC_SOURCE_DIR) / "experiments" / "models" / "braggnn.json");
  Model m(spec, 42);
  CHECK(m.parameter_count() == 45394);  // sum(p.numel()) of the PyTorch peer's BraggNN
  test::TempDir dir("model");
  const auto file = dir.path() / "braggnn.nacm";
  save_model(m, file);
  Model back = load_model(file);
  CHECK(back.spec() == m.spec());
  for (std::size_t k = 0; k < m.params().size(); ++k) {
    const Tensor& a = m.params()[k]->value();
    const Tensor& b = back.params()[k]->value();
    REQUIRE(a.size() == b.size());
    CHECK(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
  }
  Rng rng(1);
  Tensor x({4, 1, 11, 11});
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(rng.uniform());
  const Tensor y1 = m.forward(x, false), y2 = back.forward(x, false);
  CHECK(std::memcmp(y1.data(), y2.data(), y1.size() * sizeof(float)) == 0);

  const std::string bytes = test::read_file(file);
  test::write_file(dir.path() / "cut.nacm", bytes.substr(0, bytes.size() - 100));
  CHECK_THROWS_WITH_AS(load_model(dir.path() / "cut.nacm"), doctest::Contains("cut.nacm: truncated"), Error);
  test::write_file(dir.path() / "junk.nacm", "hello world, not a model at all");
  CHECK_THROWS_WITH_AS(load_model(dir.path() / "junk.nacm"), doctest::Contains("junk.nacm: not a nac model file"),
                       Error);
  CHECK_THROWS_WITH_AS(load_model(dir.path() / "absent.nacm"), doctest::Contains("absent.nacm: cannot open the file"),
                       Error);
}

TEST_CASE("parameter_count reads only: the weights' versions (and so the cached reorders) stay") {
  ModelSpec s;
  s.input = {3, 6, 6};
  append_layer(s, "conv2d", "c", {{"out_channels", I{4}}, {"kernel", I{3}}});
  append_layer(s, "relu", "r");
  append_layer(s, "flatten", "f");
  append_layer(s, "linear", "l", {{"out_features", I{2}}});
  Model m(s, 1);
  Tensor x({2, 3, 6, 6});
  m.forward(x, true);  // a training forward: the conv's reordered weights now hold these versions
  std::vector<std::uint64_t> before;
  for (const Param* p : m.params()) before.push_back(p->version());
  // conv: 4*3*3*3 + 4 = 112; linear on 4*4*4 = 64 features: 64*2 + 2 = 130.
  CHECK(m.parameter_count() == 112 + 130);
  std::vector<std::uint64_t> after;
  for (const Param* p : m.params()) after.push_back(p->version());
  CHECK(after == before);
}
