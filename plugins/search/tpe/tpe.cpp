#include "tpe.hpp"
#include "nac/detail/value_json.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <numeric>

#include <nlohmann/json.hpp>

#include "nac/error.hpp"
#include "nac/fast_math.hpp"
#include "search/variation.hpp"

namespace nac::search {

namespace {

const TpeSettings kDefaults;
Setting<std::int64_t> count(std::string key, std::size_t fallback, double lo, double hi, std::string help) {
  return {.key = std::move(key),
          .fallback = static_cast<std::int64_t>(fallback),
          .range = Range::between(lo, hi),
          .help = std::move(help)};
}
const Setting<std::int64_t> kStartup = count("startup_trials", kDefaults.startup_trials, 0, 1e9, "random trials first");
const Setting<std::int64_t> kCandidates =
    count("candidates", kDefaults.candidates, 1, 100000, "draws scored per proposal");
const Setting<double> kGamma{.key = "gamma",
                             .fallback = kDefaults.gamma,
                             .range = Range{0, 1, true, false},
                             .help = "the good group: the best min(ceil(gamma n), good_max) of n trials"};
const Setting<std::int64_t> kGoodMax = count("good_max", kDefaults.good_max, 1, 1e9, "at most this many good trials");
const Setting<double> kPriorWeight{.key = "prior_weight",
                                   .fallback = kDefaults.prior_weight,
                                   .range = Range::above(0),
                                   .help = "weight of the prior in each Parzen estimator"};
const Setting<bool> kMultivariate{.key = "multivariate",
                                  .fallback = kDefaults.multivariate,
                                  .help = "joint kernels over all parameters (false: one per parameter)"};
const Setting<bool> kConstantLiar{
    .key = "constant_liar", .fallback = kDefaults.constant_liar, .help = "pending trials of a batch count as bad ones"};
const Setting<std::string> kWeights{.key = "weights",
                                    .fallback = kDefaults.weights,
                                    .choices = {"uniform", "ramp"},
                                    .help = "ramp: older trials weigh less"};

}  // namespace

TpeSettings TpeSettings::from_config(const ConfigTable& config) {
  TpeSettings s;
  s.startup_trials = static_cast<std::size_t>(config.get(kStartup));
  s.candidates = static_cast<std::size_t>(config.get(kCandidates));
  s.gamma = config.get(kGamma);
  s.good_max = static_cast<std::size_t>(config.get(kGoodMax));
  s.prior_weight = config.get(kPriorWeight);
  s.multivariate = config.get(kMultivariate);
  s.constant_liar = config.get(kConstantLiar);
  s.weights = config.get(kWeights);
  return s;
}

std::vector<SettingInfo> TpeSettings::described() {
  return describe_settings(kStartup, kCandidates, kGamma, kGoodMax, kPriorWeight, kMultivariate, kConstantLiar,
                           kWeights);
}

namespace {

constexpr double kLogSqrt2Pi = 0.91893853320467274178;
constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kNegInf = -std::numeric_limits<double>::infinity();

// log sum_i exp(v_i); overwrites v. The exponentials are one loop that vectorises; the max and
// the sum keep four partial results so they need no reassociation by the compiler.
double log_sum_exp(double* v, std::size_t n) {
  double m[4] = {kNegInf, kNegInf, kNegInf, kNegInf};
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int k = 0; k < 4; ++k) m[k] = std::max(m[k], v[i + k]);
  for (; i < n; ++i) m[0] = std::max(m[0], v[i]);
  const double top = std::max(std::max(m[0], m[1]), std::max(m[2], m[3]));
  if (!std::isfinite(top)) return top;
  for (i = 0; i < n; ++i) v[i] = fast_exp(v[i] - top);
  double s[4] = {0, 0, 0, 0};
  for (i = 0; i + 4 <= n; i += 4)
    for (int k = 0; k < 4; ++k) s[k] += v[i + k];
  for (; i < n; ++i) s[0] += v[i];
  return top + std::log((s[0] + s[1]) + (s[2] + s[3]));
}

std::size_t draw(const std::vector<double>& cumulative, Rng& rng) {
  const double u = rng.uniform() * cumulative.back();
  const auto it = std::upper_bound(cumulative.begin(), cumulative.end(), u);
  return std::min<std::size_t>(static_cast<std::size_t>(it - cumulative.begin()), cumulative.size() - 1);
}

// One parameter's kernels in a mixture, one per component (the prior is the last component).
// Numeric kernels are Gaussians truncated to [lo, hi], stored as arrays over the components with
// their log normalisers, so that scoring a value is one vectorisable loop.
struct Factor {
  bool categorical = false;
  std::size_t choices = 0;
  double lo = 0, hi = 0;
  std::vector<double> mu, sigma, inv_sigma, log_norm;  // numeric
  std::vector<double> log_p;                           // categorical: component c, choice k at [c * choices + k]
  std::vector<double> cum_p;                           // categorical: cumulative probabilities, same layout

  void add_kernel(double m, double s) { add_kernel(m, s, std::log(s)); }
  // The same with log(s) given (kernels of one bandwidth share it).
  void add_kernel(double m, double s, double log_s) {
    const double z = 0.5 * (std::erf((hi - m) / s * kInvSqrt2) - std::erf((lo - m) / s * kInvSqrt2));
    mu.push_back(m);
    sigma.push_back(s);
    inv_sigma.push_back(1.0 / s);
    log_norm.push_back(-log_s - kLogSqrt2Pi - std::log(std::max(z, 1e-300)));
  }
  // Another copy of component c's kernel.
  void repeat_kernel(std::size_t c) {
    mu.push_back(mu[c]);
    sigma.push_back(sigma[c]);
    inv_sigma.push_back(inv_sigma[c]);
    log_norm.push_back(log_norm[c]);
  }
  // Adds log k_c(x) of every component c to out[c].
  void accumulate(double x, double* out) const {
    if (categorical) {
      const std::size_t k = choice(x);
      for (std::size_t c = 0, n = log_p.size() / choices; c < n; ++c) out[c] += log_p[c * choices + k];
      return;
    }
    const double* m = mu.data();
    const double* is = inv_sigma.data();
    const double* ln = log_norm.data();
    for (std::size_t c = 0, n = mu.size(); c < n; ++c) {
      const double t = (x - m[c]) * is[c];
      out[c] += ln[c] - 0.5 * t * t;
    }
  }
  std::size_t choice(double x) const {
    return static_cast<std::size_t>(std::clamp(std::floor(x + 0.5), 0.0, double(choices - 1)));
  }
  double sample(std::size_t c, Rng& rng) const {
    if (categorical) {
      const double u = rng.uniform() * cum_p[c * choices + choices - 1];
      for (std::size_t k = 0; k < choices; ++k)
        if (u < cum_p[c * choices + k]) return static_cast<double>(k);
      return static_cast<double>(choices - 1);
    }
    for (int i = 0; i < 100; ++i) {
      const double x = mu[c] + sigma[c] * rng.normal();
      if (x >= lo && x <= hi) return x;
    }
    return std::clamp(mu[c], lo, hi);
  }
};

// Categorical kernels for a mixture of m observations: the kernel of an observed choice gives
// every choice prior_weight / (m + 1) and the observed one 1 more, normalised; the prior's
// kernel is uniform. rows[k] is the kernel of choice k, rows[choices] the prior's, each as log
// probabilities followed by cumulative probabilities.
struct CategoricalRows {
  std::size_t choices;
  std::vector<std::vector<double>> log_p, cum_p;

  CategoricalRows(std::size_t k, std::size_t m, double prior_weight) : choices(k), log_p(k + 1), cum_p(k + 1) {
    for (std::size_t obs = 0; obs <= k; ++obs) {
      std::vector<double> row(k, obs == k ? 1.0 : prior_weight / static_cast<double>(m + 1));
      if (obs < k) row[obs] += 1.0;
      const double sum = std::accumulate(row.begin(), row.end(), 0.0);
      double cum = 0;
      for (std::size_t i = 0; i < k; ++i) {
        log_p[obs].push_back(std::log(row[i] / sum));
        cum_p[obs].push_back(cum += row[i] / sum);
      }
    }
  }
  // Appends the kernel of an observed choice (or the prior's, for obs < 0) to a factor.
  void add_to(Factor& f, int obs) const {
    const std::size_t r = obs < 0 ? choices : static_cast<std::size_t>(obs);
    f.log_p.insert(f.log_p.end(), log_p[r].begin(), log_p[r].end());
    f.cum_p.insert(f.cum_p.end(), cum_p[r].begin(), cum_p[r].end());
  }
};

int choice_index(double gene, std::size_t choices) {
  return static_cast<int>(std::clamp(std::floor(gene + 0.5), 0.0, double(choices - 1)));
}

Factor empty_factor(const Parameter& p) {
  Factor f;
  f.categorical = p.kind() == ParamKind::Categorical;
  f.choices = p.choices().size();
  f.lo = p.internal_low();
  f.hi = p.internal_high();
  return f;
}

// Log weights of a mixture of m observations (in the order they were told) and the prior (last):
// 1 each, or with `ramp` (Optuna's default weights) the observations before the last 25 rising
// linearly from 1/m to 1, so that recent trials count more; the prior weighs prior_weight.
std::vector<double> component_log_weights(std::size_t m, double prior_weight, bool ramp) {
  std::vector<double> w(m + 1, 1.0);
  w[m] = prior_weight;
  constexpr std::size_t kFlat = 25;
  if (ramp && m > kFlat) {
    const std::size_t n = m - kFlat;
    const double first = 1.0 / static_cast<double>(m);
    for (std::size_t i = 0; i < n; ++i)
      w[i] = n == 1 ? first : first + (1.0 - first) * static_cast<double>(i) / static_cast<double>(n - 1);
  }
  const double total = std::accumulate(w.begin(), w.end(), 0.0);
  for (auto& x : w) x = std::log(x / total);
  return w;
}

// Univariate estimator of one parameter from the genes of the observations where it is active
// (Bergstra et al.'s adaptive Parzen estimator as Optuna computes it): the prior (centre of the
// range, sigma = range) joins the sorted observations, each kernel's sigma is the larger gap to
// its neighbours (the outermost ones look inwards only), clipped to [range / min(100, 1 + m),
// range].
Factor univariate_factor(const Parameter& p, const std::vector<double>& genes, double prior_weight, bool ramp,
                         std::vector<double>& log_w) {
  Factor f = empty_factor(p);
  const std::size_t m = genes.size();
  log_w = component_log_weights(m, prior_weight, ramp);
  if (f.categorical) {
    const CategoricalRows rows(f.choices, m, prior_weight);
    for (double g : genes) rows.add_to(f, choice_index(g, f.choices));
    rows.add_to(f, -1);
    return f;
  }
  const double range = f.hi - f.lo;
  std::vector<double> mus(genes);
  mus.push_back(0.5 * (f.lo + f.hi));
  std::vector<std::size_t> order(mus.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return mus[a] < mus[b]; });
  const std::size_t n = mus.size();
  std::vector<double> s(n + 2);
  s[0] = f.lo;
  s[n + 1] = f.hi;
  for (std::size_t i = 0; i < n; ++i) s[i + 1] = mus[order[i]];
  std::vector<double> sigma(n);
  for (std::size_t i = 0; i < n; ++i) {
    double left = s[i + 1] - s[i], right = s[i + 2] - s[i + 1];
    if (n >= 2 && i == 0) left = 0;
    if (n >= 2 && i == n - 1) right = 0;
    sigma[order[i]] = std::max(left, right);
  }
  sigma[m] = range;  // the prior
  const double min_sigma = range / std::min(100.0, 1.0 + static_cast<double>(n));
  for (std::size_t i = 0; i < n; ++i) f.add_kernel(mus[i], std::clamp(sigma[i], min_sigma, range));
  return f;
}

// The mixture's log density at x: log sum_c w_c k_c(x).
double mixture_log_density(const Factor& f, const std::vector<double>& log_w, double x, std::vector<double>& scratch) {
  scratch.assign(log_w.begin(), log_w.end());
  f.accumulate(x, scratch.data());
  return log_sum_exp(scratch.data(), scratch.size());
}

std::vector<double> cumulative_of(const std::vector<double>& log_w) {
  std::vector<double> cum(log_w.size());
  double acc = 0;
  for (std::size_t i = 0; i < log_w.size(); ++i) cum[i] = (acc += std::exp(log_w[i]));
  return cum;
}

}  // namespace

Tpe::Tpe(StrategyContext context, TpeSettings settings) : SearchStrategy(std::move(context)), settings_(settings) {}

std::size_t Tpe::good_count(std::size_t n) const {
  if (n == 0) return 0;
  const auto by_gamma = static_cast<std::size_t>(std::ceil(settings_.gamma * static_cast<double>(n)));
  return std::clamp<std::size_t>(by_gamma, 1, std::min(settings_.good_max, n));
}

std::vector<double> Tpe::random_genome() {
  auto g = space().sample(rng());
  snap_genome(space(), g);
  return g;
}

bool Tpe::condition_met(std::size_t i, const std::vector<double>& genome, const std::vector<bool>& on) const {
  const int p = space().parent_index()[i];
  if (p < 0) return true;
  if (!on[static_cast<std::size_t>(p)]) return false;
  const auto parent = static_cast<std::size_t>(p);
  return space().parameters()[i].condition()->holds(space().parameters()[parent].from_internal(genome[parent]));
}

void Tpe::split(std::vector<const Observation*>& good, std::vector<const Observation*>& bad,
                std::vector<Observation>& liars) const {
  std::vector<std::size_t> complete;
  for (std::size_t i = 0; i < history_.size(); ++i)
    if (!history_[i].fitness.failed) complete.push_back(i);
  const std::size_t n_good = good_count(complete.size());
  std::vector<std::size_t> order;  // complete trials, best first
  if (directions().size() == 1) {
    order = complete;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      const Fitness &fa = history_[a].fitness, &fb = history_[b].fitness;
      if (fa.violation != fb.violation) return fa.violation < fb.violation;
      return fa.values[0] < fb.values[0];
    });
  } else {
    std::vector<Fitness> fit;
    fit.reserve(complete.size());
    for (std::size_t i : complete) fit.push_back(history_[i].fitness);
    for (std::size_t k : select_best(fit, n_good)) order.push_back(complete[k]);  // NSGA-II's selection
  }
  std::vector<bool> is_good(history_.size(), false);
  for (std::size_t k = 0; k < n_good && k < order.size(); ++k) is_good[order[k]] = true;
  for (std::size_t i = 0; i < history_.size(); ++i) (is_good[i] ? good : bad).push_back(&history_[i]);
  if (settings_.constant_liar) {
    liars.reserve(pending().size());
    for (const auto& [id, trial] : pending()) {
      Observation o{id, trial.genome, space().active(trial.genome), Fitness{}};
      o.fitness.failed = true;
      liars.push_back(std::move(o));
    }
    for (const auto& o : liars) bad.push_back(&o);
  }
}

std::vector<double> Tpe::propose() {
  if (complete_ < std::max<std::size_t>(settings_.startup_trials, 1)) return random_genome();
  std::vector<const Observation*> good, bad;
  std::vector<Observation> liars;
  split(good, bad, liars);
  if (good.empty()) return random_genome();
  return settings_.multivariate ? propose_multivariate(good, bad) : propose_univariate(good, bad);
}

namespace {

// A mixture of categorical kernels is one categorical distribution: the candidates are drawn
// from l's and scored by l(k) / g(k).
double categorical_choice(const Factor& l, const std::vector<double>& log_wl, const Factor& g,
                          const std::vector<double>& log_wg, std::size_t candidates, Rng& rng) {
  const std::size_t k = l.choices;
  const auto mix = [k](const Factor& f, const std::vector<double>& log_w) {
    std::vector<double> p(k, 0.0);
    for (std::size_t c = 0; c < log_w.size(); ++c) {
      const double w = std::exp(log_w[c]);
      for (std::size_t i = 0; i < k; ++i) p[i] += w * std::exp(f.log_p[c * k + i]);
    }
    return p;
  };
  const auto pl = mix(l, log_wl), pg = mix(g, log_wg);
  std::vector<double> cum(k);
  std::partial_sum(pl.begin(), pl.end(), cum.begin());
  double best = 0, best_score = kNegInf;
  for (std::size_t c = 0; c < candidates; ++c) {
    const std::size_t x = draw(cum, rng);
    const double score = std::log(pl[x]) - std::log(pg[x]);
    if (c == 0 || score > best_score) {
      best = static_cast<double>(x);
      best_score = score;
    }
  }
  return best;
}

}  // namespace

std::vector<double> Tpe::propose_univariate(const std::vector<const Observation*>& good,
                                            const std::vector<const Observation*>& bad) {
  const auto& params = space().parameters();
  std::vector<double> genome(params.size());
  std::vector<bool> on(params.size(), false);
  std::vector<double> good_genes, bad_genes, log_wl, log_wg, scratch;
  const bool ramp = settings_.weights == "ramp";
  for (std::size_t i = 0; i < params.size(); ++i) {
    const Parameter& p = params[i];
    on[i] = condition_met(i, genome, on);
    if (!on[i] || !(p.internal_high() > p.internal_low())) {
      genome[i] = snap(p, rng().uniform(p.internal_low(), p.internal_high()));  // rides along
      continue;
    }
    good_genes.clear();
    bad_genes.clear();
    for (const auto* o : good)
      if (o->active[i]) good_genes.push_back(o->genome[i]);
    for (const auto* o : bad)
      if (o->active[i]) bad_genes.push_back(o->genome[i]);
    const Factor l = univariate_factor(p, good_genes, settings_.prior_weight, ramp, log_wl);
    const Factor g = univariate_factor(p, bad_genes, settings_.prior_weight, ramp, log_wg);
    if (l.categorical) {
      genome[i] = categorical_choice(l, log_wl, g, log_wg, settings_.candidates, rng());
      continue;
    }
    const auto cum = cumulative_of(log_wl);
    double best = 0, best_score = kNegInf;
    for (std::size_t c = 0; c < settings_.candidates; ++c) {
      const double x = snap(p, l.sample(draw(cum, rng()), rng()));
      const double score = mixture_log_density(l, log_wl, x, scratch) - mixture_log_density(g, log_wg, x, scratch);
      if (c == 0 || score > best_score) {
        best = x;
        best_score = score;
      }
    }
    genome[i] = best;
  }
  return genome;
}

namespace {

// The multivariate estimator: one component per observation plus the prior (last), each a
// product of one kernel per parameter. A parameter that was inactive in an observation takes the
// prior's kernel in that component, so every component is a distribution over the whole genome
// and its marginal over the active parameters of any candidate is the product of their kernels.
// Numeric bandwidths follow Scott's rule as in Optuna's multivariate TPE:
// sigma = 0.2 m^(-1/(d+4)) range, clipped to [range / min(100, m + 2), range].
struct JointEstimator {
  std::vector<Factor> factors;  // one per parameter
  std::vector<double> log_w;    // one per component
  std::vector<double> cum_w;
};

JointEstimator joint_estimator(const SearchSpace& space, const std::vector<const Tpe::Observation*>& obs,
                               double prior_weight, bool ramp) {
  JointEstimator e;
  const std::size_t m = obs.size(), d = space.size();
  e.log_w = component_log_weights(m, prior_weight, ramp);
  e.cum_w = cumulative_of(e.log_w);
  const double shrink =
      0.2 * std::pow(std::max<double>(1.0, static_cast<double>(m)), -1.0 / (static_cast<double>(d) + 4.0));
  for (std::size_t j = 0; j < d; ++j) {
    const Parameter& p = space.parameters()[j];
    Factor f = empty_factor(p);
    if (f.categorical) {
      const CategoricalRows rows(f.choices, m, prior_weight);
      for (const auto* o : obs) rows.add_to(f, o->active[j] ? choice_index(o->genome[j], f.choices) : -1);
      rows.add_to(f, -1);
    } else {
      const double range = f.hi - f.lo, mid = 0.5 * (f.lo + f.hi);
      if (range > 0) {
        const double min_sigma = range / std::min(100.0, static_cast<double>(m) + 2.0);
        const double sigma = std::clamp(shrink * range, min_sigma, range), log_sigma = std::log(sigma);
        f.add_kernel(mid, range);  // the prior's kernel, first while building
        for (const auto* o : obs) {
          if (o->active[j]) f.add_kernel(o->genome[j], sigma, log_sigma);
          else f.repeat_kernel(0);
        }
        // Move the prior to the end, where the weights expect it.
        std::rotate(f.mu.begin(), f.mu.begin() + 1, f.mu.end());
        std::rotate(f.sigma.begin(), f.sigma.begin() + 1, f.sigma.end());
        std::rotate(f.inv_sigma.begin(), f.inv_sigma.begin() + 1, f.inv_sigma.end());
        std::rotate(f.log_norm.begin(), f.log_norm.begin() + 1, f.log_norm.end());
      } else {
        for (std::size_t c = 0; c <= m; ++c) f.add_kernel(f.lo, 1.0, 0.0);  // a fixed value: never scored
      }
    }
    e.factors.push_back(std::move(f));
  }
  return e;
}

double joint_log_density(const JointEstimator& e, const std::vector<double>& x, const std::vector<bool>& on,
                         std::vector<double>& scratch) {
  scratch.assign(e.log_w.begin(), e.log_w.end());
  for (std::size_t j = 0; j < x.size(); ++j)
    if (on[j] && e.factors[j].hi > e.factors[j].lo) e.factors[j].accumulate(x[j], scratch.data());
  return log_sum_exp(scratch.data(), scratch.size());
}

}  // namespace

std::vector<double> Tpe::propose_multivariate(const std::vector<const Observation*>& good,
                                              const std::vector<const Observation*>& bad) {
  const bool ramp = settings_.weights == "ramp";
  const JointEstimator l = joint_estimator(space(), good, settings_.prior_weight, ramp);
  const JointEstimator g = joint_estimator(space(), bad, settings_.prior_weight, ramp);
  const auto& params = space().parameters();
  std::vector<double> best, x(params.size()), scratch;
  double best_score = kNegInf;
  for (std::size_t t = 0; t < settings_.candidates; ++t) {
    const std::size_t c = draw(l.cum_w, rng());
    for (std::size_t j = 0; j < params.size(); ++j) {
      const Factor& f = l.factors[j];
      x[j] = f.hi > f.lo ? snap(params[j], f.sample(c, rng())) : snap(params[j], f.lo);
    }
    const auto on = space().active(x);
    const double score = joint_log_density(l, x, on, scratch) - joint_log_density(g, x, on, scratch);
    if (t == 0 || score > best_score) {
      best = x;
      best_score = score;
    }
  }
  return best;
}

void Tpe::observe(const Trial& trial, const TrialResult& result) {
  Observation o{trial.id, trial.genome, space().active(trial.genome), fitness_of(*this, result)};
  if (!o.fitness.failed) ++complete_;
  history_.push_back(std::move(o));
}

nlohmann::json Tpe::save_own_state() const {
  nlohmann::json h = nlohmann::json::array();
  for (const auto& o : history_)
    h.push_back({{"id", o.id},
                 {"genome", o.genome},
                 {"failed", o.fitness.failed},
                 {"violation", std::isinf(o.fitness.violation) ? -1.0 : o.fitness.violation},
                 {"values", o.fitness.values}});
  return {{"history", h}};
}

void Tpe::load_own_state(const nlohmann::json& j) {
  history_.clear();
  complete_ = 0;
  for (const auto& o : j.at("history")) {
    Observation obs;
    obs.id = detail::json_uint(o.at("id"));
    obs.genome = o.at("genome").get<std::vector<double>>();
    if (obs.genome.size() != space().size()) throw Error("tpe: the saved state does not match the search space");
    obs.active = space().active(obs.genome);
    obs.fitness.failed = o.at("failed").get<bool>();
    const double v = o.at("violation").get<double>();
    obs.fitness.violation = v < 0 ? std::numeric_limits<double>::infinity() : v;
    obs.fitness.values = o.at("values").get<std::vector<double>>();
    if (!obs.fitness.failed && obs.fitness.values.size() != directions().size())
      throw Error("tpe: the saved state holds " + std::to_string(obs.fitness.values.size()) +
                  " objective values for a trial of a search of " + std::to_string(directions().size()));
    if (!obs.fitness.failed) ++complete_;
    history_.push_back(std::move(obs));
  }
}

std::unique_ptr<SearchStrategy> make_tpe(const ConfigTable& config, const StrategyContext& context) {
  return std::make_unique<Tpe>(context, TpeSettings::from_config(config));
}

}  // namespace nac::search
