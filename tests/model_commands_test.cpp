// nac show, nac evaluate and nac predict: a model's table against its known counts, evaluate's
// metric against the same metric computed here from predict's output, predict's .npy and .csv
// against each other and against the engine, and their errors.
#include <cmath>
#include <fstream>
#include <sstream>

#include <doctest/doctest.h>

#include "nac/data/array_io.hpp"
#include "nac/nn/model_io.hpp"
#include "nac/nn/trainer.hpp"
#include "test_support.hpp"

using namespace nac;
namespace fs = std::filesystem;

TEST_CASE("nac show lists BraggNN's layers with its reference parameter count") {
  const auto r = test::run_nac("show " + std::string(NAC_SOURCE_DIR) + "/experiments/models/braggnn.json");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("input (1, 11, 11), output (2)") != std::string::npos);
  // c1: 64 filters of 1x3x3 plus biases = 640 parameters, 64 x 81 x 9 = 46,656 MACs.
  CHECK(r.out.find("c1                           conv2d      (64, 9, 9)            640        46656") !=
        std::string::npos);
  const auto total = r.out.find("\ntotal");
  REQUIRE(total != std::string::npos);
  std::istringstream line(r.out.substr(total + 6));
  double params = 0;
  line >> params;
  CHECK(params == 45394);  // BraggNN's published count
  const auto bad = test::run_nac("show /nonexistent/model.nacm");
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("/nonexistent/model.nacm") != std::string::npos);
}

TEST_CASE("nac evaluate and nac predict: the error from predict's outputs is evaluate's; .npy equals .csv") {
  test::TempDir dir("model_commands");
  const std::string d = dir.path().string();
  REQUIRE(test::run_nac("train " + std::string(NAC_SOURCE_DIR) +
                        "/experiments/models/braggnn.json --task bragg --set train_samples=500 --set "
                        "validation_samples=100 --set test_samples=100 --epochs 1 --quiet --out " +
                        d + "/m")
              .exit_code == 0);
  REQUIRE(test::run_nac("data generate bragg -n 700 --seed 3 -o " + d + "/p.npz").exit_code == 0);
  const auto e = test::run_nac("evaluate " + d + "/m/model.nacm --task bragg --data " + d + "/p.npz");
  INFO(e.err);
  REQUIRE(e.exit_code == 0);
  const auto at = e.out.find("\n  error ");
  REQUIRE(at != std::string::npos);
  const double error = std::stod(e.out.substr(at + 8));
  const auto p = test::run_nac("predict " + d + "/m/model.nacm --data " + d + "/p.npz -o " + d + "/y.npy --batch 64");
  INFO(p.err);
  REQUIRE(p.exit_code == 0);
  CHECK(p.err.find("700 samples of 'patches'") != std::string::npos);
  REQUIRE(test::run_nac("predict " + d + "/m/model.nacm --data " + d + "/p.npz -o " + d + "/y.csv --array patches")
              .exit_code == 0);
  const data::Array y = data::ArrayFile::open(d + "/y.npy")->read("y");
  const data::Array labels = data::ArrayFile::open(d + "/p.npz")->read("labels");
  REQUIRE(y.shape == Shape{700, 2});
  // The bragg task's error: the mean distance in pixels (11-pixel patches, labels in [0, 1]).
  double sum = 0;
  for (std::size_t i = 0; i < 700; ++i)
    sum += 11 * std::hypot(y.values[2 * i] - labels.values[2 * i], y.values[2 * i + 1] - labels.values[2 * i + 1]);
  CHECK(sum / 700 == doctest::Approx(error).epsilon(1e-4));
  std::ifstream csv(d + "/y.csv");
  std::string line;
  std::size_t rows = 0;
  bool same = true;
  while (std::getline(csv, line)) {
    const auto comma = line.find(',');
    same = same && std::stof(line.substr(0, comma)) == y.values[2 * rows] &&
           std::stof(line.substr(comma + 1)) == y.values[2 * rows + 1];
    ++rows;
  }
  CHECK(rows == 700);
  CHECK(same);
  // Errors: an output format, an array that does not fit, a data file of another shape.
  auto bad = test::run_nac("predict " + d + "/m/model.nacm --data " + d + "/p.npz -o " + d + "/y.txt");
  CHECK(bad.err.find("the predictions go to a .npy or .csv file") != std::string::npos);
  bad = test::run_nac("predict " + d + "/m/model.nacm --data " + d + "/p.npz --array labels -o " + d + "/z.npy");
  CHECK(bad.err.find("array 'labels' is (700, 2); the model takes rows of (1, 11, 11)") != std::string::npos);
  REQUIRE(test::run_nac("data generate bragg -n 10 --set patch=9 -o " + d + "/small.npz").exit_code == 0);
  bad = test::run_nac("evaluate " + d + "/m/model.nacm --task bragg --data " + d + "/small.npz");
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("samples of (1, 9, 9), the model takes (1, 11, 11)") != std::string::npos);
  bad = test::run_nac("evaluate " + d + "/m/model.nacm --task jets");
  CHECK(bad.err.find("the model takes samples (1, 11, 11), the task gives (16)") != std::string::npos);
}
