#include "nac/nn/model.hpp"

#include "nac/memory.hpp"
#include "nac/model_cost.hpp"

#include <cstdio>

#include "nac/error.hpp"
#include "nac/nn/runtime.hpp"

namespace nac::nn {

namespace {
class SingleThreadBelow {
 public:
  SingleThreadBelow(std::int64_t batch, std::int64_t limit) : saved_(threads()) {
    if (batch < limit && saved_ > 1) set_threads(1);
    else saved_ = 0;
  }
  ~SingleThreadBelow() {
    if (saved_) set_threads(saved_);
  }

 private:
  int saved_;
};
}  // namespace

Model::Model(ModelSpec spec, std::uint64_t seed) : spec_(std::move(spec)) {
  infer_shapes(spec_);
  // Each layer's parameters (a value, its gradient and the optimizer's moments) must fit, and so
  // must one sample's largest activation: said here, naming the layer, before anything is made.
  auto count = [](double v) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return std::string(buf);
  };
  for (const LayerCost& c : layer_costs(spec_))
    if (c.params * 4 * sizeof(float) > static_cast<double>(physical_memory()))
      check_fits_in_memory(c.params * 4 * sizeof(float), "layer '" + c.name + "' with " + count(c.params) +
                                                             " parameters (values, gradients, optimizer moments)");
  double input = 1;
  for (auto d : spec_.input) input *= static_cast<double>(d);
  check_fits_in_memory(input * sizeof(float), "one sample of the model's input " + to_string(spec_.input));
  LayerSpec root;
  root.op = "sequential";
  root.name = "model";
  root.input = spec_.input;
  root.output = spec_.output();
  root.children = spec_.layers;
  root_ = make_layer(root);
  Rng rng(seed);
  root_->initialize(rng);
  collect_params();
  for (std::size_t i = 0; i < params_.size(); ++i) {
    if (role_of(*params_[i]) == "scale") continue;
    const NumberType t = precision_of(*find_layer(spec_, param_layer_[i]), role_of(*params_[i]));
    if (!t.is_float()) params_[i]->set_quantizer(t);
  }
  refresh();
}

void Model::collect_params() {
  params_ = root_->params();
  param_layer_.clear();
  // Each parameter belongs to the layer whose name is the longest prefix of its own ("a.b.weight"
  // to layer "a.b", "a.attn.theta.weight" to "a.attn", "c2.input.log2_scale" to "c2").
  std::vector<std::string> names;
  auto collect = [&](auto&& self, const std::vector<LayerSpec>& layers) -> void {
    for (const auto& l : layers) {
      names.push_back(l.name);
      self(self, l.children);
    }
  };
  collect(collect, spec_.layers);
  for (const Param* p : params_) {
    std::string best;
    for (const auto& n : names)
      if (n.size() > best.size() && p->name().size() > n.size() && p->name().compare(0, n.size(), n) == 0 &&
          p->name()[n.size()] == '.')
        best = n;
    if (best.empty()) throw Error("parameter '" + p->name() + "' belongs to no layer of the model");
    param_layer_.push_back(best);
  }
}

const std::string& Model::layer_of(const Param& p) const {
  for (std::size_t i = 0; i < params_.size(); ++i)
    if (params_[i] == &p) return param_layer_[i];
  throw Error("parameter '" + p.name() + "' is not one of the model's");
}

std::string Model::role_of(const Param& p) {
  const std::string& n = p.name();
  auto ends = [&](const char* tail) {
    const std::size_t k = std::char_traits<char>::length(tail);
    return n.size() >= k && n.compare(n.size() - k, k, tail) == 0;
  };
  if (ends(".bias")) return "bias";
  if (ends(".input.log2_scale")) return "scale";
  return "weight";
}

void Model::set_precision(const std::string& layer, const std::string& role, const NumberType& type) {
  LayerSpec* l = find_layer(spec_, layer);
  if (!l) throw Error("set_precision: the model has no layer '" + layer + "'");
  if (!is_precision_role(role))
    throw Error("layer '" + layer + "': unknown precision role '" + role + "' (" + precision_roles_text() + ")");
  try {
    check(type);
  } catch (const Error& e) {
    throw Error("layer '" + layer + "' " + role + ": " + e.what());
  }
  if (role == "input") {
    if (type.per_channel)
      throw Error("layer '" + layer + "' input: activations take per-tensor scales; per_channel is for weights");
    const auto r = root_->set_input_precision(layer, type);
    if (r == Layer::InputPrecision::Fused)
      throw Error("layer '" + layer + "' (" + l->op + ") runs fused into the " +
                  (l->op == "flatten" ? "linear layer after it" : "convolution before it") +
                  "; give it an input precision in the model description before the model is built");
    if (r == Layer::InputPrecision::NotFound)
      throw Error("set_precision: layer '" + layer + "' has no input to quantize");
    collect_params();  // a learned scale comes or goes
  } else {
    bool any = false;
    for (std::size_t i = 0; i < params_.size(); ++i)
      if (param_layer_[i] == layer && role_of(*params_[i]) == role) {
        params_[i]->set_quantizer(type);
        any = true;
      }
    if (!any) throw Error("layer '" + layer + "' (" + l->op + ") has no " + role + " parameters to quantize");
  }
  if (type.is_float()) l->precision.erase(role);
  else l->precision[role] = type;
}

void Model::set_mask(Param& p, Tensor mask) {
  const std::string& layer = layer_of(p);
  p.set_mask(std::move(mask));
  update_sparsity(layer);
}

void Model::clear_masks() {
  for (std::size_t i = 0; i < params_.size(); ++i)
    if (params_[i]->mask()) {
      params_[i]->clear_mask();
      params_[i]->refresh();
      update_sparsity(param_layer_[i]);
    }
}

void Model::update_sparsity(const std::string& layer) {
  double zeros = 0, total = 0;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    if (param_layer_[i] != layer || role_of(*params_[i]) != "weight") continue;
    const Param& p = *params_[i];
    total += static_cast<double>(p.value().size());
    if (p.mask())
      for (std::size_t k = 0; k < p.mask()->size(); ++k) zeros += (*p.mask())[k] == 0;
  }
  find_layer(spec_, layer)->sparsity = total > 0 ? zeros / total : 0;
}

Model::~Model() = default;
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;

const Tensor& Model::forward(const Tensor& x, bool training, Rng* rng) {
  if (x.rank() != spec_.input.size() + 1 || Shape(x.shape().begin() + 1, x.shape().end()) != spec_.input)
    throw Error("model input must be (N, " + to_string(spec_.input).substr(1) + ", found " + to_string(x.shape()));
  if (training) refresh();
  else
    for (Param* p : params_)  // an optimizer step since: the hooked weights follow
      if (p->stale()) p->refresh();
  Context ctx{training, rng};
  ctx.integer = integer_ && !training;
  ran_integer_.clear();
  ctx.ran_integer = &ran_integer_;
  // A handful of samples is too little work to share: parallel overhead would dominate.
  const SingleThreadBelow guard(x.dim(0), 8);
  // Images are NHWC inside the model (see tensor.hpp); with one channel the two orders agree.
  const Tensor* in = &x;
  if (x.rank() == 4 && x.dim(1) > 1) {
    nchw_to_nhwc(x, input_nhwc_);
    in = &input_nhwc_;
  }
  Tensor& out = spec_.output().size() == 3 ? output_nhwc_ : output_;
  root_->forward(*in, out, ctx);
  if (&out == &output_nhwc_) {
    if (output_nhwc_.dim(1) > 1) nhwc_to_nchw(output_nhwc_, output_);
    else output_ = output_nhwc_;
  }
  last_input_ = in;
  return output_;
}

void Model::backward(const Tensor& d_output, Tensor* d_input) {
  if (!last_input_) throw Error("Model::backward needs a forward first");
  if (d_output.shape() != output_.shape())
    throw Error("output gradient shape " + to_string(d_output.shape()) + " differs from the output " +
                to_string(output_.shape()));
  const bool image_out = spec_.output().size() == 3;
  const Tensor* dy = &d_output;
  if (image_out && d_output.dim(1) > 1) {
    nchw_to_nhwc(d_output, d_output_nhwc_);
    dy = &d_output_nhwc_;
  }
  const bool image_in = last_input_->rank() == 4 && last_input_->dim(1) > 1;
  Tensor* dx = d_input && image_in ? &d_input_nhwc_ : d_input;
  root_->backward(*last_input_, image_out ? output_nhwc_ : output_, *dy, dx);
  if (d_input && image_in) nhwc_to_nchw(d_input_nhwc_, *d_input);
  for (Param* p : params()) p->finish_gradient();
}

std::vector<std::pair<std::string, Tensor*>> Model::buffers() { return root_->buffers(); }
std::vector<std::pair<std::string, const Tensor*>> Model::buffers() const {
  std::vector<std::pair<std::string, const Tensor*>> r;
  for (const auto& [name, t] : root_->buffers()) r.emplace_back(name, t);  // (buffers() only lists them)
  return r;
}

Param* Model::param(const std::string& name) {
  for (Param* p : params())
    if (p->name() == name) return p;
  return nullptr;
}

std::size_t Model::parameter_count() const {
  std::size_t n = 0;
  for (const Param* p : params()) n += p->value().size();  // the const value(): no change marked
  return n;
}

void Model::refresh() {
  for (Param* p : params()) {
    p->touch();
    p->refresh();  // (nothing to do for a parameter without mask or quantizer)
  }
}

}  // namespace nac::nn
