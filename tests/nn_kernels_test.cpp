// The engine's vectorised norm loops at real sizes (a batch of 9x9 images with a channel count
// whose period has a tail, enough values to use every thread) against the textbook formulas
// computed here in double precision, on one and two threads.
#include <cmath>

#include <doctest/doctest.h>

#include "nac/nn/model.hpp"
#include "nac/nn/runtime.hpp"
#include "test_support.hpp"

using namespace nac;
using namespace nac::nn;

namespace {

constexpr std::int64_t kBatch = 64, kC = 24, kH = 9, kW = 9;  // 124416 values; lcm(24, 16) = 48

struct Case {
  Tensor x, r;  // input (NCHW) and the output gradient
  Tensor y, dx;
  std::vector<double> w, b, gw, gb;  // affine parameters and their gradients
};

// The model of one norm layer; its forward and backward with dy = r, and the parameter gradients.
Case run(const std::string& op, int threads) {
  set_threads(threads);
  ModelSpec spec;
  spec.input = {kC, kH, kW};
  LayerSpec l;
  l.op = op;
  l.name = "norm";
  spec.layers = {l};
  Model m(spec, 1);
  // Non-trivial affine parameters and a large mean, so that centring matters.
  Rng rng(5);
  for (Param* p : m.params())
    for (std::size_t i = 0; i < p->value().size(); ++i) p->value()[i] = static_cast<float>(0.5 + rng.uniform(0, 1));
  Case c;
  c.x.resize({kBatch, kC, kH, kW});
  c.r.resize(c.x.shape());
  for (std::size_t i = 0; i < c.x.size(); ++i) {
    c.x[i] = static_cast<float>(3 + 2 * rng.normal());
    c.r[i] = static_cast<float>(rng.normal());
  }
  c.y = m.forward(c.x, true);
  m.backward(c.r, &c.dx);
  const Param* w = m.params()[0];
  const Param* b = m.params()[1];
  for (std::size_t i = 0; i < w->value().size(); ++i) {
    c.w.push_back(w->value()[i]);
    c.b.push_back(b->value()[i]);
    c.gw.push_back(w->grad()[i]);
    c.gb.push_back(b->grad()[i]);
  }
  set_threads(1);
  return c;
}

std::size_t at(std::int64_t n, std::int64_t ch, std::int64_t p) {
  return static_cast<std::size_t>((n * kC + ch) * kH * kW + p);
}

// Norm layers in double: output, input and parameter gradients.
struct Ref {
  std::vector<double> xhat, y, dx, gw, gb;
};

// groups: the index lists normalised together; param(i): the affine parameter index of element i.
template <class Groups, class ParamOf>
Ref reference(const Tensor& x, const Tensor& r, const std::vector<double>& w, const std::vector<double>& b,
              Groups groups, ParamOf param_of, std::size_t params) {
  Ref ref;
  ref.xhat.assign(x.size(), 0);
  ref.y.assign(x.size(), 0);
  ref.dx.assign(x.size(), 0);
  ref.gw.assign(params, 0);
  ref.gb.assign(params, 0);
  for (const std::vector<std::size_t>& g : groups) {
    double mean = 0, var = 0;
    for (std::size_t i : g) mean += x[i];
    mean /= static_cast<double>(g.size());
    for (std::size_t i : g) var += (x[i] - mean) * (x[i] - mean);
    var /= static_cast<double>(g.size());
    const double is = 1 / std::sqrt(var + 1e-5);
    double a = 0, c = 0;  // mean of dxhat and of dxhat * xhat
    for (std::size_t i : g) {
      ref.xhat[i] = (x[i] - mean) * is;
      ref.y[i] = ref.xhat[i] * w[param_of(i)] + b[param_of(i)];
      const double dxhat = r[i] * w[param_of(i)];
      a += dxhat;
      c += dxhat * ref.xhat[i];
      ref.gw[param_of(i)] += r[i] * ref.xhat[i];
      ref.gb[param_of(i)] += r[i];
    }
    a /= static_cast<double>(g.size());
    c /= static_cast<double>(g.size());
    for (std::size_t i : g) ref.dx[i] = is * (r[i] * w[param_of(i)] - a - ref.xhat[i] * c);
  }
  return ref;
}

void check_close(const char* what, const std::vector<double>& want, auto got, std::size_t n, double tol) {
  double worst = 0, scale = 1e-30;
  for (std::size_t i = 0; i < n; ++i) {
    worst = std::max(worst, std::abs(want[i] - static_cast<double>(got(i))));
    scale = std::max(scale, std::abs(want[i]));
  }
  INFO(what << ": largest difference " << worst << " at scale " << scale);
  CHECK(worst <= tol * scale);
}

}  // namespace

TEST_CASE("batchnorm at real sizes matches the formulas in double on 1 and 2 threads") {
  for (int threads : {1, 2}) {
    CAPTURE(threads);
    const Case c = run("batchnorm", threads);
    std::vector<std::vector<std::size_t>> groups(kC);
    for (std::int64_t n = 0; n < kBatch; ++n)
      for (std::int64_t ch = 0; ch < kC; ++ch)
        for (std::int64_t p = 0; p < kH * kW; ++p) groups[ch].push_back(at(n, ch, p));
    const Ref ref = reference(
        c.x, c.r, c.w, c.b, groups, [](std::size_t i) { return i / (kH * kW) % kC; }, kC);
    check_close(
        "output", ref.y, [&](std::size_t i) { return c.y[i]; }, c.y.size(), 2e-6);
    check_close(
        "input gradient", ref.dx, [&](std::size_t i) { return c.dx[i]; }, c.dx.size(), 2e-5);
    check_close(
        "weight gradient", ref.gw, [&](std::size_t i) { return c.gw[i]; }, kC, 2e-5);
    check_close(
        "bias gradient", ref.gb, [&](std::size_t i) { return c.gb[i]; }, kC, 2e-5);
  }
}

TEST_CASE("layernorm at real sizes matches the formulas in double on 1 and 2 threads") {
  for (int threads : {1, 2}) {
    CAPTURE(threads);
    const Case c = run("layernorm", threads);
    std::vector<std::vector<std::size_t>> groups(kBatch);
    for (std::int64_t n = 0; n < kBatch; ++n)
      for (std::int64_t k = 0; k < kC * kH * kW; ++k)
        groups[n].push_back(static_cast<std::size_t>(n * kC * kH * kW + k));
    const std::size_t d = kC * kH * kW;
    const Ref ref = reference(
        c.x, c.r, c.w, c.b, groups, [d](std::size_t i) { return i % d; }, d);
    check_close(
        "output", ref.y, [&](std::size_t i) { return c.y[i]; }, c.y.size(), 2e-6);
    check_close(
        "input gradient", ref.dx, [&](std::size_t i) { return c.dx[i]; }, c.dx.size(), 2e-5);
    check_close(
        "weight gradient", ref.gw, [&](std::size_t i) { return c.gw[i]; }, d, 2e-5);
    check_close(
        "bias gradient", ref.gb, [&](std::size_t i) { return c.gb[i]; }, d, 2e-5);
  }
}

TEST_CASE("gelu and its derivative match erf in double: relative 2e-6 to |x| = 4, 1e-5 to 8, tiny beyond") {
  ModelSpec spec;
  spec.input = {4801};
  LayerSpec l;
  l.op = "gelu";
  l.name = "act";
  spec.layers = {l};
  Model m(spec, 1);
  Tensor x({1, 4801}), ones({1, 4801}), dx;
  for (std::int64_t i = 0; i < 4801; ++i) x[static_cast<std::size_t>(i)] = static_cast<float>(-12 + i * 0.005);
  ones.fill(1);
  const Tensor y = m.forward(x, true);
  m.backward(ones, &dx);
  double worst_y = 0, worst_far = 0, worst_d = 0, tail = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double v = x[i];
    const double cdf = 0.5 * std::erfc(-v / std::sqrt(2.0));
    const double want_y = v * cdf;
    const double want_d = cdf + v * std::exp(-0.5 * v * v) / std::sqrt(2 * M_PI);
    // Far out, float's rounding of x^2 (the exponent of the tail) limits the relative accuracy
    // of values below 1e-4 (|x| > 4), and below 1e-14 (|x| > 8) only the absolute error counts.
    // (1 + erf(x) in float, the textbook form, is 0 from x = -5.8 on: no relative accuracy at all.)
    const double rel = v != 0 ? std::abs(y[i] - want_y) / std::abs(want_y) : 0;
    if (std::abs(v) <= 4) worst_y = std::max(worst_y, rel);
    else if (std::abs(v) <= 8) worst_far = std::max(worst_far, rel);
    else tail = std::max(tail, std::abs(y[i] - want_y));
    // The derivative crosses 0 near x = -0.75: relative to its size or to 0.1.
    worst_d = std::max(worst_d, std::abs(dx[i] - want_d) / std::max(std::abs(want_d), 0.1));
  }
  CAPTURE(worst_y);
  CAPTURE(worst_d);
  CAPTURE(tail);
  CAPTURE(worst_far);
  CHECK(worst_y < 2e-6);
  CHECK(worst_far < 1e-5);
  CHECK(worst_d < 1e-6);
  CHECK(tail < 1e-13);
}

TEST_CASE("attention at the search's size matches the block computed in double on 1 and 2 threads") {
  constexpr std::int64_t b = 6, c = 8, n = 81;
  for (std::int64_t h : {1, 5, 32})
    for (int threads : {1, 2}) {
      CAPTURE(h);
      CAPTURE(threads);
      set_threads(threads);
      ModelSpec spec;
      spec.input = {c, 9, 9};
      LayerSpec l;
      l.op = "attention";
      l.name = "att";
      l.attrs = {{"hidden", h}};
      spec.layers = {l};
      Model m(spec, 3);
      Rng rng(8);
      Tensor x({b, c, 9, 9});
      for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(rng.normal());
      const Tensor y = m.forward(x, false);
      set_threads(1);
      // The block in double, on NCHW: theta, phi, g = W x + bias per position; A = softmax(theta
      // phi^T) over rows; z = out(A g) + x.
      auto w = [&](const std::string& name) { return m.param("att." + name)->value(); };
      const Tensor wt = w("theta.weight"), bt = w("theta.bias"), wp = w("phi.weight"), bp = w("phi.bias"),
                   wg = w("g.weight"), bg = w("g.bias"), wo = w("out.weight"), bo = w("out.bias");
      double worst = 0;
      for (std::int64_t s = 0; s < b; ++s) {
        std::vector<double> th(n * h), ph(n * h), g(n * h), yv(n * h, 0.0);
        for (std::int64_t p = 0; p < n; ++p)
          for (std::int64_t k = 0; k < h; ++k) {
            double a1 = bt[k], a2 = bp[k], a3 = bg[k];
            for (std::int64_t ch = 0; ch < c; ++ch) {
              const double v = x[static_cast<std::size_t>((s * c + ch) * n + p)];
              a1 += wt[k * c + ch] * v;
              a2 += wp[k * c + ch] * v;
              a3 += wg[k * c + ch] * v;
            }
            th[p * h + k] = a1;
            ph[p * h + k] = a2;
            g[p * h + k] = a3;
          }
        for (std::int64_t i = 0; i < n; ++i) {
          std::vector<double> row(n);
          double mx = -1e300, sum = 0;
          for (std::int64_t j = 0; j < n; ++j) {
            double d = 0;
            for (std::int64_t k = 0; k < h; ++k) d += th[i * h + k] * ph[j * h + k];
            row[j] = d;
            mx = std::max(mx, d);
          }
          for (double& v : row) sum += (v = std::exp(v - mx));
          for (std::int64_t k = 0; k < h; ++k)
            for (std::int64_t j = 0; j < n; ++j) yv[i * h + k] += row[j] / sum * g[j * h + k];
        }
        for (std::int64_t ch = 0; ch < c; ++ch)
          for (std::int64_t p = 0; p < n; ++p) {
            double z = bo[ch] + x[static_cast<std::size_t>((s * c + ch) * n + p)];
            for (std::int64_t k = 0; k < h; ++k) z += wo[ch * h + k] * yv[p * h + k];
            worst = std::max(worst, std::abs(z - y[static_cast<std::size_t>((s * c + ch) * n + p)]));
          }
      }
      CAPTURE(worst);
      CHECK(worst < 2e-5);
    }
}

TEST_CASE("a projection's weight gradient at real size matches the sums in double on 1 and 2 threads") {
  constexpr std::int64_t b = 64, oc = 16, k = 3, s = 11, o = s - k + 1;
  for (int threads : {1, 2}) {
    CAPTURE(threads);
    set_threads(threads);
    ModelSpec spec;
    spec.input = {1, s, s};
    LayerSpec l;
    l.op = "conv2d";
    l.name = "projection";
    l.attrs = {{"out_channels", oc}, {"kernel", k}};
    spec.layers = {l};
    Model m(spec, 2);
    Rng rng(4);
    Tensor x({b, 1, s, s}), r({b, oc, o, o});
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(rng.uniform(0, 1));
    for (std::size_t i = 0; i < r.size(); ++i) r[i] = static_cast<float>(rng.normal());
    m.forward(x, true);
    m.backward(r);
    set_threads(1);
    const Tensor& dw = m.param("projection.weight")->grad();
    const Tensor& db = m.param("projection.bias")->grad();
    double worst = 0, scale = 0;
    for (std::int64_t c = 0; c < oc; ++c) {
      double bias = 0;
      for (std::int64_t kh = 0; kh < k; ++kh)
        for (std::int64_t kw = 0; kw < k; ++kw) {
          double want = 0;
          for (std::int64_t n = 0; n < b; ++n)
            for (std::int64_t y = 0; y < o; ++y)
              for (std::int64_t xo = 0; xo < o; ++xo) {
                const double g = r[static_cast<std::size_t>(((n * oc + c) * o + y) * o + xo)];
                want += g * x[static_cast<std::size_t>((n * s + y + kh) * s + xo + kw)];
                if (kh == 0 && kw == 0) bias += g;
              }
          worst = std::max(worst, std::abs(want - dw[static_cast<std::size_t>((c * k + kh) * k + kw)]));
          scale = std::max(scale, std::abs(want));
        }
      worst = std::max(worst, std::abs(bias - db[static_cast<std::size_t>(c)]));
    }
    CAPTURE(worst);
    CAPTURE(scale);
    CHECK(worst <= 1e-5 * scale);
  }
}
