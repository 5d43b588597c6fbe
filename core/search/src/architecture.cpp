#include "nac/run/architecture.hpp"

#include <algorithm>

#include "nac/error.hpp"
#include "nac/text.hpp"

namespace nac {

namespace {
const std::vector<std::string> kActivations{"none", "relu", "gelu", "leaky_relu", "tanh", "sigmoid"};
}

ArchitectureTemplate::ArchitectureTemplate(const ConfigTable& t, const Registry& registry, Shape input, Shape output)
    : input_(std::move(input)), output_(std::move(output)), space_(std::make_shared<SearchSpace>()) {
  if (output_.size() != 1)
    throw Error("the architecture template needs a task with vector targets, found " + to_string(output_));
  slots_ = t.integer("slots", 3, Range::between(0, 64));
  slot_blocks_ = t.strings("blocks", std::vector<std::string>{"conv", "conv_attention", "none"});
  if (slots_ > 0 && slot_blocks_.empty()) t.fail("blocks", "needs at least one block type");
  head_ = t.string("head", "mlp");
  const ConfigTable proj = t.table("projection");
  if (proj.has("channels")) {
    for (std::int64_t c : proj.integers("channels", std::nullopt, Range::between(1, 4096)))
      projection_channels_.emplace_back(std::in_place_type<std::int64_t>, c);
    if (projection_channels_.empty()) proj.fail("channels", "needs at least one choice");
  }
  projection_kernel_ = proj.integer("kernel", 3, Range::between(1, 15));
  projection_activation_ = proj.string("activation", "none", kActivations);
  proj.finish();

  std::vector<std::string> names = slot_blocks_;
  names.push_back(head_);
  for (const auto& name : names) {
    if (blocks_.count(name)) continue;
    const ConfigTable bt = t.table(name);
    try {
      blocks_[name] = registry.block(name)(bt);
    } catch (const Error& e) {
      const std::string m = e.what();
      throw Error(m.rfind(t.file(), 0) == 0 ? m : t.where("blocks") + ": " + m);
    }
    bt.finish();
  }

  if (projection_channels_.size() > 1) space_->add(Parameter::categorical("projection.channels", projection_channels_));
  for (std::int64_t i = 0; i < slots_; ++i) {
    const std::string slot = "slot" + std::to_string(i);
    std::vector<Value> choices;
    for (const auto& b : slot_blocks_) choices.emplace_back(std::in_place_type<std::string>, b);
    if (choices.size() > 1) space_->add(Parameter::categorical(slot, choices));
    for (const auto& b : slot_blocks_) {
      std::optional<Condition> when;
      if (choices.size() > 1) when = Condition{slot, {Value(b)}};
      space_->add_subspace(slot + "." + b, blocks_.at(b)->space(), when);
    }
  }
  space_->add_subspace("head", blocks_.at(head_)->space(), std::nullopt);
}

ModelSpec ArchitectureTemplate::build(const Assignment& a) const {
  ModelSpec m;
  m.input = input_;
  try {
    if (!projection_channels_.empty()) {
      const Value channels =
          projection_channels_.size() > 1 ? a.at("projection.channels") : projection_channels_.front();
      append_layer(m, "conv2d", "projection", {{"out_channels", channels}, {"kernel", projection_kernel_}});
      if (projection_activation_ != "none") append_layer(m, projection_activation_, "projection.act");
    }
    for (std::int64_t i = 0; i < slots_; ++i) {
      const std::string slot = "slot" + std::to_string(i);
      const std::string block = slot_blocks_.size() > 1 ? a.label(slot) : slot_blocks_.front();
      blocks_.at(block)->build(a.subset(slot + "." + block), slot, m);
    }
    if (m.output().size() != 1) append_layer(m, "flatten", "flatten");
    blocks_.at(head_)->build(a.subset("head"), "head", m);
    append_layer(m, "linear", "output", {{"out_features", output_[0]}});
  } catch (const BlockRejected&) {
    throw;
  } catch (const Error& e) {
    throw BlockRejected(std::string("the architecture cannot be built: ") + e.what());
  }
  return m;
}

}  // namespace nac
