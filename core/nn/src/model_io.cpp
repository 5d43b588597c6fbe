#include "nac/nn/model_io.hpp"

#include <bit>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <utility>
#include <sstream>

#include <nlohmann/json.hpp>

#include "nac/error.hpp"
#include "nac/detail/value_json.hpp"

namespace nac::nn {

namespace fs = std::filesystem;
static_assert(std::endian::native == std::endian::little, "the model format is little-endian");

namespace {

constexpr char kMagic[8] = {'N', 'A', 'C', 'M', 'O', 'D', 'E', 'L'};
constexpr std::uint32_t kVersion = 2;  // 2: precision and sparsity in the spec, masks

struct Entry {
  std::string name;
  const char* kind;
  const Tensor* tensor;
};

std::vector<Entry> entries(Model& m) {
  std::vector<Entry> out;
  for (Param* p : m.params()) out.push_back({p->name(), "param", &std::as_const(*p).value()});
  for (auto& [name, t] : m.buffers()) out.push_back({name, "buffer", t});
  for (Param* p : m.params())
    if (p->mask()) out.push_back({p->name(), "mask", &*p->mask()});
  return out;
}

std::string read_all(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(file.string() + ": cannot open the file");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

void save_model(Model& model, const fs::path& file) {
  nlohmann::json tensors = nlohmann::json::array();
  std::uint64_t offset = 0;
  const auto all = entries(model);
  for (const auto& e : all) {
    tensors.push_back({{"name", e.name}, {"kind", e.kind}, {"shape", e.tensor->shape()}, {"offset", offset}});
    offset += e.tensor->size() * sizeof(float);
  }
  const std::string header =
      nlohmann::json{{"spec", to_json(model.spec())}, {"tensors", tensors}, {"dtype", "float32-le"}}.dump();
  const fs::path tmp = file.string() + ".tmp";
  std::error_code ec;
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw WriteError(file.string() + ": cannot be written");
    const std::uint64_t h = header.size();
    out.write(kMagic, 8);
    out.write(reinterpret_cast<const char*>(&kVersion), 4);
    out.write(reinterpret_cast<const char*>(&h), 8);
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    for (const auto& e : all)
      out.write(reinterpret_cast<const char*>(e.tensor->data()),
                static_cast<std::streamsize>(e.tensor->size() * sizeof(float)));
    out.flush();
    if (!out) {
      out.close();
      fs::remove(tmp, ec);
      throw WriteError(file.string() + ": writing failed (disk full?)");
    }
  }
  fs::rename(tmp, file, ec);  // a crash never leaves a half-written model under the real name
  if (ec) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw WriteError(file.string() + ": cannot be replaced by " + tmp.string() + ": " + ec.message());
  }
}

Model load_model(const fs::path& file) {
  const std::string bytes = read_all(file);
  const std::string where = file.string() + ": ";
  if (bytes.size() < 20 || std::memcmp(bytes.data(), kMagic, 8) != 0) throw Error(where + "not a nac model file");
  std::uint32_t version;
  std::uint64_t h;
  std::memcpy(&version, bytes.data() + 8, 4);
  std::memcpy(&h, bytes.data() + 12, 8);
  if (version < 1 || version > kVersion)
    throw Error(where + "model format version " + std::to_string(version) + ", this nac reads versions 1 to " +
                std::to_string(kVersion));
  if (h > bytes.size() - 20) throw Error(where + "truncated (the header runs past the end of the file)");
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(bytes.substr(20, h));
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + "corrupt header: " + e.what());
  }
  const std::size_t data_start = 20 + h;
  try {
    Model model(model_spec_from_json(header.at("spec")));
    std::map<std::string, Tensor*> targets;  // the model's tensors a file fills, and their kinds
    std::map<std::string, std::string> kinds;
    for (Param* p : model.params()) {
      targets[p->name()] = &p->value();
      kinds[p->name()] = "param";
    }
    for (auto& [name, t] : model.buffers()) {
      targets[name] = t;
      kinds[name] = "buffer";
    }
    std::map<std::string, Tensor> masks;  // format 2: a parameter's mask, by the parameter's name
    detail::check_json_keys(header, {"spec", "tensors", "dtype"}, where + "header");
    if (header.at("dtype") != "float32-le")
      throw Error(where + "tensors of dtype " + header.at("dtype").dump() + "; this nac reads \"float32-le\"");
    // Fills `target` from the file's bytes for the tensor entry `t`, after checking its shape and extent.
    auto read_data = [&](const nlohmann::json& t, const std::string& name, Tensor& target) {
      const auto shape = detail::json_shape(t.at("shape"), "tensor '" + name + "' shape");
      if (shape != target.shape())
        throw Error(where + "tensor '" + name + "' has shape " + to_string(shape) + ", the model expects " +
                    to_string(target.shape()));
      if (!t.at("offset").is_number_unsigned())
        throw Error(where + "tensor '" + name + "': its offset is not an integer >= 0: " + t.at("offset").dump());
      const auto offset = detail::json_uint(t.at("offset"));
      const std::size_t n = target.size() * sizeof(float);
      if (offset > bytes.size() - data_start || n > bytes.size() - data_start - offset)
        throw Error(where + "truncated (tensor '" + name + "' runs past the end of the file)");
      std::memcpy(target.data(), bytes.data() + data_start + offset, n);
    };
    std::size_t loaded = 0;
    std::set<std::string> seen;
    for (const auto& t : header.at("tensors")) {
      const auto name = t.at("name").get<std::string>();
      detail::check_json_keys(t, {"name", "kind", "shape", "offset"}, where + "tensor '" + name + "'");
      const auto kind = t.at("kind").get<std::string>();
      if (kind == "mask" && version >= 2) {
        if (!kinds.count(name) || kinds[name] != "param")
          throw Error(where + "mask '" + name + "' is not the mask of a parameter of the model");
        if (masks.count(name)) throw Error(where + "mask '" + name + "' is listed twice");
        Tensor& mask = masks.emplace(name, Tensor(targets[name]->shape())).first->second;
        read_data(t, name, mask);
        for (std::size_t i = 0; i < mask.size(); ++i)
          if (mask[i] != 0 && mask[i] != 1)
            throw Error(where + "mask '" + name + "' holds " + std::to_string(mask[i]) + "; a mask holds 0 and 1");
        continue;
      }
      auto it = targets.find(name);
      if (it == targets.end()) throw Error(where + "tensor '" + name + "' does not belong to the model");
      if (!seen.insert(name).second) throw Error(where + "tensor '" + name + "' is listed twice");
      if (kind != kinds[name])
        throw Error(where + "tensor '" + name + "' is of kind '" + kind + "', the model's is '" + kinds[name] +
                    "' (kinds: param, buffer" + std::string(version >= 2 ? ", mask" : "") + ")");
      read_data(t, name, *it->second);
      ++loaded;
    }
    // Format 1 knew no input quantizers: the running maximum of one upgraded from bits_a starts at 0
    // (its first evaluation batch sets it).
    if (version == 1)
      for (const auto& [name, kind] : kinds)
        if (kind == "buffer" && !seen.count(name) && name.size() > 18 &&
            name.compare(name.size() - 18, 18, ".input.running_max") == 0)
          ++loaded;
    if (loaded != targets.size())
      throw Error(where + "holds " + std::to_string(loaded) + " of the model's " + std::to_string(targets.size()) +
                  " tensors");
    for (auto& [name, mask] : masks) model.set_mask(*model.param(name), std::move(mask));
    model.refresh();
    return model;
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + "corrupt header: " + e.what());
  } catch (const Error& e) {
    const std::string m = e.what();
    if (m.rfind(where, 0) == 0) throw;
    throw Error(where + m);
  }
}

ModelSpec load_model_spec(const fs::path& file) {
  const std::string text = read_all(file);
  try {
    ModelSpec spec = model_spec_from_json(nlohmann::json::parse(text));
    infer_shapes(spec);
    return spec;
  } catch (const nlohmann::json::exception& e) {
    throw Error(file.string() + ": invalid JSON: " + e.what());
  } catch (const Error& e) {
    throw Error(file.string() + ": " + e.what());
  }
}

}  // namespace nac::nn
