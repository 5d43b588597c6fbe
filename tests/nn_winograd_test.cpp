// 3x3 convolutions of stride 1 with 16 or more channels run as Winograd F(4x4, 3x3) when the tiles
// save enough (conv2d_winograd.cpp; the cases here all do), by chunks of samples (BraggNN's c2 here
// takes 10 samples per chunk: 23 samples are 3 chunks over 2 threads):
// their output, input gradient and weight and bias gradients against the direct sums computed
// here in double, with padding 0 and 1, outputs whose side is not a multiple of 4 (tiles cut by
// the edge), non-square images and a fused leaky relu.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "nac/nn/model.hpp"
#include "nac/nn/runtime.hpp"
#include "nn_test_support.hpp"

using namespace nac;
using namespace nac::nn;

namespace {

struct WinoCase {
  std::int64_t batch, c, o, h, w, pad;
  bool act;
};

double wino_worst(const Tensor& got, const std::vector<double>& want) {
  REQUIRE(got.size() == want.size());
  double scale = 1e-30, worst = 0;
  for (double v : want) scale = std::max(scale, std::abs(v));
  for (std::size_t i = 0; i < want.size(); ++i) worst = std::max(worst, std::abs(got[i] - want[i]) / scale);
  return worst;
}

}  // namespace

TEST_CASE("Winograd 3x3 convolutions match the direct sums in double: output, input, weight and bias gradients") {
  using I = std::int64_t;
  const double slope = 0.1;
  for (const WinoCase& k : {WinoCase{3, 20, 16, 9, 9, 0, false}, WinoCase{2, 16, 17, 7, 7, 1, true},
                            WinoCase{23, 64, 32, 9, 9, 0, true}, WinoCase{1, 33, 16, 13, 10, 1, false}}) {
    CAPTURE(k.c);
    CAPTURE(k.o);
    CAPTURE(k.pad);
    ModelSpec s;
    s.input = {k.c, k.h, k.w};
    s.layers = {test::layer("conv2d", "conv", {{"out_channels", k.o}, {"kernel", I{3}}, {"padding", k.pad}})};
    if (k.act) s.layers.push_back(test::layer("leaky_relu", "act", {{"slope", slope}}));
    set_threads(2);
    Model m(s, 7);
    Rng rng(11);
    const Tensor x = test::random_tensor({k.batch, k.c, k.h, k.w}, rng);
    const Tensor y = m.forward(x, true);
    const I oh = k.h + 2 * k.pad - 2, ow = k.w + 2 * k.pad - 2;
    REQUIRE(y.size() == static_cast<std::size_t>(k.batch * oh * ow * k.o));
    const Tensor r = test::random_tensor(y.shape(), rng);
    Tensor dx;
    m.backward(r, &dx);

    const Tensor& w = m.param("conv.weight")->value();  // (O, C, 3, 3)
    const Tensor& bias = m.param("conv.bias")->value();
    // Model::forward takes and gives NCHW: x(b, c, row, col); out of the image (padding) reads 0.
    auto xv = [&](I b, I row, I col, I c) -> double {
      if (row < 0 || row >= k.h || col < 0 || col >= k.w) return 0;
      return x[static_cast<std::size_t>(((b * k.c + c) * k.h + row) * k.w + col)];
    };
    auto wv = [&](I o, I c, I a, I b) { return double(w[static_cast<std::size_t>(((o * k.c + c) * 3 + a) * 3 + b)]); };
    std::vector<double> want_y(y.size()), dz(y.size());
    for (I b = 0; b < k.batch; ++b)
      for (I i = 0; i < oh; ++i)
        for (I j = 0; j < ow; ++j)
          for (I o = 0; o < k.o; ++o) {
            double z = bias[static_cast<std::size_t>(o)];
            for (I c = 0; c < k.c; ++c)
              for (I a = 0; a < 3; ++a)
                for (I e = 0; e < 3; ++e) z += xv(b, i + a - k.pad, j + e - k.pad, c) * wv(o, c, a, e);
            const std::size_t at = static_cast<std::size_t>(((b * k.o + o) * oh + i) * ow + j);
            want_y[at] = k.act && z < 0 ? slope * z : z;
            dz[at] = k.act && z < 0 ? slope * r[at] : r[at];
          }
    CHECK(wino_worst(y, want_y) < 1e-5);

    std::vector<double> want_dx(x.size(), 0.0), want_dw(w.size(), 0.0), want_db(static_cast<std::size_t>(k.o), 0.0);
    for (I b = 0; b < k.batch; ++b)
      for (I i = 0; i < oh; ++i)
        for (I j = 0; j < ow; ++j)
          for (I o = 0; o < k.o; ++o) {
            const double g = dz[static_cast<std::size_t>(((b * k.o + o) * oh + i) * ow + j)];
            want_db[static_cast<std::size_t>(o)] += g;
            for (I c = 0; c < k.c; ++c)
              for (I a = 0; a < 3; ++a)
                for (I e = 0; e < 3; ++e) {
                  const I row = i + a - k.pad, col = j + e - k.pad;
                  if (row < 0 || row >= k.h || col < 0 || col >= k.w) continue;
                  want_dx[static_cast<std::size_t>(((b * k.c + c) * k.h + row) * k.w + col)] += g * wv(o, c, a, e);
                  want_dw[static_cast<std::size_t>(((o * k.c + c) * 3 + a) * 3 + e)] += g * xv(b, row, col, c);
                }
          }
    CHECK(wino_worst(dx, want_dx) < 1e-5);
    CHECK(wino_worst(m.param("conv.weight")->grad(), want_dw) < 1e-5);
    CHECK(wino_worst(m.param("conv.bias")->grad(), want_db) < 1e-5);

    // The same model, input and thread count again: the same bytes.
    Model again(s, 7);
    const Tensor y2 = again.forward(x, true);
    Tensor dx2;
    again.backward(r, &dx2);
    CHECK(std::memcmp(y.data(), y2.data(), y.size() * sizeof(float)) == 0);
    CHECK(std::memcmp(dx.data(), dx2.data(), dx.size() * sizeof(float)) == 0);
    const Tensor& g1 = m.param("conv.weight")->grad();
    CHECK(std::memcmp(g1.data(), again.param("conv.weight")->grad().data(), g1.size() * sizeof(float)) == 0);
  }
}
