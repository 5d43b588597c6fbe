// The engine's vectorised norm loops at real sizes (a batch of 9x9 images with a channel count
// whose period has a tail, enough values to use every thread) against the textbook formulas
// computed here in double precision, on one and two threads.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "nac/nn/model.hpp"
#include "nac/nn/runtime.hpp"
#include "nn_test_support.hpp"
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
  spec.layers = {test::layer(op, "norm")};
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
        c.x, c.r, c.w, c.b, groups, [&](std::size_t i) { return i % d; }, d);
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
  spec.layers = {test::layer("gelu", "act")};
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

// The attention block in double, on NCHW, forward and backward (output gradient r): theta,
// phi, g = W x + bias per position; A = softmax(s theta phi^T) over rows; z = out(A g) + x.
struct AttentionOracle {
  std::vector<double> z, dx;
  std::map<std::string, std::vector<double>> grads;  // by parameter name, without "att."
};

AttentionOracle attention_in_double(Model& m, const Tensor& x, const Tensor& r, std::int64_t c, std::int64_t n,
                                    std::int64_t h, double scale) {
  const std::int64_t b = x.dim(0);
  auto w = [&](const std::string& name) { return m.param("att." + name)->value(); };
  const Tensor wt = w("theta.weight"), bt = w("theta.bias"), wp = w("phi.weight"), bp = w("phi.bias"),
               wg = w("g.weight"), bg = w("g.bias"), wo = w("out.weight"), bo = w("out.bias");
  AttentionOracle o;
  o.z.assign(x.size(), 0.0);
  o.dx.assign(x.size(), 0.0);
  for (const char* name : {"theta.weight", "phi.weight", "g.weight"}) o.grads[name].assign(h * c, 0.0);
  for (const char* name : {"theta.bias", "phi.bias", "g.bias"}) o.grads[name].assign(h, 0.0);
  o.grads["out.weight"].assign(c * h, 0.0);
  o.grads["out.bias"].assign(c, 0.0);
  auto xv = [&](std::int64_t s, std::int64_t ch, std::int64_t p) { return double(x[(s * c + ch) * n + p]); };
  auto rv = [&](std::int64_t s, std::int64_t ch, std::int64_t p) { return double(r[(s * c + ch) * n + p]); };
  for (std::int64_t s = 0; s < b; ++s) {
    std::vector<double> th(n * h), ph(n * h), g(n * h), yv(n * h, 0.0), a(n * n);
    for (std::int64_t p = 0; p < n; ++p)
      for (std::int64_t k = 0; k < h; ++k) {
        double a1 = bt[k], a2 = bp[k], a3 = bg[k];
        for (std::int64_t ch = 0; ch < c; ++ch) {
          a1 += wt[k * c + ch] * xv(s, ch, p);
          a2 += wp[k * c + ch] * xv(s, ch, p);
          a3 += wg[k * c + ch] * xv(s, ch, p);
        }
        th[p * h + k] = a1;
        ph[p * h + k] = a2;
        g[p * h + k] = a3;
      }
    for (std::int64_t i = 0; i < n; ++i) {
      double mx = -1e300, sum = 0;
      for (std::int64_t j = 0; j < n; ++j) {
        double d = 0;
        for (std::int64_t k = 0; k < h; ++k) d += th[i * h + k] * ph[j * h + k];
        a[i * n + j] = scale * d;
        mx = std::max(mx, scale * d);
      }
      for (std::int64_t j = 0; j < n; ++j) sum += (a[i * n + j] = std::exp(a[i * n + j] - mx));
      for (std::int64_t j = 0; j < n; ++j) a[i * n + j] /= sum;
      for (std::int64_t k = 0; k < h; ++k)
        for (std::int64_t j = 0; j < n; ++j) yv[i * h + k] += a[i * n + j] * g[j * h + k];
    }
    std::vector<double> dyv(n * h, 0.0);
    for (std::int64_t ch = 0; ch < c; ++ch)
      for (std::int64_t p = 0; p < n; ++p) {
        double zz = bo[ch] + xv(s, ch, p);
        for (std::int64_t k = 0; k < h; ++k) {
          zz += wo[ch * h + k] * yv[p * h + k];
          dyv[p * h + k] += wo[ch * h + k] * rv(s, ch, p);
          o.grads["out.weight"][ch * h + k] += rv(s, ch, p) * yv[p * h + k];
        }
        o.z[(s * c + ch) * n + p] = zz;
        o.grads["out.bias"][ch] += rv(s, ch, p);
        o.dx[(s * c + ch) * n + p] += rv(s, ch, p);  // the residual
      }
    std::vector<double> dth(n * h, 0.0), dph(n * h, 0.0), dg(n * h, 0.0);
    for (std::int64_t i = 0; i < n; ++i) {
      std::vector<double> da(n, 0.0);
      double dot = 0;
      for (std::int64_t j = 0; j < n; ++j) {
        for (std::int64_t k = 0; k < h; ++k) {
          da[j] += dyv[i * h + k] * g[j * h + k];
          dg[j * h + k] += a[i * n + j] * dyv[i * h + k];
        }
        dot += da[j] * a[i * n + j];
      }
      for (std::int64_t j = 0; j < n; ++j) {
        const double ds = scale * a[i * n + j] * (da[j] - dot);
        for (std::int64_t k = 0; k < h; ++k) {
          dth[i * h + k] += ds * ph[j * h + k];
          dph[j * h + k] += ds * th[i * h + k];
        }
      }
    }
    const std::pair<const char*, const std::vector<double>*> parts[3] = {{"theta", &dth}, {"phi", &dph}, {"g", &dg}};
    for (const auto& [name, d] : parts) {
      const Tensor wk = w(std::string(name) + ".weight");
      for (std::int64_t p = 0; p < n; ++p)
        for (std::int64_t k = 0; k < h; ++k) {
          const double v = (*d)[p * h + k];
          o.grads[std::string(name) + ".bias"][k] += v;
          for (std::int64_t ch = 0; ch < c; ++ch) {
            o.grads[std::string(name) + ".weight"][k * c + ch] += v * xv(s, ch, p);
            o.dx[(s * c + ch) * n + p] += wk[k * c + ch] * v;
          }
        }
    }
  }
  return o;
}

// The largest difference, relative to the largest magnitude of the oracle's values (or of
// `floor`, when larger).
double worst_relative(const Tensor& got, const std::vector<double>& want, double floor = 1e-30) {
  double worst = 0, scale = floor;
  for (std::size_t i = 0; i < want.size(); ++i) {
    worst = std::max(worst, std::abs(double(got[i]) - want[i]));
    scale = std::max(scale, std::abs(want[i]));
  }
  return worst / scale;
}

TEST_CASE("attention at the search's size matches the block computed in double, forward and backward") {
  // 81, 49, 25 and 4 positions (the search's images after none, one or two 3x3 convolutions,
  // and one block that is mostly padding): blocks of rows and a last block with 1 to 12 rows of
  // padding; hidden sizes on both arrangements of the products summed over rows (lane sums below
  // 8, vectors over the hidden channels from 8); every build of the kernels this CPU runs
  // (NAC_KERNEL_ISA caps the choice).
  constexpr std::int64_t b = 6, c = 8;
  for (const std::int64_t side : {9, 7, 5, 2})
    for (const char* isa : {"avx512", "avx2", "generic"})
      for (std::int64_t h : {1, 5, 8, 32})
        for (int threads : {1, 2}) {
          const std::int64_t n = side * side;
          CAPTURE(n);
          const std::int64_t scaled = h == 5 ? 1 : 0;
          ::setenv("NAC_KERNEL_ISA", isa, 1);
          CAPTURE(isa);
          CAPTURE(h);
          CAPTURE(threads);
          set_threads(threads);
          ModelSpec spec;
          spec.input = {c, side, side};
          spec.layers = {test::layer("attention", "att", {{"hidden", h}, {"scale", scaled}})};
          Model m(spec, 3);
          Rng rng(8);
          Tensor x({b, c, side, side}), r({b, c, side, side});
          for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(rng.normal());
          for (std::size_t i = 0; i < r.size(); ++i) r[i] = static_cast<float>(rng.normal());
          const Tensor y = m.forward(x, true);
          Tensor dx;
          m.backward(r, &dx);
          set_threads(1);
          const AttentionOracle o =
              attention_in_double(m, x, r, c, n, h, scaled ? 1.0 / std::sqrt(static_cast<double>(h)) : 1.0);
          CHECK(worst_relative(y, o.z) < 2e-6);
          CHECK(worst_relative(dx, o.dx) < 2e-5);
          for (const auto& item : o.grads) {
            const auto& name = item.first;  // (not a structured binding: CAPTURE makes a lambda)
            const auto& want = item.second;
            CAPTURE(name);
            // phi's bias has a zero gradient (a softmax ignores a constant added to a row): its
            // rounding noise is measured against the size of phi's weight gradient.
            double floor = 1e-30;
            if (name == "phi.bias")
              for (double v : o.grads.at("phi.weight")) floor = std::max(floor, std::abs(v));
            CHECK(worst_relative(m.param("att." + name)->grad(), want, floor) < 2e-5);
          }
          ::unsetenv("NAC_KERNEL_ISA");
        }
}

TEST_CASE("a projection at real size: forward and weight gradient match the sums in double") {
  // The search's 1-channel 3x3 projection on 11x11 patches (nac's few-tap kernels), without and
  // with a fused leaky relu (then the first layer's backward takes the activation inside the
  // weight-gradient kernel); 8 channels (part of a vector), 16, and 64 (two chunks); every
  // build of the kernels; 1 and 2 threads.
  constexpr std::int64_t b = 64, k = 3, s = 11, o = s - k + 1;
  constexpr double slope = 0.1;
  for (const char* isa : {"avx512", "avx2", "generic"})
    for (std::int64_t oc : {8, 16, 64})
      for (bool act : {false, true})
        for (int threads : {1, 2}) {
          ::setenv("NAC_KERNEL_ISA", isa, 1);
          CAPTURE(isa);
          CAPTURE(oc);
          CAPTURE(act);
          CAPTURE(threads);
          set_threads(threads);
          ModelSpec spec;
          spec.input = {1, s, s};
          spec.layers = {test::layer("conv2d", "projection", {{"out_channels", oc}, {"kernel", k}})};
          if (act) spec.layers.push_back(test::layer("leaky_relu", "act", {{"slope", slope}}));
          Model m(spec, 2);
          Rng rng(4);
          Tensor x({b, 1, s, s}), r({b, oc, o, o});
          for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(rng.uniform(-0.5, 1));
          for (std::size_t i = 0; i < r.size(); ++i) r[i] = static_cast<float>(rng.normal());
          const Tensor y = m.forward(x, true);
          m.backward(r);
          set_threads(1);
          ::unsetenv("NAC_KERNEL_ISA");
          const Tensor& w = m.param("projection.weight")->value();
          const Tensor& bias = m.param("projection.bias")->value();
          const Tensor& dw = m.param("projection.weight")->grad();
          const Tensor& db = m.param("projection.bias")->grad();
          auto at = [&](std::int64_t n, std::int64_t c, std::int64_t yy, std::int64_t xx) {
            return static_cast<std::size_t>(((n * oc + c) * o + yy) * o + xx);
          };
          // The forward, and the output gradient through the activation (its derivative from the
          // sign of the pre-activation computed here).
          std::vector<double> g(r.size());
          double worst_y = 0, scale_y = 0;
          for (std::int64_t n = 0; n < b; ++n)
            for (std::int64_t c = 0; c < oc; ++c)
              for (std::int64_t yy = 0; yy < o; ++yy)
                for (std::int64_t xx = 0; xx < o; ++xx) {
                  double z = bias[static_cast<std::size_t>(c)];
                  for (std::int64_t kh = 0; kh < k; ++kh)
                    for (std::int64_t kw = 0; kw < k; ++kw)
                      z += double(w[static_cast<std::size_t>((c * k + kh) * k + kw)]) *
                           x[static_cast<std::size_t>((n * s + yy + kh) * s + xx + kw)];
                  const double want = act && z < 0 ? slope * z : z;
                  worst_y = std::max(worst_y, std::abs(want - y[at(n, c, yy, xx)]));
                  scale_y = std::max(scale_y, std::abs(want));
                  g[at(n, c, yy, xx)] = r[at(n, c, yy, xx)] * (act && z < 0 ? slope : 1.0);
                }
          CHECK(worst_y <= 1e-6 * scale_y);
          double worst = 0, scale = 0;
          for (std::int64_t c = 0; c < oc; ++c) {
            double bsum = 0;
            for (std::int64_t kh = 0; kh < k; ++kh)
              for (std::int64_t kw = 0; kw < k; ++kw) {
                double want = 0;
                for (std::int64_t n = 0; n < b; ++n)
                  for (std::int64_t yy = 0; yy < o; ++yy)
                    for (std::int64_t xx = 0; xx < o; ++xx) {
                      want += g[at(n, c, yy, xx)] * x[static_cast<std::size_t>((n * s + yy + kh) * s + xx + kw)];
                      if (kh == 0 && kw == 0) bsum += g[at(n, c, yy, xx)];
                    }
                worst = std::max(worst, std::abs(want - dw[static_cast<std::size_t>((c * k + kh) * k + kw)]));
                scale = std::max(scale, std::abs(want));
              }
            worst = std::max(worst, std::abs(bsum - db[static_cast<std::size_t>(c)]));
          }
          CAPTURE(worst);
          CAPTURE(scale);
          CHECK(worst <= 1e-5 * scale);
        }
}

TEST_CASE("an unknown NAC_KERNEL_ISA is an error naming it") {
  ModelSpec spec;
  spec.input = {4, 5, 5};
  spec.layers = {test::layer("attention", "att", {{"hidden", std::int64_t{2}}})};
  Model m(spec, 1);
  Tensor x({2, 4, 5, 5});
  x.zero();
  ::setenv("NAC_KERNEL_ISA", "avx9", 1);
  const std::string error = test::error_of([&] { m.forward(x, false); });
  ::unsetenv("NAC_KERNEL_ISA");
  CHECK(error.find("NAC_KERNEL_ISA=avx9: expected avx512, avx2 or generic") != std::string::npos);
  CHECK_NOTHROW(m.forward(x, false));
}
