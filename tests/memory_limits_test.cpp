// Sizes beyond the machine's memory are refused before anything is allocated, naming what would
// not fit: a setting, a tensor, a layer of a model file, a number of samples to generate.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "nac/config.hpp"
#include "nac/dataset_task.hpp"
#include "nac/error.hpp"
#include "nac/memory.hpp"
#include "nac/model_spec.hpp"
#include "nac/nn/runtime.hpp"
#include "nac/registry.hpp"
#include "nac/task.hpp"
#include "test_support.hpp"

using namespace nac;

namespace {

using test::error_of;

std::string memory_text() {
  return "more than this machine's memory (" + std::to_string(physical_memory() >> 20) + " MiB)";
}

// MiB, rounded up, as the messages give them.
std::string mib(double bytes) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.0f", std::ceil(bytes / 1048576.0));
  return buf;
}

std::unique_ptr<Task> bragg(const std::string& settings) {
  const ConfigTable c = root_table(parse_toml_text(settings, "task.toml"), "task.toml");
  return test::build_plugins().task("bragg")(c);
}

}  // namespace

TEST_CASE("a tensor that cannot fit, or of a negative size, is an error naming its shape") {
  CHECK(error_of([] {
          nn::Tensor t({1000000000000, 1, 3, 3});
        }) == "a tensor of shape (1000000000000, 1, 3, 3) needs " + mib(36e12) + " MiB, " + memory_text());
  // A product of sizes beyond 64 bits must not wrap around to a small tensor.
  CHECK(error_of([] { nn::Tensor t({4294967296, 4294967296, 16}); }).find("needs") != std::string::npos);
  CHECK(error_of([] { nn::Tensor t({4, -2}); }) == "a tensor of shape (4, -2): a negative size");
  CHECK(error_of([] { nn::Tensor t({64, 121}); }) == "no error");
}

TEST_CASE("a model file whose layer or input cannot fit names the layer or the input") {
  ModelSpec spec;
  spec.input = {1, 11, 11};
  LayerSpec conv;
  conv.op = "conv2d";
  conv.name = "c1";
  conv.attrs["out_channels"] = Value(std::int64_t{1000000000000});
  conv.attrs["kernel"] = Value(std::int64_t{3});
  spec.layers.push_back(conv);
  // 1e12 x (1 x 3 x 3 weights + 1 bias) parameters, each a value, a gradient and two moments.
  CHECK(error_of([&] { nn::Model m(spec); }) ==
        "layer 'c1' with 10000000000000 parameters (values, gradients, "
        "optimizer moments) needs " +
            mib(1e13 * 16) + " MiB, " + memory_text());
  ModelSpec wide;
  wide.input = {1, 100000000, 100000};
  LayerSpec relu;
  relu.op = "relu";
  relu.name = "r";
  wide.layers.push_back(relu);
  CHECK(error_of([&] { nn::Model m(wide); }) ==
        "one sample of the model's input (1, 100000000, 100000) needs " + mib(4e13) + " MiB, " + memory_text());
}

TEST_CASE("bragg: more samples than memory holds is refused at the setting - and by generate") {
  CHECK(error_of([] { bragg("train_samples = 1000000000000\n"); }) ==
        "task.toml:1:17: 'train_samples': generating 1000000000000 + 5000 + 10000 patches needs " +
            mib((1e12 + 15000) * 123 * 4) + " MiB, " + memory_text());
  // 1e12 written as a float says how to write it as an integer.
  CHECK(error_of([] { bragg("train_samples = 1e12\n"); }) ==
        "task.toml:1:17: 'train_samples': expected an integer >= 1, found the number 1000000000000 (a number with a "
        "point or an exponent is a float in TOML; write the integer 1000000000000)");
  const auto task = bragg("train_samples = 100\n");
  const auto n = static_cast<std::int64_t>(physical_memory() / (123 * 4) + 1);
  CHECK(error_of([&] { (void)dynamic_cast<const DataGenerator&>(*task).generate(n, 1); }) ==
        "generating " + std::to_string(n) + " patches needs " + mib(static_cast<double>(n) * 123 * 4) + " MiB, " +
            memory_text());
}
