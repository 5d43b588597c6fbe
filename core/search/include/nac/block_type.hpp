#pragma once
// A BlockType is one choice for a slot of the architecture template (conv, conv_attention,
// none, mlp head). It declares its own sub-space, with names relative to the block; the template
// prefixes them ("slot0.conv.channels") and makes them conditional on the slot's choice.
//
// Threads: a block is made once per run; space() is called while the template is put together
// (one thread), build() for each candidate from up to `search.workers` worker threads at once, so
// build() must not modify shared state.
#include <string>

#include "nac/assignment.hpp"
#include "nac/error.hpp"
#include "nac/model_spec.hpp"
#include "nac/search_space.hpp"
#include "nac/export.hpp"

NAC_PUBLIC_BEGIN
namespace nac {

/// Thrown by build() when a configuration cannot fit the incoming shape (e.g. a kernel larger
/// than the image); the trial is rejected with this reason instead of building a mis-sized model.
class BlockRejected : public Error {
 public:
  using Error::Error;
};

class BlockType {
 public:
  virtual ~BlockType() = default;
  virtual std::string name() const = 0;
  /// The block's own parameters (relative names).
  virtual SearchSpace space() const = 0;
  /// Appends the block's layers to `model`, reading the incoming shape from model.output().
  /// `params` holds the block's active parameters with relative names; `prefix` is the slot's
  /// name, to make layer names unique.
  virtual void build(const Assignment& params, const std::string& prefix, ModelSpec& model) const = 0;
};

}  // namespace nac
NAC_PUBLIC_END
