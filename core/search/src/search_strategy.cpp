#include "nac/search_strategy.hpp"
#include "nac/detail/value_json.hpp"

#include <nlohmann/json.hpp>

#include "nac/error.hpp"

namespace nac {

const char* to_string(TrialStatus s) { return s == TrialStatus::Complete ? "complete" : "failed"; }

SearchStrategy::SearchStrategy(StrategyContext context) : context_(std::move(context)), rng_(context_.seed) {
  if (!context_.space) throw Error("a search strategy needs a search space");
  if (context_.directions.empty()) throw Error("a search strategy needs at least one objective");
}

Trial SearchStrategy::ask() {
  Trial t;
  t.id = next_id_++;
  if (!queued_.empty()) {
    t.genome = std::move(queued_.front());
    queued_.pop_front();
  } else {
    t.genome = propose();
    if (t.genome.size() != space().size())
      throw Error("strategy '" + strategy_name() + "' proposed " + std::to_string(t.genome.size()) +
                  " genes for a space of " + std::to_string(space().size()) + " parameters");
  }
  t.params = space().decode(t.genome);
  pending_.emplace(t.id, t);
  return t;
}

std::vector<Trial> SearchStrategy::ask(std::size_t n) {
  std::vector<Trial> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out.push_back(ask());
  return out;
}

void SearchStrategy::tell(std::uint64_t trial_id, const TrialResult& result) {
  auto it = pending_.find(trial_id);
  if (it == pending_.end())
    throw Error("strategy '" + strategy_name() + "': trial " + std::to_string(trial_id) +
                " was not asked or was already told");
  if (result.status == TrialStatus::Complete && result.values.size() != directions().size())
    throw Error("trial " + std::to_string(trial_id) + ": " + std::to_string(result.values.size()) +
                " objective values for " + std::to_string(directions().size()) + " objectives");
  Trial trial = std::move(it->second);
  pending_.erase(it);
  observe(trial, result);
}

void SearchStrategy::enqueue(const Assignment& params) { queued_.push_back(space().encode(params, rng_)); }

std::vector<double> SearchStrategy::minimized(const std::vector<double>& values) const {
  std::vector<double> out(values);
  for (std::size_t i = 0; i < out.size() && i < directions().size(); ++i)
    if (directions()[i] == Direction::Maximize) out[i] = -out[i];
  return out;
}

nlohmann::json SearchStrategy::save_state() const {
  nlohmann::json j;
  j["strategy"] = strategy_name();
  j["next_id"] = next_id_;
  j["rng"] = rng_.state();
  j["queued"] = queued_;
  nlohmann::json pending = nlohmann::json::array();
  for (const auto& [id, t] : pending_) pending.push_back({{"id", id}, {"genome", t.genome}});
  j["pending"] = pending;
  j["own"] = save_own_state();
  return j;
}

void SearchStrategy::load_state(const nlohmann::json& j) {
  try {
    if (j.at("strategy").get<std::string>() != strategy_name())
      throw Error("the saved state belongs to strategy '" + j.at("strategy").get<std::string>() + "', not '" +
                  strategy_name() + "'");
    next_id_ = detail::json_uint(j.at("next_id"));
    rng_.set_state(j.at("rng").get<std::string>());
    queued_.clear();
    for (const auto& g : j.at("queued")) queued_.push_back(g.get<std::vector<double>>());
    pending_.clear();
    for (const auto& p : j.at("pending")) {
      Trial t;
      t.id = detail::json_uint(p.at("id"));
      t.genome = p.at("genome").get<std::vector<double>>();
      t.params = space().decode(t.genome);
      pending_.emplace(t.id, std::move(t));
    }
    load_own_state(j.at("own"));
  } catch (const nlohmann::json::exception& e) {
    throw Error("corrupt state of strategy '" + strategy_name() + "': " + e.what());
  }
}

nlohmann::json SearchStrategy::save_own_state() const {
  throw Error("strategy '" + strategy_name() + "' cannot save its state (no resume)");
}

void SearchStrategy::load_own_state(const nlohmann::json&) {
  throw Error("strategy '" + strategy_name() + "' cannot restore a saved state (no resume)");
}

}  // namespace nac
