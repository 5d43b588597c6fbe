#pragma once
// Internal: the plot a person looks at after a search, as SVG: the second objective (x, log
// scale when it spans more than a decade, e.g. BOPs) against the first (y, e.g. the error); every
// complete trial in grey, the non-dominated set in red and joined, the named seeds (e.g. BraggNN)
// marked and labelled.
#include <filesystem>
#include <string>
#include <vector>

#include "nac/run/runner.hpp"

namespace nac {

void write_pareto_plot(const std::filesystem::path& file, const std::vector<TrialRecord>& trials,
                       const std::vector<std::size_t>& front, const std::vector<std::string>& objective_names,
                       const std::vector<std::string>& seed_names);

}  // namespace nac
