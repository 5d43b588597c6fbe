// The built-in ops of the model description: attributes, shape inference and cost, one entry
// each (nac/ops.hpp). Their engine layers are attached by the nn engine (nn/src/layer_factory.cpp).
#include <cmath>

#include "nac/ops.hpp"

namespace nac {

namespace {

constexpr double kBig = 1e308;

AttrSpec integer(std::string name, std::optional<std::int64_t> fallback, double min, std::string help,
                 double max = kBig) {
  return AttrSpec::integer(std::move(name), fallback, min, max, std::move(help));
}
AttrSpec real(std::string name, std::optional<double> fallback, double min, double max, std::string help) {
  return AttrSpec::real(std::move(name), fallback, min, max, std::move(help));
}

double bits_w(const LayerSpec& l) { return precision_of(l, "weight").width; }
double bits_a(const LayerSpec& l) { return precision_of(l, "input").width; }
double pruned(const LayerSpec& l) { return l.sparsity; }

// BOPs of P outputs, each a dot product of length k between b1- and b2-bit operands (model_cost.hpp).
double product_bops(double outputs, double k, double b1, double b2, double pruned_fraction) {
  return outputs * k * ((1 - pruned_fraction) * b1 * b2 + b1 + b2 + std::log2(k));
}

double d(std::int64_t v) { return static_cast<double>(v); }

Shape spatial(const LayerSpec& l, std::int64_t channels, std::int64_t kernel, std::int64_t stride,
              std::int64_t padding) {
  if (l.input.size() != 3) op_error(l, "expected an image (C, H, W)");
  Shape out{channels};
  for (int i = 1; i <= 2; ++i) {
    const std::int64_t padded = l.input[i] + 2 * padding;
    if (kernel > padded)
      op_error(
          l, "kernel " + std::to_string(kernel) + " is larger than the padded image (" + std::to_string(padded) + ")");
    out.push_back((padded - kernel) / stride + 1);
  }
  return out;
}

Shape same_shape(const LayerSpec& l) { return l.input; }

Shape vector_only(const LayerSpec& l) {
  if (l.input.size() != 1) op_error(l, "expected a vector (F)");
  return l.input;
}

OpDef elementwise(std::string name, std::string description, std::vector<AttrSpec> attrs = {}) {
  return OpDef{std::move(name), std::move(description), std::move(attrs), false, same_shape, nullptr, nullptr};
}

OpDef conv2d() {
  OpDef op{"conv2d", "2-D convolution (NCHW at the model's boundary), optionally grouped or depthwise",
           {},       false,
           nullptr,  nullptr,
           nullptr};
  op.attrs = {integer("out_channels", std::nullopt, 1, "output channels"),
              integer("kernel", std::nullopt, 1, "kernel size (square)"),
              integer("stride", 1, 1, "stride"),
              integer("padding", 0, 0, "zero padding on each side"),
              integer("bias", 1, 0, "1: a bias per output channel, 0: none", 1),
              integer("groups", 1, 1,
                      "channel groups: input and output channels split into this many independent "
                      "convolutions (groups = input channels: depthwise)"),
              integer("repaired_from_kernel", std::nullopt, 1,
                      "the kernel a search chose before it was shrunk to fit "
                      "(informational)")
                  .optional()};
  op.shape = [](const LayerSpec& l) {
    const std::int64_t out = attr_int(l, "out_channels"), groups = attr_int(l, "groups", 1);
    Shape s = spatial(l, out, attr_int(l, "kernel"), attr_int(l, "stride", 1), attr_int(l, "padding", 0));
    if (l.input[0] % groups != 0)
      op_error(l, "'groups' " + std::to_string(groups) + " does not divide the " + std::to_string(l.input[0]) +
                      " input channels");
    if (out % groups != 0)
      op_error(l, "'groups' " + std::to_string(groups) + " does not divide the " + std::to_string(out) +
                      " output channels ('out_channels')");
    return s;
  };
  op.cost = [](const LayerSpec& l) {
    const double n = d(l.input[0]) / d(attr_int(l, "groups", 1)), m = d(l.output[0]), k = d(attr_int(l, "kernel"));
    const double positions = d(l.output[1] * l.output[2]);
    const bool bias = attr_int(l, "bias", 1) != 0;
    return LayerCost{l.name, product_bops(m * positions, n * k * k, bits_a(l), bits_w(l), pruned(l)),
                     m * positions * n * k * k, m * n * k * k + (bias ? m : 0)};
  };
  return op;
}

OpDef linear() {
  OpDef op{"linear",
           "fully connected layer on vectors, or on each element of a set (P, F) with shared weights (as "
           "PyTorch's nn.Linear on the last axis: a Deep Sets network's phi)",
           {},
           false,
           nullptr,
           nullptr,
           nullptr};
  op.attrs = {integer("out_features", std::nullopt, 1, "output features"),
              integer("bias", 1, 0, "1: a bias per output, 0: none", 1)};
  op.shape = [](const LayerSpec& l) {
    if (l.input.size() == 2) return Shape{l.input[0], attr_int(l, "out_features")};
    if (l.input.size() != 1) op_error(l, "expected a vector (F) or a set (P, F); add a flatten layer before it");
    return Shape{attr_int(l, "out_features")};
  };
  op.cost = [](const LayerSpec& l) {
    const double n = d(l.input.back()), m = d(l.output.back());
    const double elements = l.input.size() == 2 ? d(l.input[0]) : 1;  // the weights are shared by a set's elements
    return LayerCost{l.name, elements * product_bops(m, n, bits_a(l), bits_w(l), pruned(l)), elements * m * n,
                     m * n + (attr_int(l, "bias", 1) != 0 ? m : 0)};
  };
  return op;
}

OpDef pooling(std::string name, std::string description) {
  OpDef op{std::move(name), std::move(description), {}, false, nullptr, nullptr, nullptr};
  op.attrs = {integer("kernel", std::nullopt, 1, "window size (square)"),
              integer("stride", std::nullopt, 1, "stride (default: the kernel)").optional(),
              integer("padding", 0, 0, "padding on each side, at most half the kernel")};
  op.shape = [](const LayerSpec& l) {
    const auto k = attr_int(l, "kernel");
    if (attr_int(l, "padding", 0) * 2 > k) op_error(l, "padding must be at most half the kernel");
    return spatial(l, l.input.at(0), k, attr_int(l, "stride", k), attr_int(l, "padding", 0));
  };
  return op;
}

OpDef attention() {
  OpDef op{"attention", "non-local (self-)attention over the positions of an image, BraggNN's block",
           {},          false,
           nullptr,     nullptr,
           nullptr};
  op.attrs = {integer("hidden", std::nullopt, 1, "channels of theta, phi and g"),
              integer("scale", 0, 0, "1: scale the scores by 1/sqrt(hidden)", 1),
              integer("residual", 1, 0, "1: add the input to the output", 1)};
  op.shape = [](const LayerSpec& l) {
    if (l.input.size() != 3) op_error(l, "expected an image (C, H, W)");
    return l.input;
  };
  op.cost = [](const LayerSpec& l) {
    const double ch = d(l.input[0]), h = d(attr_int(l, "hidden")), npos = d(l.input[1] * l.input[2]);
    const double ba = bits_a(l), bw = bits_w(l), p = pruned(l);
    LayerCost c{l.name};
    c.bops = 3 * product_bops(h * npos, ch, ba, bw, p)   // theta, phi, g
             + product_bops(ch * npos, h, ba, bw, p)     // out
             + product_bops(npos * npos, h, ba, ba, 0)   // theta phi^T
             + product_bops(npos * h, npos, ba, ba, 0);  // A g
    c.macs = 3 * h * npos * ch + ch * npos * h + npos * npos * h + npos * h * npos;
    c.params = 3 * (h * ch + h) + (ch * h + ch);
    return c;
  };
  return op;
}

// A Deep Sets network's aggregation: a set (P, F) to one vector (F), the same whatever the order
// of the elements. Its additions or comparisons are not counted in BOPs, as other elementwise ops.
OpDef set_pool() {
  OpDef op{"set_pool", "aggregates a set (P, F) over its elements into a vector (F): mean, sum or max",
           {},         false,
           nullptr,    nullptr,
           nullptr};
  op.attrs = {AttrSpec::string("reduce", std::string("mean"), "mean, sum or max over the elements")};
  op.shape = [](const LayerSpec& l) {
    if (l.input.size() != 2) op_error(l, "expected a set (P, F)");
    const std::string r = attr_string(l, "reduce", "mean");
    if (r != "mean" && r != "sum" && r != "max") op_error(l, "'reduce' is '" + r + "', not mean, sum or max");
    return Shape{l.input[1]};
  };
  return op;
}

OpDef container(std::string name, std::string description, bool residual) {
  OpDef op{std::move(name), std::move(description), {}, true, nullptr, nullptr, nullptr};
  op.shape = [residual](const LayerSpec& l) {
    const Shape out = l.children.empty() ? l.input : l.children.back().output;
    if (residual && out != l.input)
      op_error(l, "the residual body changes the shape to " + to_string(out) + "; it must keep it");
    return out;
  };
  return op;
}

}  // namespace

std::vector<OpDef> builtin_ops() {
  std::vector<OpDef> ops;
  ops.push_back(conv2d());
  ops.push_back(linear());
  ops.push_back(attention());
  ops.push_back(pooling("maxpool2d", "2-D max pooling"));
  ops.push_back(pooling("avgpool2d", "2-D average pooling (padding counts as zeros)"));
  ops.push_back(set_pool());
  ops.push_back(container("sequential", "its children, one after the other", false));
  ops.push_back(container("residual", "x + body(x), the body its children", true));

  OpDef batchnorm{"batchnorm",
                  "batch normalisation of vectors and sets (per feature) or images (per channel)",
                  {real("eps", 1e-5, 0, kBig, "added to the variance"),
                   real("momentum", 0.1, 0, 1, "weight of the batch in the running statistics")},
                  false,
                  nullptr,
                  nullptr,
                  nullptr};
  batchnorm.shape = [](const LayerSpec& l) {
    if (l.input.empty()) op_error(l, "expected a vector (F), a set (P, F) or an image (C, H, W)");
    return l.input;
  };
  batchnorm.cost = [](const LayerSpec& l) {  // a scale and shift per feature (the last axis of a set)
    return LayerCost{l.name, 0, 0, 2 * d(l.input.size() == 2 ? l.input[1] : l.input[0])};
  };
  batchnorm.normalization = true;
  ops.push_back(std::move(batchnorm));

  OpDef layernorm =
      elementwise("layernorm", "layer normalisation over all of a sample, with a scale and shift per element",
                  {real("eps", 1e-5, 0, kBig, "added to the variance")});
  layernorm.normalization = true;
  layernorm.cost = [](const LayerSpec& l) {
    double n = 1;
    for (auto v : l.input) n *= d(v);
    return LayerCost{l.name, 0, 0, 2 * n};
  };
  ops.push_back(std::move(layernorm));

  OpDef flatten = elementwise("flatten", "a sample as one vector (C*H*W)");
  flatten.shape = [](const LayerSpec& l) {
    std::int64_t n = 1;
    for (auto v : l.input) n *= v;
    return Shape{n};
  };
  ops.push_back(std::move(flatten));
  OpDef softmax = elementwise("softmax", "softmax over the features of a vector");
  softmax.shape = vector_only;
  ops.push_back(std::move(softmax));

  ops.push_back(elementwise("relu", "max(x, 0)"));
  ops.push_back(
      elementwise("leaky_relu", "x, or slope * x below 0", {real("slope", 0.01, -kBig, kBig, "slope below 0")}));
  ops.push_back(elementwise("gelu", "Gaussian error linear unit (exact, with erf)"));
  ops.push_back(elementwise("tanh", "hyperbolic tangent"));
  ops.push_back(elementwise("sigmoid", "logistic function"));
  ops.push_back(elementwise("identity", "x"));
  ops.push_back(elementwise("dropout", "zeroes each element with probability p while training",
                            {real("p", 0.5, 0, 1, "probability of dropping an element")}));
  ops.push_back(elementwise(
      "fake_quant", "rounds activations to a fixed-point grid (straight-through gradient)",
      {integer("bits", 8, 2, "bits of the grid", 32), integer("power_of_two", 0, 0, "1: a power-of-two scale", 1)}));
  return ops;
}

}  // namespace nac
