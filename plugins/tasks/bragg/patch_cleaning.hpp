#pragma once
// The real pipeline's clean-up of a cropped patch, shared by the generator and the loader of
// BraggNN's frames: keep one connected component, then min-max normalise.
#include <cstdint>

namespace nac::bragg {

/// In place: keeps the 8-connected component of non-zero pixels whose maximum is nearest
/// (row, col), clearing the others. Returns the number of components found.
int keep_nearest_component(float* patch, std::int64_t size, double row, double col);

/// In place: (v - min) / (max - min); a constant patch becomes all zeros.
void min_max_normalise(float* patch, std::int64_t count);

}  // namespace nac::bragg
