#include "jet_files.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <string_view>
#include <system_error>

#include "jet_features.hpp"
#include "jet_generator.hpp"
#include "nac/data/array_io.hpp"
#include "nac/error.hpp"
#include "nac/memory.hpp"
#include "nac/text.hpp"

namespace nac::jets {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kNone = static_cast<std::size_t>(-1);

std::string_view trim(std::string_view s) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A float as short as it reads back ("1", "0.5", "nan").
std::string number(double v) {
  char buf[64];
  const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  return std::string(buf, end);
}

// The class of a label: g, q, w, z, t in any case; -1 for anything else.
int class_of(std::string_view label) {
  static const std::string letters = "gqwzt";  // class_names() order: g, q, W, Z, t
  const std::string l = lower(trim(label));
  return l.size() == 1 && letters.find(l[0]) != std::string::npos ? static_cast<int>(letters.find(l[0])) : -1;
}

// The index of `name` among `names`, kNone if absent; a name listed twice is an error
// "CONTEXT names 'x' twice (at 3 and 9)".
std::size_t find_name(const std::vector<std::string>& names, const std::string& name, bool any_case,
                      const std::string& context) {
  std::size_t found = kNone;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (any_case ? lower(names[i]) != lower(name) : names[i] != name) continue;
    if (found != kNone)
      throw Error(context + " names '" + name + "' twice (at " + std::to_string(found) + " and " + std::to_string(i) +
                  ")");
    found = i;
  }
  return found;
}

// ---- the OpenML table (CSV or ARFF) ----

// Splits a row into its fields without their quotes: CSV quotes with " (doubled inside quotes),
// ARFF with ' or " (a backslash escapes the next character). Unquoted fields lose surrounding
// blanks. Returns what is wrong with the row, "" if nothing.
std::string split(std::string_view line, bool arff, std::vector<std::string>& fields) {
  fields.clear();
  const auto blank = [](char c) { return c == ' ' || c == '\t'; };
  std::size_t i = 0;
  while (true) {
    while (i < line.size() && blank(line[i])) ++i;
    std::string field;
    if (i < line.size() && (line[i] == '"' || (arff && line[i] == '\''))) {
      const char quote = line[i++];
      bool closed = false;
      while (i < line.size() && !closed) {
        const char c = line[i++];
        if (c == quote && !arff && i < line.size() && line[i] == quote) {
          field += quote;
          ++i;
        } else if (c == quote) {
          closed = true;
        } else if (c == '\\' && arff && i < line.size()) {
          field += line[i++];
        } else {
          field += c;
        }
      }
      if (!closed) return "a quote (" + std::string(1, quote) + ") is not closed on its line";
      while (i < line.size() && blank(line[i])) ++i;
      if (i < line.size() && line[i] != ',')
        return "text after the closing quote of value " + std::to_string(fields.size() + 1);
    } else {
      const std::size_t end = std::min(line.find(',', i), line.size());
      field = std::string(trim(line.substr(i, end - i)));
      i = end;
    }
    fields.push_back(std::move(field));
    if (i >= line.size()) return "";
    ++i;  // the comma
  }
}

// A decimal number as the float nearest to it; false if it is none or not finite.
bool parse_float(std::string_view s, float& out) {
  s = trim(s);
  if (s.size() > 1 && s[0] == '+' && s[1] != '-') s.remove_prefix(1);
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, out);
  if (ec == std::errc::result_out_of_range) {  // beyond float's range: through double (underflow to 0)
    double d = 0;
    auto [q, dec] = std::from_chars(s.data(), end, d);
    p = q;
    ec = dec;
    out = static_cast<float>(d);
  }
  return ec == std::errc() && p == end && std::isfinite(out);
}

// An ARFF @attribute's name: quoted, or up to the first blank.
std::string attribute_name(std::string_view rest, const std::string& where) {
  rest = trim(rest);
  if (rest.empty()) throw Error(where + ": @attribute without a name");
  if (rest[0] == '\'' || rest[0] == '"') {
    std::string name;
    for (std::size_t i = 1; i < rest.size(); ++i) {
      if (rest[i] == rest[0]) return name;
      if (rest[i] == '\\' && i + 1 < rest.size()) ++i;
      name += rest[i];
    }
    throw Error(where + ": the quoted name of an @attribute is not closed");
  }
  return std::string(rest.substr(0, std::min(rest.find_first_of(" \t"), rest.size())));
}

}  // namespace

HlfTable read_hlf_table(const fs::path& file) {
  const std::string path = file.string();
  std::error_code ec;
  if (fs::is_directory(file, ec)) throw Error(path + ": is a folder, not a table");
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw Error(path +
                (fs::exists(file, ec) ? ": cannot open: " + std::string(std::strerror(errno)) : ": no such file"));

  std::string line;
  std::int64_t number_of_line = 0;
  bool arff = false;
  // The next line that is not blank (nor a % comment in ARFF, or before the format is known).
  const auto next = [&](bool comments) {
    while (std::getline(in, line)) {
      ++number_of_line;
      if (!line.empty() && line.back() == '\r') line.pop_back();  // CRLF line ends
      const std::string_view t = trim(line);
      if (!t.empty() && !(comments && t[0] == '%')) return true;
    }
    if (in.bad()) throw Error(path + ": reading failed after line " + std::to_string(number_of_line));
    return false;
  };
  const auto where = [&] { return path + ":" + std::to_string(number_of_line); };
  if (!next(true)) throw Error(path + ": empty file; expected a CSV or ARFF table of the 16 jet features and class");
  arff = trim(line)[0] == '@';

  std::vector<std::string> columns;
  if (arff) {
    bool data = false;
    do {
      const std::string_view t = trim(line);
      const std::size_t space = std::min(t.find_first_of(" \t"), t.size());
      const std::string keyword = lower(t.substr(0, space));
      if (keyword == "@data") {
        data = true;
        break;
      }
      if (keyword == "@attribute") {
        columns.push_back(attribute_name(t.substr(space), where()));
      } else if (keyword != "@relation") {
        throw Error(where() + ": expected @relation, @attribute or @data, found '" + std::string(t.substr(0, 40)) +
                    "'");
      }
    } while (next(true));
    if (!data) throw Error(path + ": an ARFF header without @data (no rows)");
  } else if (const std::string problem = split(line, false, columns); !problem.empty()) {
    throw Error(where() + ": " + problem);
  }

  const std::string what = arff ? "@attribute" : "column";
  std::array<std::size_t, kFeatures> feature_at{};
  for (int k = 0; k < kFeatures; ++k) {
    const std::string& name = feature_names()[static_cast<std::size_t>(k)];
    feature_at[static_cast<std::size_t>(k)] = find_name(columns, name, false, path + ": the header");
  }
  const std::size_t class_at = find_name(columns, "class", true, path + ": the header");
  for (int k = 0; k <= kFeatures; ++k) {
    const std::string name = k < kFeatures ? feature_names()[static_cast<std::size_t>(k)] : "class";
    if ((k < kFeatures ? feature_at[static_cast<std::size_t>(k)] : class_at) == kNone)
      throw Error(path + ": no " + what + " '" + name + "'" + did_you_mean(name, columns) + " (the table's " + what +
                  "s: " + join(columns) + ")");
  }

  HlfTable table;
  std::vector<std::string> fields;
  while (next(arff)) {
    const std::string_view t = trim(line);
    if (arff && t[0] == '{') throw Error(where() + ": sparse ARFF rows ({index value, ...}) are not supported");
    if (const std::string problem = split(t, arff, fields); !problem.empty()) throw Error(where() + ": " + problem);
    if (fields.size() != columns.size())
      throw Error(where() + ": " + std::to_string(fields.size()) + " values, but the " +
                  (arff ? "header declares " : "header names ") + std::to_string(columns.size()) + " columns");
    for (int k = 0; k < kFeatures; ++k) {
      const std::size_t at = feature_at[static_cast<std::size_t>(k)];
      float v = 0;
      if (!parse_float(fields[at], v))
        throw Error(where() + ": " + what + " '" + columns[at] + "' holds '" + fields[at] + "', not a finite number" +
                    (trim(fields[at]) == "?" ? " (a missing value)" : ""));
      table.features.push_back(v);
    }
    const int label = class_of(fields[class_at]);
    if (label < 0)
      throw Error(where() + ": unknown class '" + fields[class_at] + "' (the classes: g, q, w, z, t, in any case)");
    table.labels.push_back(label);
    ++table.rows;
  }
  if (table.rows == 0) throw Error(path + ": the table has no rows");
  return table;
}

namespace {

// ---- the 150-particle HDF5 files ----

const char* const kLayout = "jets, jetFeatureNames, jetConstituentList and particleFeatureNames";
const std::array<std::string, kClasses> kLabelColumns = {"j_g", "j_q", "j_w", "j_z", "j_t"};

std::vector<std::string> names_in(const data::ArrayFile& f, const std::string& dataset) {
  std::vector<std::string> names = f.strings(dataset);
  for (std::string& n : names) n = std::string(trim(n));
  return names;
}

// The column of a name the dataset `names_of` lists; missing is an error listing them.
std::size_t column(const std::string& file, const std::string& names_of, const std::vector<std::string>& names,
                   const std::string& name, const std::string& what) {
  const std::string where = file + ": dataset '" + names_of + "'";
  const std::size_t at = find_name(names, name, false, where);
  if (at == kNone)
    throw Error(where + " names no " + what + " '" + name + "'" + did_you_mean(name, names) +
                " (it names: " + join(names) + ")");
  return at;
}

[[noreturn]] void not_finite(float v, const std::string& file, std::int64_t jet, const std::string& what) {
  throw Error(file + ": jet " + std::to_string(jet) + ": " + what + " is " + (std::isnan(v) ? "NaN" : number(v)));
}

}  // namespace

JetFile read_jet_file(const fs::path& file, std::int64_t constituents, double min_pt,
                      const std::vector<std::string>& particle_features) {
  const std::string path = file.string();
  if (constituents < 0) throw Error(path + ": asks for " + std::to_string(constituents) + " constituents");
  if (constituents > 0 && particle_features.empty())
    throw Error(path + ": asks for constituents without any particle feature");
  if (std::isnan(min_pt)) throw Error(path + ": min_pt is NaN");
  const auto f = data::ArrayFile::open(file);
  for (const char* name : {"jets", "jetFeatureNames", "jetConstituentList", "particleFeatureNames"})
    if (!f->has(name))
      throw Error(path + ": no dataset '" + name + "' (a file of the 150-particle layout has " + kLayout +
                  "; this one has: " + join(f->names()) + ")");

  // The shapes must agree: jets (N, C), jetFeatureNames (C), jetConstituentList (N, P, F),
  // particleFeatureNames (F).
  const Shape js = f->shape("jets"), ns = f->shape("jetFeatureNames"), cs = f->shape("jetConstituentList"),
              ps = f->shape("particleFeatureNames");
  if (js.size() != 2) throw Error(path + ": dataset 'jets' has shape " + to_string(js) + ", not (jets, columns)");
  if (ns.size() != 1 || ns[0] != js[1])
    throw Error(path + ": dataset 'jetFeatureNames' has shape " + to_string(ns) + ", but 'jets' " + to_string(js) +
                " has " + std::to_string(js[1]) + " columns to name");
  if (cs.size() != 3 || cs[0] != js[0])
    throw Error(path + ": dataset 'jetConstituentList' has shape " + to_string(cs) + ", not (" + std::to_string(js[0]) +
                ", particles, features) for the " + std::to_string(js[0]) + " jets of 'jets' " + to_string(js));
  if (ps.size() != 1 || ps[0] != cs[2])
    throw Error(path + ": dataset 'particleFeatureNames' has shape " + to_string(ps) + ", but 'jetConstituentList' " +
                to_string(cs) + " has " + std::to_string(cs[2]) + " particle features to name");
  if (constituents > cs[1])
    throw Error(path + ": asks for " + std::to_string(constituents) + " constituents, the file holds " +
                std::to_string(cs[1]) + " (dataset 'jetConstituentList' " + to_string(cs) + ")");
  const std::int64_t n = js[0], width = js[1], held = cs[1], stride = cs[2];

  const std::vector<std::string> jet_names = names_in(*f, "jetFeatureNames");
  std::array<std::size_t, kFeatures> hlf_at{};
  for (std::size_t k = 0; k < hlf_at.size(); ++k)
    hlf_at[k] = column(path, "jetFeatureNames", jet_names, feature_names()[k], "column");
  std::array<std::size_t, kClasses> label_at{};
  for (std::size_t k = 0; k < label_at.size(); ++k)
    label_at[k] = column(path, "jetFeatureNames", jet_names, kLabelColumns[k], "column");
  const std::size_t undef_at = find_name(jet_names, "j_undef", false, path + ": dataset 'jetFeatureNames'");

  std::size_t pt_at = kNone;
  std::vector<std::size_t> feature_at;
  if (constituents > 0) {
    const std::vector<std::string> particle_names = names_in(*f, "particleFeatureNames");
    pt_at = column(path, "particleFeatureNames", particle_names, "j1_pt", "particle feature");
    for (const std::string& name : particle_features)
      feature_at.push_back(column(path, "particleFeatureNames", particle_names, name, "particle feature"));
  }

  const auto features = static_cast<std::int64_t>(particle_features.size());
  check_fits_in_memory(
      (kFeatures + static_cast<double>(constituents) * static_cast<double>(features)) * static_cast<double>(n) * 4,
      path + ": reading " + std::to_string(n) + " jets");
  JetFile out;
  out.rows = n;
  out.constituents = constituents;
  out.particle_features = particle_features;
  out.labels.resize(static_cast<std::size_t>(n));
  out.hlf.resize(static_cast<std::size_t>(n * kFeatures));
  out.particles.assign(static_cast<std::size_t>(n * constituents * features), 0.0f);

  // Blocks of jets: 256 particle lists of 150 x 16 floats are 2.5 MB.
  constexpr std::int64_t kBlock = 256;
  for (std::int64_t first = 0; first < n; first += kBlock) {
    const std::int64_t count = std::min(kBlock, n - first);
    const data::Array rows = f->read_rows("jets", first, count);
    for (std::int64_t j = 0; j < count; ++j) {
      const std::int64_t jet = first + j;
      const float* row = rows.values.data() + j * width;
      int label = -1;
      bool one = true;
      for (std::size_t k = 0; k < label_at.size(); ++k) {
        const float v = row[label_at[k]];
        if (v == 1 && label < 0) label = static_cast<int>(k);
        else if (v != 0) one = false;
      }
      if (undef_at != kNone && row[undef_at] != 0) one = false;
      if (!one || label < 0) {
        std::string values;
        for (std::size_t k = 0; k < label_at.size(); ++k)
          values += (k ? ", " : "") + kLabelColumns[k] + " " + number(row[label_at[k]]);
        if (undef_at != kNone) values += ", j_undef " + number(row[undef_at]);
        throw Error(path + ": jet " + std::to_string(jet) + " (row " + std::to_string(jet) +
                    " of dataset 'jets') is not of exactly one class: " + values);
      }
      out.labels[static_cast<std::size_t>(jet)] = label;
      for (std::size_t k = 0; k < hlf_at.size(); ++k) {
        const float v = row[hlf_at[k]];
        if (!std::isfinite(v)) not_finite(v, path, jet, "column '" + feature_names()[k] + "' of dataset 'jets'");
        out.hlf[static_cast<std::size_t>(jet * kFeatures) + k] = v;
      }
    }
    if (constituents == 0) continue;

    const data::Array lists = f->read_rows("jetConstituentList", first, count);
    for (std::int64_t j = 0; j < count; ++j) {
      const std::int64_t jet = first + j;
      float* dst = out.particles.data() + jet * constituents * features;
      std::int64_t kept = 0;
      for (std::int64_t p = 0; p < held && kept < constituents; ++p) {
        const float* particle = lists.values.data() + (j * held + p) * stride;
        const auto what = [&](const std::string& feature) {
          return "particle " + std::to_string(p) + " of dataset 'jetConstituentList': " + feature;
        };
        if (!std::isfinite(particle[pt_at])) not_finite(particle[pt_at], path, jet, what("j1_pt"));
        if (!(particle[pt_at] > min_pt)) continue;
        for (std::int64_t k = 0; k < features; ++k) {
          const float v = particle[feature_at[static_cast<std::size_t>(k)]];
          if (!std::isfinite(v)) not_finite(v, path, jet, what(particle_features[static_cast<std::size_t>(k)]));
          dst[kept * features + k] = v;
        }
        ++kept;
      }
    }
  }
  return out;
}

std::vector<fs::path> jet_files_in(const fs::path& folder) {
  std::error_code ec;
  std::vector<fs::path> files;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string ext = it->path().extension().string();
    std::error_code type_ec;
    if ((ext == ".h5" || ext == ".hdf5") && it->is_regular_file(type_ec)) files.push_back(it->path());
  }
  if (ec) throw Error(folder.string() + ": cannot list the folder: " + ec.message());
  if (files.empty()) throw Error(folder.string() + ": no .h5 or .hdf5 files in the folder");
  std::sort(files.begin(), files.end());
  return files;
}

JetFile read_jet_files(const std::vector<fs::path>& files, std::int64_t constituents, double min_pt,
                       const std::vector<std::string>& particle_features) {
  std::vector<fs::path> all;
  for (const fs::path& file : files) {
    std::error_code ec;
    if (fs::is_directory(file, ec)) {
      for (const fs::path& in : jet_files_in(file)) all.push_back(in);
    } else {
      all.push_back(file);
    }
  }
  if (all.empty()) throw Error("no jet files to read (an empty list)");
  JetFile out;
  out.constituents = constituents;
  out.particle_features = particle_features;
  for (const fs::path& file : all) {
    JetFile one = read_jet_file(file, constituents, min_pt, particle_features);
    out.rows += one.rows;
    out.labels.insert(out.labels.end(), one.labels.begin(), one.labels.end());
    out.hlf.insert(out.hlf.end(), one.hlf.begin(), one.hlf.end());
    out.particles.insert(out.particles.end(), one.particles.begin(), one.particles.end());
  }
  return out;
}

}  // namespace nac::jets
