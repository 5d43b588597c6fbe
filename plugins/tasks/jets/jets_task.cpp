// The `jets` task: five-class jet tagging (g, q, W, Z, t) on synthetic jets (docs/jets.md).
//
//   [task]
//   name = "jets"
//   view = "hlf"               # the 16 high-level features, or "constituents"
//   constituents = 8           # constituents view: the leading particles kept (zero padded)
//   min_pt = 2.0               # constituents view: particles at or below this pT (GeV) are dropped
//   train_samples = 50000
//   validation_samples = 10000
//   test_samples = 20000
//   data_seed = 0
//
// Real jets instead (then the *_samples settings are not used):
//   data = "hls4ml_lhc_jets_hlf.arff"   # the OpenML table (.arff, .csv), a 150-particle file (.h5)
//                                       # or a folder of them; shuffled by data_seed, then split
//   test_data = "val/"                  # optional: the test split from these files instead
//   validation_fraction = 0.2
//   test_fraction = 0.2                 # (without test_data)
//   particle_features = ["j1_pt", "j1_etarel", "j1_phirel"]   # constituents view: the columns
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>

#include "jet_features.hpp"
#include "jet_files.hpp"
#include "jet_generator.hpp"
#include "jet_metrics.hpp"
#include "nac/data/array_io.hpp"
#include "nac/dataset_task.hpp"
#include "nac/error.hpp"
#include "nac/memory.hpp"
#include "nac/plugin.hpp"
#include "nac/rng.hpp"
#include "nac/settings.hpp"

namespace nac::jets {

namespace {

const Setting<std::string> kView{.key = "view",
                                 .fallback = "hlf",
                                 .choices = {"hlf", "constituents"},
                                 .help = "the inputs: the 16 high-level features, or the leading constituents"};
const Setting<std::int64_t> kConstituents{.key = "constituents",
                                          .fallback = 8,
                                          .range = Range::between(1, 150),
                                          .help = "constituents view: the leading particles kept (zero padded)"};
const Setting<double> kMinPt{.key = "min_pt",
                             .fallback = 2.0,
                             .range = Range::at_least(0),
                             .help = "constituents view: particles at or below this pT (GeV) are dropped"};
const Setting<std::int64_t> kTrainSamples{
    .key = "train_samples", .fallback = 50000, .range = Range::at_least(1), .help = "training jets"};
const Setting<std::int64_t> kValidationSamples{
    .key = "validation_samples", .fallback = 10000, .range = Range::at_least(1), .help = "validation jets"};
const Setting<std::int64_t> kTestSamples{
    .key = "test_samples", .fallback = 20000, .range = Range::at_least(0), .help = "test jets"};
const Setting<std::vector<std::string>> kParticleFeatures{
    .key = "particle_features",
    .fallback = std::vector<std::string>{"j1_pt", "j1_etarel", "j1_phirel"},
    .help =
        "constituents view of real files: each particle's columns of particleFeatureNames (generated jets have "
        "these three only)"};
const Setting<std::string> kData{
    .key = "data",
    .fallback = std::nullopt,
    .help =
        "real jets: the OpenML hls4ml_lhc_jets_hlf table (.arff, .csv), a 150-particle HDF5 file or a folder of "
        "them; shuffled by data_seed, then split (default: generated jets)",
    .required = false};
const Setting<std::string> kTestData{.key = "test_data",
                                     .fallback = std::nullopt,
                                     .help =
                                         "real jets: the test split from these files (then 'data' gives "
                                         "training and validation only)",
                                     .required = false};
const Setting<double> kValidationFraction{.key = "validation_fraction",
                                          .fallback = 0.2,
                                          .range = Range{0, 1, true, true},
                                          .help = "real jets: share of 'data' for validation"};
const Setting<double> kTestFraction{.key = "test_fraction",
                                    .fallback = 0.2,
                                    .range = Range{0, 1, false, true},
                                    .help = "real jets without 'test_data': share of 'data' for test"};
const Setting<std::int64_t> kDataSeed{.key = "data_seed",
                                      .fallback = 0,
                                      .range = Range::at_least(0),
                                      .help = "seed of the data (the training run has its own)"};

struct View {
  bool hlf = true;
  std::int64_t constituents = 8;
  double min_pt = 2;
  std::vector<std::string> particle_features{"j1_pt", "j1_etarel", "j1_phirel"};  // (files may give others)
  std::int64_t per_particle() const { return static_cast<std::int64_t>(particle_features.size()); }
  std::int64_t width() const { return hlf ? kFeatures : per_particle() * constituents; }
  /// One jet: a vector of 16 features, or a set of (pT, eta_rel, phi_rel) per constituent.
  Shape sample() const { return hlf ? Shape{kFeatures} : Shape{constituents, per_particle()}; }
  Shape of(std::int64_t n) const {
    Shape s{n};
    for (auto d : sample()) s.push_back(d);
    return s;
  }
};

// n jets from index `first`: the view's raw values (n, width) and one-hot classes (n, 5).
nn::Dataset make_jets(const View& v, std::int64_t n, std::uint64_t seed, std::int64_t first) {
  const std::vector<Jet> jets = generate_jets(n, seed, first);
  const std::int64_t w = v.width();
  nn::Dataset d{nn::Tensor(v.of(n)), nn::Tensor({n, kClasses})};
  d.targets.zero();
#pragma omp parallel for schedule(dynamic, 16)
  for (std::int64_t i = 0; i < n; ++i) {
    const Jet& jet = jets[static_cast<std::size_t>(i)];
    float* row = d.inputs.data() + i * w;
    if (v.hlf) {
      const auto f = high_level_features(jet.particles);
      for (int k = 0; k < kFeatures; ++k) row[k] = static_cast<float>(f[static_cast<std::size_t>(k)]);
    } else {
      const std::vector<float> c = constituents(jet.particles, static_cast<int>(v.constituents), v.min_pt);
      std::copy(c.begin(), c.end(), row);
    }
    d.targets[static_cast<std::size_t>(i * kClasses + jet.label)] = 1;
  }
  return d;
}

// Real jets of a file or folder: the view's raw values and one-hot classes.
nn::Dataset read_jets(const View& v, const std::filesystem::path& path) {
  const std::string ext = path.extension().string();
  nn::Dataset d;
  std::vector<int> labels;
  if (ext == ".arff" || ext == ".csv") {
    if (!v.hlf)
      throw Error(path.string() +
                  ": the OpenML table holds the 16 features only; view = \"constituents\" needs "
                  "the 150-particle HDF5 files");
    HlfTable t = read_hlf_table(path);
    d.inputs = nn::Tensor(v.of(t.rows));
    std::copy(t.features.begin(), t.features.end(), d.inputs.data());
    labels = std::move(t.labels);
  } else {
    JetFile f =
        read_jet_files({path}, v.hlf ? 0 : v.constituents, v.min_pt, v.particle_features);  // (a folder: its files)
    d.inputs = nn::Tensor(v.of(f.rows));
    const std::vector<float>& values = v.hlf ? f.hlf : f.particles;
    std::copy(values.begin(), values.end(), d.inputs.data());
    labels = std::move(f.labels);
  }
  d.targets = nn::Tensor({static_cast<std::int64_t>(labels.size()), kClasses});
  d.targets.zero();
  for (std::size_t i = 0; i < labels.size(); ++i) d.targets[i * kClasses + static_cast<std::size_t>(labels[i])] = 1;
  return d;
}

// Rows `order[first, first + n)` of d.
nn::Dataset pick(const nn::Dataset& d, const std::vector<std::int64_t>& order, std::int64_t first, std::int64_t n) {
  const auto per = static_cast<std::int64_t>(d.inputs.sample_size());
  Shape shape = d.inputs.shape();
  shape[0] = n;
  nn::Dataset out{nn::Tensor(shape), nn::Tensor({n, kClasses})};
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t r = order[static_cast<std::size_t>(first + i)];
    std::copy(d.inputs.data() + r * per, d.inputs.data() + (r + 1) * per, out.inputs.data() + i * per);
    std::copy(d.targets.data() + r * kClasses, d.targets.data() + (r + 1) * kClasses,
              out.targets.data() + i * kClasses);
  }
  return out;
}

// Scaling from the training split, applied to every split: the features standardised (mean 0,
// standard deviation 1); the constituents' pT, eta and phi divided by the spread between their
// 5th and 95th percentiles over real (non-padding) particles, as l1-jet-id's robust scaling.
void scale(const View& v, TaskData& t) {
  const std::int64_t w = v.width(), n = t.train.inputs.dim(0);
  std::vector<double> shift(static_cast<std::size_t>(w), 0.0), factor(static_cast<std::size_t>(w), 1.0);
  if (v.hlf) {
    for (std::int64_t k = 0; k < w; ++k) {
      double s = 0, s2 = 0;
      for (std::int64_t i = 0; i < n; ++i) s += t.train.inputs[static_cast<std::size_t>(i * w + k)];
      const double mean = s / static_cast<double>(n);
      for (std::int64_t i = 0; i < n; ++i) {
        const double d = t.train.inputs[static_cast<std::size_t>(i * w + k)] - mean;
        s2 += d * d;
      }
      const double sd = std::sqrt(s2 / static_cast<double>(n));
      shift[static_cast<std::size_t>(k)] = mean;
      factor[static_cast<std::size_t>(k)] = sd > 0 ? 1 / sd : 1;
    }
  } else {
    const std::int64_t per = v.per_particle();
    for (std::int64_t f = 0; f < per; ++f) {
      std::vector<float> values;  // over real particles: padding is all zeros
      for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t p = 0; p < v.constituents; ++p) {
          const float* particle = t.train.inputs.data() + i * w + per * p;
          if (std::any_of(particle, particle + per, [](float x) { return x != 0; })) values.push_back(particle[f]);
        }
      if (values.size() < 2) continue;
      std::sort(values.begin(), values.end());
      const auto at = [&](double q) {
        return values[static_cast<std::size_t>(q * static_cast<double>(values.size() - 1))];
      };
      const double spread = at(0.95) - at(0.05);
      for (std::int64_t p = 0; p < v.constituents; ++p)
        factor[static_cast<std::size_t>(per * p + f)] = spread > 0 ? 1 / spread : 1;
    }
  }
  for (nn::Dataset* d : {&t.train, &t.validation, &t.test})
    for (std::int64_t i = 0; i < d->inputs.dim(0); ++i)
      for (std::int64_t k = 0; k < w; ++k) {
        float& x = d->inputs[static_cast<std::size_t>(i * w + k)];
        x = static_cast<float>((x - shift[static_cast<std::size_t>(k)]) * factor[static_cast<std::size_t>(k)]);
      }
}

class JetsTask final : public DatasetTask, public DataGenerator, public DataFiles {
 public:
  explicit JetsTask(const ConfigTable& c) {
    view_.hlf = c.get(kView) == "hlf";
    view_.constituents = c.get(kConstituents);
    view_.min_pt = c.get(kMinPt);
    data_seed_ = static_cast<std::uint64_t>(c.get(kDataSeed));
    const std::filesystem::path base = std::filesystem::path(c.file()).parent_path();
    const auto existing = [&](const Setting<std::string>& s) {
      std::filesystem::path p = *c.get_optional(s);
      if (!p.is_absolute() && c.file() != "<no file>") p = base / p;
      std::error_code ec;
      if (!std::filesystem::exists(p, ec)) c.fail(s.key, "no such file or folder: " + p.string());
      return p;
    };
    if (c.has(kData.key)) {
      data_ = existing(kData);
      if (!view_.hlf) {
        view_.particle_features = c.get(kParticleFeatures);
        if (view_.particle_features.empty()) c.fail(kParticleFeatures.key, "needs at least one feature");
      }
      if (c.has(kTestData.key)) test_data_ = existing(kTestData);
      validation_fraction_ = c.get(kValidationFraction);
      if (test_data_.empty()) test_fraction_ = c.get(kTestFraction);
      if (validation_fraction_ + test_fraction_ >= 1)
        c.fail(kValidationFraction.key, "validation and test fractions must leave room for training jets");
      return;
    }
    if (c.has(kTestData.key)) c.fail(kTestData.key, "needs 'data' (the training jets' files)");
    if (c.has(kParticleFeatures.key) && c.get(kParticleFeatures) != view_.particle_features)
      c.fail(kParticleFeatures.key,
             "generated jets have j1_pt, j1_etarel and j1_phirel only; other features need "
             "'data' (the 150-particle files)");
    train_ = c.get(kTrainSamples);
    validation_ = c.get(kValidationSamples);
    test_ = c.get(kTestSamples);
    try {
      check_fits_in_memory(static_cast<double>(view_.width() + kClasses) * sizeof(float) *
                               static_cast<double>(train_ + validation_ + test_),
                           "generating " + std::to_string(train_ + validation_ + test_) + " jets");
    } catch (const Error& e) {
      c.fail(kTrainSamples.key, e.what());
    }
  }

  std::vector<MetricInfo> metrics() const override { return jet_metric_info(); }
  Shape input_shape() const override { return view_.sample(); }
  Shape target_shape() const override { return {kClasses}; }
  std::string default_loss() const override { return "cross_entropy"; }

  TaskData load_data() const override {
    TaskData t;
    if (!data_.empty()) {
      const nn::Dataset all = read_jets(view_, data_);
      const std::int64_t n = all.inputs.dim(0);
      std::vector<std::int64_t> order(static_cast<std::size_t>(n));
      std::iota(order.begin(), order.end(), 0);
      Rng rng(data_seed_);
      for (std::int64_t i = n - 1; i > 0; --i)
        std::swap(order[static_cast<std::size_t>(i)], order[rng.below(static_cast<std::uint64_t>(i + 1))]);
      const auto share = [&](double f) { return static_cast<std::int64_t>(std::floor(f * static_cast<double>(n))); };
      const std::int64_t validation = share(validation_fraction_), test = share(test_fraction_);
      const std::int64_t train = n - validation - test;
      if (train < 1 || validation < 1)
        throw Error(data_.string() + ": " + std::to_string(n) +
                    " jets are too few to split into training and validation jets");
      t.train = pick(all, order, 0, train);
      t.validation = pick(all, order, train, validation);
      if (test_data_.empty()) {
        t.test = pick(all, order, train + validation, test);
      } else {
        t.test = read_jets(view_, test_data_);
      }
      scale(view_, t);
      return t;
    }
    t.train = make_jets(view_, train_, data_seed_, 0);
    t.validation = make_jets(view_, validation_, data_seed_, train_);
    t.test = make_jets(view_, test_, data_seed_, train_ + validation_);
    scale(view_, t);
    return t;
  }

  Metrics score(const nn::Tensor& predictions, const nn::Tensor& targets) const override {
    return jet_metrics(predictions, targets);
  }

  // Raw values (not scaled): what the generator gives.
  nn::Dataset generate(std::int64_t n, std::uint64_t seed) const override { return make_jets(view_, n, seed, 0); }

  // nac's own layout: "inputs" (N, 16) or (N, P, 3) and "labels" (N, 5), one-hot.
  void save_data(const nn::Dataset& d, const std::filesystem::path& file) const override {
    data::write_arrays(file, {data::ArrayView{"inputs", d.inputs.shape(), {d.inputs.data(), d.inputs.size()}},
                              data::ArrayView{"labels", d.targets.shape(), {d.targets.data(), d.targets.size()}}});
  }
  nn::Dataset read_data(const std::filesystem::path& file) const override {
    const auto f = data::ArrayFile::open(file);
    const data::Array x = f->read("inputs"), y = f->read("labels");
    if (x.shape.empty() || x.shape != view_.of(x.shape[0]) || y.shape != Shape{x.shape[0], kClasses})
      throw Error(file.string() + ": needs inputs " + "(N, " + to_string(view_.sample()).substr(1) +
                  " and labels (N, 5), found " + to_string(x.shape) + " and " + to_string(y.shape));
    nn::Dataset d{nn::Tensor(x.shape), nn::Tensor(y.shape)};
    std::copy(x.values.begin(), x.values.end(), d.inputs.data());
    std::copy(y.values.begin(), y.values.end(), d.targets.data());
    return d;
  }

 private:
  View view_;
  std::filesystem::path data_, test_data_;  // real jets (empty: generated)
  double validation_fraction_ = 0, test_fraction_ = 0;
  std::int64_t train_ = 0, validation_ = 0, test_ = 0;
  std::uint64_t data_seed_ = 0;
};

void register_factories(Registry& registry) {
  registry.add_task(
      "jets", [](const ConfigTable& c) { return std::make_unique<JetsTask>(c); },
      "jet tagging (g, q, W, Z, t) on synthetic jets shaped by their physics or the real datasets' files: 16 "
      "high-level features or the leading constituents",
      describe_settings(kView, kConstituents, kMinPt, kTrainSamples, kValidationSamples, kTestSamples, kDataSeed, kData,
                        kTestData, kValidationFraction, kTestFraction, kParticleFeatures));
}

}  // namespace

}  // namespace nac::jets

NAC_PLUGIN("jets", "0.1.0", "Jet tagging at the LHC (hls4ml's five classes)", nac::jets::register_factories)
