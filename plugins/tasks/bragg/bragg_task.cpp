// The `bragg` task: localise Bragg peaks in 11x11 patches (docs/bragg.md).
//
//   [task]
//   name = "bragg"
//   train_samples = 50000       # generated data (the default source)
//   validation_samples = 5000
//   test_samples = 10000
//   data_seed = 0
//   shift = 1                   # any generator setting (generator.hpp); shift: training only
//   # or a file in the simple layout, split in order into train / validation / test:
//   # data = "patches.npz"; validation_fraction = 0.1; test_fraction = 0.1
//   # label_origin = "centre"; label_units = "pixels"   # a file's labels in another convention
//   # or BraggNN's own files: frames = "frames.h5"; peaks = "peaks.h5"
#include <chrono>
#include <cstring>
#include <iostream>

#include "files.hpp"
#include "fit.hpp"
#include "generator.hpp"
#include "label_conventions.hpp"
#include "metrics.hpp"
#include "nac/error.hpp"
#include "nac/memory.hpp"
#include "nac/dataset_task.hpp"
#include "nac/plugin.hpp"
#include "nac/settings.hpp"

namespace nac::bragg {

namespace {

namespace fs = std::filesystem;

nn::Dataset rows(const nn::Dataset& d, std::size_t from, std::size_t to) {
  const auto n = static_cast<std::int64_t>(to - from);
  Shape xs = d.inputs.shape(), ts = d.targets.shape();
  xs[0] = ts[0] = n;
  nn::Dataset out{nn::Tensor(xs), nn::Tensor(ts)};
  std::memcpy(out.inputs.data(), d.inputs.data() + from * d.inputs.sample_size(), out.inputs.size() * sizeof(float));
  std::memcpy(out.targets.data(), d.targets.data() + from * d.targets.sample_size(),
              out.targets.size() * sizeof(float));
  return out;
}

// A setting read as required where it is read (the declaration: optional, absent as a whole).
template <class T>
Setting<T> needed(Setting<T> s) {
  s.required = true;
  return s;
}

const Setting<std::string> kData{
    .key = "data",
    .fallback = std::nullopt,
    .help =
        "patches file in the simple layout (.npz, .h5), split in order into train / validation / test "
        "(default: generated data)",
    .required = false};
const Setting<std::string> kFrames{.key = "frames",
                                   .fallback = std::nullopt,
                                   .help = "BraggNN's frames file (HDF5), with 'peaks'; not with 'data'",
                                   .required = false};
const Setting<std::string> kPeaks{
    .key = "peaks", .fallback = std::nullopt, .help = "BraggNN's peaks file (HDF5), with 'frames'", .required = false};
const Setting<double> kValidationFraction{.key = "validation_fraction",
                                          .fallback = 0.1,
                                          .range = Range{0, 1, true, true},
                                          .help = "files only: share of the samples for validation"};
const Setting<double> kTestFraction{.key = "test_fraction",
                                    .fallback = 0.1,
                                    .range = Range{0, 1, false, true},
                                    .help = "files only: share of the samples for test"};
const Setting<std::string> kLabelOrigin{
    .key = "label_origin",
    .fallback = "corner",
    .choices = {"corner", "centre"},
    .help =
        "files in the simple layout (data, --data, nac data generate): where a label's (0, 0) lies, at the first "
        "pixel's outer corner (nac, BraggNN: pixel k's centre is k + 0.5) or at its centre (numpy indices, "
        "scipy's center_of_mass: pixel k's centre is k); converted to nac's on load, with a warning for labels "
        "that look written otherwise (docs/bragg.md)"};
const Setting<std::string> kLabelUnits{
    .key = "label_units",
    .fallback = "fraction",
    .choices = {"fraction", "pixels"},
    .help =
        "files in the simple layout: labels as fractions of the patch size (nac, BraggNN) or in pixels; "
        "converted to nac's on load"};
const Setting<std::int64_t> kTrainSamples{.key = "train_samples",
                                          .fallback = 50000,
                                          .range = Range::at_least(1),
                                          .help = "generated data only: training patches"};
const Setting<std::int64_t> kValidationSamples{.key = "validation_samples",
                                               .fallback = 5000,
                                               .range = Range::at_least(1),
                                               .help = "generated data only: validation patches"};
const Setting<std::int64_t> kTestSamples{
    .key = "test_samples", .fallback = 10000, .range = Range::at_least(0), .help = "generated data only: test patches"};
const Setting<std::int64_t> kDataSeed{.key = "data_seed",
                                      .fallback = 0,
                                      .range = Range::at_least(0),
                                      .help = "seed of the data (the training run has its own)"};

std::vector<SettingInfo> described() {
  auto out = describe_settings(kData, kFrames, kPeaks, kLabelOrigin, kLabelUnits, kValidationFraction, kTestFraction,
                               kTrainSamples, kValidationSamples, kTestSamples, kDataSeed);
  for (auto& s : PeakSettings::described()) out.push_back(std::move(s));
  return out;
}

class BraggTask final : public DatasetTask, public DataGenerator, public DataFiles, public BaselineMethods {
 public:
  explicit BraggTask(const ConfigTable& c) : settings_(PeakSettings::from_config(c)) {
    const fs::path base = fs::path(c.file()).parent_path();
    auto resolve = [&](const std::string& p) {
      return fs::path(p).is_absolute() || c.file() == "<no file>" ? fs::path(p) : base / p;
    };
    // A file named here must be there (nac validate says so; the rest of its checks come when it is read).
    auto existing = [&](const Setting<std::string>& s, const fs::path& p) {
      std::error_code ec;
      if (!fs::exists(p, ec)) c.fail(s.key, "no such file: " + p.string());
      return p;
    };
    if (const auto data = c.get_optional(kData)) data_ = existing(kData, resolve(*data));
    if (c.has(kFrames.key) || c.has(kPeaks.key)) {
      frames_ = existing(kFrames, resolve(c.get(needed(kFrames))));
      peaks_ = existing(kPeaks, resolve(c.get(needed(kPeaks))));
      if (!data_.empty()) c.fail(kFrames.key, "give either 'data' or 'frames' and 'peaks', not both");
    }
    if (frames_.empty()) {
      labels_.origin =
          c.get(kLabelOrigin) == "centre" ? LabelConvention::Origin::Centre : LabelConvention::Origin::Corner;
      labels_.units =
          c.get(kLabelUnits) == "pixels" ? LabelConvention::Units::Pixels : LabelConvention::Units::Fraction;
    } else {
      for (const auto* s : {&kLabelOrigin, &kLabelUnits})
        if (c.has(s->key))
          c.fail(s->key,
                 "is for files in the simple layout ('data'); BraggNN's peaks files give positions in frame "
                 "pixels, cut as BraggNN cuts them");
    }
    const bool files = !data_.empty() || !frames_.empty();
    if (files) {
      validation_fraction_ = c.get(kValidationFraction);
      test_fraction_ = c.get(kTestFraction);
      if (validation_fraction_ + test_fraction_ >= 1)
        c.fail(kValidationFraction.key, "validation and test fractions must leave room for training data");
    } else {
      train_ = c.get(kTrainSamples);
      validation_ = c.get(kValidationSamples);
      test_ = c.get(kTestSamples);
      try {  // (here, not when the data is made: nac validate says it)
        check_fits_in_memory(sample_bytes() * (static_cast<double>(train_) + static_cast<double>(validation_) +
                                               static_cast<double>(test_)),
                             "generating " + std::to_string(train_) + " + " + std::to_string(validation_) + " + " +
                                 std::to_string(test_) + " patches");
      } catch (const Error& e) {
        c.fail(kTrainSamples.key, e.what());
      }
    }
    data_seed_ = static_cast<std::uint64_t>(c.get(kDataSeed));
  }

  std::vector<MetricInfo> metrics() const override { return localisation_metric_info(); }
  // A patch and its label in float32.
  double sample_bytes() const {
    return (static_cast<double>(settings_.patch) * static_cast<double>(settings_.patch) + 2) * sizeof(float);
  }
  Shape input_shape() const override { return {1, settings_.patch, settings_.patch}; }
  Shape target_shape() const override { return {2}; }

  TaskData load_data() const override {
    TaskData t;
    if (!data_.empty() || !frames_.empty()) {
      const nn::Dataset all = !data_.empty() ? read_data(data_) : read_braggnn(frames_, peaks_, settings_.patch);
      const std::int64_t p = all.inputs.dim(all.inputs.rank() - 1);
      if (!data_.empty() && (p != settings_.patch || all.inputs.dim(all.inputs.rank() - 2) != settings_.patch))
        throw Error(data_.string() + ": its patches are " + std::to_string(all.inputs.dim(all.inputs.rank() - 2)) +
                    "x" + std::to_string(p) + " pixels, the task's are " + std::to_string(settings_.patch) + "x" +
                    std::to_string(settings_.patch) + " (set the task's patch = " + std::to_string(p) +
                    ", or use a file of " + std::to_string(settings_.patch) + "x" + std::to_string(settings_.patch) +
                    " patches)");
      const std::size_t n = all.size();
      const auto n_val = static_cast<std::size_t>(validation_fraction_ * static_cast<double>(n));
      const auto n_test = static_cast<std::size_t>(test_fraction_ * static_cast<double>(n));
      const std::size_t n_train = n - n_val - n_test;
      if (n_train == 0 || n_val == 0)
        throw Error((data_.empty() ? peaks_ : data_).string() + ": " + std::to_string(n) +
                    " samples are too few to split into training and validation sets");
      t.train = rows(all, 0, n_train);
      t.validation = rows(all, n_train, n_train + n_val);
      t.test = rows(all, n_train + n_val, n);
      return t;
    }
    t.train = generate_patches(settings_, train_, data_seed_, 0);
    PeakSettings unshifted = settings_;
    unshifted.shift = 0;  // augmentation for training only
    t.validation = generate_patches(unshifted, validation_, data_seed_, train_);
    t.test = generate_patches(unshifted, test_, data_seed_, train_ + validation_);
    return t;
  }

  Metrics score(const nn::Tensor& predictions, const nn::Tensor& targets) const override {
    return localisation_metrics(predictions, targets, settings_.patch);
  }

  nn::Dataset generate(std::int64_t n, std::uint64_t seed) const override {
    check_fits_in_memory(sample_bytes() * static_cast<double>(n), "generating " + std::to_string(n) + " patches");
    return generate_patches(settings_, n, seed, 0);
  }

  // A simple-layout file, its labels converted from the task's label convention to nac's, with a
  // warning on stderr for labels that look written in another convention (label_conventions.hpp).
  nn::Dataset read_data(const fs::path& file) const override {
    nn::Dataset d = read_patches(file);
    for (const std::string& w : label_warnings(d, labels_, file.string())) std::cerr << "warning: " << w << '\n';
    labels_to_nac(d.targets, d.inputs.dim(d.inputs.rank() - 1), labels_);
    return d;
  }
  void outputs_to_file_convention(nn::Tensor& outputs) const override {
    if (outputs.rank() != 2 || outputs.dim(1) != 2)
      throw Error("bragg: outputs of shape " + to_string(outputs.shape()) + ", not (N, 2) peak centres");
    labels_from_nac(outputs, settings_.patch, labels_);
  }
  // Written in the task's label convention, so that read_data gives the same labels back.
  void save_data(const nn::Dataset& data, const fs::path& file) const override {
    nn::Tensor labels = data.targets;
    labels_from_nac(labels, data.inputs.dim(data.inputs.rank() - 1), labels_);
    write_patches(file, data.inputs, labels);
  }

  std::vector<std::string> baselines() const override { return {"bragg-fit", "centroid"}; }

  BaselineReport run_baseline(const std::string& name, const nn::Dataset& data) const override {
    if (name != "bragg-fit" && name != "centroid") throw Error("the bragg task has no baseline '" + name + "'");
    const std::int64_t n = static_cast<std::int64_t>(data.size()), p = data.inputs.dim(data.inputs.rank() - 1);
    nn::Tensor pred({n, 2});
    std::int64_t converged = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (std::int64_t i = 0; i < n; ++i) {
      const float* patch = data.inputs.data() + i * p * p;
      const FitResult f = name == "centroid" ? centroid(patch, p) : fit_pseudo_voigt(patch, p);
      converged += f.converged;
      pred[static_cast<std::size_t>(2 * i)] = static_cast<float>(f.col / static_cast<double>(p));
      pred[static_cast<std::size_t>(2 * i + 1)] = static_cast<float>(f.row / static_cast<double>(p));
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    BaselineReport r;
    r.metrics = localisation_metrics(pred, data.targets, p);
    r.seconds_per_sample = n ? seconds / static_cast<double>(n) : 0;
    r.summary = name == "centroid" ? "intensity-weighted centroid"
                                   : "pseudo-Voigt least-squares fit (Levenberg-Marquardt), converged on " +
                                         std::to_string(converged) + " of " + std::to_string(n) + " patches";
    return r;
  }

 private:
  PeakSettings settings_;
  fs::path data_, frames_, peaks_;
  LabelConvention labels_;  // of simple-layout files
  double validation_fraction_ = 0.1, test_fraction_ = 0.1;
  std::int64_t train_ = 0, validation_ = 0, test_ = 0;
  std::uint64_t data_seed_ = 0;
};

void register_factories(Registry& registry) {
  registry.add_task(
      "bragg", [](const ConfigTable& c) { return std::make_unique<BraggTask>(c); },
      "Bragg peak localisation in detector patches: synthetic pseudo-Voigt peaks or real files", described());
}

}  // namespace

}  // namespace nac::bragg

NAC_PLUGIN("bragg", "1.1.0", "Bragg peak localisation (high-energy diffraction microscopy)",
           nac::bragg::register_factories)
