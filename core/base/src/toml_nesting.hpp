#pragma once
// A bound on how deep a TOML document nests, checked before the TOML parser sees it: the parser
// recurses once per level of tables and dotted keys, and 50,000 levels (a 290 KB file) overflow
// the stack. The levels counted are those of the table header in force, the dotted key, and the
// arrays and inline tables open around it.
#include <cstddef>
#include <string>

namespace nac::detail {

inline constexpr std::size_t kMaxTomlNesting = 64;

/// Throws nac::Error "FILE:LINE:COL: ..." at the first place that nests deeper than
/// kMaxTomlNesting. Strings and comments are skipped; malformed text is left to the parser.
void check_toml_nesting(const std::string& text, const std::string& file);

}  // namespace nac::detail
