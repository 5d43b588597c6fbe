// nac show, nac evaluate, nac predict and nac models: a model's table against its known counts,
// evaluate's metric against the same metric computed here from predict's output, predict's .npy
// and .csv against each other and against the engine, a run's models against the run's own files,
// and their errors.
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <doctest/doctest.h>

#include "nac/data/array_io.hpp"
#include "nac/model_cost.hpp"
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

TEST_CASE("nac evaluate and nac predict: the error from predict's outputs is evaluate's - .npy equals .csv") {
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
  // The other label convention: the same patches written with (0, 0) at the first pixel's
  // centre, in pixels. evaluate scores them as the nac-convention file; predict --task writes
  // the outputs as such a file holds its labels: pixels, half a pixel less (L = 11 y - 0.5).
  const std::string other = " --set label_origin=centre --set label_units=pixels";
  REQUIRE(test::run_nac("data generate bragg -n 700 --seed 3 -o " + d + "/c.npz" + other).exit_code == 0);
  const data::Array centre_labels = data::ArrayFile::open(d + "/c.npz")->read("labels");
  CHECK(std::abs(centre_labels.values[0] - (11 * labels.values[0] - 0.5f)) < 1e-5f);
  const auto ec = test::run_nac("evaluate " + d + "/m/model.nacm --task bragg --data " + d + "/c.npz" + other);
  REQUIRE(ec.exit_code == 0);
  const auto atc = ec.out.find("\n  error ");
  REQUIRE(atc != std::string::npos);
  CHECK(std::stod(ec.out.substr(atc + 8)) == doctest::Approx(error).epsilon(1e-4));
  REQUIRE(
      test::run_nac("predict " + d + "/m/model.nacm --data " + d + "/c.npz -o " + d + "/yc.npy --task bragg" + other)
          .exit_code == 0);
  const data::Array yc = data::ArrayFile::open(d + "/yc.npy")->read("yc");
  REQUIRE(yc.shape == Shape{700, 2});
  float largest = 0;
  for (std::size_t i = 0; i < 1400; ++i)
    largest = std::max(largest, std::abs(yc.values[i] - (11 * y.values[i] - 0.5f)));
  CHECK(largest < 1e-5f);
  auto wrong = test::run_nac("predict " + d + "/m/model.nacm --data " + d + "/p.npz -o " + d + "/yj.npy --task jets");
  CHECK(wrong.exit_code == 1);
  CHECK(wrong.err.find("the model takes samples (1, 11, 11), the task gives (16)") != std::string::npos);
  CHECK(!fs::exists(d + "/yj.npy"));
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

namespace {

const char* kTinySearch = R"(name = "tiny_models"
seed = 4
[task]
name = "bragg"
train_samples = 256
validation_samples = 128
test_samples = 0
[architecture]
slots = 1
[architecture.projection]
channels = [4, 8]
[architecture.conv]
channels = [2, 4]
[architecture.conv_attention]
hidden = [2, 4]
[architecture.mlp]
layers = [1, 2]
widths = [4, 8]
[training]
epochs = 1
batch = 64
[strategy]
name = "random"
[search]
trials = 5
workers = 2
objectives = ["error", "bops"]
)";

std::vector<std::string> split(const std::string& line, char by) {
  std::vector<std::string> out;
  std::stringstream in(line);
  std::string cell;
  while (std::getline(in, cell, by)) out.push_back(cell);
  return out;
}

// A CSV printed by nac models: the header's cells, then each row's by column name.
struct Listing {
  std::vector<std::string> header;
  std::vector<std::map<std::string, std::string>> rows;
};

Listing parse_listing(const std::string& csv) {
  Listing l;
  const auto lines = split(csv, '\n');
  REQUIRE(!lines.empty());
  l.header = split(lines[0], ',');
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto cells = split(lines[i], ',');
    REQUIRE(cells.size() == l.header.size());
    std::map<std::string, std::string> row;
    for (std::size_t k = 0; k < cells.size(); ++k) row[l.header[k]] = cells[k];
    l.rows.push_back(std::move(row));
  }
  return l;
}

}  // namespace

TEST_CASE("nac models lists a run's models with the run's front, objectives and the model files' BOPs") {
  test::TempDir dir("models_command");
  const fs::path out = dir.path() / "run";
  test::write_file(dir.path() / "tiny.toml", kTinySearch);
  const auto run = test::run_nac("run " + (dir.path() / "tiny.toml").string() + " --out " + out.string() + " --quiet");
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  const auto trials = test::read_json_lines(out / "trials.jsonl");
  const auto summary = nlohmann::json::parse(test::read_file(out / "summary.json"));
  std::set<std::uint64_t> front;
  for (const auto& id : summary["front_trials"]) front.insert(id.get<std::uint64_t>());
  REQUIRE(!front.empty());

  const auto r = test::run_nac("models " + out.string() + " --csv");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const Listing all = parse_listing(r.out);
  REQUIRE(all.header.size() > 9);
  CHECK(std::vector<std::string>(all.header.begin(), all.header.begin() + 5) ==
        std::vector<std::string>{"trial", "status", "front", "error", "bops"});
  CHECK(std::vector<std::string>(all.header.end() - 4, all.header.end()) ==
        std::vector<std::string>{"model_params", "model_macs", "model_bops", "file"});
  // One row per trial, in trial order: every trial of this search completed and saved its model.
  REQUIRE(all.rows.size() == trials.size());
  for (std::size_t i = 0; i < trials.size(); ++i) {
    const auto& row = all.rows[i];
    const auto id = trials[i]["trial"].get<std::uint64_t>();
    CAPTURE(id);
    CHECK(row.at("trial") == std::to_string(id));
    CHECK(row.at("status") == "complete");
    CHECK(row.at("front") == (front.count(id) ? "1" : "0"));
    const fs::path file = out / "models" / ("trial_" + std::to_string(id) + ".nacm");
    CHECK(row.at("file") == file.string());
    // The objectives as the run recorded them; the BOPs counted from the model file (as nac show
    // counts them) are the run's own objective.
    CHECK(std::stod(row.at("error")) == trials[i]["objectives"]["error"].get<double>());
    CHECK(std::stod(row.at("bops")) == trials[i]["objectives"]["bops"].get<double>());
    CHECK(std::stod(row.at("model_bops")) == trials[i]["objectives"]["bops"].get<double>());
    const ModelSpec spec = nn::load_model(file).spec();
    CHECK(std::stod(row.at("model_bops")) == total_bops(spec));
    CHECK(std::stod(row.at("model_params")) == total_params(spec));
    CHECK(std::stod(row.at("error_median")) == trials[i]["metrics"]["error_median"].get<double>());
  }

  // --front: the front of summary.json, nothing else; --sort: ascending.
  const Listing on_front = parse_listing(test::run_nac("models " + out.string() + " --csv --front").out);
  std::set<std::uint64_t> listed;
  for (const auto& row : on_front.rows) listed.insert(std::stoull(row.at("trial")));
  CHECK(listed == front);
  const Listing by_bops = parse_listing(test::run_nac("models " + out.string() + " --csv --sort model_bops").out);
  REQUIRE(by_bops.rows.size() == all.rows.size());
  for (std::size_t i = 1; i < by_bops.rows.size(); ++i)
    CHECK(std::stod(by_bops.rows[i - 1].at("model_bops")) <= std::stod(by_bops.rows[i].at("model_bops")));
  // The table for people: a star on each trial of the front.
  const auto table = test::run_nac("models " + out.string() + " --sort error");
  REQUIRE(table.exit_code == 0);
  CHECK(table.out.rfind("trial  status    front", 0) == 0);
  std::size_t stars = 0;
  for (const auto& line : split(table.out, '\n')) {
    std::istringstream cells(line);
    std::string trial, status, third;
    cells >> trial >> status >> third;
    stars += third == "*";
  }
  CHECK(stars == front.size());

  // Errors: an unknown sort key lists the valid ones; a missing folder; a folder that is no run's.
  auto bad = test::run_nac("models " + out.string() + " --sort eror");
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("--sort eror: not an objective or metric of " + out.string() +
                     "; sort by one of trial, error, bops, ") != std::string::npos);
  CHECK(bad.err.find("model_params, model_macs, model_bops; did you mean 'error'?") != std::string::npos);
  bad = test::run_nac("models " + (dir.path() / "nothere").string());
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("nothere: no such folder") != std::string::npos);
  bad = test::run_nac("models " + dir.path().string());
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find(dir.path().string() + ": not a run folder (no trials.jsonl)") != std::string::npos);
  // A run stopped before its end has no summary.json: the front is not known.
  fs::remove(out / "summary.json");
  const auto stopped = test::run_nac("models " + out.string() + " --csv");
  REQUIRE(stopped.exit_code == 0);
  CHECK(parse_listing(stopped.out).rows.at(0).at("front") == "");
  CHECK(stopped.err.find("no summary.json (the run did not finish): the front is not known") != std::string::npos);
  bad = test::run_nac("models " + out.string() + " --front");
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("no summary.json, which names the front") != std::string::npos);
  // Corrupt files: each an error naming the file.
  test::write_file(out / "summary.json", "[1]\n");
  bad = test::run_nac("models " + out.string());
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find((out / "summary.json").string() + ": not a JSON object") != std::string::npos);
  fs::remove(out / "summary.json");
  test::write_file(out / "models" / "trial_0.nacm", "junk");
  bad = test::run_nac("models " + out.string());
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find((out / "models" / "trial_0.nacm").string()) != std::string::npos);
  test::write_file(out / "trials.jsonl", "{\"trial\": 0, \"status\": \"complete\"}\n{cut\n");
  bad = test::run_nac("models " + out.string());
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find((out / "trials.jsonl").string() + ":2: not a JSON line") != std::string::npos);
}
