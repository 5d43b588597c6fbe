#include "jet_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>

#include "nac/error.hpp"

namespace nac::jets {

namespace {

constexpr int kW = 2, kTop = 4;  // class_names(): g, q, W, Z, t

int argmax(const float* v) { return static_cast<int>(std::max_element(v, v + kClasses) - v); }

void check(const nn::Tensor& logits, const nn::Tensor& targets) {
  if (logits.rank() != 2 || logits.dim(1) != kClasses || targets.shape() != logits.shape())
    throw Error("jets: scores need logits and one-hot targets of shape (N, 5), found " + to_string(logits.shape()) +
                " and " + to_string(targets.shape()));
}

}  // namespace

double roc_auc(const std::vector<double>& scores, const std::vector<bool>& positive) {
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
  // Ranks with ties averaged; AUC = (sum of the positives' ranks - P (P + 1) / 2) / (P N).
  double rank_sum = 0, pos = 0;
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j < order.size() && scores[order[j]] == scores[order[i]]) ++j;
    const double rank = 0.5 * static_cast<double>(i + 1 + j);  // the mean of ranks i+1 .. j
    for (std::size_t k = i; k < j; ++k)
      if (positive[order[k]]) rank_sum += rank, ++pos;
    i = j;
  }
  const double neg = static_cast<double>(scores.size()) - pos;
  if (pos == 0 || neg == 0) return 0.5;
  return (rank_sum - pos * (pos + 1) / 2) / (pos * neg);
}

double background_rejection(const std::vector<double>& scores, const std::vector<bool>& signal,
                            const std::vector<bool>& background, double efficiency) {
  std::vector<double> s;
  for (std::size_t i = 0; i < scores.size(); ++i)
    if (signal[i]) s.push_back(scores[i]);
  std::int64_t b = 0, passed = 0;
  for (std::size_t i = 0; i < scores.size(); ++i) b += background[i];
  if (s.empty() || b == 0) return 0;
  std::sort(s.begin(), s.end(), std::greater<>());
  const auto k = static_cast<std::size_t>(std::ceil(efficiency * static_cast<double>(s.size())));
  const double threshold = s[std::clamp<std::size_t>(k, 1, s.size()) - 1];
  for (std::size_t i = 0; i < scores.size(); ++i) passed += background[i] && scores[i] >= threshold;
  return static_cast<double>(b) / static_cast<double>(std::max<std::int64_t>(passed, 1));
}

Confusion confusion(const nn::Tensor& logits, const nn::Tensor& targets) {
  check(logits, targets);
  Confusion c{};
  for (std::int64_t i = 0; i < logits.dim(0); ++i)
    ++c[static_cast<std::size_t>(argmax(targets.data() + i * kClasses))]
       [static_cast<std::size_t>(argmax(logits.data() + i * kClasses))];
  return c;
}

std::vector<MetricInfo> jet_metric_info() {
  std::vector<MetricInfo> m = {
      {"error", Direction::Minimize, "share of jets whose largest output is not their class (1 - accuracy)"},
      {"accuracy", Direction::Maximize, "share of jets whose largest output is their class"},
      {"auc", Direction::Maximize, "mean over the classes of the one-vs-rest ROC AUC"}};
  for (const std::string& c : class_names())
    m.push_back({"auc_" + c, Direction::Maximize, "ROC AUC of class " + c + " against the rest"});
  for (const std::string c : {"t", "W"})
    m.push_back({"rejection_" + c, Direction::Maximize,
                 "1 / the share of q and g jets tagged as " + c + " at 50% " + c + " efficiency"});
  return m;
}

Metrics jet_metrics(const nn::Tensor& logits, const nn::Tensor& targets) {
  check(logits, targets);
  const std::int64_t n = logits.dim(0);
  std::vector<std::array<double, kClasses>> p(static_cast<std::size_t>(n));
  std::int64_t right = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const float* z = logits.data() + i * kClasses;
    const double mx = *std::max_element(z, z + kClasses);
    double sum = 0;
    for (int c = 0; c < kClasses; ++c)
      sum += p[static_cast<std::size_t>(i)][static_cast<std::size_t>(c)] = std::exp(z[c] - mx);
    for (double& v : p[static_cast<std::size_t>(i)]) v /= sum;
    right += argmax(z) == argmax(targets.data() + i * kClasses);
  }
  Metrics m;
  const double accuracy = n ? static_cast<double>(right) / static_cast<double>(n) : 0;
  m["accuracy"] = accuracy;
  m["error"] = 1 - accuracy;
  double mean = 0;
  for (int c = 0; c < kClasses; ++c) {
    std::vector<double> s(static_cast<std::size_t>(n));
    std::vector<bool> pos(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) {
      s[static_cast<std::size_t>(i)] = p[static_cast<std::size_t>(i)][static_cast<std::size_t>(c)];
      pos[static_cast<std::size_t>(i)] = argmax(targets.data() + i * kClasses) == c;
    }
    const double auc = roc_auc(s, pos);
    m["auc_" + class_names()[static_cast<std::size_t>(c)]] = auc;
    mean += auc / kClasses;
    if (c == kTop || c == kW) {  // taggers against the QCD jets
      std::vector<bool> qcd(static_cast<std::size_t>(n));
      for (std::int64_t i = 0; i < n; ++i) qcd[static_cast<std::size_t>(i)] = argmax(targets.data() + i * kClasses) < 2;
      m["rejection_" + class_names()[static_cast<std::size_t>(c)]] = background_rejection(s, pos, qcd, 0.5);
    }
  }
  m["auc"] = mean;
  return m;
}

}  // namespace nac::jets
