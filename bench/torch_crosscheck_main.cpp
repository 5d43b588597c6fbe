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
// Array files are NumPy .npy (format 1.0, 2.0 or 3.0 on reading, 1.0 on writing), dtype '<f4'
// (little-endian float32), C order only: exactly what numpy.save writes for a float32 array.
// Any problem prints "error: <file>: <what>" and exits with code 1.
#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "nac/error.hpp"
#include "nac/nn/model.hpp"
#include "nac/nn/model_io.hpp"
#include "nac/nn/runtime.hpp"
#include "nac/nn/tensor.hpp"

namespace fs = std::filesystem;
using nac::Error;
using nac::Shape;
using nac::nn::Tensor;

static_assert(std::endian::native == std::endian::little, ".npy '<f4' is read by copying bytes");

namespace {

constexpr char kNpyMagic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

std::string shape_text(const Shape& s) {
  std::string t = "(";
  for (std::size_t i = 0; i < s.size(); ++i) t += (i ? ", " : "") + std::to_string(s[i]);
  return t + ")";
}

// The value of `key` in a .npy header dict ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"),
// as raw text up to the next top-level ',' or '}' (a tuple is kept whole).
std::string header_value(const std::string& header, const std::string& key, const std::string& where) {
  const std::string quoted[2] = {"'" + key + "'", "\"" + key + "\""};
  std::size_t k = std::string::npos;
  for (const auto& q : quoted)
    if ((k = header.find(q)) != std::string::npos) {
      k += q.size();
      break;
    }
  if (k == std::string::npos) throw Error(where + "the .npy header has no '" + key + "'");
  k = header.find(':', k);
  if (k == std::string::npos) throw Error(where + "malformed .npy header");
  ++k;
  while (k < header.size() && header[k] == ' ') ++k;
  std::size_t end = k;
  if (end < header.size() && header[end] == '(') {
    end = header.find(')', end);
    if (end == std::string::npos) throw Error(where + "malformed .npy header (shape)");
    return header.substr(k, end + 1 - k);
  }
  while (end < header.size() && header[end] != ',' && header[end] != '}') ++end;
  std::string v = header.substr(k, end - k);
  while (!v.empty() && v.back() == ' ') v.pop_back();
  return v;
}

Tensor read_npy(const fs::path& file) {
  const std::string where = file.string() + ": ";
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(where + "cannot open the file");
  std::ostringstream ss;
  ss << in.rdbuf();
  const std::string bytes = ss.str();
  if (bytes.size() < 10 || std::memcmp(bytes.data(), kNpyMagic, 6) != 0)
    throw Error(where + "not a .npy file (no \\x93NUMPY magic)");
  const auto major = static_cast<unsigned char>(bytes[6]);
  std::size_t header_len = 0, header_start = 0;
  if (major == 1) {
    std::uint16_t h;
    std::memcpy(&h, bytes.data() + 8, 2);
    header_len = h;
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw Error(where + "truncated .npy header");
    std::uint32_t h;
    std::memcpy(&h, bytes.data() + 8, 4);
    header_len = h;
    header_start = 12;
  } else {
    throw Error(where + ".npy format version " + std::to_string(major) + " is not supported (1, 2 or 3)");
  }
  if (header_len > bytes.size() - header_start) throw Error(where + "truncated .npy header");
  const std::string header = bytes.substr(header_start, header_len);

  std::string descr = header_value(header, "descr", where);
  if (descr.size() >= 2 && (descr.front() == '\'' || descr.front() == '"')) descr = descr.substr(1, descr.size() - 2);
  if (descr != "<f4")
    throw Error(where + "dtype '" + descr + "' is not supported; save the array as little-endian float32 ('<f4')");
  if (header_value(header, "fortran_order", where) != "False")
    throw Error(where + "Fortran-ordered arrays are not supported; save a C-contiguous array");

  const std::string shape_str = header_value(header, "shape", where);
  if (shape_str.size() < 2 || shape_str.front() != '(' || shape_str.back() != ')')
    throw Error(where + "malformed .npy shape " + shape_str);
  Shape shape;
  std::string inner = shape_str.substr(1, shape_str.size() - 2);
  std::stringstream parts(inner);
  for (std::string tok; std::getline(parts, tok, ',');) {
    const auto b = tok.find_first_not_of(' ');
    if (b == std::string::npos) continue;  // the empty item after a trailing comma: "(5,)"
    tok = tok.substr(b, tok.find_last_not_of(' ') + 1 - b);
    std::size_t used = 0;
    long long d = -1;
    try {
      d = std::stoll(tok, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != tok.size() || d < 0) throw Error(where + "malformed .npy shape " + shape_str);
    shape.push_back(d);
  }
  Tensor t(shape);
  const std::size_t data_start = header_start + header_len;
  const std::size_t need = t.size() * sizeof(float);
  if (bytes.size() - data_start != need)
    throw Error(where + "holds " + std::to_string(bytes.size() - data_start) + " data bytes, shape " +
                shape_text(shape) + " float32 needs " + std::to_string(need));
  if (need) std::memcpy(t.data(), bytes.data() + data_start, need);
  return t;
}

void write_npy(const fs::path& file, const Tensor& t) {
  std::string shape = "(";
  for (std::size_t i = 0; i < t.rank(); ++i) shape += std::to_string(t.dim(i)) + (t.rank() == 1 ? "," : i + 1 < t.rank() ? ", " : "");
  shape += ")";
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad with spaces and a final newline so that magic + version + length + header is a multiple of 64.
  const std::size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  if (header.size() > 65535) throw Error(file.string() + ": .npy header too long");
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  if (!out) throw Error(file.string() + ": cannot be written");
  const std::uint16_t h = static_cast<std::uint16_t>(header.size());
  const char version[2] = {1, 0};
  out.write(kNpyMagic, 6);
  out.write(version, 2);
  out.write(reinterpret_cast<const char*>(&h), 2);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(reinterpret_cast<const char*>(t.data()), static_cast<std::streamsize>(t.size() * sizeof(float)));
  if (!out) throw Error(file.string() + ": writing failed (disk full?)");
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
      throw Error(input_file.string() + ": shape " + shape_text(x.shape()) + ", the model " + model_file.string() +
                  " takes (N, " + shape_text(in).substr(1) + " with N >= 1");

    const Tensor& y = model.forward(x, /*training=*/true);
    if (t.shape() != y.shape())
      throw Error(target_file.string() + ": shape " + shape_text(t.shape()) + ", the model output is " +
                  shape_text(y.shape()));

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
