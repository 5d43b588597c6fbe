#pragma once
// Synthetic jets shaped by their physics (docs/jets.md): jets near 1 TeV of five classes, gluon
// and light-quark jets one-pronged with QCD emissions (gluons wider and with more particles), W
// and Z two-pronged at their masses, top three-pronged (b + W); each prong fragments into
// particles around its axis. Every jet comes from its own random stream (seed, index), so a set
// is the same for any thread count.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace nac::jets {

/// The classes in the label order of the hls4ml LHC jet data: g, q, W, Z, t.
constexpr int kClasses = 5;
const std::array<std::string, kClasses>& class_names();

/// A massless particle: transverse momentum (GeV), pseudorapidity and azimuth (absolute).
struct Particle {
  double pt = 0, eta = 0, phi = 0;
};

struct Jet {
  int label = 0;
  std::vector<Particle> particles;  // by decreasing pT
};

/// One jet of a class from a seeded stream.
Jet generate_jet(int label, std::uint64_t seed, std::uint64_t index);
/// n jets, jet i of class (i + first) mod 5 (balanced), from streams (seed, first + i), over the
/// threads.
std::vector<Jet> generate_jets(std::int64_t n, std::uint64_t seed, std::int64_t first);

}  // namespace nac::jets
