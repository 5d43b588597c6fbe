// Fuzzes the model files: a .nacm (header, JSON description, tensors) and a model description
// (ModelSpec JSON, shapes inferred); a .nacm that reads is built into a network.
#include "fuzz_support.hpp"
#include "nac/error.hpp"
#include "nac/nn/model_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool binary = data[0] & 1;  // the first byte chooses the reader
  const auto file = nac::fuzz::scratch() / (binary ? "model.nacm" : "model.json");
  nac::fuzz::write_bytes(file, data + 1, size - 1);
  try {
    if (binary) {
      nac::nn::Model m = nac::nn::load_model(file);
      (void)m.parameter_count();
    } else {
      (void)nac::nn::load_model_spec(file);
    }
  } catch (const nac::Error&) {
  }
  return 0;
}
