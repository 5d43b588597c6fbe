// The `parego` strategy: ParEGO (Knowles, "ParEGO: a hybrid algorithm with on-line landscape
// approximation for expensive multiobjective optimization problems", IEEE TEC 2006), for searches
// whose trials are expensive (a trained network each) and whose budget is a few hundred trials.
//
// After `startup` random trials, each proposal: draws a weight vector uniformly on the simplex,
// scalarises every observed trial's objectives (normalised to [0, 1] by the observed ranges) by
// the augmented Tchebycheff function max_i w_i y_i + rho sum_i w_i y_i, fits a Gaussian process
// (Matern 5/2, one length scale and a noise level chosen by the marginal likelihood on a grid)
// to those values over the trials' features, and proposes the candidate of largest expected
// improvement among random draws of the space and perturbations of the best trials. With one
// objective it is EGO. Features: a numeric parameter's internal coordinate scaled to [0, 1], a
// categorical one one-hot; an inactive parameter's features are 0.5 (numeric) or all 0.
// Pending trials (parallel workers) count as if they had scored the best value so far (a
// constant liar), so a batch spreads out. Failed trials are left out of the model.
//
// Settings: startup (random trials first; default 2 x (parameters + 1)), candidates (random
// draws scored per proposal, 1000), local (perturbations of each of the 5 best trials, 200),
// rho (0.05), max_points (trials the model is fitted to, the best by the scalarised value: 250).
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include <Eigen/Dense>
#include <nlohmann/json.hpp>

#include "nac/config.hpp"
#include "nac/error.hpp"
#include "nac/plugin.hpp"
#include "nac/search_strategy.hpp"
#include "nac/settings.hpp"
#include "search/variation.hpp"

namespace {

using nac::Range;
using nac::Setting;

const Setting<std::int64_t> kStartup{.key = "startup",
                                     .fallback = std::nullopt,
                                     .range = Range::between(1, 1e6),
                                     .help = "random trials before the model proposes (default: 2 x (parameters + 1))",
                                     .required = false};
const Setting<std::int64_t> kCandidates{
    .key = "candidates", .fallback = 1000, .range = Range::between(1, 1e6), .help = "random draws scored per proposal"};
const Setting<std::int64_t> kLocal{.key = "local",
                                   .fallback = 200,
                                   .range = Range::between(0, 1e6),
                                   .help = "perturbations scored around each of the 5 best trials"};
const Setting<double> kRho{
    .key = "rho", .fallback = 0.05, .range = Range::between(0, 10), .help = "the augmented Tchebycheff term's weight"};
const Setting<std::int64_t> kMaxPoints{.key = "max_points",
                                       .fallback = 250,
                                       .range = Range::between(4, 5000),
                                       .help =
                                           "trials the Gaussian process is fitted to (the best by the scalarised "
                                           "value): its cost grows as their cube"};

struct Settings {
  std::size_t startup = 0, candidates = 1000, local = 200, max_points = 250;
  double rho = 0.05;
};

struct Observation {
  std::vector<double> genome, values;  // values minimised
};

// Standard normal density and distribution.
double phi(double z) { return std::exp(-0.5 * z * z) / std::sqrt(2 * M_PI); }
double Phi(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

double matern52(double r, double ell) {
  const double a = std::sqrt(5.0) * r / ell;
  return (1 + a + a * a / 3) * std::exp(-a);
}

class ParEgo final : public nac::SearchStrategy {
 public:
  ParEgo(const nac::StrategyContext& context, Settings s) : SearchStrategy(context), s_(s) {
    if (s_.startup == 0) s_.startup = 2 * (space().size() + 1);
    for (const auto& p : space().parameters())
      features_ += p.kind() == nac::ParamKind::Categorical ? p.choices().size() : 1;
  }

 protected:
  std::vector<double> propose() override {
    if (observed_.size() < s_.startup) {
      std::vector<double> g = space().sample(rng());
      nac::search::snap_genome(space(), g);
      return g;
    }
    return model_proposal();
  }
  void observe(const nac::Trial& trial, const nac::TrialResult& result) override {
    if (result.status != nac::TrialStatus::Complete) return;
    observed_.push_back({trial.genome, minimized(result.values)});
  }
  nlohmann::json save_own_state() const override {
    nlohmann::json o = nlohmann::json::array();
    for (const auto& x : observed_) o.push_back({{"genome", x.genome}, {"values", x.values}});
    return {{"observed", o}};
  }
  void load_own_state(const nlohmann::json& j) override {
    observed_.clear();
    for (const auto& x : j.at("observed")) {
      Observation o{x.at("genome").get<std::vector<double>>(), x.at("values").get<std::vector<double>>()};
      if (o.genome.size() != space().size() || o.values.size() != directions().size())
        throw nac::Error("parego: the saved state does not match the search space or the objectives");
      observed_.push_back(std::move(o));
    }
  }
  std::string strategy_name() const override { return "parego"; }

 private:
  // A genome's features in [0, 1].
  Eigen::VectorXd features(const std::vector<double>& genome) const {
    Eigen::VectorXd f(static_cast<Eigen::Index>(features_));
    const std::vector<bool> active = space().active(genome);
    Eigen::Index k = 0;
    const auto& params = space().parameters();
    for (std::size_t j = 0; j < params.size(); ++j) {
      const auto& p = params[j];
      if (p.kind() == nac::ParamKind::Categorical) {
        const auto n = static_cast<Eigen::Index>(p.choices().size());
        f.segment(k, n).setZero();
        if (active[j]) {
          const auto i = std::clamp<Eigen::Index>(static_cast<Eigen::Index>(std::lround(genome[j])), 0, n - 1);
          f[k + i] = 1;
        }
        k += n;
      } else {
        const double lo = p.internal_low(), hi = p.internal_high();
        f[k++] = !active[j] ? 0.5 : hi > lo ? std::clamp((genome[j] - lo) / (hi - lo), 0.0, 1.0) : 0.5;
      }
    }
    return f;
  }

  std::vector<double> model_proposal() {
    const std::size_t m = directions().size();
    // The weights, uniform on the simplex; the objectives normalised by their observed ranges.
    std::vector<double> w(m);
    double total = 0;
    for (double& x : w) total += (x = -std::log(1 - rng().uniform()));
    for (double& x : w) x /= total;
    std::vector<double> lo(m, INFINITY), hi(m, -INFINITY);
    for (const auto& o : observed_)
      for (std::size_t i = 0; i < m; ++i) lo[i] = std::min(lo[i], o.values[i]), hi[i] = std::max(hi[i], o.values[i]);
    auto scalar = [&](const std::vector<double>& v) {
      double mx = -INFINITY, sum = 0;
      for (std::size_t i = 0; i < m; ++i) {
        const double y = hi[i] > lo[i] ? (v[i] - lo[i]) / (hi[i] - lo[i]) : 0.0;
        mx = std::max(mx, w[i] * y);
        sum += w[i] * y;
      }
      return mx + s_.rho * sum;
    };
    // The points: the best max_points observed, then the pending ones at the best value.
    std::vector<std::pair<double, std::size_t>> ranked;
    for (std::size_t i = 0; i < observed_.size(); ++i) ranked.emplace_back(scalar(observed_[i].values), i);
    std::sort(ranked.begin(), ranked.end());
    if (ranked.size() > s_.max_points) ranked.resize(s_.max_points);
    const double best = ranked.front().first;
    std::vector<Eigen::VectorXd> xs;
    std::vector<double> ys;
    for (const auto& [y, i] : ranked) xs.push_back(features(observed_[i].genome)), ys.push_back(y);
    for (const auto& [id, t] : pending()) xs.push_back(features(t.genome)), ys.push_back(best);
    const auto n = static_cast<Eigen::Index>(xs.size());
    Eigen::VectorXd y(n);
    for (Eigen::Index i = 0; i < n; ++i) y[i] = ys[static_cast<std::size_t>(i)];
    const double mean = y.mean();
    double sd = std::sqrt((y.array() - mean).square().sum() / static_cast<double>(std::max<Eigen::Index>(1, n - 1)));
    if (!(sd > 0)) sd = 1;
    y = (y.array() - mean) / sd;
    Eigen::MatrixXd dist(n, n);
    for (Eigen::Index i = 0; i < n; ++i)
      for (Eigen::Index j = 0; j <= i; ++j) dist(i, j) = dist(j, i) = (xs[i] - xs[j]).norm();
    // The length scale and noise of the largest marginal likelihood, on a grid.
    const double scale = std::sqrt(static_cast<double>(features_));
    double best_ll = -INFINITY, ell = 0.3 * scale;
    Eigen::LLT<Eigen::MatrixXd> chol;
    for (double base : {0.05, 0.1, 0.2, 0.35, 0.5, 0.8})
      for (double noise : {1e-6, 1e-4, 1e-2, 1e-1}) {
        Eigen::MatrixXd k = dist.unaryExpr([&](double r) { return matern52(r, base * scale); });
        k.diagonal().array() += noise;
        Eigen::LLT<Eigen::MatrixXd> c(k);
        if (c.info() != Eigen::Success) continue;
        const Eigen::VectorXd alpha = c.solve(y);
        const double ll = -0.5 * y.dot(alpha) - c.matrixLLT().diagonal().array().log().sum();
        if (ll > best_ll) best_ll = ll, ell = base * scale, chol = c, noise_ = noise;
      }
    if (!std::isfinite(best_ll)) {  // (no grid point factorised)
      std::vector<double> g = space().sample(rng());
      nac::search::snap_genome(space(), g);
      return g;
    }
    const Eigen::VectorXd alpha = chol.solve(y);
    const double target = (best - mean) / sd;  // the best observed, standardised

    // Candidates: random draws, and perturbations of the 5 best observed trials.
    std::vector<std::vector<double>> candidates;
    for (std::size_t i = 0; i < s_.candidates; ++i) {
      candidates.push_back(space().sample(rng()));
      nac::search::snap_genome(space(), candidates.back());
    }
    const auto& params = space().parameters();
    for (std::size_t b = 0; b < std::min<std::size_t>(5, ranked.size()); ++b)
      for (std::size_t i = 0; i < s_.local; ++i) {
        std::vector<double> g = observed_[ranked[b].second].genome;
        const double sigma = i % 3 == 0 ? 0.2 : i % 3 == 1 ? 0.05 : 0.01;
        for (std::size_t j = 0; j < g.size(); ++j) {
          const auto& p = params[j];
          if (p.kind() == nac::ParamKind::Categorical) {
            if (rng().uniform() < 0.15) g[j] = nac::search::snap(p, rng().uniform(p.internal_low(), p.internal_high()));
          } else {
            const double lo = p.internal_low(), hi = p.internal_high();
            g[j] = nac::search::snap(p, std::clamp(g[j] + sigma * (hi - lo) * rng().normal(), lo, hi));
          }
        }
        candidates.push_back(std::move(g));
      }
    const auto c = static_cast<Eigen::Index>(candidates.size());
    Eigen::MatrixXd ks(n, c);
    for (Eigen::Index j = 0; j < c; ++j) {
      const Eigen::VectorXd f = features(candidates[static_cast<std::size_t>(j)]);
      for (Eigen::Index i = 0; i < n; ++i) ks(i, j) = matern52((xs[i] - f).norm(), ell);
    }
    const Eigen::VectorXd mu = ks.transpose() * alpha;
    const Eigen::MatrixXd v = chol.matrixL().solve(ks);
    double best_ei = -INFINITY;
    std::size_t pick = 0;
    for (Eigen::Index j = 0; j < c; ++j) {
      const double var = std::max(1e-12, 1 + noise_ - v.col(j).squaredNorm());
      const double s = std::sqrt(var), z = (target - mu[j]) / s;
      const double ei = (target - mu[j]) * Phi(z) + s * phi(z);
      if (ei > best_ei) best_ei = ei, pick = static_cast<std::size_t>(j);
    }
    return candidates[pick];
  }

  Settings s_;
  std::size_t features_ = 0;
  double noise_ = 1e-6;
  std::vector<Observation> observed_;
};

void register_factories(nac::Registry& registry) {
  registry.add_strategy(
      "parego",
      [](const nac::ConfigTable& config, const nac::StrategyContext& context) {
        Settings s;
        if (const auto v = config.get_optional(kStartup)) s.startup = static_cast<std::size_t>(*v);
        s.candidates = static_cast<std::size_t>(config.get(kCandidates));
        s.local = static_cast<std::size_t>(config.get(kLocal));
        s.rho = config.get(kRho);
        s.max_points = static_cast<std::size_t>(config.get(kMaxPoints));
        return std::make_unique<ParEgo>(context, s);
      },
      "ParEGO: a Gaussian-process surrogate and expected improvement on random Tchebycheff scalarisations, "
      "for expensive trials and budgets of a few hundred",
      nac::describe_settings(kStartup, kCandidates, kLocal, kRho, kMaxPoints));
}

}  // namespace

NAC_PLUGIN("parego", "1.0.0", "ParEGO search strategy (Gaussian-process surrogate)", register_factories)
