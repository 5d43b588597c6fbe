// BOPs against hand computations, the block plugins and the architecture template at their
// boundaries, and a small end-to-end global search on Bragg patches with a kill and a resume.
#include <cmath>
#include <fstream>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "nac/run/architecture.hpp"
#include "nac/error.hpp"
#include "nac/run/experiment.hpp"
#include "nac/model_cost.hpp"
#include "nac/nn/model.hpp"
#include "nac/run/plugin_loader.hpp"
#include "nac/run/runner.hpp"
#include "test_support.hpp"

using namespace nac;
using I = std::int64_t;
namespace fs = std::filesystem;

namespace {

Registry& plugins() { return test::build_plugins(); }

ConfigTable table(const std::string& text) {
  return root_table(parse_toml_text(text, "arch.toml"), "arch.toml").table("architecture");
}

}  // namespace

TEST_CASE("bops of the 16-64-32-32-5 dense network at 32 bits is 4652832") {
  ModelSpec s;
  s.input = {16};
  for (I w : {64, 32, 32, 5})
    append_layer(s, "linear", "fc" + std::to_string(w) + "_" + std::to_string(s.layers.size()), {{"out_features", w}});
  // By hand: m n (32*32 + 32 + 32 + log2 n) per layer:
  // 64*16*(1088+4) + 32*64*(1088+6) + 32*32*(1088+5) + 5*32*(1088+5) = 4652832.
  CHECK(total_bops(s) == doctest::Approx(4652832.0));
  CHECK(total_macs(s) == doctest::Approx(16 * 64 + 64 * 32 + 32 * 32 + 32 * 5));
}

TEST_CASE("bops of a convolution worked by hand with bits and pruning") {
  ModelSpec s;
  s.input = {3, 6, 6};
  // 3 -> 4 channels, 3x3, no padding: 4x4 outputs per channel, K = 3*9 = 27.
  LayerSpec& c = append_layer(s, "conv2d", "c", {{"out_channels", I{4}}, {"kernel", I{3}}});
  c.precision["weight"] = NumberType::fixed(4, 1);
  c.precision["input"] = NumberType::scaled_int(8);
  c.sparsity = 0.5;
  // P = 4*16 = 64 outputs; per output K*((1-0.5)*8*4 + 8 + 4 + log2 27) = 27*(16 + 12 + 4.7549).
  const double expected = 64 * 27 * (0.5 * 8 * 4 + 8 + 4 + std::log2(27.0));
  CHECK(total_bops(s) == doctest::Approx(expected));
  CHECK(total_params(s) == doctest::Approx(4 * 27 + 4));
}

TEST_CASE("the default template reproduces BraggNN with its reference parameter count") {
  ArchitectureTemplate t(table("[architecture]\n[architecture.projection]\nchannels = [8, 16, 32, 64]\n"), plugins(),
                         {1, 11, 11}, {2});
  Assignment a;
  a.set("projection.channels", I{64});
  a.set("slot0", "conv_attention");
  a.set("slot0.conv_attention.hidden", I{32});
  a.set("slot0.conv_attention.norm", "none");
  a.set("slot0.conv_attention.activation", "none");
  a.set("slot1", "conv");
  for (int i = 0; i < 2; ++i) {
    const std::string n = std::to_string(i);
    a.set("slot1.conv.channels_" + n, I{i == 0 ? 32 : 8});
    a.set("slot1.conv.kernel_" + n, I{3});
    a.set("slot1.conv.norm_" + n, "none");
    a.set("slot1.conv.activation_" + n, "leaky_relu");
  }
  a.set("slot2", "none");
  a.set("head.layers", I{4});
  const I widths[4] = {64, 32, 16, 8};
  for (int i = 0; i < 4; ++i) {
    const std::string n = std::to_string(i);
    a.set("head.width_" + n, widths[i]);
    a.set("head.norm_" + n, "none");
    a.set("head.activation_" + n, "leaky_relu");
  }
  CHECK_NOTHROW(t.space()->validate(a));
  const ModelSpec spec = t.build(a);
  nn::Model m(spec, 0);
  CHECK(m.parameter_count() == 45394);
  CHECK(total_params(spec) == 45394);
  CHECK(spec.output() == Shape{2});
}

TEST_CASE("blocks at their boundaries build models of the right shapes") {
  ArchitectureTemplate t(table("[architecture]\nslots = 3\n[architecture.projection]\nchannels = [8]\n"
                               "[architecture.conv]\nkernels = [1, 3, 5]\nchannels = [2, 64]\n"),
                         plugins(), {1, 11, 11}, {2});
  Rng rng(4);
  for (int k = 0; k < 300; ++k) {  // random configurations, all buildable and correctly shaped
    const Assignment a = t.space()->decode(t.space()->sample(rng));
    const ModelSpec spec = t.build(a);
    CHECK(spec.output() == Shape{2});
    nn::Model m(spec, 1);
    nn::Tensor x({2, 1, 11, 11});
    x.fill(0.5f);
    CHECK(m.forward(x, false).shape() == Shape{2, 2});
  }
  // All slots empty: projection, flatten, head.
  Assignment empty = t.space()->decode(t.space()->sample(rng));
  Assignment none;
  for (const auto& [k, v] : empty.values())
    if (k.rfind("slot", 0) != 0) none.set(k, v);
  for (int i = 0; i < 3; ++i) none.set("slot" + std::to_string(i), "none");
  const ModelSpec flat = t.build(none);
  CHECK(flat.layers[0].output == Shape{8, 9, 9});
  // Three conv blocks of kernel 5 on a 9x9 image: 9 -> 5 -> 1, then kernels are repaired to 1.
  Assignment deep = none;
  for (int i = 0; i < 3; ++i) {
    const std::string s = "slot" + std::to_string(i);
    deep.set(s, "conv");
    for (int l = 0; l < 2; ++l) {
      const std::string n = std::to_string(l);
      deep.set(s + ".conv.channels_" + n, I{2});
      deep.set(s + ".conv.kernel_" + n, I{5});
      deep.set(s + ".conv.norm_" + n, "layer");
      deep.set(s + ".conv.activation_" + n, "gelu");
    }
  }
  CHECK_NOTHROW(t.space()->validate(deep));
  const ModelSpec d = t.build(deep);
  std::vector<Shape> conv_outputs;
  int repaired = 0;
  for (const auto& l : d.layers)
    if (l.op == "conv2d" && l.name != "projection") {
      conv_outputs.push_back(l.output);
      repaired += l.attrs.count("repaired_from_kernel") ? 1 : 0;
    }
  REQUIRE(conv_outputs.size() == 6);
  CHECK(conv_outputs[0] == Shape{2, 5, 5});
  CHECK(conv_outputs[1] == Shape{2, 1, 1});
  CHECK(conv_outputs[5] == Shape{2, 1, 1});
  CHECK(repaired == 4);
}

TEST_CASE("template settings are validated with their position") {
  CHECK_THROWS_WITH_AS(
      ArchitectureTemplate(table("[architecture]\nblocks = [\"conv\", \"attn\"]\n"), plugins(), {1, 11, 11}, {2}),
      doctest::Contains("unknown block 'attn'"), Error);
  CHECK_THROWS_WITH_AS(
      ArchitectureTemplate(table("[architecture]\n[architecture.conv]\nkernels = [2]\n"), plugins(), {1, 11, 11}, {2}),
      doctest::Contains("arch.toml:3:11: 'architecture.conv.kernels': kernel sizes must be odd"), Error);
  CHECK_THROWS_WITH_AS(
      ArchitectureTemplate(table("[architecture]\n[architecture.mlp]\nactivations = [\"relu\", \"swish\"]\n"),
                           plugins(), {1, 11, 11}, {2}),
      doctest::Contains("'swish' is not one of"), Error);
}

namespace {

const char* kSearch = R"(name = "tiny_global"
seed = 3
[task]
name = "bragg"
train_samples = 256
validation_samples = 128
test_samples = 0
[architecture]
slots = 2
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
trials = 8
workers = 2
batch = 2
objectives = ["error", "bops"]
[search.seeds.small]
"projection.channels" = 4
slot0 = "none"
slot1 = "none"
"head.layers" = 1
"head.width_0" = 4
"head.norm_0" = "none"
"head.activation_0" = "relu"
)";

}  // namespace

TEST_CASE("a global search on Bragg patches and a resumed kill lose no finished trial") {
  test::TempDir dir("global");
  const fs::path file = dir.path() / "tiny.toml";
  test::write_file(file, kSearch);
  const Experiment ex = load_experiment(file);

  SearchSetup full = build_search(ex, plugins(), ex.seed);
  const RunSummary s = run_search(ex, full, RunOptions{dir.path() / "full", false});
  CHECK(s.trials.size() == 8);
  CHECK(s.trials[0].params.label("slot0") == "none");  // the seed first
  CHECK(s.trials[0].objectives.at(1) < s.trials[1].objectives.at(1) * 10);
  for (const auto& t : s.trials) {
    CAPTURE(t.message);
    CHECK(t.status == TrialStatus::Complete);
    CHECK(fs::exists(dir.path() / "full" / "models" / ("trial_" + std::to_string(t.id) + ".nacm")));
  }
  CHECK(fs::exists(dir.path() / "full" / "pareto.svg"));

  // "Kill" after 4 trials, then resume. A finished trial of the interrupted batch is in the
  // journal only: give it a marker value to see that the resumed run reuses it instead of
  // training it again.
  SearchSetup part = build_search(ex, plugins(), ex.seed);
  RunOptions first{dir.path() / "part", false};
  first.stop_after = 4;
  run_search(ex, part, first);
  auto journal = test::read_json_lines(dir.path() / "part" / "journal.jsonl");
  REQUIRE(journal.size() == 4);
  nlohmann::json extra = test::read_json_lines(dir.path() / "full" / "trials.jsonl").at(4);
  extra["objectives"]["error"] = 123.0;
  std::ofstream(dir.path() / "part" / "journal.jsonl", std::ios::app) << extra.dump() << "\n";

  SearchSetup again = build_search(ex, plugins(), ex.seed);
  RunOptions second{dir.path() / "part", false};
  second.resume = true;
  const RunSummary r = run_search(ex, again, second);
  REQUIRE(r.trials.size() == 8);
  const auto full_lines = test::read_json_lines(dir.path() / "full" / "trials.jsonl");
  const auto part_lines = test::read_json_lines(dir.path() / "part" / "trials.jsonl");
  REQUIRE(part_lines.size() == 8);
  for (std::size_t i = 0; i < 8; ++i) {
    CAPTURE(i);
    CHECK(part_lines[i]["params"] == full_lines[i]["params"]);
    if (i != 4) CHECK(part_lines[i]["objectives"]["bops"] == full_lines[i]["objectives"]["bops"]);
  }
  CHECK(part_lines[4]["objectives"]["error"] == 123.0);
  // The journal holds every trial evaluated, each once.
  CHECK(test::read_json_lines(dir.path() / "part" / "journal.jsonl").size() == 8);
}

TEST_CASE("costs of grouped and depthwise convolutions worked by hand") {
  ModelSpec s;
  s.input = {8, 10, 10};
  // groups 2: 16 outputs, kernel 3, no padding -> (16, 8, 8); each output sees 8/2 * 3 * 3 = 36 products.
  append_layer(s, "conv2d", "g", {{"out_channels", I{16}}, {"kernel", I{3}}, {"groups", I{2}}});
  // depthwise: 16 groups of one channel, kernel 3, padding 1 -> (16, 8, 8); fan-in 9, no bias.
  append_layer(s, "conv2d", "dw",
               {{"out_channels", I{16}}, {"kernel", I{3}}, {"padding", I{1}}, {"groups", I{16}}, {"bias", I{0}}});
  const auto costs = layer_costs(s);
  REQUIRE(costs.size() == 2);
  CHECK(costs[0].macs == 16.0 * 64 * 36);    // 36864
  CHECK(costs[0].params == 16.0 * 36 + 16);  // 592
  CHECK(costs[1].macs == 16.0 * 64 * 9);     // 9216
  CHECK(costs[1].params == 16.0 * 9);        // 144
  // BOPs at 32 bits, unpruned: outputs * fan_in * (32*32 + 32 + 32 + log2(fan_in)).
  CHECK(costs[0].bops == doctest::Approx(16.0 * 64 * 36 * (1088 + std::log2(36.0))));
  CHECK(costs[1].bops == doctest::Approx(16.0 * 64 * 9 * (1088 + std::log2(9.0))));
  // The engine's parameters agree with the cost model's count (PyTorch's layout (OC, IC/G, K, K)).
  nn::Model m(s, 1);
  CHECK(m.parameter_count() == 592 + 144);
  CHECK(m.param("g.weight")->value().shape() == Shape{16, 4, 3, 3});
  CHECK(m.param("dw.weight")->value().shape() == Shape{16, 1, 3, 3});
}

TEST_CASE("groups that do not divide the channels are refused, naming the layer") {
  ModelSpec s;
  s.input = {6, 5, 5};
  CHECK_THROWS_WITH_AS(append_layer(s, "conv2d", "c", {{"out_channels", I{8}}, {"kernel", I{3}}, {"groups", I{4}}}),
                       "layer 'c' (conv2d) on input (6, 5, 5): 'groups' 4 does not divide the 6 input channels", Error);
  CHECK_THROWS_WITH_AS(append_layer(s, "conv2d", "c", {{"out_channels", I{8}}, {"kernel", I{3}}, {"groups", I{3}}}),
                       "layer 'c' (conv2d) on input (6, 5, 5): 'groups' 3 does not divide the 8 output channels "
                       "('out_channels')",
                       Error);
  CHECK_THROWS_WITH_AS(append_layer(s, "conv2d", "c", {{"out_channels", I{6}}, {"kernel", I{3}}, {"groups", I{0}}}),
                       doctest::Contains("attribute 'groups' must be >= 1, found 0"), Error);
}
