// nac_torch_crosscheck: one training step's forward and backward of a saved nac model, for
// comparison against another framework (scripts/torch_crosscheck.py drives it against PyTorch).
//
//   nac_torch_crosscheck MODEL.nacm INPUT.npy TARGET.npy OUT_DIR [--threads N]
//
// Loads the model, runs forward in training mode on INPUT (shape (N, ...model input)), computes
// the MSE loss against TARGET (same shape as the output; mean over all elements, as
// torch.nn.MSELoss) and its gradient d_output = 2 (y - t) / numel, runs backward, and writes
//   OUT_DIR/output.npy          the model output
//   OUT_DIR/grad_input.npy      d(loss)/d(input)
//   OUT_DIR/grad_<param>.npy    d(loss)/d(param) for every parameter (the parameter's own name)
// and prints "loss <value>" (9 significant digits; the loss is accumulated in double).
//
// Array files are NumPy .npy, read and written by core's array I/O (nac/data/array_io.hpp):
// any dtype it reads is converted to float32; outputs are float32, C order.
// Any problem prints "error: <file>: <what>" and exits with code 1.
#include <cstdio>
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "nac/data/array_io.hpp"
#include "nac/error.hpp"
#include "nac/nn/model.hpp"
#include "nac/nn/model_io.hpp"
#include "nac/nn/runtime.hpp"
#include "nac/nn/tensor.hpp"

namespace fs = std::filesystem;
using nac::Error;
using nac::Shape;
using nac::nn::Tensor;

namespace {

// An array file (numpy.save's .npy, or any format core reads) as a tensor of its shape.
Tensor read_npy(const fs::path& file) {
  const auto f = nac::data::ArrayFile::open(file);
  const auto names = f->names();
  if (names.size() != 1) throw Error(file.string() + ": expected one array, found " + std::to_string(names.size()));
  nac::data::Array a = f->read(names.front());
  Tensor t(a.shape);
  std::copy(a.values.begin(), a.values.end(), t.data());
  return t;
}

void write_npy(const fs::path& file, const Tensor& t) {
  nac::data::write_arrays(file, {nac::data::ArrayView{file.stem().string(), t.shape(), {t.data(), t.size()}}});
}

int usage() {
  std::cerr << "usage: nac_torch_crosscheck MODEL.nacm INPUT.npy TARGET.npy OUT_DIR [--threads N]\n"
               "  One training-mode forward + MSE loss + backward; writes OUT_DIR/output.npy,\n"
               "  OUT_DIR/grad_input.npy and OUT_DIR/grad_<param>.npy, prints the loss.\n"
               "  Arrays are .npy float32 ('<f4'), C order.\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> pos;
  int threads = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc) {
      try {
        threads = std::stoi(argv[++i]);
      } catch (const std::exception&) {
        threads = 0;
      }
      if (threads < 1) {
        std::cerr << "error: --threads needs a positive integer\n";
        return 1;
      }
    } else if (a == "-h" || a == "--help") {
      usage();
      return 0;
    } else {
      pos.push_back(a);
    }
  }
  if (pos.size() != 4) return usage();
  const fs::path model_file = pos[0], input_file = pos[1], target_file = pos[2], out_dir = pos[3];

  try {
    nac::nn::set_threads(threads);
    nac::nn::Model model = nac::nn::load_model(model_file);
    const Tensor x = read_npy(input_file);
    const Tensor t = read_npy(target_file);

    const Shape& in = model.spec().input;
    if (x.rank() != in.size() + 1 || Shape(x.shape().begin() + 1, x.shape().end()) != in || x.dim(0) < 1)
      throw Error(input_file.string() + ": shape " + nac::to_string(x.shape()) + ", the model " + model_file.string() +
                  " takes (N, " + nac::to_string(in).substr(1) + " with N >= 1");

    const Tensor& y = model.forward(x, /*training=*/true);
    if (t.shape() != y.shape())
      throw Error(target_file.string() + ": shape " + nac::to_string(t.shape()) + ", the model output is " +
                  nac::to_string(y.shape()));

    // MSE: mean over all elements; d/dy = 2 (y - t) / numel.
    const std::size_t n = y.size();
    Tensor dy(y.shape());
    double sum = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double d = static_cast<double>(y[i]) - static_cast<double>(t[i]);
      sum += d * d;
      dy[i] = static_cast<float>(2.0 * d / static_cast<double>(n));
    }
    const double loss = sum / static_cast<double>(n);

    const Tensor output = y;  // copy before backward, in case layers reuse the buffer
    Tensor dx;
    model.backward(dy, &dx);

    std::error_code ec;
    fs::create_directories(out_dir, ec);
    if (ec || !fs::is_directory(out_dir)) throw Error(out_dir.string() + ": cannot create the directory");
    write_npy(out_dir / "output.npy", output);
    write_npy(out_dir / "grad_input.npy", dx);
    for (nac::nn::Param* p : model.params()) write_npy(out_dir / ("grad_" + p->name() + ".npy"), p->grad());

    char buf[64];
    std::snprintf(buf, sizeof buf, "%.9g", loss);
    std::cout << "loss " << buf << "\n";
    std::cout << "params " << model.params().size() << ", batch " << x.dim(0) << ", threads " << threads << "\n";
    return 0;
  } catch (const Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
