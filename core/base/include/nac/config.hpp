#pragma once
// ConfigTable: a validated view of one table of a TOML experiment file. Every getter checks the
// type and range of its key and throws nac::Error with file:line:col, the dotted key, what was
// expected and what was found. Keys that were never asked for are unknown: finish() reports the
// first of them with a did-you-mean suggestion. Each plugin validates its own table this way.
// The record of the keys read belongs to the table of the document, not to the C++ object: copies,
// sub-tables reached twice and views of the same TOML table share it, so a key read through any of
// them is known to all.
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "nac/export.hpp"

// TOML++'s types, declared only: a file that uses the TOML API of a ConfigTable (node(), toml(),
// view(), the parse functions' documents) includes <toml++/toml.h> itself. This header stays
// light for plugins (TOML++ is some 100,000 lines once preprocessed). config.cpp includes both,
// so a TOML++ whose namespaces differ from these declarations fails to build there.
namespace toml {
inline namespace v3 {
class node;
class table;
}  // namespace v3
}  // namespace toml

NAC_PUBLIC_BEGIN
namespace nac {

struct Range {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_exclusive = false;
  bool max_exclusive = false;

  static Range at_least(double v) { return Range{v}; }
  static Range above(double v) { return Range{v, std::numeric_limits<double>::infinity(), true}; }
  static Range between(double lo, double hi) { return Range{lo, hi}; }
  bool contains(double v) const;
  std::string describe() const;  // e.g. ">= 2", "in [0, 1]"
};

template <class T>
struct Setting;  // nac/settings.hpp

class ConfigTable {
 public:
  /// A view of `table`, which must live as long as `root` (the parsed document) does. This starts
  /// a new record of keys read; tables reached from it (table(), tables(), view()) share it.
  ConfigTable(std::shared_ptr<const toml::table> root, const toml::table& table,
              std::shared_ptr<const std::string> file, std::string path);
  /// An empty table (for plugins configured with no table at all).
  static ConfigTable empty(std::string path);
  // Copies share the record of keys read. (No moves: a moved-from table stays a usable copy.)
  ConfigTable(const ConfigTable&) = default;
  ConfigTable& operator=(const ConfigTable&) = default;

  bool has(std::string_view key) const;

  std::int64_t integer(std::string_view key, std::optional<std::int64_t> fallback, Range range = {}) const;
  double real(std::string_view key, std::optional<double> fallback, Range range = {}) const;
  bool boolean(std::string_view key, std::optional<bool> fallback) const;
  /// A string; if `choices` is not empty the value must be one of them (did-you-mean otherwise).
  std::string string(std::string_view key, std::optional<std::string> fallback,
                     const std::vector<std::string>& choices = {}) const;
  std::vector<double> reals(std::string_view key, std::optional<std::vector<double>> fallback, Range range = {}) const;
  std::vector<std::int64_t> integers(std::string_view key, std::optional<std::vector<std::int64_t>> fallback,
                                     Range range = {}) const;
  std::vector<std::string> strings(std::string_view key, std::optional<std::vector<std::string>> fallback) const;
  /// A declared setting (nac/settings.hpp): its key, default, range and choices, as declared.
  /// T: std::int64_t, double, bool, std::string, std::vector<std::int64_t | double | std::string>.
  /// An optional setting without a default gives std::nullopt when absent.
  template <class T>
  T get(const Setting<T>& setting) const;
  template <class T>
  std::optional<T> get_optional(const Setting<T>& setting) const;

  /// A sub-table; an absent key gives an empty table when `required` is false.
  ConfigTable table(std::string_view key, bool required = false) const;
  /// An array of tables (`[[key]]`); absent gives an empty list.
  std::vector<ConfigTable> tables(std::string_view key) const;
  /// The raw node (or nullptr), for values of more than one shape; marks the key as known.
  const toml::node* node(std::string_view key) const;
  /// A view of a table of the same document (e.g. an inline table inside an array).
  ConfigTable view(const toml::table& table, std::string dotted_name) const;
  /// Marks a key as known without reading it (e.g. a key the caller already consumed).
  void allow(std::string_view key) const;

  /// Throws for the first key (in file order) that no getter asked for, with a suggestion.
  void finish() const;

  /// "file:line:col" of a key (of the table itself if the key is absent).
  std::string where(std::string_view key) const;
  /// "file:line:col" of any node of this document.
  std::string where_node(const toml::node& node) const;
  /// The dotted name of a key, e.g. "strategy.population".
  std::string dotted(std::string_view key) const;
  const std::string& path() const { return path_; }
  /// The underlying TOML table (for tables whose keys are names, e.g. seeds).
  const toml::table& toml() const { return *table_; }
  const std::string& file() const { return *file_; }
  /// Throws nac::Error "file:line:col: key 'dotted': message".
  [[noreturn]] void fail(std::string_view key, const std::string& message) const;
  /// The same, for an element or position described by a node of this document.
  [[noreturn]] void fail_at(const toml::node& node, std::string_view key, const std::string& message) const;

 private:
  using KeySet = std::set<std::string, std::less<>>;
  // The keys read in every table of one document, keyed by the TOML table (shared by all the
  // ConfigTables of the document; the lock because plugins may read their tables from workers).
  struct KnownKeys {
    std::mutex mutex;
    std::map<const toml::table*, KeySet> by_table;
  };
  ConfigTable(std::shared_ptr<const toml::table> root, const toml::table& table,
              std::shared_ptr<const std::string> file, std::string path, std::shared_ptr<KnownKeys> known);
  const toml::node* lookup(std::string_view key) const;
  void mark(std::string_view key) const;

  std::shared_ptr<const toml::table> root_;
  const toml::table* table_;
  std::shared_ptr<const std::string> file_;
  std::string path_;
  std::shared_ptr<KnownKeys> known_;
  KeySet* keys_;  // this table's entry of known_ (map nodes do not move)
};

/// Parses a TOML file; a syntax error becomes nac::Error with file:line:col.
std::shared_ptr<const toml::table> parse_toml_file(const std::string& file);
/// Parses TOML text (file names the source in messages).
std::shared_ptr<const toml::table> parse_toml_text(const std::string& text, const std::string& file);
/// A ConfigTable over a whole parsed document.
ConfigTable root_table(std::shared_ptr<const toml::table> doc, const std::string& file);

}  // namespace nac
NAC_PUBLIC_END
