// Readers of the real jet datasets' files (plugins/tasks/jets/jet_files.hpp) against files and
// values written by an independent numpy/h5py script (scripts/jets_fixtures.py, see
// tests/fixtures/jets/README.md): the 150-particle HDF5 layout and the OpenML table as ARFF and
// CSV, exactly (the values are float32 in the files and in the script's text); then every error,
// each naming the file.
#include <doctest/doctest.h>
#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "jet_features.hpp"
#include "jet_files.hpp"
#include "jet_generator.hpp"
#include "nac/data/array_io.hpp"
#include "nac/error.hpp"
#include "test_support.hpp"

using namespace nac;
using namespace nac::jets;
using nac::test::read_file;
using nac::test::TempDir;
using nac::test::write_file;
namespace fs = std::filesystem;

namespace {

const fs::path kDir = fs::path(NAC_SOURCE_DIR) / "tests" / "fixtures" / "jets";
const fs::path kJets = kDir / "jets_150p.h5";

doctest::Contains has(const std::string& text) { return doctest::Contains(text.c_str()); }

// A CSV the script wrote: its header and rows of cells.
struct Csv {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::size_t column(const std::string& name) const {
    const auto it = std::find(header.begin(), header.end(), name);
    REQUIRE_MESSAGE(it != header.end(), name);
    return static_cast<std::size_t>(it - header.begin());
  }
  float value(std::size_t row, const std::string& name) const { return std::stof(rows.at(row).at(column(name))); }
};

Csv read_csv(const fs::path& file) {
  std::istringstream in(read_file(file));
  Csv csv;
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cells;
    std::istringstream s(line);
    for (std::string c; std::getline(s, c, ',');) cells.push_back(c);
    (csv.header.empty() ? csv.header : csv.rows.emplace_back()) = cells;
  }
  return csv;
}

// The script's HLF columns and labels equal a table read by nac, value for value.
void check_hlf(const std::vector<float>& features, const std::vector<int>& labels, const Csv& want,
               const std::string& label_column) {
  REQUIRE(labels.size() == want.rows.size());
  REQUIRE(features.size() == want.rows.size() * kFeatures);
  for (std::size_t r = 0; r < want.rows.size(); ++r) {
    CAPTURE(r);
    CHECK(labels[r] == std::stoi(want.rows[r][want.column(label_column)]));
    for (std::size_t k = 0; k < kFeatures; ++k) {
      CAPTURE(feature_names()[k]);
      CHECK(features[r * kFeatures + k] == want.value(r, feature_names()[k]));
    }
  }
}

// The constituents view against the script's columns PREFIX<i>_<feature>.
void check_view(const JetFile& got, const Csv& want, const std::string& prefix) {
  const auto f = got.particle_features.size();
  REQUIRE(got.particles.size() == static_cast<std::size_t>(got.rows * got.constituents) * f);
  for (std::size_t j = 0; j < want.rows.size(); ++j)
    for (std::int64_t i = 0; i < got.constituents; ++i)
      for (std::size_t k = 0; k < f; ++k) {
        const std::string name = prefix + std::to_string(i) + "_" + got.particle_features[k];
        CAPTURE(j);
        CAPTURE(name);
        CHECK(got.particles[(j * static_cast<std::size_t>(got.constituents) + static_cast<std::size_t>(i)) * f + k] ==
              want.value(j, name));
      }
}

}  // namespace

TEST_CASE("jet files: a 150-particle file gives the script's labels, features and constituents") {
  const Csv want = read_csv(kDir / "jets_150p_expected.csv");
  REQUIRE(want.rows.size() == 12);

  // The default view: 8 constituents above 2 GeV, (pT, eta - eta_jet, phi - phi_jet).
  const JetFile a = read_jet_file(kJets, 8, 2.0);
  CHECK(a.rows == 12);
  CHECK(a.constituents == 8);
  CHECK(a.particle_features == std::vector<std::string>{"j1_pt", "j1_etarel", "j1_phirel"});
  check_hlf(a.hlf, a.labels, want, "label");
  check_view(a, want, "a");
  CHECK(a.labels == std::vector<int>{0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 2, 4});  // every class, g q W Z t
  // Jet 0 by hand: its third particle is at exactly 5 GeV, its fourth at 4, its fifth at exactly
  // 2 (not above the cut) and the rest below: 4 kept, 4 rows of padding.
  CHECK(a.particles[2 * 3] == 5.0f);
  CHECK(a.particles[3 * 3] == 4.0f);
  for (std::size_t i = 4 * 3; i < 8 * 3; ++i) CHECK(a.particles[i] == 0.0f);

  // Another view: 3 above 5 GeV, other features in another order; jet 0 keeps 2.
  const JetFile b = read_jet_file(kJets, 3, 5.0, {"j1_deltaR", "j1_pt", "j1_e"});
  check_view(b, want, "b");
  CHECK(b.particles[1 * 3 + 1] > 5.0f);
  for (std::size_t i = 2 * 3; i < 3 * 3; ++i) CHECK(b.particles[i] == 0.0f);
  CHECK(b.hlf == a.hlf);
  CHECK(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) == 0);  // every HDF5 handle was closed
}

TEST_CASE("jet files: every particle and feature by name, and the hlf view alone") {
  // All 150 particles above -1 GeV (the zero padding too) with the 16 features named in reverse:
  // the file's list with its columns reversed.
  std::vector<std::string> names;
  data::Array raw;
  {
    const auto f = data::ArrayFile::open(kJets);
    names = f->strings("particleFeatureNames");
    raw = f->read("jetConstituentList");
  }
  REQUIRE(names.size() == 16);
  std::reverse(names.begin(), names.end());
  REQUIRE(raw.shape == Shape{12, 150, 16});
  const JetFile all = read_jet_file(kJets, 150, -1.0, names);
  REQUIRE(all.particles.size() == raw.values.size());
  std::size_t differ = 0;
  for (std::size_t p = 0; p < 12 * 150; ++p)
    for (std::size_t k = 0; k < 16; ++k) differ += all.particles[p * 16 + k] != raw.values[p * 16 + 15 - k];
  CHECK(differ == 0);

  // Jet 3 holds 150 particles (no padding), all above 0 GeV.
  const JetFile full = read_jet_file(kJets, 150, 0.0, {"j1_pt"});
  for (std::size_t p = 0; p < 150; ++p) CHECK(full.particles[3 * 150 + p] > 0.0f);

  // constituents 0: labels and features, no particles.
  const JetFile hlf = read_jet_file(kJets, 0, 2.0);
  CHECK(hlf.constituents == 0);
  CHECK(hlf.particles.empty());
  CHECK(hlf.hlf == all.hlf);
  CHECK(hlf.labels == all.labels);
  CHECK(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) == 0);
}

TEST_CASE("jet files: several files and folders are read one after the other") {
  TempDir dir("jet_files");
  const std::string bytes = read_file(kJets);
  write_file(dir.path() / "b.h5", bytes);
  write_file(dir.path() / "a.hdf5", bytes);
  write_file(dir.path() / "notes.txt", "not a jet file\n");
  fs::create_directory(dir.path() / "c.h5");  // a folder, not a file
  CHECK(jet_files_in(dir.path()) == std::vector<fs::path>{dir.path() / "a.hdf5", dir.path() / "b.h5"});

  const JetFile one = read_jet_file(kJets, 8, 2.0);
  const JetFile three = read_jet_files({dir.path(), kJets}, 8, 2.0);
  CHECK(three.rows == 36);
  CHECK(three.constituents == 8);
  REQUIRE(three.labels.size() == 36);
  REQUIRE(three.particles.size() == 3 * one.particles.size());
  for (std::size_t copy = 0; copy < 3; ++copy) {
    CAPTURE(copy);
    CHECK(std::equal(one.labels.begin(), one.labels.end(), three.labels.begin() + static_cast<long>(copy * 12)));
    CHECK(std::equal(one.hlf.begin(), one.hlf.end(), three.hlf.begin() + static_cast<long>(copy * one.hlf.size())));
    CHECK(std::equal(one.particles.begin(), one.particles.end(),
                     three.particles.begin() + static_cast<long>(copy * one.particles.size())));
  }

  TempDir empty("jet_files_empty");
  CHECK_THROWS_WITH_AS(jet_files_in(empty.path()), has(empty.path().string() + ": no .h5 or .hdf5 files in the folder"),
                       Error);
  CHECK_THROWS_WITH_AS(read_jet_files({empty.path()}, 8, 2.0), has(empty.path().string() + ": no .h5"), Error);
  CHECK_THROWS_WITH_AS(read_jet_files({}, 8, 2.0), has("no jet files to read"), Error);
  CHECK_THROWS_WITH_AS(jet_files_in(dir.path() / "nowhere"), has((dir.path() / "nowhere").string() + ": cannot list"),
                       Error);
  // A bad file among good ones names itself.
  CHECK_THROWS_WITH_AS(read_jet_files({kJets, kDir / "bad_undef.h5"}, 8, 2.0),
                       has((kDir / "bad_undef.h5").string() + ": jet 1"), Error);
}

TEST_CASE("jet files: the OpenML table as ARFF and as CSV with shuffled columns gives the script's values") {
  const Csv want = read_csv(kDir / "hlf_expected.csv");
  REQUIRE(want.rows.size() == 10);
  const HlfTable arff = read_hlf_table(kDir / "hlf_openml.arff");
  CHECK(arff.rows == 10);
  check_hlf(arff.features, arff.labels, want, "label");
  const HlfTable csv = read_hlf_table(kDir / "hlf_shuffled.csv");
  CHECK(csv.rows == 10);
  check_hlf(csv.features, csv.labels, want, "label");
  CHECK(csv.labels == std::vector<int>{0, 1, 2, 3, 4, 4, 3, 2, 1, 0});  // g q W Z t in both cases

  // By hand: quotes, blanks, CRLF line ends, a '+' sign, exponents, labels in any case.
  TempDir dir("hlf_table");
  std::string header, row;
  for (std::size_t k = 0; k < kFeatures; ++k) {
    header += "\"" + feature_names()[k] + "\",";
    row += k == 0 ? " +1.5e-3 ," : k == 1 ? "\"-2\"," : std::to_string(k) + ",";
  }
  write_file(dir.path() / "t.csv", "x," + header + "Class\r\n\r\n7," + row + " W \r\n8," + row + "\"t\"\r\n");
  const HlfTable t = read_hlf_table(dir.path() / "t.csv");
  CHECK(t.rows == 2);
  CHECK(t.labels == std::vector<int>{2, 4});
  CHECK(t.features[0] == 1.5e-3f);
  CHECK(t.features[1] == -2.0f);
  CHECK(t.features[15] == 15.0f);
  CHECK(t.features[16] == 1.5e-3f);
}

TEST_CASE("jet file errors: the 150-particle files name the file, the dataset and the jet") {
  const std::string jets = kJets.string();
  CHECK_THROWS_WITH_AS(read_jet_file(kJets, 200, 2.0), has(jets + ": asks for 200 constituents, the file holds 150"),
                       Error);
  CHECK_THROWS_WITH_AS(read_jet_file(kJets, -1, 2.0), has(jets + ": asks for -1 constituents"), Error);
  CHECK_THROWS_WITH_AS(read_jet_file(kJets, 8, 2.0, {"j1_pt", "j1_ptt"}),
                       has(jets + ": dataset 'particleFeatureNames' names no particle feature 'j1_ptt'; did you mean "
                                  "'j1_pt'? (it names: j1_px, j1_py, j1_pz, j1_e, j1_erel, j1_pt,"),
                       Error);
  CHECK_THROWS_WITH_AS(read_jet_file(kJets, 8, 2.0, {}), has(jets + ": asks for constituents without any"), Error);

  const auto bad = [](const std::string& name) { return (kDir / ("bad_" + name + ".h5")).string(); };
  CHECK_THROWS_WITH_AS(read_jet_file(bad("two_labels"), 8, 2.0),
                       has(bad("two_labels") + ": jet 1 (row 1 of dataset 'jets') is not of exactly one class: j_g 0, "
                                               "j_q 0, j_w 1, j_z 1, j_t 0, j_undef 0"),
                       Error);
  CHECK_THROWS_WITH_AS(read_jet_file(bad("no_label"), 0, 2.0),
                       has(bad("no_label") + ": jet 1 (row 1 of dataset 'jets') is not of exactly one class: j_g 0, "
                                             "j_q 0, j_w 0, j_z 0, j_t 0, j_undef 0"),
                       Error);
  CHECK_THROWS_WITH_AS(read_jet_file(bad("undef"), 8, 2.0),
                       has(bad("undef") + ": jet 1 (row 1 of dataset 'jets') is not of exactly one class: j_g 0, "
                                          "j_q 0, j_w 0, j_z 0, j_t 0, j_undef 1"),
                       Error);
  CHECK_THROWS_WITH_AS(read_jet_file(bad("feature_names"), 8, 2.0),
                       has(bad("feature_names") + ": dataset 'jetFeatureNames' has shape (58), but 'jets' (3, 59) has "
                                                  "59 columns to name"),
                       Error);
  CHECK_THROWS_WITH_AS(
      read_jet_file(bad("particle_names"), 8, 2.0),
      has(bad("particle_names") + ": dataset 'particleFeatureNames' has shape (15), but "
                                  "'jetConstituentList' (3, 150, 16) has 16 particle features to name"),
      Error);
  CHECK_THROWS_WITH_AS(read_jet_file(bad("rows"), 8, 2.0),
                       has(bad("rows") + ": dataset 'jetConstituentList' has shape (2, 150, 16), not (3, particles, "
                                         "features) for the 3 jets of 'jets' (3, 59)"),
                       Error);
  CHECK_THROWS_WITH_AS(read_jet_file(bad("missing"), 8, 2.0),
                       has(bad("missing") + ": no dataset 'particleFeatureNames' (a file of the 150-particle layout "
                                            "has jets, jetFeatureNames, jetConstituentList and particleFeatureNames; "
                                            "this one has: jetConstituentList, jetFeatureNames, jetImage, jets)"),
                       Error);
  // (The nearest name is j_c1_b1_mmdt, one edit away; the list shows the file's own.)
  CHECK_THROWS_WITH_AS(read_jet_file(bad("no_hlf"), 8, 2.0),
                       has(bad("no_hlf") + ": dataset 'jetFeatureNames' names no column 'j_c2_b1_mmdt'; did you mean "
                                           "'j_c1_b1_mmdt'? (it names: j_ptfrac, j_pt, j_eta, j_mass,"),
                       Error);
  CHECK_THROWS_WITH_AS(read_jet_file(bad("no_hlf"), 8, 2.0), has(", j_c2_b1_mmdt_x, "), Error);

  // A truncated copy, a copy with its data overwritten, a missing file and a folder.
  TempDir dir("jet_file_errors");
  const std::string bytes = read_file(kJets);
  const fs::path cut = dir.path() / "cut.h5";
  write_file(cut, bytes.substr(0, bytes.size() / 2));
  CHECK_THROWS_WITH_AS(read_jet_file(cut, 8, 2.0), has(cut.string() + ": "), Error);
  const fs::path text = dir.path() / "text.h5";
  write_file(text, std::string(4096, 'x'));
  CHECK_THROWS_WITH_AS(read_jet_file(text, 8, 2.0), has(text.string() + ": cannot open it as an HDF5 file"), Error);
  CHECK_THROWS_WITH_AS(read_jet_file(dir.path() / "none.h5", 8, 2.0),
                       has((dir.path() / "none.h5").string() + ": no such file"), Error);
  // A NaN among the particles kept, written with the HDF5 C API into a copy.
  const fs::path nan = dir.path() / "nan.h5";
  write_file(nan, bytes);
  {
    const hid_t h5 = H5Fopen(nan.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    REQUIRE(h5 >= 0);
    const hid_t d = H5Dopen2(h5, "jetConstituentList", H5P_DEFAULT);
    const hid_t space = H5Dget_space(d);
    const hsize_t start[3] = {2, 1, 8}, count[3] = {1, 1, 1}, one = 1;  // jet 2, particle 1, j1_etarel
    H5Sselect_hyperslab(space, H5S_SELECT_SET, start, nullptr, count, nullptr);
    const hid_t memory = H5Screate_simple(1, &one, nullptr);
    const float value = NAN;
    CHECK(H5Dwrite(d, H5T_NATIVE_FLOAT, memory, space, H5P_DEFAULT, &value) >= 0);
    H5Sclose(memory);
    H5Sclose(space);
    H5Dclose(d);
    CHECK(H5Fclose(h5) >= 0);
  }
  CHECK_THROWS_WITH_AS(read_jet_file(nan, 8, 2.0),
                       has(nan.string() + ": jet 2: particle 1 of dataset 'jetConstituentList': j1_etarel is NaN"),
                       Error);
  CHECK_NOTHROW(read_jet_file(nan, 8, 2.0, {"j1_pt"}));  // (a value not read)
  CHECK(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) == 0);
}

TEST_CASE("jet file errors: the OpenML tables name the file and the line") {
  TempDir dir("hlf_errors");
  std::string header, row;
  for (std::size_t k = 0; k < kFeatures; ++k) {
    header += feature_names()[k] + ",";
    row += std::to_string(k) + ".5,";
  }
  const auto table = [&](const std::string& name, const std::string& text) {
    write_file(dir.path() / name, text);
    return dir.path() / name;
  };
  const auto error = [](const fs::path& file, const std::string& message) {
    CHECK_THROWS_WITH_AS(read_hlf_table(file), has(file.string() + message), Error);
  };
  std::string arff = "% a comment\n@relation hls4ml_lhc_jets_hlf\n";
  for (const std::string& name : feature_names()) arff += "@attribute " + name + " numeric\n";
  arff += "@attribute class {g,q,t,w,z}\n@data\n";

  CHECK(read_hlf_table(table("good.arff", arff + row + "z\n")).labels == std::vector<int>{3});
  error(table("x.arff", arff + row + "g\n" + row + "x\n"), ":22: unknown class 'x' (the classes: g, q, w, z, t");
  error(table("missing.csv", "j_zlogz,class\n1,g\n"),
        ": no column 'j_c1_b0_mmdt' (the table's columns: j_zlogz, class)");
  std::string without = header;
  without.erase(without.find("j_d2_b2_mmdt,"), 13);
  error(table("no_d2.csv", without + "class\n"), ": no column 'j_d2_b2_mmdt'");
  error(table("typo.csv", header.substr(0, header.find("j_multiplicity")) + "j_multiplicty,class\n"),
        ": no column 'j_multiplicity'; did you mean 'j_multiplicty'?");
  error(table("no_class.arff", arff.substr(0, arff.find("@attribute class")) + "@data\n" + row + "\n"),
        ": no @attribute 'class'");
  error(table("twice.csv", header + "j_zlogz,class\n"), ": the header names 'j_zlogz' twice (at 0 and 16)");
  error(table("short.csv", header + "class\n" + row + "g\n" + row.substr(0, row.size() - 4) + "g\n"),
        ":3: 16 values, but the header names 17 columns");
  error(table("word.csv", header + "class\n" + "abc," + row.substr(row.find(',') + 1) + "q\n"),
        ":2: column 'j_zlogz' holds 'abc', not a finite number");
  error(table("unknown.arff", arff + "?," + row.substr(row.find(',') + 1) + "q\n"),
        ":21: @attribute 'j_zlogz' holds '?', not a finite number (a missing value)");
  error(table("inf.csv", header + "class\n" + "1e999," + row.substr(row.find(',') + 1) + "q\n"),
        ":2: column 'j_zlogz' holds '1e999', not a finite number");
  error(table("sparse.arff", arff + "{0 1.5, 16 g}\n"), ":21: sparse ARFF rows");
  error(table("quote.arff", arff + row + "'g\n"), ":21: a quote (') is not closed on its line");
  error(table("nodata.arff", "@relation x\n@attribute j_zlogz real\n"), ": an ARFF header without @data");
  error(table("keyword.arff", "@relation x\n@attribut j_zlogz real\n@data\n"),
        ":2: expected @relation, @attribute or @data, found '@attribut j_zlogz real'");
  error(table("rows.csv", header + "class\n\n"), ": the table has no rows");
  error(table("empty.csv", "\n\n"), ": empty file");
  error(dir.path() / "none.csv", ": no such file");
  error(dir.path(), ": is a folder, not a table");
}
