// Bad input that used to be accepted without a word, or refused unclearly: each now gets a
// clear error naming where (issue 11's "silent wrong results and unclear messages").
#include <doctest/doctest.h>

#include <cstring>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "nac/error.hpp"
#include "nac/nn/model_io.hpp"
#include "nac/nn/runtime.hpp"
#include "test_support.hpp"

using nac::test::run_nac;
using nac::test::TempDir;
namespace fs = std::filesystem;

namespace {

const std::string source = NAC_SOURCE_DIR;
using nac::test::q;

// A saved model file with its JSON header changed by `edit` (the header's length is rewritten).
void edit_model(const fs::path& file, const std::function<void(nlohmann::json&)>& edit) {
  std::string bytes = nac::test::read_file(file);
  std::uint64_t h;
  std::memcpy(&h, bytes.data() + 12, 8);
  nlohmann::json header = nlohmann::json::parse(bytes.substr(20, h));
  edit(header);
  const std::string text = header.dump();
  const std::uint64_t n = text.size();
  std::string out = bytes.substr(0, 12);
  out.append(reinterpret_cast<const char*>(&n), 8);
  out += text;
  out += bytes.substr(20 + h);
  std::ofstream(file, std::ios::binary | std::ios::trunc) << out;
}

std::string load_error(const fs::path& file) {
  try {
    (void)nac::nn::load_model(file);
  } catch (const nac::Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("a seed is an integer from 0 to 2^64 - 1: -1, 2^64 and 1.5 are refused") {
  const std::string exp = q(source + "/experiments/zdt1_random.toml");
  for (const std::string bad : {"-1", "18446744073709551616", "1.5", "x"}) {
    const auto r = run_nac("run " + exp + " --seed " + bad + " --out /nonexistent/never");
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("--seed: a seed is an integer from 0 to 18446744073709551615, not " + bad) != std::string::npos);
  }
  const auto gen = run_nac("data generate bragg -n 2 --seed -1 -o /nonexistent/never.npz");
  CHECK(gen.exit_code == 2);
  CHECK(gen.err.find("not -1") != std::string::npos);
}

TEST_CASE("--set is one line: a newline that would inject a table is refused - a key is a bare key") {
  auto r = run_nac("data generate bragg -n 2 -o /nonexistent/never.npz --set \"$(printf 'patch=11\\n[foo]\\nbar=1')\"");
  CHECK(r.exit_code == 1);
  CHECK(r.err == "nac: error: --set patch=...: the value holds a line break; a setting is one line\n");
  r = run_nac("data generate bragg -n 2 -o /nonexistent/never.npz --set 'a]b=1'");
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("a key is letters, digits, '_', '-' and '.' (found 'a]b')") != std::string::npos);
}

TEST_CASE("an unknown command is named, with the commands there are") {
  const auto r = run_nac("frobnicate");
  CHECK(r.exit_code == 2);
  CHECK(
      r.err ==
      "nac: unknown command 'frobnicate'; the commands are run, validate, plugins, train, compress, export, hls, data, "
      "baseline, show, evaluate, predict, bench, report, models (nac --help)\n");
}

TEST_CASE("nac train refuses a bad recipe before it makes any data") {
  const std::string model = q(source + "/experiments/models/braggnn.json");
  auto r = run_nac("train " + model + " --task bragg --epochs 0 --out /nonexistent/never");
  CHECK(r.exit_code == 1);
  CHECK(r.err == "nac: error: --epochs: at least 1, found 0\n");  // (no "loading data..." before it)
  r = run_nac("train " + model + " --task bragg --optimizer lbfgs --out /nonexistent/never");
  CHECK(r.err == "nac: error: --optimizer/--lr: unknown optimizer 'lbfgs'; known: sgd, adam, adamw, rmsprop\n");
  r = run_nac("train " + model + " --task bragg --lr -1 --out /nonexistent/never");
  CHECK(r.err == "nac: error: --optimizer/--lr: optimizer 'adam': lr must be positive\n");
}

TEST_CASE("bragg: a data file that is not there fails validation - one of other patches fails at load") {
  TempDir dir("bragg_data");
  const std::string tail = "[architecture]\nslots = 1\n[strategy]\nname = \"random\"\n[search]\ntrials = 2\n";
  nac::test::write_file(dir.path() / "missing.toml", "[task]\nname = \"bragg\"\ndata = \"nothere.npz\"\n" + tail);
  auto r = run_nac("validate " + q(dir.path() / "missing.toml"));
  CHECK(r.exit_code == 1);
  CHECK(r.err == "nac: error: " + (dir.path() / "missing.toml").string() +
                     ":3:8: 'task.data': no such file: " + (dir.path() / "nothere.npz").string() + "\n");
  REQUIRE(run_nac("data generate bragg -n 20 --set patch=9 --threads 1 -o " + q(dir.path() / "p9.npz")).exit_code == 0);
  nac::test::write_file(dir.path() / "p9.toml", "[task]\nname = \"bragg\"\ndata = \"p9.npz\"\n" + tail);
  r = run_nac("run " + q(dir.path() / "p9.toml") + " --out " + q(dir.path() / "out") + " --quiet");
  CHECK(r.exit_code == 1);
  CHECK(r.err == "nac: error: " + (dir.path() / "p9.npz").string() +
                     ": its patches are 9x9 pixels, the task's are 11x11 (set the task's patch = 9, or use a file of "
                     "11x11 patches)\n");
  CHECK_FALSE(fs::exists(dir.path() / "out" / "trials.jsonl"));  // the folder takes a new run
}

TEST_CASE("a model file with an unknown tensor kind or key, a fractional shape or a tensor twice is refused") {
  TempDir dir("model_file");
  nac::nn::Model model(nac::nn::load_model_spec(source + "/experiments/models/braggnn.json"), 1);
  const fs::path file = dir.path() / "m.nacm";
  auto fresh = [&] {
    fs::remove(file);
    nac::nn::save_model(model, file);
  };
  const std::string where = file.string() + ": ";
  fresh();
  CHECK(load_error(file) == "no error");
  edit_model(file, [](nlohmann::json& h) { h["tensors"][0]["kind"] = "weights"; });
  CHECK(load_error(file) == where +
                                "tensor 'c1.weight' is of kind 'weights', the model's is 'param' (kinds: param, "
                                "buffer, mask)");
  fresh();
  edit_model(file, [](nlohmann::json& h) { h["tensors"][0]["shape"][0] = 64.5; });
  CHECK(load_error(file) == where +
                                "tensor 'c1.weight' shape: expected a shape (an array of integers >= 0), found "
                                "[64.5,1,3,3]");
  fresh();
  edit_model(file, [](nlohmann::json& h) { h["tensors"][1] = h["tensors"][0]; });
  CHECK(load_error(file) == where + "tensor 'c1.weight' is listed twice");
  fresh();
  edit_model(file, [](nlohmann::json& h) { h["tensors"][0]["strides"] = 1; });
  CHECK(load_error(file) == where + "tensor 'c1.weight': unknown key 'strides' (known: name, kind, shape, offset)");
  fresh();
  edit_model(file, [](nlohmann::json& h) { h["spec"]["input"] = {1, 11.5, 11}; });
  CHECK(load_error(file) == where + "input: expected a shape (an array of integers >= 0), found [1,11.5,11]");
  fresh();
  edit_model(file, [](nlohmann::json& h) { h["spec"]["layers"][0]["atrs"] = nlohmann::json::object(); });
  CHECK(load_error(file) ==
        where + "layers[0]: unknown key 'atrs' (known: op, name, input, output, attrs, precision, sparsity, children)");
}
