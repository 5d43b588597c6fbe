#pragma once
// Ranking of evaluated trials for the search strategies: fast non-dominated sorting (an
// O(N log N) sweep for two objectives, ENS-SS above that), crowding distance, and Deb's
// constrained domination with failed trials ranked last. Every function is deterministic: ties
// keep input order.
#include <cstddef>
#include <vector>

#include "nac/pareto.hpp"
#include "nac/search_strategy.hpp"

namespace nac::search {

/// What ranking needs to know about one finished trial (objectives already minimised).
struct Fitness {
  bool failed = false;         // a failed evaluation: ranked after everything else
  double violation = 0;        // total constraint violation, 0 when feasible
  std::vector<double> values;  // minimised objective values (empty when failed)
};

/// Sum of the positive constraint values (NaN counts as infinitely violated).
double total_violation(const std::vector<double>& constraints);

/// The Fitness of a told result: minimised values; a complete result with a non-finite value is
/// treated as failed.
Fitness fitness_of(const SearchStrategy& strategy, const TrialResult& result);

/// Pareto fronts of points (minimisation): fronts[0] holds the indices of the non-dominated
/// points, fronts[1] those dominated only by fronts[0], and so on; each front in input order.
/// Identical points share a front. Two objectives: O(N log N); more: ENS-SS (sequential search
/// over fronts after a lexicographic sort), O(M N^2) in the worst case.
std::vector<std::vector<std::size_t>> non_dominated_fronts(const std::vector<Point>& points);

/// Fronts under constrained domination: the feasible complete trials by Pareto fronts, then the
/// infeasible ones, one front per distinct violation (smallest first), then the failed ones.
std::vector<std::vector<std::size_t>> constrained_fronts(const std::vector<Fitness>& items);

/// Crowding distance (Deb et al. 2002) of the members of one front, aligned with `front`:
/// infinite for the extremes of each objective, else the sum over objectives of the normalised
/// gap between the two neighbours. Members without values (failed) get 0.
std::vector<double> crowding_distance(const std::vector<Fitness>& items, const std::vector<std::size_t>& front);
std::vector<double> crowding_distance(const std::vector<Point>& points, const std::vector<std::size_t>& front);

/// Rank (front number) and crowding distance of each item.
struct RankedItem {
  int rank = 0;
  double crowding = 0;
};

/// The indices of the `n` best items by (front, then larger crowding distance), in that order;
/// `ranked` receives every item's rank and crowding (crowding computed on whole fronts, before
/// the last front is cut). This is NSGA-II's environmental selection.
std::vector<std::size_t> select_best(const std::vector<Fitness>& items, std::size_t n,
                                     std::vector<RankedItem>* ranked = nullptr);

}  // namespace nac::search
