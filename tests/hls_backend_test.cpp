// The hls backend: its reuse-factor rule and exact decimals against hand-worked values; projects
// written by `nac export hls`, built with g++ and nac's ap_fixed.h and run by `nac hls csim`,
// equal to nac's fixed-point inference bit for bit at several precisions, rounding and overflow
// modes; a project copied elsewhere still builds; bad input.
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <doctest/doctest.h>

#include "hls_estimate.hpp"
#include "hls_project.hpp"
#include "nac/objective.hpp"
#include "nac/run/plugin_loader.hpp"
#include "hls_text.hpp"
#include "nac/data/array_io.hpp"
#include "nac/nn/model_io.hpp"
#include "nac/rng.hpp"
#include "nn_test_support.hpp"
#include "test_support.hpp"

using namespace nac;
using nac::test::layer;
namespace fs = std::filesystem;

namespace {

using nac::test::fx;

// Convolutions (padding, stride, groups), leaky relu, max pooling, a flatten and a head.
ModelSpec small_cnn() {
  ModelSpec spec;
  spec.input = {2, 6, 5};
  spec.layers = {
      layer("conv2d", "c1",
            {{"out_channels", Value(std::int64_t{4})},
             {"kernel", Value(std::int64_t{3})},
             {"padding", Value(std::int64_t{1})}}),
      layer("leaky_relu", "a1", {{"slope", Value(0.1)}}),
      layer("maxpool2d", "p1", {{"kernel", Value(std::int64_t{2})}}),
      layer("conv2d", "c2",
            {{"out_channels", Value(std::int64_t{4})},
             {"kernel", Value(std::int64_t{2})},
             {"groups", Value(std::int64_t{2})}}),
      layer("relu", "a2"),
      layer("flatten", "flat"),
      layer("linear", "fc", {{"out_features", Value(std::int64_t{6})}}),
      layer("relu", "a3"),
      layer("linear", "out", {{"out_features", Value(std::int64_t{2})}}),
  };
  return spec;
}

// Saves the model as DIR/NAME.nacm, exports it to DIR/NAME with `settings`, runs its C simulation
// and checks it against nac's fixed-point inference: every value equal. Returns the number of
// distinct output lines of the simulation (outputs that are all alike would compare nothing).
std::size_t csim_is_exact(nn::Model& m, const fs::path& dir, const std::string& name, const std::string& settings,
                          int samples, int outputs) {
  nn::save_model(m, dir / (name + ".nacm"));
  const fs::path project = dir / name;
  const auto e =
      test::run_nac("export hls " + (dir / (name + ".nacm")).string() + " --out " + project.string() + " " + settings);
  REQUIRE_MESSAGE(e.exit_code == 0, e.err);
  const auto r = test::run_nac("hls csim " + project.string());
  INFO(r.out);
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find(std::to_string(samples) + " samples, " + std::to_string(samples * outputs) + " outputs") !=
        std::string::npos);
  CHECK(r.out.find("0 values differ, largest difference 0 LSB (bit-exact)") != std::string::npos);
  std::istringstream log(test::read_file(project / "tb_data" / "csim_results.log"));
  std::set<std::string> lines;
  for (std::string line; std::getline(log, line);) lines.insert(line);
  return lines.size();
}

}  // namespace

TEST_CASE("hls: the nearest valid reuse factor, as hls4ml chooses it") {
  CHECK(hls::valid_reuse_factor(16, 8, 4) == 4);    // valid as asked
  CHECK(hls::valid_reuse_factor(16, 8, 3) == 2);    // 128 % 3 != 0; 2 and 4 are as near: the smaller
  CHECK(hls::valid_reuse_factor(16, 8, 20) == 16);  // 16 (4 away) rather than 32 (12 away)
  CHECK(hls::valid_reuse_factor(16, 8, 1000) == 128);
  // 3 x 5: 6 does not divide 15; 5 >= n_in is not a multiple of 3; valid are 1, 3 and 15.
  CHECK(hls::valid_reuse_factor(3, 5, 6) == 3);
  CHECK(hls::valid_reuse_factor(3, 5, 5) == 3);
}

TEST_CASE("hls: weights are written as exact decimals") {
  const NumberType t = NumberType::fixed(8, 4);  // step 1/16
  CHECK(hls::exact_decimal(7, t) == "0.4375");
  CHECK(hls::exact_decimal(-7, t) == "-0.4375");
  CHECK(hls::exact_decimal(-40, t) == "-2.5");
  CHECK(hls::exact_decimal(0, t) == "0");
  CHECK(hls::exact_decimal(5, NumberType::fixed(4, 6)) == "20");  // step 4
  CHECK(hls::exact_decimal(1, NumberType::fixed(16, 6)) == "0.0009765625");
  CHECK(hls::cpp_type(NumberType::fixed(8, 3)) == "ap_fixed<8,3>");
  CHECK(hls::cpp_type(fx(8, 3, Rounding::Trn, Overflow::Sat)) == "ap_fixed<8,3,AP_TRN,AP_SAT>");
  CHECK(hls::cpp_type(NumberType::fixed(6, 2, false, Rounding::RndConv)) == "ap_ufixed<6,2,AP_RND_CONV>");
}

TEST_CASE("hls: the C simulation equals nac's fixed-point inference bit for bit") {
  struct Case {
    NumberType weights, inputs, fallback;
  };
  const Case cases[] = {
      {fx(8, 3, Rounding::Trn, Overflow::Wrap), fx(10, 4, Rounding::Trn, Overflow::Wrap), NumberType::fixed(16, 6)},
      {fx(6, 2, Rounding::RndConv, Overflow::Sat), fx(8, 3, Rounding::Rnd, Overflow::Sat),
       fx(10, 4, Rounding::Rnd, Overflow::Sat)},
      {fx(6, 2, Rounding::Rnd, Overflow::Wrap), fx(6, 2, Rounding::Trn, Overflow::Wrap),
       fx(8, 3, Rounding::Trn, Overflow::Wrap)},
  };
  test::TempDir dir("hls_csim");
  int k = 0;
  for (const Case& c : cases) {
    CAPTURE(to_string(c.weights));
    CAPTURE(to_string(c.inputs));
    CAPTURE(to_string(c.fallback));
    nn::Model m(small_cnn(), 5 + k);
    for (const char* name : {"c1", "c2", "fc", "out"}) {
      m.set_precision(name, "weight", c.weights);
      m.set_precision(name, "input", c.inputs);
    }
    CHECK(csim_is_exact(m, dir.path(), "p" + std::to_string(k),
                        "--set 'default_type=" + to_string(c.fallback) +
                            "' --set testbench_samples=300 --set seed=" + std::to_string(k),
                        300, 2) >= 5);
    ++k;
  }
  // An MLP with the table activations: tanh, sigmoid and the stable softmax.
  {
    ModelSpec mlp;
    mlp.input = {7};
    mlp.layers = {layer("linear", "fc1", {{"out_features", Value(std::int64_t{9})}}),
                  layer("tanh", "t"),
                  layer("batchnorm", "bn"),
                  layer("linear", "fc2", {{"out_features", Value(std::int64_t{6})}}),
                  layer("gelu", "ge"),
                  layer("linear", "fc2b", {{"out_features", Value(std::int64_t{6})}}),
                  layer("sigmoid", "s"),
                  layer("linear", "fc3", {{"out_features", Value(std::int64_t{5})}}),
                  layer("softmax", "p")};
    nn::Model m(mlp, 3);
    m.set_precision("fc1", "input", fx(10, 3, Rounding::Rnd, Overflow::Sat));
    m.set_precision("fc2", "weight", fx(8, 2, Rounding::Rnd, Overflow::Sat));
    CHECK(csim_is_exact(m, dir.path(), "mlp", "--set testbench_samples=500 --set seed=9", 500, 5) >= 5);
  }
  // Deep Sets: phi on each of 5 elements, the mean (a division by 5), the sum and the max, rho.
  for (const std::string reduce : {"mean", "sum", "max"}) {
    ModelSpec ds;
    ds.input = {5, 3};
    ds.layers = {layer("linear", "phi1", {{"out_features", Value(std::int64_t{6})}}),
                 layer("relu", "a1"),
                 layer("linear", "phi2", {{"out_features", Value(std::int64_t{4})}}),
                 layer("batchnorm", "bn"),
                 layer("relu", "a2"),
                 layer("set_pool", "pool", {{"reduce", Value(reduce)}}),
                 layer("linear", "rho", {{"out_features", Value(std::int64_t{5})}})};
    nn::Model m(ds, 13);
    m.set_precision("phi1", "input", fx(9, 3, Rounding::Rnd, Overflow::Sat));
    m.set_precision("phi2", "weight", fx(7, 2, Rounding::Rnd, Overflow::Sat));
    m.set_precision("pool", "input", fx(8, 3, Rounding::Trn, Overflow::Wrap));
    CHECK(csim_is_exact(m, dir.path(), "ds_" + reduce, "--set testbench_samples=300", 300, 5) >= 5);
  }
  // BraggNN's shape in small: a convolution, the attention block (scaled and not), a head.
  for (const std::int64_t scaled : {0, 1}) {
    ModelSpec att;
    att.input = {1, 5, 4};
    att.layers = {layer("conv2d", "c1", {{"out_channels", Value(std::int64_t{4})}, {"kernel", Value(std::int64_t{1})}}),
                  layer("leaky_relu", "a1"),
                  layer("attention", "nlb", {{"hidden", Value(std::int64_t{3})}, {"scale", Value(scaled)}}),
                  layer("layernorm", "ln"),
                  layer("avgpool2d", "p",
                        {{"kernel", Value(std::int64_t{2})},
                         {"stride", Value(std::int64_t{1})},
                         {"padding", Value(std::int64_t{1})}}),
                  layer("conv2d", "c2", {{"out_channels", Value(std::int64_t{2})}, {"kernel", Value(std::int64_t{3})}}),
                  layer("flatten", "flat"),
                  layer("linear", "fc", {{"out_features", Value(std::int64_t{2})}})};
    nn::Model m(att, 11);
    m.set_precision("nlb", "weight", fx(8, 2, Rounding::Rnd, Overflow::Sat));
    m.set_precision("nlb", "input", fx(12, 4, Rounding::Rnd, Overflow::Sat));
    CHECK(csim_is_exact(m, dir.path(), "att" + std::to_string(scaled), "--set testbench_samples=200", 200, 2) >= 5);
    if (scaled) continue;
    // Inputs from a file calibrate the types of the tensors without a precision (the block's
    // internals among them): the project still equals the executor.
    Rng rng(21);
    std::vector<float> rows(150 * 20);
    for (float& v : rows) v = static_cast<float>(rng.uniform(-3, 3));
    data::write_arrays(dir.path() / "rows.npy", {data::Array{"rows", {150, 1, 5, 4}, rows, "float32"}});
    CHECK(csim_is_exact(m, dir.path(), "att_calibrated", "--inputs " + (dir.path() / "rows.npy").string(), 150, 2) >=
          5);
    CHECK(test::read_file(dir.path() / "att_calibrated" / "firmware" / "defines.h").find("ap_fixed<16,6") ==
          std::string::npos);  // no tensor was left in the default type
  }
  // The project stands alone: copied elsewhere, its own script builds and runs it.
  const fs::path copy = dir.path() / "copied";
  fs::copy(dir.path() / "p0", copy, fs::copy_options::recursive);
  fs::remove(copy / "tb_data" / "csim_results.log");
  const auto r = test::run_command("sh " + (copy / "build_csim.sh").string() + " 2>&1");
  CHECK_MESSAGE(r.exit_code == 0, r.out);
  CHECK(r.out.find("warning") == std::string::npos);  // -Wall -Wextra: no warnings
  CHECK(test::read_file(copy / "tb_data" / "csim_results.log") ==
        test::read_file(dir.path() / "p0" / "tb_data" / "csim_results.log"));
}

TEST_CASE("hls: bad input gets a clear error and leaves no project behind") {
  test::TempDir dir("hls_bad");
  ModelSpec spec;
  spec.input = {4, 5, 5};
  spec.layers = {layer("fake_quant", "fq")};
  nn::Model att(spec, 0);
  nn::save_model(att, dir.path() / "att.nacm");
  auto r = test::run_nac("export hls " + (dir.path() / "att.nacm").string() + " --out " + (dir.path() / "p").string());
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("layer 'fq' (fake_quant)") != std::string::npos);
  CHECK(!fs::exists(dir.path() / "p"));
  CHECK(!fs::exists(dir.path() / "p.partial"));

  nn::Model m(small_cnn(), 1);
  nn::save_model(m, dir.path() / "m.nacm");
  r = test::run_nac("export hls " + (dir.path() / "m.nacm").string() + " --out " + (dir.path() / "q").string() +
                    " --set reuse_factr=2");
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("unknown key 'backend.reuse_factr'; did you mean 'reuse_factor'?") != std::string::npos);
  r = test::run_nac("export hls " + (dir.path() / "m.nacm").string() + " --out " + (dir.path() / "q").string() +
                    " --set default_type=int8");
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("default_type") != std::string::npos);
  // An invalid reuse factor: the nearest valid one, with a warning naming the layer.
  r = test::run_nac("export hls " + (dir.path() / "m.nacm").string() + " --out " + (dir.path() / "q").string() +
                    " --reuse 7");
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("warning: layer 'c1': reuse factor 7 is not valid for 18 x 4 multiplications; using 6") !=
        std::string::npos);
  // An existing folder is not overwritten.
  r = test::run_nac("export hls " + (dir.path() / "m.nacm").string() + " --out " + (dir.path() / "q").string());
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("already exists") != std::string::npos);
  r = test::run_nac("hls csim " + (dir.path() / "nothing").string());
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("nac_project.json: not found") != std::string::npos);
}

TEST_CASE("hls accuracy: the task's metrics of fixed-point inference beside the float model's") {
  test::TempDir dir("hls_accuracy");
  ModelSpec spec;
  spec.input = {1, 11, 11};
  spec.layers = {layer("conv2d", "c", {{"out_channels", Value(std::int64_t{4})}, {"kernel", Value(std::int64_t{3})}}),
                 layer("relu", "a"), layer("flatten", "f"),
                 layer("linear", "fc", {{"out_features", Value(std::int64_t{2})}})};
  nn::Model m(spec, 4);
  nn::save_model(m, dir.path() / "m.nacm");
  const std::string base = "hls accuracy " + (dir.path() / "m.nacm").string() +
                           " --task bragg --set train_samples=16 --set test_samples=400 ";
  const auto r = test::run_nac(base + "--types 'ap_fixed<32,12,AP_RND,AP_SAT>;ap_fixed<6,2>'");
  INFO(r.out);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  // Rows: float32, then each type: its first column is the task's mean distance "error".
  std::istringstream lines(r.out);
  std::map<std::string, double> error;
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string type;
    double e = 0;
    if (words >> type >> e) error[type] = e;
  }
  REQUIRE(error.count("float32"));
  REQUIRE(error.count("ap_fixed<32,12,AP_RND,AP_SAT>"));
  REQUIRE(error.count("ap_fixed<6,2>"));
  CHECK(error["ap_fixed<32,12,AP_RND,AP_SAT>"] == doctest::Approx(error["float32"]).epsilon(1e-4));
  CHECK(std::abs(error["ap_fixed<6,2>"] - error["float32"]) > 1e-3);  // a coarse type moves it
  const auto bad = test::run_nac(base + "--types int8");
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("--types: ") != std::string::npos);
}

TEST_CASE("hls estimates: a dense layer's resources and latency by hand") {
  ModelSpec spec;
  spec.input = {16};
  spec.layers = {layer("linear", "fc", {{"out_features", Value(std::int64_t{8})}})};
  infer_shapes(spec);
  hls::HlsSettings s;
  s.default_type = NumberType::fixed(16, 6);
  s.reuse = 4;
  s.clock_ns = 5;
  // 16 x 8 = 128 products, reuse 4: 32 multipliers, each one DSP (16-bit weights: 9 bits or more).
  // accum_t: 16 + 16 + 4 = 36 bits, 6 + 6 + 4 = 16 integer; with the bias 17 integer, 37 bits.
  // Adders: (128 - 8) / 4 = 30 of 37 bits, half in the DSPs: 555 LUTs; multiplexers for reuse 4:
  // 32 x (16 + 16) x log2 4 = 2048. FFs: 16 x 16 + 8 x 37 = 552. Cycles: 4 (reuse) + 1 (DSP); II 4.
  hls::HlsEstimate e = hls::estimate_hls(spec, s);
  REQUIRE(e.layers.size() == 1);
  CHECK(e.layers[0].multipliers == 32);
  CHECK(e.dsp == 32);
  CHECK(e.lut == 555 + 2048);
  CHECK(e.ff == 552);
  CHECK(e.cycles == 5);
  CHECK(e.ii == 4);
  CHECK(e.latency_ns == 25);
  // 8-bit weights go to LUTs: per multiplier (2 ceil(24 / 6) - 1) x 24 = 168 LUTs (FINN-R), 32 of
  // them; accum_t 16 + 8 + 4 = 28 bits, 6 + 3 + 4 = 13 integer, with the bias 14 integer and
  // 14 + max(15, 10) = 29 bits: adders 30 x 29; multiplexers 32 x 24 x 2. Half the weights
  // pruned: 64 products, 16 multipliers, (64 - 8) / 4 = 14 adders, multiplexers 16 x 24 x 2.
  spec.layers[0].precision["weight"] = NumberType::fixed(8, 3);
  e = hls::estimate_hls(spec, s);
  CHECK(e.dsp == 0);
  CHECK(e.lut == 32 * 168 + 30 * 29 + 32 * 24 * 2);
  CHECK(e.cycles == 4);
  spec.layers[0].sparsity = 0.5;
  e = hls::estimate_hls(spec, s);
  CHECK(e.layers[0].multipliers == 16);
  CHECK(e.lut == 16 * 168 + 14 * 29 + 16 * 24 * 2);
  // A convolution runs its pixels one after the other: 3x3 over 2 channels to 4 on 5x5 (3x3 out).
  ModelSpec conv;
  conv.input = {2, 5, 5};
  conv.layers = {layer("conv2d", "c", {{"out_channels", Value(std::int64_t{4})}, {"kernel", Value(std::int64_t{3})}})};
  infer_shapes(conv);
  s.reuse = 1;
  e = hls::estimate_hls(conv, s);
  CHECK(e.layers[0].multipliers == 72);  // 18 x 4 products, reuse 1
  CHECK(e.ii == 9);                      // 9 pixels x reuse 1
  CHECK(e.cycles == (1 + 1) + 8);        // the first pixel: reuse 1 + 1 (DSP); then 8 more
  // Deep Sets: phi on 8 elements of 3 features to 4, the elements one after the other (12
  // multipliers, II 8, cycles 2 + 7); the mean over 8 elements a shift: an adder tree of 7 per
  // feature of 16 + 2 x 3 bits, log2 8 + 1 cycles; over 5 elements a division: + 22 x 11 LUTs, 2 cycles.
  ModelSpec ds;
  ds.input = {8, 3};
  ds.layers = {layer("linear", "phi", {{"out_features", Value(std::int64_t{4})}}), layer("set_pool", "pool")};
  infer_shapes(ds);
  e = hls::estimate_hls(ds, s);
  CHECK(e.layers[0].multipliers == 12);
  CHECK(e.layers[0].ii == 8);
  CHECK(e.layers[0].cycles == 2 + 7);
  CHECK(e.layers[1].lut == 4 * 7 * 22);
  CHECK(e.layers[1].cycles == 4);
  ds.input = {5, 3};
  infer_shapes(ds);
  e = hls::estimate_hls(ds, s);
  CHECK(e.layers[1].lut == 4 * 4 * 22 + 4 * 22 * 11);
  CHECK(e.layers[1].cycles == 3 + 1 + 2);
  CHECK(hls::find_device("xc7z020-clg400-1").dsp == 220);
  CHECK(test::error_of([] { (void)hls::find_device("xc7nope"); }).find("unknown FPGA part 'xc7nope' (known: ") == 0);
}

TEST_CASE("hls: hardware objectives read the estimate of a candidate's model") {
  Registry registry;
  PluginLoader loader(registry);
  loader.load_directory(NAC_PLUGIN_DIR);
  ModelSpec spec;
  spec.input = {16};
  spec.layers = {layer("linear", "fc", {{"out_features", Value(std::int64_t{8})}})};
  infer_shapes(spec);
  const ConfigTable config = root_table(
      parse_toml_text("reuse_factor = 4\ndefault_type = \"ap_fixed<16,6>\"\npart = \"xc7z020-clg400-1\"\n", "o.toml"),
      "o.toml");
  const Assignment params;
  const Metrics metrics;
  const Candidate c{params, metrics, &spec};
  CHECK(registry.objective("dsp")(config)->evaluate(c) == 32);
  CHECK(registry.objective("latency_cycles")(config)->evaluate(c) == 5);
  CHECK(registry.objective("device_share")(config)->evaluate(c) == doctest::Approx(32.0 / 220));
  const ConfigTable bad = root_table(parse_toml_text("part = \"xc7nope\"\n", "b.toml"), "b.toml");
  CHECK(test::error_of([&] { (void)registry.objective("lut")(bad); }).find("unknown FPGA part") != std::string::npos);
}
