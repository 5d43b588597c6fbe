#include "fit.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include <Eigen/Dense>

namespace nac::bragg {

namespace {

// Parameters: A, row, col, w_row... in this order.
enum P { kA, kRow, kCol, kWx, kWy, kTheta, kEta, kB, kCount };
using Vec = Eigen::Matrix<double, kCount, 1>;
using Mat = Eigen::Matrix<double, kCount, kCount>;

struct Pixel {
  double y, x, value;
};

// The rotation's cosine and sine, worked out once per parameter vector (not per pixel).
struct Rotation {
  double c, s;
  explicit Rotation(const Vec& p) : c(std::cos(p[kTheta])), s(std::sin(p[kTheta])) {}
};

// Model value and gradient at one pixel.
double model(const Vec& p, const Rotation& rot, const Pixel& px, Vec* grad) {
  const double c = rot.c, s = rot.s;
  const double dx = px.x - p[kCol], dy = px.y - p[kRow];
  const double wx = p[kWx], wy = p[kWy];
  const double u = (dx * c + dy * s) / wx, v = (-dx * s + dy * c) / wy;
  const double r2 = u * u + v * v;
  const double l = 1 / (1 + r2), g = std::exp(-M_LN2 * r2);
  const double eta = p[kEta], a = p[kA];
  const double shape = eta * l + (1 - eta) * g;
  if (grad) {
    const double h = a * (-eta * l * l - (1 - eta) * M_LN2 * g);  // d f / d r2
    (*grad)[kA] = shape;
    (*grad)[kCol] = h * (2 * u * (-c / wx) + 2 * v * (s / wy));
    (*grad)[kRow] = h * (2 * u * (-s / wx) + 2 * v * (-c / wy));
    (*grad)[kWx] = h * (-2 * u * u / wx);
    (*grad)[kWy] = h * (-2 * v * v / wy);
    (*grad)[kTheta] = h * (2 * u * v * (wy / wx - wx / wy));
    (*grad)[kEta] = a * (l - g);
    (*grad)[kB] = 1;
  }
  return a * shape + p[kB];
}

double cost(const Vec& p, const std::vector<Pixel>& pixels) {
  const Rotation rot(p);
  double s = 0;
  for (const auto& px : pixels) {
    const double r = model(p, rot, px, nullptr) - px.value;
    s += r * r;
  }
  return 0.5 * s;
}

void keep_valid(Vec& p) {
  p[kWx] = std::clamp(p[kWx], 0.1, 20.0);
  p[kWy] = std::clamp(p[kWy], 0.1, 20.0);
  p[kEta] = std::clamp(p[kEta], 0.0, 1.0);
}

}  // namespace

FitResult centroid(const float* patch, std::int64_t size) {
  double sw = 0, sr = 0, sc = 0;
  for (std::int64_t r = 0; r < size; ++r)
    for (std::int64_t c = 0; c < size; ++c) {
      const double w = patch[r * size + c];
      sw += w, sr += w * (static_cast<double>(r) + 0.5), sc += w * (static_cast<double>(c) + 0.5);
    }
  FitResult f;
  const double mid = static_cast<double>(size) / 2;
  f.row = sw > 0 ? sr / sw : mid;
  f.col = sw > 0 ? sc / sw : mid;
  f.converged = sw > 0;
  return f;
}

FitResult fit_pseudo_voigt(const float* patch, std::int64_t size, int max_iterations) {
  std::vector<Pixel> pixels;
  double peak = 0;
  for (std::int64_t r = 0; r < size; ++r)
    for (std::int64_t c = 0; c < size; ++c)
      if (patch[r * size + c] > 0) {
        pixels.push_back({static_cast<double>(r) + 0.5, static_cast<double>(c) + 0.5, patch[r * size + c]});
        peak = std::max(peak, static_cast<double>(patch[r * size + c]));
      }
  FitResult start = centroid(patch, size);
  if (pixels.size() < 9) return start;

  // Start: the centroid; axes, widths and rotation from the second moments (the covariance's
  // eigenvectors); a half-Lorentzian shape.
  double sw = 0, vr = 0, vc = 0, vrc = 0;
  for (const auto& px : pixels) {
    const double dr = px.y - start.row, dc = px.x - start.col;
    sw += px.value;
    vr += px.value * dr * dr;
    vc += px.value * dc * dc;
    vrc += px.value * dr * dc;
  }
  vr /= sw, vc /= sw, vrc /= sw;
  const double theta = 0.5 * std::atan2(2 * vrc, vc - vr);
  const double mean = 0.5 * (vc + vr), spread = std::sqrt(0.25 * (vc - vr) * (vc - vr) + vrc * vrc);
  Vec p;
  p << peak, start.row, start.col, std::clamp(1.18 * std::sqrt(std::max(mean + spread, 1e-6)), 0.4, 3.0),
      std::clamp(1.18 * std::sqrt(std::max(mean - spread, 1e-6)), 0.4, 3.0), theta, 0.5, 0.0;
  double current = cost(p, pixels), lambda = 1e-3;
  FitResult f;
  for (f.iterations = 0; f.iterations < max_iterations; ++f.iterations) {
    Mat jtj = Mat::Zero();
    Vec jtr = Vec::Zero(), grad;
    const Rotation rot(p);
    for (const auto& px : pixels) {
      const double r = model(p, rot, px, &grad) - px.value;
      jtj.selfadjointView<Eigen::Lower>().rankUpdate(grad);
      jtr += grad * r;
    }
    jtj = jtj.selfadjointView<Eigen::Lower>();
    bool improved = false;
    for (int tries = 0; tries < 10 && !improved; ++tries) {
      Mat damped = jtj;
      damped.diagonal() += lambda * (jtj.diagonal().array() + 1e-12).matrix();
      Vec next = p - damped.ldlt().solve(jtr);
      keep_valid(next);
      const double c = cost(next, pixels);
      if (std::isfinite(c) && c < current) {
        const double gain = current - c;
        p = next;
        improved = true;
        lambda = std::max(lambda / 3, 1e-12);
        if (gain < 1e-10 * (current + 1e-30)) f.converged = true;
        current = c;
      } else {
        lambda *= 4;
      }
    }
    if (!improved || f.converged) {
      f.converged = true;
      break;
    }
  }
  f.cost = current;
  f.row = p[kRow];
  f.col = p[kCol];
  // A fit that wandered off the patch is no better than the centroid.
  if (!(f.row > 0 && f.row < static_cast<double>(size) && f.col > 0 && f.col < static_cast<double>(size))) {
    f.row = start.row;
    f.col = start.col;
    f.converged = false;
  }
  return f;
}

}  // namespace nac::bragg
