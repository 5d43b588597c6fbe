#include "grid.hpp"
#include "nac/detail/value_json.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "nac/error.hpp"
#include "search/variation.hpp"

namespace nac::search {

namespace {

const GridSettings kDefaults;
const Setting<std::int64_t> kPoints{.key = "points",
                                    .fallback = static_cast<std::int64_t>(kDefaults.points),
                                    .range = Range::between(1, 1000000),
                                    .help = "values per continuous parameter (at most this many per integer)"};
const Setting<bool> kShuffle{
    .key = "shuffle", .fallback = kDefaults.shuffle, .help = "visit the grid in a seeded random order"};
const Setting<std::string> kWhenExhausted{.key = "when_exhausted",
                                          .fallback = kDefaults.when_exhausted,
                                          .choices = {"error", "cycle", "random"},
                                          .help = "what to propose once every grid point was tried"};

}  // namespace

GridSettings GridSettings::from_config(const ConfigTable& config) {
  GridSettings s;
  s.points = static_cast<std::size_t>(config.get(kPoints));
  s.shuffle = config.get(kShuffle);
  s.when_exhausted = config.get(kWhenExhausted);
  return s;
}

std::vector<SettingInfo> GridSettings::described() { return describe_settings(kPoints, kShuffle, kWhenExhausted); }

namespace {

constexpr std::uint64_t kSaturated = std::numeric_limits<std::uint64_t>::max();

std::uint64_t sat_mul(std::uint64_t a, std::uint64_t b) {
  std::uint64_t r;
  return __builtin_mul_overflow(a, b, &r) ? kSaturated : r;
}
std::uint64_t sat_add(std::uint64_t a, std::uint64_t b) {
  std::uint64_t r;
  return __builtin_add_overflow(a, b, &r) ? kSaturated : r;
}

std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// The grid values of one parameter, in internal coordinates: every choice; every value of an
// integer or stepped float with at most `points` values, else `points` values spread evenly
// (on the log scale when log-scaled) and snapped to the grid; `points` evenly spaced values of a
// continuous float, ends included.
std::vector<double> grid_values(const Parameter& p, std::size_t points) {
  std::vector<double> out;
  if (p.kind() == ParamKind::Categorical) {
    for (std::size_t k = 0; k < p.choices().size(); ++k) out.push_back(static_cast<double>(k));
    return out;
  }
  const bool discrete = is_discrete(p);
  double lo = p.internal_low(), hi = p.internal_high();
  if (discrete) {
    const double count = std::floor((p.high() - p.low()) / p.step() + 1e-9) + 1;
    if (count <= static_cast<double>(points)) {
      for (std::size_t k = 0; k < static_cast<std::size_t>(count); ++k) {
        const double v = p.low() + p.step() * static_cast<double>(k);
        out.push_back(p.kind() == ParamKind::Int ? p.to_internal(Value(static_cast<std::int64_t>(std::llround(v))))
                                                 : snap(p, p.log() ? std::log(v) : v));
      }
      return out;
    }
    lo = p.to_internal(p.from_internal(lo));
    hi = p.to_internal(p.from_internal(hi));
  }
  for (std::size_t k = 0; k < points; ++k) {
    const double t = points == 1 ? 0.5 : static_cast<double>(k) / static_cast<double>(points - 1);
    const double x = snap(p, lo + t * (hi - lo));
    if (out.empty() || x != out.back()) out.push_back(x);
  }
  return out;
}

}  // namespace

Grid::Grid(StrategyContext context, GridSettings settings)
    : SearchStrategy(std::move(context)), settings_(std::move(settings)) {
  const auto& params = space().parameters();
  const auto& parent = space().parent_index();
  const std::size_t n = params.size();
  values_.resize(n);
  children_.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    values_[i] = grid_values(params[i], settings_.points);
    children_[i].resize(values_[i].size());
    if (parent[i] < 0) {
      roots_.push_back(i);
      continue;
    }
    const auto p = static_cast<std::size_t>(parent[i]);
    for (std::size_t k = 0; k < values_[p].size(); ++k)
      if (params[i].condition()->holds(params[p].from_internal(values_[p][k]))) children_[p][k].push_back(i);
  }
  // Children come after their parents, so counting backwards sees every child first.
  count_.assign(n, 0);
  count_value_.resize(n);
  for (std::size_t i = n; i-- > 0;) {
    count_value_[i].assign(values_[i].size(), 1);
    for (std::size_t k = 0; k < values_[i].size(); ++k) {
      for (std::size_t c : children_[i][k]) count_value_[i][k] = sat_mul(count_value_[i][k], count_[c]);
      count_[i] = sat_add(count_[i], count_value_[i][k]);
    }
  }
  for (std::size_t r : roots_) total_ = sat_mul(total_, count_[r]);
  if (total_ == kSaturated)
    throw Error("grid: the grid of this search space has more than 2^64 - 1 points; lower `points`");
  // A balanced Feistel network on 2 * half_bits_ bits, at least as many as the grid needs.
  const unsigned bits = std::max(2u, static_cast<unsigned>(std::bit_width(total_ > 0 ? total_ - 1 : 0)));
  half_bits_ = (bits + 1) / 2;
  for (int r = 0; r < 4; ++r) keys_.push_back(rng().next());
}

std::uint64_t Grid::permute(std::uint64_t i) const {
  if (!settings_.shuffle) return i;
  const std::uint64_t mask = half_bits_ >= 64 ? ~0ULL : (1ULL << half_bits_) - 1;
  // Cycle-walking: the network permutes [0, 2^(2 half_bits)), apply it until the result is inside
  // the grid; that restricts it to a permutation of [0, total).
  do {
    std::uint64_t left = i >> half_bits_, right = i & mask;
    for (const std::uint64_t key : keys_) {
      const std::uint64_t next = left ^ (mix(right ^ key) & mask);
      left = right;
      right = next;
    }
    i = (left << half_bits_) | right;
  } while (i >= total_);
  return i;
}

void Grid::decode_all(const std::vector<std::size_t>& params, std::uint64_t index, std::vector<double>& genome) const {
  for (std::size_t p : params) {
    decode(p, index % count_[p], genome);
    index /= count_[p];
  }
}

void Grid::decode(std::size_t param, std::uint64_t index, std::vector<double>& genome) const {
  for (std::size_t k = 0; k < values_[param].size(); ++k) {
    if (index < count_value_[param][k]) {
      genome[param] = values_[param][k];
      decode_all(children_[param][k], index, genome);
      return;
    }
    index -= count_value_[param][k];
  }
}

std::vector<double> Grid::configuration(std::uint64_t index) const {
  std::vector<double> genome(values_.size());
  for (std::size_t i = 0; i < values_.size(); ++i) genome[i] = values_[i].front();
  decode_all(roots_, index % total_, genome);
  return genome;
}

std::vector<double> Grid::propose() {
  if (next_ >= total_) {
    if (settings_.when_exhausted == "cycle") {
      next_ = 0;
    } else if (settings_.when_exhausted == "random") {
      auto g = space().sample(rng());
      snap_genome(space(), g);
      return g;
    } else {
      throw Error("grid: all " + std::to_string(total_) +
                  " points of the grid have been proposed; ask for at most that many trials, or set "
                  "when_exhausted = \"cycle\" or \"random\"");
    }
  }
  return configuration(permute(next_++));
}

nlohmann::json Grid::save_own_state() const { return {{"next", next_}, {"size", total_}, {"keys", keys_}}; }

void Grid::load_own_state(const nlohmann::json& j) {
  if (detail::json_uint(j.at("size")) != total_) throw Error("grid: the saved state belongs to a grid of another size");
  next_ = detail::json_uint(j.at("next"));
  keys_.clear();
  for (const auto& k : j.at("keys")) keys_.push_back(detail::json_uint(k));
}

std::unique_ptr<SearchStrategy> make_grid(const ConfigTable& config, const StrategyContext& context) {
  return std::make_unique<Grid>(context, GridSettings::from_config(config));
}

}  // namespace nac::search
