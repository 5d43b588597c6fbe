// Sequential and Residual containers. A Sequential keeps every intermediate output for backward;
// a Residual computes x + body(x), with its body a Sequential.
#include <chrono>

#include "activation_quant.hpp"
#include "layers.hpp"
#include "parallel_ranges.hpp"
#include "nac/error.hpp"
#include "nac/nn/profile.hpp"

namespace nac::nn {

namespace {

class Sequential final : public Layer {
 public:
  explicit Sequential(const LayerSpec& spec) : Layer(spec), residual_(spec.op == "residual") {
    // Pairs that run as one layer:
    // - a convolution followed by relu or leaky_relu (slope >= 0): the activation is a post-op
    //   (not when the activation's own input is quantized: that sits between the two);
    // - a flatten of an image followed by a linear layer: the linear layer reads the image in
    //   its NHWC memory order (not when the flatten's own input is quantized; the linear layer's
    //   input quantizer, per tensor, quantizes the image the same in either order).
    const auto& c = spec.children;
    for (std::size_t k = 0; k < c.size(); ++k) {
      const bool next = k + 1 < c.size();
      const bool conv_act =
          c[k].op == "conv2d" && next && precision_of(c[k + 1], "input").is_float() &&
          (c[k + 1].op == "relu" || (c[k + 1].op == "leaky_relu" && attr_real(c[k + 1], "slope", 0.01) >= 0));
      const bool flatten_linear = c[k].op == "flatten" && next && c[k + 1].op == "linear" && c[k].input.size() == 3 &&
                                  precision_of(c[k], "input").is_float();
      NumberType input_type = precision_of(c[k], "input");
      if (conv_act) {
        children_.push_back(make_conv2d_fused(c[k], c[k + 1]));
        labels_.push_back(c[k].op + "+" + c[k + 1].op);
        fused_away_.push_back(c[k + 1].name);
        ++k;
      } else if (flatten_linear) {
        children_.push_back(make_flatten_linear(c[k], c[k + 1]));
        labels_.push_back(c[k].op + "+" + c[k + 1].op);
        fused_away_.push_back(c[k].name);
        input_type = precision_of(c[k + 1], "input");
        ++k;
      } else {
        children_.push_back(make_layer(c[k]));
        labels_.push_back(c[k].op);
      }
      input_q_.emplace_back();
      set_quantizer(children_.size() - 1, input_type);
    }
    acts_.resize(children_.size());
    grads_.resize(children_.size());
    quantized_.resize(children_.size());
  }

  InputPrecision set_input_precision(const std::string& layer, const NumberType& type) override {
    for (std::size_t k = 0; k < children_.size(); ++k)
      if (children_[k]->name() == layer) {
        set_quantizer(k, type);
        return InputPrecision::Set;
      }
    for (const auto& name : fused_away_)
      if (name == layer) return InputPrecision::Fused;
    for (auto& c : children_)
      if (auto r = c->set_input_precision(layer, type); r != InputPrecision::NotFound) return r;
    return InputPrecision::NotFound;
  }

  std::vector<Param*> params() override {
    std::vector<Param*> all;
    for (std::size_t k = 0; k < children_.size(); ++k) {
      if (input_q_[k] && input_q_[k]->scale_param()) all.push_back(input_q_[k]->scale_param());
      for (Param* p : children_[k]->params()) all.push_back(p);
    }
    return all;
  }
  std::vector<std::pair<std::string, Tensor*>> buffers() override {
    std::vector<std::pair<std::string, Tensor*>> all;
    for (std::size_t k = 0; k < children_.size(); ++k) {
      if (input_q_[k])
        for (auto& b : input_q_[k]->buffers()) all.push_back(b);
      for (auto& b : children_[k]->buffers()) all.push_back(b);
    }
    return all;
  }
  void initialize(Rng& rng) override {
    for (auto& c : children_) c->initialize(rng);
  }

  void forward(const Tensor& x, Tensor& y, const Context& ctx) override {
    if (children_.empty()) {
      y = x;
      if (residual_) detail::add_into(y.data(), x.data(), y.size());
      return;
    }
    const Tensor* in = &x;
    for (std::size_t i = 0; i < children_.size(); ++i) {
      Tensor& out = (i + 1 == children_.size() && !residual_) ? y : acts_[i];
      Context child = ctx.unquantized();
      if (input_q_[i]) {
        input_q_[i]->forward(*in, quantized_[i], ctx.training);
        in = &quantized_[i];
        child.input_step = input_q_[i]->step();
        child.input_type = &input_q_[i]->type();
      }
      timed(i, false, ctx.training, in->dim(0), [&] { children_[i]->forward(*in, out, child); });
      in = &out;
    }
    if (residual_) {
      y = acts_.back();
      detail::add_into(y.data(), x.data(), y.size());
    }
  }

  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override {
    if (children_.empty()) {
      if (dx) {
        *dx = dy;
        if (residual_) detail::add_into(dx->data(), dy.data(), dx->size());
      }
      return;
    }
    const std::size_t last = children_.size() - 1;
    for (std::size_t k = children_.size(); k-- > 0;) {
      const Tensor& in = k == 0 ? x : acts_[k - 1];
      const Tensor& out = (k == last && !residual_) ? y : acts_[k];
      const Tensor& g = k == last ? dy : grads_[k];
      Tensor* d = k == 0 ? dx : &grads_[k - 1];  // the first child writes the input gradient in place
      if (input_q_[k]) {
        // A learned scale needs the quantizer's output gradient even where the input's is not wanted.
        const bool through = d || input_q_[k]->scale_param();
        timed(k, true, true, in.dim(0),
              [&] { children_[k]->backward(quantized_[k], out, g, through ? &d_quantized_ : nullptr); });
        if (through) input_q_[k]->backward(in, d_quantized_, d ? *d : d_unused_);
        continue;
      }
      timed(k, true, true, in.dim(0), [&] { children_[k]->backward(in, out, g, d); });
    }
    if (dx && residual_) detail::add_into(dx->data(), dy.data(), dx->size());
  }

 private:
  // Runs child k's forward or backward, timed into the installed profile (if any).
  template <class F>
  void timed(std::size_t k, bool backward, bool training, std::int64_t samples, F call) {
    Profile* profile = active_profile();
    if (!profile) return call();
    const auto t0 = std::chrono::steady_clock::now();
    profile->enter();
    call();
    profile->leave();
    profile->add_layer(children_[k]->name(), labels_[k], backward, training, samples,
                       std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }

  void set_quantizer(std::size_t k, const NumberType& type) {
    if (type.is_float()) input_q_[k].reset();
    else input_q_[k] = std::make_unique<ActivationQuantizer>(children_[k]->name() + ".input", type);
  }

  bool residual_;
  std::vector<std::unique_ptr<Layer>> children_;
  std::vector<std::unique_ptr<ActivationQuantizer>> input_q_;  // of each child's input, if quantized
  std::vector<std::string> fused_away_;                        // layers run inside a neighbour (see the constructor)
  std::vector<Tensor> quantized_;                              // each quantized child's quantized input
  Tensor d_quantized_, d_unused_;
  std::vector<std::string> labels_;  // each child's op, "conv2d+relu" or "flatten+linear" when fused
  std::vector<Tensor> acts_, grads_;
};

}  // namespace

std::unique_ptr<Layer> make_sequential(const LayerSpec& spec) { return std::make_unique<Sequential>(spec); }

}  // namespace nac::nn
