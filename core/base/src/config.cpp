#include "nac/config.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <toml++/toml.h>

#include "nac/error.hpp"
#include "toml_nesting.hpp"
#include "nac/text.hpp"
#include "nac/value.hpp"

namespace nac {

namespace {

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (v == std::floor(v) && std::abs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  return to_string(Value(v));
}

std::string position(const std::string& file, const toml::source_region& src) {
  if (src.begin.line == 0) return file;
  return file + ":" + std::to_string(src.begin.line) + ":" + std::to_string(src.begin.column);
}

// What a node holds, for "found ..." in messages.
std::string found(const toml::node& n) {
  std::ostringstream out;
  if (auto s = n.value<std::string>(); s && n.is_string()) return "the string \"" + *s + "\"";
  if (n.is_integer()) return "the integer " + std::to_string(*n.value<std::int64_t>());
  if (n.is_floating_point()) return "the number " + number(*n.value<double>());
  if (n.is_boolean()) return std::string("the boolean ") + (*n.value<bool>() ? "true" : "false");
  if (n.is_array()) return "an array";
  if (n.is_table()) return "a table";
  return "a date or time";
}

}  // namespace

bool Range::contains(double v) const {
  if (std::isnan(v)) return false;
  if (min_exclusive ? !(v > min) : !(v >= min)) return false;
  if (max_exclusive ? !(v < max) : !(v <= max)) return false;
  return true;
}

std::string Range::describe() const {
  const bool has_min = std::isfinite(min), has_max = std::isfinite(max);
  if (has_min && has_max)
    return std::string("in ") + (min_exclusive ? "(" : "[") + number(min) + ", " + number(max) +
           (max_exclusive ? ")" : "]");
  if (has_min) return (min_exclusive ? "> " : ">= ") + number(min);
  if (has_max) return (max_exclusive ? "< " : "<= ") + number(max);
  return "finite";
}

ConfigTable::ConfigTable(std::shared_ptr<const toml::table> root, const toml::table& table,
                         std::shared_ptr<const std::string> file, std::string path)
    : ConfigTable(std::move(root), table, std::move(file), std::move(path), std::make_shared<KnownKeys>()) {}

ConfigTable::ConfigTable(std::shared_ptr<const toml::table> root, const toml::table& table,
                         std::shared_ptr<const std::string> file, std::string path, std::shared_ptr<KnownKeys> known)
    : root_(std::move(root)), table_(&table), file_(std::move(file)), path_(std::move(path)), known_(std::move(known)) {
  const std::lock_guard lock(known_->mutex);
  keys_ = &known_->by_table[table_];
}

void ConfigTable::mark(std::string_view key) const {
  const std::lock_guard lock(known_->mutex);
  keys_->emplace(key);
}

ConfigTable ConfigTable::empty(std::string path) {
  auto doc = std::make_shared<const toml::table>();
  return ConfigTable(doc, *doc, std::make_shared<const std::string>("<no file>"), std::move(path));
}

std::string ConfigTable::dotted(std::string_view key) const {
  if (path_.empty()) return std::string(key);
  return path_ + "." + std::string(key);
}

std::string ConfigTable::where(std::string_view key) const {
  if (const toml::node* n = table_->get(key)) return position(*file_, n->source());
  return position(*file_, table_->source());
}

std::string ConfigTable::where_node(const toml::node& node) const { return position(*file_, node.source()); }

ConfigTable ConfigTable::view(const toml::table& table, std::string dotted_name) const {
  return ConfigTable(root_, table, file_, std::move(dotted_name), known_);
}

void ConfigTable::fail(std::string_view key, const std::string& message) const {
  throw Error(where(key) + ": '" + dotted(key) + "': " + message);
}

void ConfigTable::fail_at(const toml::node& node, std::string_view key, const std::string& message) const {
  throw Error(position(*file_, node.source()) + ": '" + dotted(key) + "': " + message);
}

const toml::node* ConfigTable::lookup(std::string_view key) const {
  mark(key);
  return table_->get(key);
}

bool ConfigTable::has(std::string_view key) const { return table_->get(key) != nullptr; }

void ConfigTable::allow(std::string_view key) const { mark(key); }

const toml::node* ConfigTable::node(std::string_view key) const { return lookup(key); }

namespace {

std::int64_t as_integer(const ConfigTable& c, const toml::node& n, std::string_view key, const Range& r) {
  if (!n.is_integer()) {
    std::string hint;  // 1e6 is a float in TOML: say how to write the integer it means
    if (n.is_floating_point()) {
      const double d = *n.value<double>();
      if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.2e18)
        hint = " (a number with a point or an exponent is a float in TOML; write the integer " +
               std::to_string(static_cast<std::int64_t>(d)) + ")";
    }
    c.fail_at(n, key,
              "expected an integer" +
                  (std::isfinite(r.min) || std::isfinite(r.max) ? " " + r.describe() : std::string()) + ", found " +
                  found(n) + hint);
  }
  const std::int64_t v = *n.value<std::int64_t>();
  if (!r.contains(static_cast<double>(v)))
    c.fail_at(n, key, "expected an integer " + r.describe() + ", found " + std::to_string(v));
  return v;
}

double as_real(const ConfigTable& c, const toml::node& n, std::string_view key, const Range& r) {
  if (!n.is_number()) c.fail_at(n, key, "expected a number, found " + found(n));
  const double v = *n.value<double>();
  if (!std::isfinite(v) && (std::isfinite(r.min) || std::isfinite(r.max) || std::isnan(v)))
    c.fail_at(n, key, "expected a number " + r.describe() + ", found " + number(v));
  if (!r.contains(v)) c.fail_at(n, key, "expected a number " + r.describe() + ", found " + number(v));
  return v;
}

template <class T>
T missing(const ConfigTable& c, std::string_view key, const std::optional<T>& fallback, const char* what) {
  if (!fallback) c.fail(key, std::string("missing required key (") + what + ")");
  return *fallback;
}

}  // namespace

std::int64_t ConfigTable::integer(std::string_view key, std::optional<std::int64_t> fallback, Range range) const {
  const toml::node* n = lookup(key);
  if (!n) return missing(*this, key, fallback, "an integer");
  return as_integer(*this, *n, key, range);
}

double ConfigTable::real(std::string_view key, std::optional<double> fallback, Range range) const {
  const toml::node* n = lookup(key);
  if (!n) return missing(*this, key, fallback, "a number");
  return as_real(*this, *n, key, range);
}

bool ConfigTable::boolean(std::string_view key, std::optional<bool> fallback) const {
  const toml::node* n = lookup(key);
  if (!n) return missing(*this, key, fallback, "true or false");
  if (!n->is_boolean()) fail_at(*n, key, "expected true or false, found " + found(*n));
  return *n->value<bool>();
}

std::string ConfigTable::string(std::string_view key, std::optional<std::string> fallback,
                                const std::vector<std::string>& choices) const {
  const toml::node* n = lookup(key);
  if (!n) return missing(*this, key, fallback, "a string");
  if (!n->is_string()) fail_at(*n, key, "expected a string, found " + found(*n));
  std::string v = *n->value<std::string>();
  if (!choices.empty() && std::find(choices.begin(), choices.end(), v) == choices.end())
    fail_at(*n, key, "expected one of " + join(choices) + ", found \"" + v + "\"" + did_you_mean(v, choices));
  return v;
}

namespace {
const toml::array& as_array(const ConfigTable& c, const toml::node& n, std::string_view key, const char* what) {
  if (!n.is_array()) c.fail_at(n, key, std::string("expected an array of ") + what + ", found " + found(n));
  return *n.as_array();
}
}  // namespace

std::vector<double> ConfigTable::reals(std::string_view key, std::optional<std::vector<double>> fallback,
                                       Range range) const {
  const toml::node* n = lookup(key);
  if (!n) return missing(*this, key, fallback, "an array of numbers");
  std::vector<double> out;
  for (const auto& e : as_array(*this, *n, key, "numbers")) out.push_back(as_real(*this, e, key, range));
  return out;
}

std::vector<std::int64_t> ConfigTable::integers(std::string_view key, std::optional<std::vector<std::int64_t>> fallback,
                                                Range range) const {
  const toml::node* n = lookup(key);
  if (!n) return missing(*this, key, fallback, "an array of integers");
  std::vector<std::int64_t> out;
  for (const auto& e : as_array(*this, *n, key, "integers")) out.push_back(as_integer(*this, e, key, range));
  return out;
}

std::vector<std::string> ConfigTable::strings(std::string_view key,
                                              std::optional<std::vector<std::string>> fallback) const {
  const toml::node* n = lookup(key);
  if (!n) return missing(*this, key, fallback, "an array of strings");
  std::vector<std::string> out;
  for (const auto& e : as_array(*this, *n, key, "strings")) {
    if (!e.is_string()) fail_at(e, key, "expected a string, found " + found(e));
    out.push_back(*e.value<std::string>());
  }
  return out;
}

ConfigTable ConfigTable::table(std::string_view key, bool required) const {
  const toml::node* n = lookup(key);
  if (!n) {
    if (required) fail(key, "missing required table");
    static const toml::table empty_table;
    return ConfigTable(root_, empty_table, file_, dotted(key), known_);
  }
  if (!n->is_table()) fail_at(*n, key, "expected a table, found " + found(*n));
  return ConfigTable(root_, *n->as_table(), file_, dotted(key), known_);
}

std::vector<ConfigTable> ConfigTable::tables(std::string_view key) const {
  const toml::node* n = lookup(key);
  std::vector<ConfigTable> out;
  if (!n) return out;
  const auto& arr = as_array(*this, *n, key, "tables");
  for (std::size_t i = 0; i < arr.size(); ++i) {
    if (!arr[i].is_table()) fail_at(arr[i], key, "expected a table, found " + found(arr[i]));
    out.push_back(ConfigTable(root_, *arr[i].as_table(), file_, dotted(key) + "[" + std::to_string(i) + "]", known_));
  }
  return out;
}

void ConfigTable::finish() const {
  KeySet read;
  {
    const std::lock_guard lock(known_->mutex);
    read = *keys_;
  }
  std::vector<std::string> known(read.begin(), read.end());
  const toml::key* first = nullptr;
  for (const auto& [k, v] : *table_) {
    if (read.count(k.str())) continue;
    if (!first || k.source().begin < first->source().begin) first = &k;
  }
  if (!first) return;
  std::string message = position(*file_, first->source()) + ": unknown key '" + dotted(first->str()) + "'";
  const std::string hint = did_you_mean(first->str(), known);
  if (!hint.empty()) message += hint;
  else if (!known.empty()) message += "; known keys here: " + join(known);
  else message += "; this table takes no keys";
  throw Error(message);
}

std::shared_ptr<const toml::table> parse_toml_text(const std::string& text, const std::string& file) {
  detail::check_toml_nesting(text, file);  // before the parser's recursion can overflow the stack
  try {
    return std::make_shared<const toml::table>(toml::parse(text, file));
  } catch (const toml::parse_error& e) {
    throw Error(position(file, e.source()) + ": invalid TOML: " + std::string(e.description()));
  }
}

std::shared_ptr<const toml::table> parse_toml_file(const std::string& file) {
  std::error_code ec;
  const auto type = std::filesystem::status(file, ec).type();
  if (type == std::filesystem::file_type::not_found) throw Error(file + ": no such file");
  if (type == std::filesystem::file_type::directory) throw Error(file + ": is a folder, not a TOML file");
  if (type != std::filesystem::file_type::regular && !ec) throw Error(file + ": is not a regular file");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(file + ": cannot open the file");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_toml_text(text.str(), file);
}

ConfigTable root_table(std::shared_ptr<const toml::table> doc, const std::string& file) {
  const toml::table& t = *doc;
  return ConfigTable(std::move(doc), t, std::make_shared<const std::string>(file), "");
}

}  // namespace nac
