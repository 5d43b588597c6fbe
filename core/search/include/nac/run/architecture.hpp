#pragma once
// The architecture template: an optional fixed projection convolution, N slots each choosing one
// of the listed block types, then a flatten and the head block, then a linear output layer. It
// composes the blocks' own sub-spaces into one hierarchical search space ("slot0" picks the
// block; "slot0.conv.channels_0" belongs to it) and builds the ModelSpec of an assignment.
//
//   [architecture]
//   slots = 3
//   blocks = ["conv", "conv_attention", "none"]   # the choices of every slot
//   head = "mlp"
//   [architecture.projection]                    # omit `channels` for no projection
//   channels = [8, 16, 32, 64]
//   kernel = 3
//   activation = "none"
//   [architecture.conv]                          # each block's own settings, by block name
//   ...
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "nac/block_type.hpp"
#include "nac/config.hpp"
#include "nac/registry.hpp"
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac {

class ArchitectureTemplate {
 public:
  /// Makes the block objects (each validates its own table) for a task's input and output shapes.
  ArchitectureTemplate(const ConfigTable& table, const Registry& registry, Shape input, Shape output);

  std::shared_ptr<const SearchSpace> space() const { return space_; }
  /// The model of an assignment, shapes inferred. Throws BlockRejected (with the reason) for a
  /// configuration that cannot be built.
  ModelSpec build(const Assignment& params) const;

 private:
  Shape input_, output_;
  std::int64_t slots_ = 0;
  std::vector<std::string> slot_blocks_;
  std::string head_;
  std::vector<Value> projection_channels_;
  std::int64_t projection_kernel_ = 3;
  std::string projection_activation_;
  std::map<std::string, std::unique_ptr<BlockType>> blocks_;
  std::shared_ptr<SearchSpace> space_;
};

}  // namespace nac
NAC_PUBLIC_END
