#pragma once
// Genomes and variation operators shared by the strategies. A genome holds one internal
// coordinate per parameter (search_space.hpp); the operators here work in those coordinates, so
// log-scaled parameters vary on the log scale, and snap() puts a gene back on its domain: inside
// the internal bounds and, for integers, stepped floats and categoricals, exactly on a grid point
// (the gene is then the internal coordinate of the value it decodes to).
#include <cstdint>
#include <vector>

#include "nac/rng.hpp"
#include "nac/search_space.hpp"

namespace nac::search {

/// A gene on its domain (see above). A non-finite gene becomes the lower bound.
double snap(const Parameter& p, double x);
/// snap() of every gene.
void snap_genome(const SearchSpace& space, std::vector<double>& genome);
/// True for integers, stepped floats and categoricals.
bool is_discrete(const Parameter& p);

/// Simulated binary crossover of one gene pair (Deb and Agrawal 1995), in the bounded form of
/// Deb's NSGA-II reference code: the spread factor accounts for the distance to the bounds, so
/// both children stay in [low, high]; the children are handed back in random order. Equal
/// parents are left alone.
void sbx(double& a, double& b, double low, double high, double eta, Rng& rng);

/// Polynomial mutation of one gene (Deb and Goyal 1996), bounded form of the same code: the
/// perturbation shrinks near a bound so the result stays in [low, high].
double polynomial_mutation(double x, double low, double high, double eta, Rng& rng);

/// Categorical mutation: another choice than the current one, uniformly (the gene is an index).
double categorical_mutation(double x, std::size_t choices, Rng& rng);

/// A 64-bit key of the configuration a genome decodes to: active genes only, snapped. Genomes
/// that decode to the same assignment get the same key.
std::uint64_t configuration_key(const SearchSpace& space, const std::vector<double>& genome);

}  // namespace nac::search
