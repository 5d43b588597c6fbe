#pragma once
// The subcommands of the `nac` program. Each returns the process exit code and throws nac::Error
// for user errors (main prints them).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace nac::cli {

struct CommonOptions {
  std::vector<std::string> plugin_dirs;  // --plugin-dir, searched after the default folders
};

/// How a task is named on the command line: `--task NAME` with `--set key=value` settings, or
/// the [task] table of `--config FILE.toml`.
struct TaskArgs {
  std::string name;
  std::vector<std::string> settings;
  std::optional<std::string> config;
};

struct RunArgs {
  std::string experiment;
  std::optional<std::string> resume;  // a run's output folder
  std::optional<std::string> out;
  std::optional<std::uint64_t> seed;
  std::optional<std::string> from;  // with resume: rerun a pipeline from this stage
  bool quiet = false;
};

struct TrainArgs {
  std::string model;
  TaskArgs task;
  std::optional<std::string> out;
  std::optional<int> epochs, batch, threads;
  std::optional<double> lr;
  std::optional<std::string> optimizer;
  std::optional<std::uint64_t> seed;
  bool quiet = false;
  bool profile = false;
};

struct CompressArgs {
  std::string model;
  TaskArgs task;  // --config FILE.toml: [task], [training] (fine-tuning), [compression]
  std::optional<std::string> out;
  std::optional<int> threads;
  std::optional<std::uint64_t> seed;
  bool quiet = false;
};

struct ExportArgs {
  std::string backend;
  std::string model;
  std::string out;
  std::optional<std::string> name, part, inputs;
  std::optional<std::int64_t> reuse;
  std::optional<double> clock;
  std::vector<std::string> settings;  // --set key=value: the backend's settings (--name etc.: hls's)
};

struct HlsAccuracyArgs {
  std::string model;
  TaskArgs task;
  std::vector<std::string> types{"ap_fixed<16,6,AP_RND,AP_SAT>", "ap_fixed<16,6>", "ap_fixed<12,4,AP_RND,AP_SAT>",
                                 "ap_fixed<10,4,AP_RND,AP_SAT>", "ap_fixed<8,3,AP_RND,AP_SAT>"};
  std::int64_t samples = 10000;
  bool default_weights = false;   // weights in the default type, not fitted (--default-weights)
  bool no_fold = false;           // batch norms not folded (--no-fold)
  std::int64_t calibrate = 1000;  // training samples that calibrate the tensors' ranges (0: none)
};

struct DataGenerateArgs {
  TaskArgs task;
  std::int64_t count = 10000;
  std::uint64_t seed = 0;
  std::string out;
  std::optional<int> threads;
};

struct BaselineArgs {
  TaskArgs task;
  std::string method;
  std::optional<std::string> data;
  std::int64_t count = 10000;
  std::uint64_t seed = 0;
};

/// nac evaluate and nac predict: a trained model on a task's split or a data file.
struct EvaluateArgs {
  std::string model;
  TaskArgs task;
  std::optional<std::string> data;
  std::string split = "test";
  int batch = 256;
  std::optional<int> threads;
};

/// nac models: a run folder's trained models.
struct ModelsArgs {
  std::string dir;
  bool front = false;               // only the trials summary.json puts on the front
  std::optional<std::string> sort;  // a column: objective, metric, trial, model_params, ...
  bool csv = false;
};

int run(const CommonOptions& common, const RunArgs& args);
int validate(const CommonOptions& common, const std::string& experiment);
/// nac report: DIR/report.md and DIR/report.html from a run folder's files.
int report(const std::string& dir);
int plugins(const CommonOptions& common);
/// `nac plugins --describe NAME`: the declared settings of every entry named NAME or of plugin NAME.
int describe_plugin(const CommonOptions& common, const std::string& name);
int train(const CommonOptions& common, const TrainArgs& args);
int export_model(const CommonOptions& common, const ExportArgs& args);
int hls_csim(const std::filesystem::path& dir);
int hls_accuracy(const CommonOptions& common, const HlsAccuracyArgs& args);
int compress(const CommonOptions& common, const CompressArgs& args);
int data_generate(const CommonOptions& common, const DataGenerateArgs& args);
int data_info(const std::string& file);
int baseline(const CommonOptions& common, const BaselineArgs& args);
/// nac show: a model's layers with shapes, parameters, MACs, BOPs, precision and sparsity.
int show(const std::string& model);
int evaluate(const CommonOptions& common, const EvaluateArgs& args);
/// nac predict: the model's outputs for the rows of `array` (empty: the one array whose rows fit)
/// of args.data, read in blocks, written to `out` (.npy or .csv).
int predict(const CommonOptions& common, const EvaluateArgs& args, const std::string& array, const std::string& out);
/// nac models: one line per trial of a run folder with a model file (id, status, front, objectives,
/// metrics, parameters, MACs and BOPs of the model file, its path); a table or CSV.
int models(const ModelsArgs& args);

/// nac bench: strategies against each other on problems over seeds (docs/bench.md).
struct BenchArgs {
  std::string file;
  std::optional<std::string> out;        // default: the file's `output`
  std::optional<int> workers;            // runs at once (default: the file's, else every core)
  std::optional<std::string> peer_runs;  // a peer's runs (runs.jsonl format) to report beside nac's
  bool quiet = false;
};
int bench(const CommonOptions& common, const BenchArgs& args);

}  // namespace nac::cli
