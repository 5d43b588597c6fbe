#include "toml_nesting.hpp"

#include <vector>

#include "nac/error.hpp"

namespace nac::detail {

namespace {

class Scanner {
 public:
  Scanner(const std::string& text, const std::string& file) : s_(text), file_(file) {}

  void run() {
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (c == '#') {
        skip_comment();
      } else if (c == '"' || c == '\'') {
        skip_string();
      } else if (c == '\n') {
        newline();
      } else {
        structural(c);
        advance();
      }
    }
  }

 private:
  void advance() {
    ++i_;
    ++col_;
  }
  void newline() {
    advance();
    ++line_;
    col_ = 1;
    if (open_.empty()) {  // a new statement: a key, or a table header
      in_key_ = true;
      key_dots_ = 0;
      line_start_ = true;
    }
  }
  void skip_comment() {
    while (i_ < s_.size() && s_[i_] != '\n') advance();
  }
  void skip_string() {
    const char q = s_[i_];
    const bool triple = s_.compare(i_, 3, std::string(3, q)) == 0;
    const std::size_t open = triple ? 3 : 1;
    for (std::size_t k = 0; k < open; ++k) advance();
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (q == '"' && c == '\\') {
        advance();
        if (i_ < s_.size() && s_[i_] == '\n') {
          ++line_;
          col_ = 0;
        }
        advance();
        continue;
      }
      if (c == '\n') {
        if (!triple) return;  // an unterminated string: the parser says so
        ++line_;
        col_ = 0;
      }
      if (c == q && (!triple || s_.compare(i_, 3, std::string(3, q)) == 0)) {
        for (std::size_t k = 0; k < open; ++k) advance();
        return;
      }
      advance();
    }
  }
  // A table header [a.b.c] or [[a.b.c]]: its dots set the depth of what follows.
  void header() {
    std::size_t dots = 0;
    while (i_ < s_.size() && s_[i_] != '\n' && s_[i_] != ']') {
      if (s_[i_] == '"' || s_[i_] == '\'') {
        skip_string();
        continue;
      }
      if (s_[i_] == '.') check(++dots + 1);
      advance();
    }
    header_depth_ = dots + 1;
    in_key_ = false;  // the rest of the line is a comment or an error for the parser
  }
  void structural(char c) {
    const bool first = line_start_;
    if (c != ' ' && c != '\t' && c != '\r') line_start_ = false;
    if (first && open_.empty() && c == '[') {
      advance();
      if (i_ < s_.size() && s_[i_] == '[') advance();
      header();
      --i_;  // (run() advances past the character it handed over)
      --col_;
      return;
    }
    if (in_key_) {
      if (c == '.') check(header_depth_ + open_.size() + ++key_dots_ + 1);
      if (c == '=') in_key_ = false;
      return;
    }
    if (c == '[' || c == '{') {
      open_.push_back(c);
      check(header_depth_ + open_.size() + key_dots_ + 1);
      if (c == '{') {
        in_key_ = true;
        key_dots_ = 0;
      }
    } else if ((c == ']' || c == '}') && !open_.empty()) {
      open_.pop_back();
    } else if (c == ',' && !open_.empty() && open_.back() == '{') {
      in_key_ = true;
      key_dots_ = 0;
    }
  }
  void check(std::size_t depth) const {
    if (depth > kMaxTomlNesting)
      throw Error(file_ + ":" + std::to_string(line_) + ":" + std::to_string(col_) + ": nested deeper than " +
                  std::to_string(kMaxTomlNesting) +
                  " levels (tables, dotted keys, arrays and inline tables together); an experiment file needs a "
                  "handful");
  }

  const std::string& s_;
  const std::string& file_;
  std::size_t i_ = 0, line_ = 1, col_ = 1;
  bool in_key_ = true, line_start_ = true;
  std::size_t key_dots_ = 0, header_depth_ = 0;
  std::vector<char> open_;  // the arrays and inline tables open here
};

}  // namespace

void check_toml_nesting(const std::string& text, const std::string& file) { Scanner(text, file).run(); }

}  // namespace nac::detail
