// The jets task: features against hand computations and an independent numpy script, the
// generator's physics and determinism, the metrics, and the task through the CLI.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include <doctest/doctest.h>

#include "jet_features.hpp"
#include "jet_generator.hpp"
#include "jet_metrics.hpp"
#include "test_support.hpp"

using namespace nac;
using namespace nac::jets;

namespace {

std::vector<std::vector<std::string>> read_csv(const std::string& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in, path);
  std::vector<std::vector<std::string>> rows;
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cells;
    std::istringstream s(line);
    for (std::string c; std::getline(s, c, ',');) cells.push_back(c);
    rows.push_back(cells);
  }
  return rows;
}

// nac train of experiments/models/MODEL on the jets task (500 validation and 1,000 test jets,
// batch 128, Adam 3e-3, and `sets`): the test accuracy it prints.
double trained_accuracy(const std::string& model, const std::string& sets, const std::filesystem::path& out) {
  const auto r = test::run_nac("train " + std::string(NAC_SOURCE_DIR) + "/experiments/models/" + model +
                               " --task jets --set validation_samples=500 --set test_samples=1000 --batch 128 --lr "
                               "3e-3 --optimizer adam --quiet " +
                               sets + " --out " + out.string());
  INFO(r.out);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto at = r.out.find("\n  accuracy");
  REQUIRE(at != std::string::npos);
  return std::stod(r.out.substr(at + 11));
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

TEST_CASE("jet features by hand: mass, energy correlations, delta phi") {
  // Two massless particles of 100 GeV, 0.2 apart in eta: m^2 = 2 pT1 pT2 (cosh 0.2 - 1).
  CHECK(jet_mass({{100, 0.1, 0.5}, {100, 0.3, 0.5}}) == doctest::Approx(std::sqrt(2e4 * (std::cosh(0.2) - 1))));
  CHECK(delta_phi(3.1, -3.1) == doctest::Approx(6.2 - 2 * M_PI));
  CHECK(delta_phi(-3.1, 3.1) == doctest::Approx(2 * M_PI - 6.2));
  // z = 0.5, 0.3, 0.2; R_AB = 0.3, R_AC = 0.4, R_BC = 0.5 (a 3-4-5 triangle).
  const std::vector<Particle> p = {{50, 0, 0}, {30, 0.3, 0}, {20, 0, 0.4}};
  Correlations c1, c2;
  correlations(p, c1, c2);
  CHECK(c1.e2 == doctest::Approx(0.15 * 0.3 + 0.1 * 0.4 + 0.06 * 0.5));  // 0.115
  CHECK(c1.e3 == doctest::Approx(0.03 * 0.3 * 0.4 * 0.5));
  CHECK(c1.e3_1 == doctest::Approx(0.03 * 0.3));        // the smallest angle
  CHECK(c1.e3_2 == doctest::Approx(0.03 * 0.3 * 0.4));  // the two smallest
  CHECK(c2.e2 == doctest::Approx(0.15 * 0.09 + 0.1 * 0.16 + 0.06 * 0.25));
  CHECK(c2.e3 == doctest::Approx(0.03 * 0.09 * 0.16 * 0.25));
  CHECK(c2.e3_2 == doctest::Approx(0.03 * 0.09 * 0.16));
  CHECK(c2.e3_1 == doctest::Approx(0.03 * 0.09));
  // Nothing to correlate in one particle.
  correlations({{10, 0, 0}}, c1, c2);
  CHECK(c1.e2 == 0);
  CHECK(c2.e3 == 0);
}

TEST_CASE("mMDT by hand: a soft wide particle is groomed away, a balanced pair is kept") {
  // A and B merge first (0.1 apart); C (2 GeV, 0.55 away) is then 2 / 192 of the jet: dropped.
  const std::vector<Particle> soft = {{100, 0, 0}, {90, 0.1, 0}, {2, 0.6, 0}};
  const std::vector<Particle> g = mmdt(soft);
  REQUIRE(g.size() == 2);
  CHECK(g[0].pt == 100);
  CHECK(g[1].pt == 90);
  // A balanced pair (z = 80 / 180) stays; with zcut 0.5 the softer one goes.
  CHECK(mmdt({{100, 0, 0}, {80, 0.3, 0}}).size() == 2);
  CHECK(mmdt({{100, 0, 0}, {80, 0.3, 0}}, 0.5).size() == 1);
}

TEST_CASE("the 16 high-level features equal an independent numpy computation (scripts/jets_features.py)") {
  const std::string dir = std::string(NAC_SOURCE_DIR) + "/tests/fixtures/jets/";
  std::map<int, std::vector<Particle>> jets;
  const auto parts = read_csv(dir + "particles.csv");
  for (std::size_t i = 1; i < parts.size(); ++i)
    jets[std::stoi(parts[i][0])].push_back({std::stod(parts[i][2]), std::stod(parts[i][3]), std::stod(parts[i][4])});
  const auto want = read_csv(dir + "features.csv");
  REQUIRE(want.size() == jets.size() + 1);
  for (int k = 0; k < kFeatures; ++k)
    CHECK(want[0][static_cast<std::size_t>(k + 1)] == feature_names()[static_cast<std::size_t>(k)]);
  for (std::size_t r = 1; r < want.size(); ++r) {
    const int jet = std::stoi(want[r][0]);
    CAPTURE(jet);
    const auto f = high_level_features(jets.at(jet));
    for (int k = 0; k < kFeatures; ++k) {
      CAPTURE(feature_names()[static_cast<std::size_t>(k)]);
      CHECK(f[static_cast<std::size_t>(k)] ==
            doctest::Approx(std::stod(want[r][static_cast<std::size_t>(k + 1)])).epsilon(1e-9));
    }
  }
}

TEST_CASE("N-subjettiness equals an independent numpy computation and separates the prongs") {
  const std::string dir = std::string(NAC_SOURCE_DIR) + "/tests/fixtures/jets/";
  std::map<int, std::vector<Particle>> jets;
  const auto parts = read_csv(dir + "particles.csv");
  for (std::size_t i = 1; i < parts.size(); ++i)
    jets[std::stoi(parts[i][0])].push_back({std::stod(parts[i][2]), std::stod(parts[i][3]), std::stod(parts[i][4])});
  const auto want = read_csv(dir + "nsubjettiness.csv");  // scripts/jets_features.py --nsubjettiness
  REQUIRE(want.size() == jets.size() + 1);
  for (std::size_t r = 1; r < want.size(); ++r) {
    CAPTURE(want[r][0]);
    const auto& particles = jets.at(std::stoi(want[r][0]));
    const auto b1 = nsubjettiness(particles, 1), b2 = nsubjettiness(particles, 2);
    for (std::size_t k = 0; k < 3; ++k) {
      CHECK(b1[k] == doctest::Approx(std::stod(want[r][1 + k])).epsilon(1e-9));
      CHECK(b2[k] == doctest::Approx(std::stod(want[r][4 + k])).epsilon(1e-9));
    }
  }
  // By hand: two particles; one axis, the summed four-momentum (400, 0, 100 sinh 0.4, 300 + 100
  // cosh 0.4) at rapidity y; two axes on the particles: tau_2 = 0.
  const std::vector<Particle> pair{{300, 0, 0}, {100, 0.4, 0}};
  const auto t = nsubjettiness(pair, 1);
  const double pz = 100 * std::sinh(0.4), e = 300 + 100 * std::cosh(0.4), y = 0.5 * std::log((e + pz) / (e - pz));
  CHECK(y == doctest::Approx(0.10099).epsilon(1e-4));
  CHECK(t[0] == doctest::Approx((300 * y + 100 * (0.4 - y)) / (400 * 0.8)).epsilon(1e-12));
  CHECK(t[1] == 0);
  // On generated jets: tau21 lower for two prongs (W, Z) than for one (g, q); tau32 lower for the top.
  std::map<int, std::vector<double>> tau21, tau32;
  for (const Jet& j : generate_jets(500, 5, 0)) {
    const auto tau = nsubjettiness(j.particles);
    tau21[j.label].push_back(tau[1] / tau[0]);
    tau32[j.label].push_back(tau[2] / tau[1]);
  }
  for (const int two : {2, 3})
    for (const int one : {0, 1}) CHECK(median(tau21[two]) < median(tau21[one]) - 0.1);
  for (const int other : {0, 1, 2, 3}) CHECK(median(tau32[4]) < median(tau32[other]));
}

TEST_CASE(
    "the generator: W, Z and top masses at their peaks, two prongs below one in N2, the same jets on any threads") {
  std::map<int, std::vector<double>> mass, n2;
  const std::vector<Jet> jets = generate_jets(1500, 7, 0);
  for (const Jet& j : jets) {
    mass[j.label].push_back(jet_mass(j.particles));
    if (j.particles.size() < 60) n2[j.label].push_back(high_level_features(j.particles)[12]);  // (kept cheap)
  }
  CHECK(median(mass[2]) == doctest::Approx(80.4).epsilon(0.05));
  CHECK(median(mass[3]) == doctest::Approx(91.2).epsilon(0.05));
  CHECK(median(mass[4]) == doctest::Approx(172.5).epsilon(0.05));
  CHECK(median(mass[1]) < 70);  // a light-quark jet is lighter than any of them
  // N2 = 2e3 / e2^2 is small for two prongs: W and Z below g and q.
  for (const int two : {2, 3})
    for (const int one : {0, 1}) CHECK(median(n2[two]) < median(n2[one]) - 0.05);
  // Balanced classes; the same bytes for 1 and 3 threads.
  std::vector<int> count(kClasses, 0);
  for (const Jet& j : jets) ++count[static_cast<std::size_t>(j.label)];
  CHECK(count == std::vector<int>(kClasses, 300));
  const int before = omp_get_max_threads();
  omp_set_num_threads(1);
  const std::vector<Jet> one = generate_jets(200, 3, 11);
  omp_set_num_threads(3);
  const std::vector<Jet> three = generate_jets(200, 3, 11);
  omp_set_num_threads(before);
  bool same = true;
  for (std::size_t i = 0; i < one.size(); ++i) {
    same = same && one[i].label == three[i].label && one[i].particles.size() == three[i].particles.size();
    for (std::size_t k = 0; same && k < one[i].particles.size(); ++k)
      same = one[i].particles[k].pt == three[i].particles[k].pt &&
             one[i].particles[k].eta == three[i].particles[k].eta &&
             one[i].particles[k].phi == three[i].particles[k].phi;
  }
  CHECK(same);
  // Jet i is stream (seed, first + i) of class (first + i) mod 5.
  CHECK(one[0].label == 1);
  CHECK(generate_jet(1, 3, 11).particles.size() == one[0].particles.size());
}

TEST_CASE("jet metrics by hand: ROC AUC with ties, accuracy and the confusion matrix") {
  CHECK(roc_auc({0.1, 0.4, 0.35, 0.8}, {false, true, false, true}) == 1.0);
  CHECK(roc_auc({0.2, 0.6, 0.4, 0.1}, {true, false, true, false}) == 0.5);  // each positive beats one of two
  CHECK(roc_auc({0.5, 0.5}, {true, false}) == 0.5);                         // a tie counts one half
  // Three jets: g predicted g, W predicted Z, t predicted t.
  nn::Tensor logits({3, kClasses}), targets({3, kClasses});
  logits.zero();
  targets.zero();
  logits[0] = 2, targets[0] = 1;
  logits[5 + 3] = 1, targets[5 + 2] = 1;
  logits[10 + 4] = 3, targets[10 + 4] = 1;
  const Confusion c = confusion(logits, targets);
  CHECK(c[0][0] == 1);
  CHECK(c[2][3] == 1);
  CHECK(c[4][4] == 1);
  const Metrics m = jet_metrics(logits, targets);
  CHECK(m.at("accuracy") == doctest::Approx(2.0 / 3));
  CHECK(m.at("error") == doctest::Approx(1.0 / 3));
  CHECK(m.count("auc_t") == 1);
  CHECK(m.count("rejection_t") == 1);
  // Rejection at 50% efficiency: signal 0.9 0.8 0.7 0.6, so the threshold is 0.8 (the 2nd best);
  // of 5 background jets 0.85 and 0.82 pass: eps_B = 2/5, rejection 2.5. Non-background (false,
  // false) jets do not count. No background jet passing: the count of background jets, 2.
  const std::vector<double> scores{0.9, 0.85, 0.8, 0.5, 0.7, 0.3, 0.6, 0.1, 0.82, 0.95};
  const std::vector<bool> signal{true, false, true, false, true, false, true, false, false, false};
  const std::vector<bool> background{false, true, false, true, false, true, false, true, true, false};
  CHECK(background_rejection(scores, signal, background, 0.5) == 2.5);
  CHECK(background_rejection({0.9, 0.2, 0.1}, {true, false, false}, {false, true, true}, 0.5) == 2);
  CHECK(background_rejection({0.9}, {true}, {false}, 0.5) == 0);
}

TEST_CASE("the jets task: nac train learns the 16 features - bad settings are clear errors") {
  test::TempDir dir("jets_task");
  CHECK(trained_accuracy("jets_mlp.json", "--set train_samples=3000 --epochs 8", dir.path() / "t") >
        0.5);  // chance is 0.2
  const auto bad = test::run_nac("train " + std::string(NAC_SOURCE_DIR) +
                                 "/experiments/models/jets_mlp.json --task jets --set view=images --out " +
                                 (dir.path() / "b").string());
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("view") != std::string::npos);
}

TEST_CASE("the jets task's constituents view: a Deep Sets network learns the 8 leading particles") {
  test::TempDir dir("jets_deepsets");
  CHECK(trained_accuracy("jets_deepsets.json", "--set view='\"constituents\"' --set train_samples=4000 --epochs 6",
                         dir.path() / "t") > 0.45);  // chance is 0.2
  // The same network on the 16 features is a shape error naming the layer.
  const auto bad =
      test::run_nac("train " + std::string(NAC_SOURCE_DIR) +
                    "/experiments/models/jets_deepsets.json --task jets --out " + (dir.path() / "b").string());
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("(8, 3)") != std::string::npos);
}

TEST_CASE("the jets task on the real datasets' files: splits, both views, clear errors") {
  test::TempDir dir("jets_files");
  const std::string fixtures = std::string(NAC_SOURCE_DIR) + "/tests/fixtures/jets/";
  const auto train = [&](const std::string& model, const std::string& sets, const std::string& out) {
    return test::run_nac("train " + std::string(NAC_SOURCE_DIR) + "/experiments/models/" + model + " --task jets " +
                         sets + " --epochs 1 --quiet --out " + (dir.path() / out).string());
  };
  // The OpenML table (10 jets): 30% validation and 30% test after the shuffle, the rest training.
  auto r = train(
      "jets_mlp.json",
      "--set \"data='" + fixtures + "hlf_openml.arff'\" --set validation_fraction=0.3 --set test_fraction=0.3", "arff");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.find("data: 4 training, 3 validation, 3 test samples") != std::string::npos);
  // The 150-particle file (12 jets): the constituents view, the test split from test_data.
  r = train("jets_deepsets.json",
            "--set view='\"constituents\"' --set \"data='" + fixtures + "jets_150p.h5'\" --set \"test_data='" +
                fixtures + "jets_150p.h5'\"",
            "h5");
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.find("data: 10 training, 2 validation, 12 test samples") != std::string::npos);
  // Errors: the table has no constituents; test_data without data; a missing file; a corrupt label.
  r = train("jets_deepsets.json", "--set view='\"constituents\"' --set \"data='" + fixtures + "hlf_openml.arff'\"",
            "e1");
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("hlf_openml.arff: the OpenML table holds the 16 features only") != std::string::npos);
  r = train("jets_mlp.json", "--set \"test_data='" + fixtures + "jets_150p.h5'\"", "e2");
  CHECK(r.err.find("'task.test_data': needs 'data'") != std::string::npos);
  r = train("jets_mlp.json", "--set \"data='" + fixtures + "nope.h5'\"", "e3");
  CHECK(r.err.find("'task.data': no such file or folder") != std::string::npos);
  r = train("jets_mlp.json", "--set \"data='" + fixtures + "bad_two_labels.h5'\"", "e4");
  CHECK(r.err.find("bad_two_labels.h5: jet 1 (row 1 of dataset 'jets') is not of exactly one class") !=
        std::string::npos);
  r = train("jets_deepsets.json",
            "--set view='\"constituents\"' --set \"data='" + fixtures +
                "jets_150p.h5'\" --set 'particle_features=[\"j1_pt\", \"j1_etarell\", \"j1_phirel\"]'",
            "e6");
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("j1_etarell") != std::string::npos);
  CHECK(r.err.find("did you mean 'j1_etarel'") != std::string::npos);
  r = train("jets_deepsets.json", "--set view='\"constituents\"' --set 'particle_features=[\"j1_e\"]'", "e7");
  CHECK(r.err.find("generated jets have j1_pt, j1_etarel and j1_phirel only") != std::string::npos);
  r = train("jets_mlp.json", "--set \"data='" + fixtures + "jets_150p.h5'\" --set train_samples=5", "e5");
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("train_samples") != std::string::npos);  // a generated-data setting with files
}
