#include "pruning.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "nac/error.hpp"
#include "nac/ops.hpp"

namespace nac::pruning {

std::vector<nn::Param*> prunable(nn::Model& model, bool biases, bool norms, std::size_t min_weights) {
  std::vector<nn::Param*> out;
  for (nn::Param* p : model.params()) {
    const LayerSpec* layer = find_layer(model.spec(), model.layer_of(*p));
    const bool norm = find_op(layer->op).normalization;
    const std::string role = nn::Model::role_of(*p);
    if (role == "scale") continue;  // a learned input scale is no weight
    if (norm ? !norms : (role == "bias" && !biases)) continue;
    if (!norm && !compressible(*layer)) continue;
    if (p->value().size() == 0 || p->value().size() < min_weights) continue;
    out.push_back(p);
  }
  if (out.empty())
    throw Error(
        "the model has no prunable layer (pruning masks the weights of convolutions, linear layers and "
        "attention blocks" +
        (min_weights ? ", of at least min_weights = " + std::to_string(min_weights) + " values" : std::string()) + ")");
  return out;
}

namespace {

// Ranks scores (masked entries as -1) and marks the k lowest as pruned; ties: lower index first.
std::vector<char> lowest(const std::vector<double>& score, std::size_t k) {
  std::vector<std::size_t> idx(score.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return score[a] < score[b]; });
  std::vector<char> pruned(score.size(), 0);
  for (std::size_t i = 0; i < k && i < idx.size(); ++i) pruned[idx[i]] = 1;
  return pruned;
}

std::size_t count_for(double sparsity, std::size_t n) {
  return static_cast<std::size_t>(std::llround(sparsity * static_cast<double>(n)));
}

bool masked(const nn::Param& p, std::size_t i) { return p.mask() && (*p.mask())[i] == 0; }

}  // namespace

std::vector<nn::Tensor> magnitude_masks(const std::vector<const nn::Param*>& params, double sparsity, Scope scope,
                                        Structure structure, Norm norm) {
  if (!(sparsity >= 0 && sparsity < 1))
    throw Error("a target sparsity must be in [0, 1), found " + std::to_string(sparsity));
  std::vector<nn::Tensor> masks;
  for (const nn::Param* p : params) {
    masks.emplace_back(p->value().shape());
    masks.back().fill(1.0f);
  }
  if (structure == Structure::Filters) {
    if (scope == Scope::Global)
      throw Error("structured pruning ranks the filters within each layer; use scope = \"layer\"");
    for (std::size_t k = 0; k < params.size(); ++k) {
      const nn::Param& p = *params[k];
      const auto rows = static_cast<std::size_t>(p.value().rank() ? p.value().dim(0) : 1);
      const std::size_t per = p.value().size() / rows;
      std::vector<double> score(rows, 0);
      for (std::size_t r = 0; r < rows; ++r) {
        bool all_masked = true;
        for (std::size_t i = r * per; i < (r + 1) * per; ++i) {
          const double v = p.value()[i];
          score[r] += norm == Norm::L1 ? std::abs(v) : v * v;
          all_masked = all_masked && masked(p, i);
        }
        score[r] = all_masked ? -1 : (norm == Norm::L2 ? std::sqrt(score[r]) : score[r]);
      }
      const auto pruned = lowest(score, count_for(sparsity, rows));
      for (std::size_t r = 0; r < rows; ++r)
        if (pruned[r]) std::fill(masks[k].data() + r * per, masks[k].data() + (r + 1) * per, 0.0f);
    }
    return masks;
  }
  if (scope == Scope::Layer) {
    for (std::size_t k = 0; k < params.size(); ++k) {
      const nn::Param& p = *params[k];
      std::vector<double> score(p.value().size());
      for (std::size_t i = 0; i < score.size(); ++i) score[i] = masked(p, i) ? -1 : std::abs(p.value()[i]);
      const auto pruned = lowest(score, count_for(sparsity, score.size()));
      for (std::size_t i = 0; i < score.size(); ++i)
        if (pruned[i]) masks[k][i] = 0;
    }
    return masks;
  }
  std::vector<double> score;
  for (const nn::Param* p : params)
    for (std::size_t i = 0; i < p->value().size(); ++i) score.push_back(masked(*p, i) ? -1 : std::abs(p->value()[i]));
  const auto pruned = lowest(score, count_for(sparsity, score.size()));
  std::size_t at = 0;
  for (std::size_t k = 0; k < params.size(); ++k)
    for (std::size_t i = 0; i < params[k]->value().size(); ++i)
      if (pruned[at++]) masks[k][i] = 0;
  return masks;
}

double masked_fraction(const std::vector<const nn::Param*>& params) {
  double zeros = 0, total = 0;
  for (const nn::Param* p : params) {
    total += static_cast<double>(p->value().size());
    for (std::size_t i = 0; i < p->value().size(); ++i) zeros += masked(*p, i);
  }
  return total > 0 ? zeros / total : 0;
}

std::vector<double> schedule_targets(Schedule schedule, double fraction, int rounds, double target) {
  std::vector<double> out;
  switch (schedule) {
    case Schedule::Iterative:
      for (int r = 1; r <= rounds; ++r) out.push_back(1 - std::pow(1 - fraction, r));
      break;
    case Schedule::OneShot: out.push_back(target); break;
    case Schedule::Agp:
      for (int r = 1; r <= rounds; ++r) out.push_back(target * (1 - std::pow(1 - static_cast<double>(r) / rounds, 3)));
      break;
  }
  return out;
}

}  // namespace nac::pruning
