// The bragg task's label conventions (label_origin, label_units): files whose labels put pixel
// k's centre at k, or give the centre in pixels, are converted on load to nac's (pixel k's centre
// at k + 0.5, fractions of the patch); labels that look written in another convention than the
// settings say get a warning on stderr; the settings' values are checked.
#include <algorithm>
#include <cmath>
#include <iostream>
#include <sstream>
#include <vector>

#include <doctest/doctest.h>

#include "generator.hpp"
#include "label_conventions.hpp"
#include "nac/config.hpp"
#include "nac/data/array_io.hpp"
#include "nac/dataset_task.hpp"
#include "nac/error.hpp"
#include "nac/registry.hpp"
#include "test_support.hpp"

using namespace nac;
using namespace nac::bragg;
namespace fs = std::filesystem;

namespace {

// What the code under test writes to std::cerr while it lives.
class CapturedStderr {
 public:
  CapturedStderr() : old_(std::cerr.rdbuf(text_.rdbuf())) {}
  ~CapturedStderr() { std::cerr.rdbuf(old_); }
  CapturedStderr(const CapturedStderr&) = delete;
  CapturedStderr& operator=(const CapturedStderr&) = delete;
  std::string text() const { return text_.str(); }

 private:
  std::ostringstream text_;
  std::streambuf* old_;
};

std::unique_ptr<Task> bragg_task(const std::string& settings) {
  const ConfigTable c = root_table(parse_toml_text(settings, "task.toml"), "task.toml");
  auto task = test::build_plugins().task("bragg")(c);
  c.finish();
  return task;
}

nn::Dataset read_with(const std::string& settings, const fs::path& file) {
  const auto task = bragg_task(settings);
  return task_capability<DataFiles>(*task, "bragg", "read files").read_data(file);
}

// 100 patches of 11 x 11 pixels, each one lit pixel at row 2 + i % 7, column 1 + 3i % 9; the
// labels (column, row) of that pixel in pixels, with pixel k's centre at k (as
// scipy.ndimage.center_of_mass gives them).
constexpr int kSamples = 100;
int row_of(int i) { return 2 + i % 7; }
int col_of(int i) { return 1 + (3 * i) % 9; }

void write_pixel_centred_file(const fs::path& file) {
  std::vector<float> patches(kSamples * 121, 0.0f), labels;
  for (int i = 0; i < kSamples; ++i) {
    patches[static_cast<std::size_t>(i * 121 + row_of(i) * 11 + col_of(i))] = 1;
    labels.push_back(static_cast<float>(col_of(i)));
    labels.push_back(static_cast<float>(row_of(i)));
  }
  data::write_arrays(file, {data::Array{"patches", {kSamples, 1, 11, 11}, patches, "float32"},
                            data::Array{"labels", {kSamples, 2}, labels, "float32"}});
}

}  // namespace

TEST_CASE("bragg labels in pixels with pixel k's centre at k are converted to nac's on load") {
  test::TempDir dir("bragg_labels");
  for (const char* name : {"centred.npz", "centred.h5"}) {
    CAPTURE(name);
    const fs::path file = dir.path() / name;
    write_pixel_centred_file(file);
    const std::string settings =
        "data = \"" + file.string() + "\"\nlabel_origin = \"centre\"\nlabel_units = \"pixels\"\n";
    CapturedStderr err;
    const nn::Dataset d = read_with(settings, file);
    REQUIRE(d.targets.shape() == Shape{kSamples, 2});
    // By hand: sample 0 is lit at row 2, column 1: (1 + 0.5, 2 + 0.5) / 11; sample 1 at row 3,
    // column 4: (4.5, 3.5) / 11; sample 10 at row 5, column 4: (4.5, 5.5) / 11.
    CHECK(d.targets[0] == doctest::Approx(0.1363636));
    CHECK(d.targets[1] == doctest::Approx(0.2272727));
    CHECK(d.targets[2] == doctest::Approx(0.4090909));
    CHECK(d.targets[3] == doctest::Approx(0.3181818));
    CHECK(d.targets[20] == doctest::Approx(0.4090909));
    CHECK(d.targets[21] == doctest::Approx(0.5));
    for (int i = 0; i < kSamples; ++i) {
      CHECK(d.targets[static_cast<std::size_t>(2 * i)] == doctest::Approx((col_of(i) + 0.5) / 11).epsilon(1e-6));
      CHECK(d.targets[static_cast<std::size_t>(2 * i + 1)] == doctest::Approx((row_of(i) + 0.5) / 11).epsilon(1e-6));
    }
    // The task's splits get the same labels: training is the first 80%.
    const TaskData t = as_dataset_task(*bragg_task(settings), "test").load_data();
    REQUIRE(t.train.size() == 80);
    CHECK(t.train.targets[2] == d.targets[2]);
    CHECK(t.test.targets[t.test.targets.size() - 1] == d.targets[d.targets.size() - 1]);
    // The settings fit the file: no warning.
    CHECK(err.text() == "");
  }
}

TEST_CASE("bragg labels that look like pixels, fractions or the other origin get one warning naming the file") {
  test::TempDir dir("bragg_label_warnings");
  const fs::path file = dir.path() / "centred.npz";
  write_pixel_centred_file(file);
  const std::string data = "data = \"" + file.string() + "\"\n";
  {  // Pixels read as fractions (the default).
    CapturedStderr err;
    const nn::Dataset d = read_with(data, file);
    CHECK(d.targets[2] == 4.0f);  // read as written
    const std::string text = err.text();
    INFO(text);
    CHECK(text.rfind("warning: " + file.string() + ": ", 0) == 0);
    CHECK(text.find("label values are above 1 (the largest 8), outside the patch: they look like pixels, not "
                    "fractions of the patch; if so, set label_units = \"pixels\"\n") != std::string::npos);
    CHECK(std::count(text.begin(), text.end(), '\n') == 1);
  }
  {  // Pixels with the origin at the first pixel's corner: every label half a pixel up and left.
    CapturedStderr err;
    read_with(data + "label_units = \"pixels\"\n", file);
    CHECK(err.text() ==
          "warning: " + file.string() +
              ": the labels lie on average (-0.50, -0.50) pixels from the intensity centroids of their 100 "
              "patches, half a pixel up and left: they look like they put pixel k's centre at k; if so, "
              "set label_origin = \"centre\"\n");
  }
  {  // nac's own labels read as pixels.
    nn::Dataset nacs = generate_patches(PeakSettings{}, 30, 4);
    const fs::path own = dir.path() / "own.npz";
    data::write_arrays(own,
                       {data::ArrayView{"patches", nacs.inputs.shape(), {nacs.inputs.data(), nacs.inputs.size()}},
                        data::ArrayView{"labels", nacs.targets.shape(), {nacs.targets.data(), nacs.targets.size()}}});
    CapturedStderr err;
    read_with("data = \"" + own.string() + "\"\nlabel_units = \"pixels\"\n", own);
    CHECK(err.text().find(own.string() + ": every label value is at most 1") != std::string::npos);
    CHECK(err.text().find("set label_units = \"fraction\" (the default)") != std::string::npos);
  }
}

TEST_CASE("the origin check holds on realistic patches: about 0 in nac's convention, -0.5 px in the other") {
  // nac's synthetic patches in several regimes: no warning for their labels, a warning when the
  // labels are moved half a pixel (written with pixel k's centre at k) and read as nac's.
  std::vector<std::pair<const char*, PeakSettings>> regimes;
  PeakSettings s;
  regimes.emplace_back("defaults", s);
  s.width_min = 1.5, s.width_max = 2.5;
  regimes.emplace_back("wide peaks", s);
  s = {};
  s.shift = 1;
  s.neighbour_probability = 1;
  regimes.emplace_back("shifted windows, neighbours", s);
  s = {};
  s.amplitude_min = 30, s.amplitude_max = 100;
  regimes.emplace_back("faint peaks", s);
  for (const auto& item : regimes) {
    const auto& name = item.first;  // (not a structured binding: CAPTURE makes a lambda)
    const auto& settings = item.second;
    CAPTURE(name);
    nn::Dataset d = generate_patches(settings, 200, 11);
    const CentroidOffset own = centroid_offset(d);
    CHECK(own.used == 200);
    CHECK(std::abs(own.x) < 0.1);
    CHECK(std::abs(own.y) < 0.1);
    CHECK(label_warnings(d, {}, "f").empty());
    for (std::size_t i = 0; i < d.targets.size(); ++i) d.targets[i] -= 0.5f / 11;  // pixel k's centre at k
    CHECK(label_warnings(d, {}, "f").size() == 1);
    CHECK(label_warnings(d, {LabelConvention::Origin::Centre, LabelConvention::Units::Fraction}, "f").empty());
  }
}

TEST_CASE("a bragg file saved in a label convention reads back the same labels") {
  test::TempDir dir("bragg_label_save");
  const nn::Dataset d = generate_patches(PeakSettings{}, 30, 2);
  const std::string settings = "label_origin = \"centre\"\nlabel_units = \"pixels\"\n";
  const auto task = bragg_task(settings);
  const auto& files = task_capability<DataFiles>(*task, "bragg", "write files");
  files.save_data(d, dir.path() / "px.npz");
  const data::Array raw = data::ArrayFile::open(dir.path() / "px.npz")->read("labels");
  for (std::size_t i = 0; i < raw.values.size(); ++i)
    CHECK(raw.values[i] == doctest::Approx(d.targets[i] * 11 - 0.5).epsilon(1e-6));
  CapturedStderr err;
  const nn::Dataset back = files.read_data(dir.path() / "px.npz");
  for (std::size_t i = 0; i < back.targets.size(); ++i) CHECK(back.targets[i] == doctest::Approx(d.targets[i]));
  CHECK(err.text() == "");
}

TEST_CASE("bragg label settings: an unknown value is an error naming the setting, and BraggNN's files take none") {
  CHECK(test::error_of([] { bragg_task("label_origin = \"center\"\n"); }) ==
        "task.toml:1:16: 'label_origin': expected one of corner, centre, found \"center\"; did you mean 'centre'?");
  CHECK(test::error_of([] {
          bragg_task("label_units = \"px\"\n");
        }).find("'label_units': expected one of fraction, pixels, found \"px\"") != std::string::npos);
  test::TempDir dir("bragg_label_frames");
  for (const char* f : {"frames.h5", "peaks.h5"}) test::write_file(dir.path() / f, "");
  const std::string frames = "frames = \"" + (dir.path() / "frames.h5").string() + "\"\npeaks = \"" +
                             (dir.path() / "peaks.h5").string() + "\"\n";
  CHECK(test::error_of([&] {
          bragg_task(frames + "label_units = \"pixels\"\n");
        }).find("'label_units': is for files in the simple layout ('data')") != std::string::npos);
}
