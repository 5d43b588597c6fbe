#pragma once
// Small text helpers shared by error messages.
#include <string>
#include <string_view>
#include <vector>
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac {

/// Edit distance (Levenshtein with adjacent transpositions counted as one edit).
std::size_t edit_distance(std::string_view a, std::string_view b);

/// "; did you mean 'x'?" for the closest candidate within a sensible distance, else "".
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

/// "a, b, c"
std::string join(const std::vector<std::string>& items, std::string_view separator = ", ");

/// Quotes a string for CSV when it holds a comma, quote or newline.
std::string csv_escape(const std::string& s);

}  // namespace nac
NAC_PUBLIC_END
