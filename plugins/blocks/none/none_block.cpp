// The `none` block: an empty slot. No parameters, no layers.
#include "nac/block_type.hpp"
#include "nac/plugin.hpp"

namespace {

class NoneBlock final : public nac::BlockType {
 public:
  std::string name() const override { return "none"; }
  nac::SearchSpace space() const override { return {}; }
  void build(const nac::Assignment&, const std::string&, nac::ModelSpec&) const override {}
};

void register_factories(nac::Registry& r) {
  r.add_block(
      "none", [](const nac::ConfigTable&) { return std::make_unique<NoneBlock>(); }, "an empty slot");
}

}  // namespace

NAC_PLUGIN("none_block", "1.0.0", "The empty block", register_factories)
