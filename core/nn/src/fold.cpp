#include "nac/nn/fold.hpp"

#include <cmath>
#include <map>

#include "nac/error.hpp"

namespace nac::nn {

namespace {

struct Fold {
  std::string layer, norm;
  double eps = 1e-5;
};

// Removes each foldable norm from the lists of layers (children included) and gives the layer
// before it a bias; records what to fold.
void plan(std::vector<LayerSpec>& layers, std::vector<Fold>& folds) {
  for (std::size_t i = 0; i < layers.size(); ++i) {
    LayerSpec& l = layers[i];
    plan(l.children, folds);
    if ((l.op != "conv2d" && l.op != "linear") || i + 1 >= layers.size() || layers[i + 1].op != "batchnorm") continue;
    const LayerSpec& norm = layers[i + 1];
    for (const char* role : {"weight", "bias"})
      if (!precision_of(l, role).is_float())
        throw Error("folding batch norm '" + norm.name + "' into layer '" + l.name + "': the layer's " + role + " is " +
                    to_string(precision_of(l, role)) + "; fold before quantizing");
    if (!norm.precision.empty())
      throw Error("folding batch norm '" + norm.name + "': it has a precision; fold before quantizing");
    folds.push_back({l.name, norm.name, attr_real(norm, "eps", 1e-5)});
    l.attrs["bias"] = Value{std::int64_t{1}};
    layers.erase(layers.begin() + static_cast<std::ptrdiff_t>(i + 1));
  }
}

}  // namespace

FoldResult fold_batch_norms(Model& model) {
  ModelSpec spec = model.spec();
  std::vector<Fold> folds;
  plan(spec.layers, folds);
  FoldResult out{Model(std::move(spec)), {}};
  Model& m = out.model;
  std::map<std::string, Tensor*> old_buffers;
  for (auto& [name, t] : model.buffers()) old_buffers[name] = t;
  for (Param* p : m.params()) {
    Param* src = model.param(p->name());
    Tensor& v = p->value();
    if (!src || src->value().shape() != v.shape()) {
      v.zero();  // a bias the folded layer did not have
      continue;
    }
    v = src->value();
    if (src->mask()) m.set_mask(*p, *src->mask());
  }
  for (auto& [name, t] : m.buffers()) {
    auto it = old_buffers.find(name);
    if (it != old_buffers.end() && it->second->shape() == t->shape()) *t = *it->second;
  }
  for (const Fold& f : folds) {
    const Tensor& g = model.param(f.norm + ".weight")->value();
    const Tensor& beta = model.param(f.norm + ".bias")->value();
    const Tensor& mean = *old_buffers.at(f.norm + ".running_mean");
    const Tensor& var = *old_buffers.at(f.norm + ".running_var");
    Tensor& w = m.param(f.layer + ".weight")->value();
    Tensor& b = m.param(f.layer + ".bias")->value();
    const std::size_t channels = b.size(), per = w.size() / channels;
    for (std::size_t c = 0; c < channels; ++c) {
      const double s = static_cast<double>(g[c]) / std::sqrt(static_cast<double>(var[c]) + f.eps);
      for (std::size_t k = 0; k < per; ++k) w[c * per + k] = static_cast<float>(w[c * per + k] * s);
      b[c] = static_cast<float>((static_cast<double>(b[c]) - mean[c]) * s + beta[c]);
    }
    out.folded.push_back(f.norm);
  }
  m.refresh();
  return out;
}

ModelSpec fold_batch_norms(const ModelSpec& spec, std::vector<std::string>* folded) {
  ModelSpec out = spec;
  std::vector<Fold> folds;
  plan(out.layers, folds);
  if (folded)
    for (const Fold& f : folds) folded->push_back(f.norm);
  return out;
}

}  // namespace nac::nn
