#include "nsga2.hpp"
#include "nac/detail/value_json.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "nac/error.hpp"
#include "search/variation.hpp"

namespace nac::search {

namespace {
// How many pairs of children are drawn before a duplicate configuration is accepted.
constexpr int kDuplicateAttempts = 20;
}  // namespace

namespace {

const Nsga2Settings kDefaults;
const Setting<std::int64_t> kPopulation{.key = "population",
                                        .fallback = static_cast<std::int64_t>(kDefaults.population),
                                        .range = Range::between(2, 1000000),
                                        .help = "individuals per generation"};
const Setting<double> kCrossoverProbability{.key = "crossover_probability",
                                            .fallback = kDefaults.crossover_probability,
                                            .range = Range::between(0, 1),
                                            .help = "chance that two parents are crossed"};
const Setting<double> kCrossoverEta{.key = "crossover_eta",
                                    .fallback = kDefaults.crossover_eta,
                                    .range = Range::between(0, 1000),
                                    .help = "SBX distribution index (larger: children nearer their parents)"};
const Setting<double> kMutationEta{.key = "mutation_eta",
                                   .fallback = kDefaults.mutation_eta,
                                   .range = Range::between(0, 1000),
                                   .help = "polynomial mutation's distribution index"};
const Setting<double> kMutationProbability{.key = "mutation_probability",
                                           .fallback = std::nullopt,
                                           .range = Range::between(0, 1),
                                           .help = "chance per gene of a mutation (default: 1 / number of parameters)",
                                           .required = false};
const Setting<bool> kDeduplicate{
    .key = "deduplicate", .fallback = kDefaults.deduplicate, .help = "never propose a configuration already tried"};

}  // namespace

Nsga2Settings Nsga2Settings::from_config(const ConfigTable& config) {
  Nsga2Settings s;
  s.population = static_cast<std::size_t>(config.get(kPopulation));
  s.crossover_probability = config.get(kCrossoverProbability);
  s.crossover_eta = config.get(kCrossoverEta);
  s.mutation_eta = config.get(kMutationEta);
  s.mutation_probability = config.get_optional(kMutationProbability);
  s.deduplicate = config.get(kDeduplicate);
  return s;
}

std::vector<SettingInfo> Nsga2Settings::described() {
  return describe_settings(kPopulation, kCrossoverProbability, kCrossoverEta, kMutationEta, kMutationProbability,
                           kDeduplicate);
}

Nsga2::Nsga2(StrategyContext context, Nsga2Settings settings)
    : SearchStrategy(std::move(context)), settings_(settings) {
  if (settings_.population < 2) throw Error("nsga2: the population needs at least 2 individuals");
  mutation_probability_ = settings_.mutation_probability
                              ? *settings_.mutation_probability
                              : 1.0 / static_cast<double>(std::max<std::size_t>(1, space().size()));
}

bool Nsga2::remember(const std::vector<double>& genome) {
  if (!settings_.deduplicate) return true;
  return seen_.insert(configuration_key(space(), genome)).second;
}

std::size_t Nsga2::tournament() {
  const std::size_t n = parents_.size();
  const std::size_t i = rng().below(n);
  if (n < 2) return i;
  std::size_t j = rng().below(n - 1);
  if (j >= i) ++j;
  const RankedItem& a = parent_rank_[i];
  const RankedItem& b = parent_rank_[j];
  if (a.rank != b.rank) return a.rank < b.rank ? i : j;
  if (a.crowding != b.crowding) return a.crowding > b.crowding ? i : j;
  return rng().uniform() < 0.5 ? i : j;
}

std::pair<std::vector<double>, std::vector<double>> Nsga2::vary(const std::vector<double>& pa,
                                                                const std::vector<double>& pb, Rng& r) const {
  std::vector<double> a = pa, b = pb;
  const auto& params = space().parameters();
  if (r.uniform() < settings_.crossover_probability) {
    for (std::size_t i = 0; i < params.size(); ++i) {
      // Each gene is recombined with probability 1/2 (uniform crossover for categoricals, SBX
      // for numbers), as in Deb's reference code.
      if (r.uniform() >= 0.5) continue;
      const Parameter& p = params[i];
      if (p.kind() == ParamKind::Categorical) std::swap(a[i], b[i]);
      else sbx(a[i], b[i], p.internal_low(), p.internal_high(), settings_.crossover_eta, r);
    }
  }
  for (auto* child : {&a, &b}) {
    for (std::size_t i = 0; i < params.size(); ++i) {
      if (r.uniform() >= mutation_probability_) continue;
      const Parameter& p = params[i];
      double& g = (*child)[i];
      if (p.kind() == ParamKind::Categorical) g = categorical_mutation(g, p.choices().size(), r);
      else g = polynomial_mutation(g, p.internal_low(), p.internal_high(), settings_.mutation_eta, r);
    }
    snap_genome(space(), *child);
  }
  return {std::move(a), std::move(b)};
}

std::vector<double> Nsga2::random_genome() {
  std::vector<double> g;
  for (int attempt = 0; attempt < kDuplicateAttempts; ++attempt) {
    g = space().sample(rng());
    snap_genome(space(), g);
    if (remember(g)) break;
  }
  return g;
}

void Nsga2::make_children() {
  for (int attempt = 0; attempt < kDuplicateAttempts; ++attempt) {
    const std::size_t i = tournament(), j = tournament();
    auto [a, b] = vary(parents_[i].genome, parents_[j].genome, rng());
    if (remember(a)) children_.push_back(std::move(a));
    if (remember(b)) children_.push_back(std::move(b));
    if (!children_.empty()) return;
  }
  // Variation keeps repeating configurations (a small discrete space, or a converged
  // population): a random one instead, new if one can be found.
  children_.push_back(random_genome());
}

std::vector<double> Nsga2::propose() {
  // The first generation: uniform random genomes (enqueued seeds join it through tell).
  if (parents_.empty()) return random_genome();
  if (children_.empty()) make_children();
  std::vector<double> g = std::move(children_.front());
  children_.pop_front();
  return g;
}

void Nsga2::observe(const Trial& trial, const TrialResult& result) {
  if (settings_.deduplicate) seen_.insert(configuration_key(space(), trial.genome));
  incoming_.push_back(Member{trial.id, trial.genome, fitness_of(*this, result)});
  if (incoming_.size() >= settings_.population) select();
}

void Nsga2::select() {
  std::vector<Member> pool = std::move(parents_);
  pool.insert(pool.end(), std::make_move_iterator(incoming_.begin()), std::make_move_iterator(incoming_.end()));
  incoming_.clear();
  std::vector<Fitness> fit;
  fit.reserve(pool.size());
  for (const auto& m : pool) fit.push_back(m.fitness);
  std::vector<RankedItem> ranked;
  const auto chosen = select_best(fit, settings_.population, &ranked);
  parents_.clear();
  parent_rank_.clear();
  for (std::size_t i : chosen) {
    parents_.push_back(std::move(pool[i]));
    parent_rank_.push_back(ranked[i]);
  }
  ++generation_;
}

namespace {

// JSON has no infinity: an infinite (non-negative) quantity is stored as -1.
double to_json_number(double x) { return std::isinf(x) ? -1.0 : x; }
double from_json_number(double x) { return x < 0 ? std::numeric_limits<double>::infinity() : x; }

nlohmann::json member_json(const Nsga2::Member& m) {
  return {{"id", m.id},
          {"genome", m.genome},
          {"failed", m.fitness.failed},
          {"violation", to_json_number(m.fitness.violation)},
          {"values", m.fitness.values}};
}

Nsga2::Member member_from(const nlohmann::json& j) {
  Nsga2::Member m;
  m.id = detail::json_uint(j.at("id"));
  m.genome = j.at("genome").get<std::vector<double>>();
  m.fitness.failed = j.at("failed").get<bool>();
  m.fitness.violation = from_json_number(j.at("violation").get<double>());
  m.fitness.values = j.at("values").get<std::vector<double>>();
  return m;
}

}  // namespace

nlohmann::json Nsga2::save_own_state() const {
  nlohmann::json parents = nlohmann::json::array(), incoming = nlohmann::json::array();
  for (std::size_t i = 0; i < parents_.size(); ++i) {
    auto j = member_json(parents_[i]);
    j["rank"] = parent_rank_[i].rank;
    j["crowding"] = to_json_number(parent_rank_[i].crowding);
    parents.push_back(std::move(j));
  }
  for (const auto& m : incoming_) incoming.push_back(member_json(m));
  std::vector<std::uint64_t> seen(seen_.begin(), seen_.end());
  std::sort(seen.begin(), seen.end());
  return {{"generation", generation_},
          {"parents", parents},
          {"incoming", incoming},
          {"children", children_},
          {"seen", seen}};
}

void Nsga2::load_own_state(const nlohmann::json& j) {
  generation_ = detail::json_uint(j.at("generation"));
  parents_.clear();
  parent_rank_.clear();
  for (const auto& p : j.at("parents")) {
    parents_.push_back(member_from(p));
    parent_rank_.push_back(
        RankedItem{detail::json_int(p.at("rank")), from_json_number(p.at("crowding").get<double>())});
  }
  incoming_.clear();
  for (const auto& p : j.at("incoming")) incoming_.push_back(member_from(p));
  children_.clear();
  for (const auto& c : j.at("children")) children_.push_back(c.get<std::vector<double>>());
  seen_.clear();
  for (const auto& k : j.at("seen")) seen_.insert(detail::json_uint(k));
  const auto check = [&](const std::vector<double>& g) {
    if (g.size() != space().size()) throw Error("nsga2: the saved state does not match the search space");
  };
  const auto check_member = [&](const Member& m) {
    check(m.genome);
    if (!m.fitness.failed && m.fitness.values.size() != directions().size())
      throw Error("nsga2: the saved state holds " + std::to_string(m.fitness.values.size()) +
                  " objective values for a trial of a search of " + std::to_string(directions().size()));
  };
  for (const auto& m : parents_) check_member(m);
  for (const auto& m : incoming_) check_member(m);
  for (const auto& c : children_) check(c);
}

std::unique_ptr<SearchStrategy> make_nsga2(const ConfigTable& config, const StrategyContext& context) {
  return std::make_unique<Nsga2>(context, Nsga2Settings::from_config(config));
}

}  // namespace nac::search
