// nac: neural architecture codesign for fast physics. The command line.
//
// Exit codes: 0 success; 1 a user error (bad experiment file, plugin, data) or a training run
// that diverged, with one message on stderr; 2 a command-line usage error; 3 an unexpected
// internal error.
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <new>

#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "nac/error.hpp"
#include "nac/detail/crash_context.hpp"
#include "nac/version.hpp"

namespace {

// A seed is an integer in [0, 2^64 - 1]: CLI11 would take "-1" and "18446744073709551616" as
// 2^64 - 1 without a word.
const CLI::Validator kSeed(
    [](std::string& text) {
      std::uint64_t v = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (text.empty() || ec != std::errc() || end != text.data() + text.size())
        return "a seed is an integer from 0 to 18446744073709551615, not " + text;
      return std::string();
    },
    "N", "seed");

void add_task_options(CLI::App* app, nac::cli::TaskArgs& t, bool name_positional) {
  if (name_positional) app->add_option("task", t.name, "task plugin, e.g. bragg")->required()->type_name("TASK");
  else app->add_option("--task", t.name, "task plugin, e.g. bragg")->type_name("TASK");
  app->add_option("--set", t.settings, "a task setting, key=value (TOML value; repeatable)")->type_name("KEY=VALUE");
  app->add_option("--config", t.config,
                  "a TOML file with a [task] table (and [training] for nac train, [compression] for nac compress)")
      ->type_name("FILE.toml");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"nac: neural architecture codesign for fast physics"};
  app.set_version_flag("--version", std::string("nac ") + NAC_VERSION);
  app.require_subcommand(1);
  nac::cli::CommonOptions common;
  app.add_option("--plugin-dir", common.plugin_dirs, "extra folder of plugin libraries (nac_*.so); may be repeated")
      ->type_name("DIR");
  app.fallthrough();

  nac::cli::RunArgs run_args;
  CLI::App* run = app.add_subcommand("run", "run an experiment: search, evaluate, write results");
  auto* exp_opt =
      run->add_option("experiment", run_args.experiment, "experiment file (TOML)")->type_name("EXPERIMENT.toml");
  auto* resume_opt =
      run->add_option("--resume", run_args.resume, "continue a run killed in DIR without repeating its finished trials")
          ->type_name("DIR");
  exp_opt->excludes(resume_opt);
  run->callback([&] {
    if (run_args.experiment.empty() && !run_args.resume) throw CLI::RequiredError("EXPERIMENT.toml or --resume DIR");
  });
  run->add_option("--out", run_args.out, "output folder (default: the experiment's `output`, else results/NAME)")
      ->type_name("DIR");
  run->add_option("--seed", run_args.seed, "random seed (overrides the experiment's `seed`)")
      ->type_name("N")
      ->check(kSeed);
  run->add_option("--from", run_args.from,
                  "with --resume DIR: rerun a pipeline from this stage (global, local, compress, backend) with the "
                  "experiment file's settings as they are now; the stage's results and the later ones' are replaced")
      ->type_name("STAGE")
      ->needs(resume_opt);
  run->add_flag("--quiet,-q", run_args.quiet, "no progress line");

  std::string validate_file;
  CLI::App* validate = app.add_subcommand("validate", "check an experiment file and the plugins it names");
  validate->add_option("experiment", validate_file, "experiment file (TOML)")->required()->type_name("EXPERIMENT.toml");

  CLI::App* plugins = app.add_subcommand("plugins", "list every plugin found: kind, name, version, file");
  std::optional<std::string> describe_name;
  plugins
      ->add_option("--describe", describe_name,
                   "every setting a plugin (or a strategy, task, block, objective, op ... of that name) reads: "
                   "type, default, range, help")
      ->type_name("NAME");

  nac::cli::TrainArgs train_args;
  CLI::App* train = app.add_subcommand("train", "train one model on a task's data and report its metrics");
  train
      ->add_option("model", train_args.model,
                   "model description (JSON), e.g. experiments/models/braggnn.json, or a saved model (.nacm) whose "
                   "architecture is trained afresh")
      ->required()
      ->type_name("MODEL.json|MODEL.nacm");
  add_task_options(train, train_args.task, false);
  train->add_option("--out", train_args.out, "output folder (default results/train-MODEL)")->type_name("DIR");
  train->add_option("--epochs", train_args.epochs, "epochs (overrides [training])")->type_name("N");
  train->add_option("--batch", train_args.batch, "batch size")->type_name("N");
  train->add_option("--lr", train_args.lr, "learning rate")->type_name("X");
  train->add_option("--optimizer", train_args.optimizer, "sgd, adam, adamw or rmsprop")->type_name("NAME");
  train->add_option("--seed", train_args.seed, "initialisation, shuffling and dropout seed")
      ->type_name("N")
      ->check(kSeed);
  train->add_option("--threads", train_args.threads, "threads (default: all cores)")
      ->type_name("N")
      ->check(CLI::Range(1, 1024));
  train->add_flag("--quiet,-q", train_args.quiet, "no progress line");
  train->add_flag("--profile", train_args.profile,
                  "print where the training's time went: phases of a step, each layer's forward and backward "
                  "(also written to profile.txt)");

  nac::cli::CompressArgs compress_args;
  CLI::App* compress =
      app.add_subcommand("compress", "compress a trained model: QAT and pruning sweeps, every step saved and scored");
  compress->add_option("model", compress_args.model, "a trained model, e.g. results/train-braggnn/model.nacm")
      ->required()
      ->type_name("MODEL.nacm");
  add_task_options(compress, compress_args.task, false);
  compress->add_option("--out", compress_args.out, "output folder (default results/compress-MODEL)")->type_name("DIR");
  compress->add_option("--threads", compress_args.threads, "threads (default: all cores)")
      ->type_name("N")
      ->check(CLI::Range(1, 1024));
  compress->add_option("--seed", compress_args.seed, "fine-tuning seed (overrides [training])")
      ->type_name("N")
      ->check(kSeed);
  compress->add_flag("--quiet,-q", compress_args.quiet, "no progress lines");

  nac::cli::ExportArgs export_args;
  CLI::App* export_cmd = app.add_subcommand(
      "export", "run a backend on a trained model: hls (an hls4ml-shaped HLS project) or a plugin's");
  export_cmd->add_option("backend", export_args.backend, "backend plugin, e.g. hls")->required()->type_name("BACKEND");
  export_cmd->add_option("model", export_args.model, "a trained model (.nacm)")->required()->type_name("MODEL.nacm");
  export_cmd->add_option("--out", export_args.out, "output folder (hls: must not exist)")->required()->type_name("DIR");
  export_cmd->add_option("--set", export_args.settings, "a setting of the backend, key=value (repeatable)")
      ->type_name("KEY=VALUE");
  export_cmd->add_option("--name", export_args.name, "hls: top function and file names (default myproject)")
      ->type_name("NAME");
  export_cmd->add_option("--part", export_args.part, "hls: FPGA part (default xcvu13p-flga2577-2-e)")
      ->type_name("PART");
  export_cmd->add_option("--reuse", export_args.reuse, "hls: reuse factor of every layer (default 1)")->type_name("N");
  export_cmd->add_option("--clock", export_args.clock, "hls: clock period in ns (default 5)")->type_name("NS");
  export_cmd
      ->add_option("--inputs", export_args.inputs, "hls: testbench inputs, a data file (default: uniform in [-1, 1])")
      ->type_name("FILE");
  CLI::App* hls = app.add_subcommand("hls", "work with an HLS project written by nac export hls");
  hls->require_subcommand(1);
  std::string csim_dir;
  CLI::App* csim = hls->add_subcommand(
      "csim", "C simulation with g++: compared with nac's fixed-point inference and the float model");
  csim->add_option("dir", csim_dir, "the project folder")->required()->type_name("DIR");
  nac::cli::HlsAccuracyArgs acc_args;
  CLI::App* accuracy = hls->add_subcommand(
      "accuracy", "the task's metrics of nac's fixed-point inference at default types, beside the float model's");
  accuracy->add_option("model", acc_args.model, "a trained model (.nacm)")->required()->type_name("MODEL.nacm");
  add_task_options(accuracy, acc_args.task, false);
  accuracy
      ->add_option("--types", acc_args.types,
                   "default types to try, repeated or separated by ';' (default: <16,6> with and without "
                   "AP_RND,AP_SAT; <12,4>, <10,4>, <8,3> with)")
      ->type_name("TYPE")
      ->delimiter(';');
  accuracy->add_flag("--default-weights", acc_args.default_weights,
                     "weights without an ap_fixed precision in the default type itself, as hls4ml's default (else "
                     "its width with the integer bits their largest magnitude needs)");
  accuracy->add_flag("--no-fold", acc_args.no_fold,
                     "keep batch norms as layers (default: folded into the layer before them, as nac export hls "
                     "does)");
  accuracy
      ->add_option("--calibrate", acc_args.calibrate,
                   "training samples whose ranges give each tensor without an ap_fixed precision the default's "
                   "width with the integer bits it needs (default 1000; 0: the default type itself)")
      ->type_name("N")
      ->check(CLI::Range(0, 100000000));
  accuracy->add_option("--samples", acc_args.samples, "test samples scored (default 10000)")
      ->type_name("N")
      ->check(CLI::Range(1, 100000000));

  CLI::App* data = app.add_subcommand("data", "make and inspect data files");
  data->require_subcommand(1);
  nac::cli::DataGenerateArgs gen_args;
  CLI::App* generate = data->add_subcommand("generate", "generate a dataset with a task's generator");
  add_task_options(generate, gen_args.task, true);
  generate->add_option("-n,--count", gen_args.count, "number of samples")
      ->type_name("N")
      ->check(CLI::Range(1, 100000000));
  generate->add_option("--seed", gen_args.seed, "seed")->type_name("N")->check(kSeed);
  generate->add_option("-o,--out", gen_args.out, "output file (.npz, .h5 or .hdf5)")->required()->type_name("FILE");
  generate->add_option("--threads", gen_args.threads, "threads (default: all cores; the data does not depend on it)")
      ->type_name("N")
      ->check(CLI::Range(1, 1024));
  std::string info_file;
  CLI::App* info = data->add_subcommand("info", "list the arrays of a data file (.npy, .npz, HDF5) with statistics");
  info->add_option("file", info_file, "data file")->required()->type_name("FILE");

  nac::cli::BaselineArgs base_args;
  CLI::App* baseline =
      app.add_subcommand("baseline", "run a task's classical method, e.g. nac baseline bragg bragg-fit");
  add_task_options(baseline, base_args.task, true);
  baseline->add_option("method", base_args.method, "baseline method, e.g. bragg-fit")->required()->type_name("METHOD");
  baseline->add_option("--data", base_args.data, "a data file in the task's layout (default: generated)")
      ->type_name("FILE");
  baseline->add_option("-n,--count", base_args.count, "generated samples")
      ->type_name("N")
      ->check(CLI::Range(1, 100000000));
  baseline->add_option("--seed", base_args.seed, "seed of the generated samples")->type_name("N")->check(kSeed);

  std::string show_model;
  CLI::App* show = app.add_subcommand("show", "print a model's layers: shapes, parameters, MACs, BOPs, precision");
  show->add_option("model", show_model, "a saved model (.nacm) or a model description (.json)")
      ->required()
      ->type_name("MODEL.nacm|MODEL.json");

  nac::cli::EvaluateArgs eval_args;
  CLI::App* evaluate =
      app.add_subcommand("evaluate", "a trained model's task metrics on the task's data or on a data file");
  evaluate->add_option("model", eval_args.model, "a trained model (.nacm)")->required()->type_name("MODEL.nacm");
  add_task_options(evaluate, eval_args.task, false);
  evaluate->add_option("--data", eval_args.data, "a data file in the task's layout (default: the task's own data)")
      ->type_name("FILE");
  evaluate->add_option("--split", eval_args.split, "the task's split scored without --data (default test)")
      ->type_name("SPLIT")
      ->check(CLI::IsMember({"train", "validation", "test"}));
  evaluate->add_option("--threads", eval_args.threads, "threads (default: all cores)")
      ->type_name("N")
      ->check(CLI::Range(1, 1024));

  nac::cli::EvaluateArgs predict_args;
  std::string predict_array, predict_out;
  CLI::App* predict =
      app.add_subcommand("predict", "a trained model's outputs for the inputs in a data file, read in blocks");
  predict->add_option("model", predict_args.model, "a trained model (.nacm)")->required()->type_name("MODEL.nacm");
  predict->add_option("--data", predict_args.data, "inputs: a .npy, .npz or HDF5 file")->required()->type_name("FILE");
  predict
      ->add_option("--array", predict_array,
                   "the array of inputs, one sample per row (default: the one array whose rows fit the model)")
      ->type_name("NAME");
  predict->add_option("-o,--out", predict_out, "predictions (.npy or .csv)")->required()->type_name("FILE");
  add_task_options(predict, predict_args.task, false);
  predict->add_option("--batch", predict_args.batch, "samples per forward pass (default 256)")
      ->type_name("N")
      ->check(CLI::Range(1, 1 << 20));
  predict->add_option("--threads", predict_args.threads, "threads (default: all cores)")
      ->type_name("N")
      ->check(CLI::Range(1, 1024));

  nac::cli::BenchArgs bench_args;
  CLI::App* bench = app.add_subcommand(
      "bench", "benchmark search strategies against each other on problems over seeds, with rank tests");
  bench->add_option("bench", bench_args.file, "a bench file (TOML, docs/bench.md)")
      ->required()
      ->type_name("BENCH.toml");
  bench
      ->add_option("--out", bench_args.out,
                   "output folder (default: the file's 'output', else results/bench-NAME); "
                   "the runs of an interrupted bench there are kept")
      ->type_name("DIR");
  bench->add_option("--workers", bench_args.workers, "runs at once (default: the file's 'workers', else every core)")
      ->type_name("N")
      ->check(CLI::Range(1, 1024));
  bench->add_flag("--quiet,-q", bench_args.quiet, "no line per finished run");
  bench
      ->add_option("--peer-runs", bench_args.peer_runs,
                   "a peer's runs of the same bench (runs.jsonl format, e.g. from scripts/peers/optuna_bench.py), "
                   "reported beside nac's contenders")
      ->type_name("FILE.jsonl");

  std::string report_dir;
  CLI::App* report = app.add_subcommand(
      "report", "write a run folder's report: report.html (self-contained) and report.md, with their figures");
  report->add_option("dir", report_dir, "a run folder (what nac run writes)")->required()->type_name("DIR");

  nac::cli::ModelsArgs models_args;
  CLI::App* models = app.add_subcommand(
      "models", "list a run folder's trained models: objectives, metrics, front, parameters, MACs, BOPs, file");
  models->add_option("dir", models_args.dir, "a run folder (what nac run writes)")->required()->type_name("DIR");
  models->add_flag("--front", models_args.front, "only the non-dominated trials (summary.json's front)");
  models
      ->add_option("--sort", models_args.sort,
                   "sort by an objective or metric (or trial, model_params, model_macs, model_bops), ascending")
      ->type_name("KEY");
  models->add_flag("--csv", models_args.csv, "comma-separated values, numbers in full");

  nac::detail::install_crash_handlers();  // a plugin that crashes the process is named as it goes
  std::string list;
  bool known = false;
  for (const CLI::App* sub : app.get_subcommands({})) {
    list += (list.empty() ? "" : ", ") + sub->get_name();
    known |= argc > 1 && sub->get_name() == argv[1];
  }
  if (argc > 1 && argv[1][0] != '-' && !known) {
    std::fprintf(stderr, "nac: unknown command '%s'; the commands are %s (nac --help)\n", argv[1], list.c_str());
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  try {
    if (*run) return nac::cli::run(common, run_args);
    if (*validate) return nac::cli::validate(common, validate_file);
    if (*plugins) return describe_name ? nac::cli::describe_plugin(common, *describe_name) : nac::cli::plugins(common);
    if (*train) return nac::cli::train(common, train_args);
    if (*compress) return nac::cli::compress(common, compress_args);
    if (*export_cmd) return nac::cli::export_model(common, export_args);
    if (*csim) return nac::cli::hls_csim(csim_dir);
    if (*accuracy) return nac::cli::hls_accuracy(common, acc_args);
    if (*generate) return nac::cli::data_generate(common, gen_args);
    if (*info) return nac::cli::data_info(info_file);
    if (*baseline) return nac::cli::baseline(common, base_args);
    if (*show) return nac::cli::show(show_model);
    if (*evaluate) return nac::cli::evaluate(common, eval_args);
    if (*predict) return nac::cli::predict(common, predict_args, predict_array, predict_out);
    if (*models) return nac::cli::models(models_args);
    if (*report) return nac::cli::report(report_dir);
    if (*bench) return nac::cli::bench(common, bench_args);
  } catch (const nac::Error& e) {
    std::fprintf(stderr, "nac: error: %s\n", e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr,
                 "nac: error: out of memory: an allocation failed (is a size in the experiment, the model or the "
                 "data larger than meant?)\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nac: internal error: %s\n", e.what());
    return 3;
  } catch (...) {
    std::fprintf(stderr, "nac: internal error: a non-standard exception (not derived from std::exception)\n");
    return 3;
  }
  return 2;
}
