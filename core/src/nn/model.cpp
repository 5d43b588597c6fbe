#include "nac/nn/model.hpp"

#include "nac/error.hpp"

namespace nac::nn {

Model::Model(ModelSpec spec, std::uint64_t seed) : spec_(std::move(spec)) {
  infer_shapes(spec_);
  LayerSpec root;
  root.op = "sequential";
  root.name = "model";
  root.input = spec_.input;
  root.output = spec_.output();
  root.children = spec_.layers;
  root_ = make_layer(root);
  Rng rng(seed);
  root_->initialize(rng);
  refresh();
}

Model::~Model() = default;
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;

const Tensor& Model::forward(const Tensor& x, bool training, Rng* rng) {
  if (x.rank() != spec_.input.size() + 1 || Shape(x.shape().begin() + 1, x.shape().end()) != spec_.input)
    throw Error("model input must be (N, " + to_string(spec_.input).substr(1) + ", found " + to_string(x.shape()));
  if (training) refresh();
  Context ctx{training, rng};
  root_->forward(x, output_, ctx);
  last_input_ = &x;
  return output_;
}

void Model::backward(const Tensor& d_output, Tensor* d_input) {
  if (!last_input_) throw Error("Model::backward needs a forward first");
  if (d_output.shape() != output_.shape())
    throw Error("output gradient shape " + to_string(d_output.shape()) + " differs from the output " +
                to_string(output_.shape()));
  root_->backward(*last_input_, output_, d_output, d_input);
  for (Param* p : params()) p->finish_gradient();
}

std::vector<Param*> Model::params() { return root_->params(); }

std::vector<std::pair<std::string, Tensor*>> Model::buffers() { return root_->buffers(); }

Param* Model::param(const std::string& name) {
  for (Param* p : params())
    if (p->name() == name) return p;
  return nullptr;
}

std::size_t Model::parameter_count() {
  std::size_t n = 0;
  for (Param* p : params()) n += p->value().size();
  return n;
}

void Model::refresh() {
  for (Param* p : params())
    if (p->hooked()) p->refresh();
}

}  // namespace nac::nn
