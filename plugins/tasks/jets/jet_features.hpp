#pragma once
// What is computed from a jet's particles (docs/jets.md): its mass, the modified mass-drop
// (mMDT) grooming, energy correlation functions and the 16 high-level features of the hls4ml LHC
// jet data, and the constituent view (the leading particles' pT, eta and phi relative to the jet).
#include <array>
#include <string>
#include <vector>

#include "jet_generator.hpp"

namespace nac::jets {

/// The invariant mass of massless particles (GeV).
double jet_mass(const std::vector<Particle>& particles);
/// The pseudorapidity and azimuth of the particles' summed momentum.
void jet_axis(const std::vector<Particle>& particles, double& eta, double& phi);
/// phi - reference wrapped into (-pi, pi].
double delta_phi(double phi, double reference);

/// The particles the modified mass-drop tagger keeps: Cambridge/Aachen clustering (the closest
/// pair in (eta, phi) merges first, momenta summed), then declustering from the top, following
/// the harder branch until min(pT1, pT2) / (pT1 + pT2) > zcut.
std::vector<Particle> mmdt(const std::vector<Particle>& particles, double zcut = 0.1);

/// Energy correlation functions of a set with z_i = pT_i / sum pT and R_ij = dR(i, j), for an
/// angular exponent beta: e2 = sum_{i<j} z_i z_j R_ij^b; e3 = sum_{i<j<k} z_i z_j z_k (R_ij R_ik
/// R_jk)^b; and the generalised ones of Moult, Necib and Thaler (arXiv:1609.07483), which keep
/// only the smallest angles of a triplet: e3_1 = sum z_i z_j z_k min(R)^b and e3_2 = sum z_i z_j
/// z_k (product of the two smallest R)^b.
struct Correlations {
  double e2 = 0, e3 = 0, e3_1 = 0, e3_2 = 0;
};
/// Those at beta = 1 (beta1) and beta = 2 (beta2).
void correlations(const std::vector<Particle>& particles, Correlations& beta1, Correlations& beta2);

constexpr int kFeatures = 16;
/// The hls4ml_lhc_jets_hlf columns, in its order.
const std::array<std::string, kFeatures>& feature_names();
/// Those features of a jet: zlogz on all particles, the rest on the mMDT-groomed ones: C1 (beta
/// 0, 1, 2) = e2; C2 = e3 / e2^2; D2 = e3 / e2^3; D2 (alpha 1, beta) = e3(1) / e2(beta)^(3 / beta);
/// M2 = e3_1 / e2; N2 = e3_2 / e2^2 (beta 1, 2); the groomed mass; the multiplicity (all).
std::array<double, kFeatures> high_level_features(const std::vector<Particle>& particles);

/// N-subjettiness tau_1, tau_2, tau_3 (Thaler and Van Tilburg, arXiv:1011.2268): tau_N =
/// sum_i pT_i min_a dR(i, a)^beta / (sum_i pT_i r0^beta), the axes a those of the N exclusive kT
/// jets (E-scheme, no beam distance: fastjet contrib's KT_Axes); 0 when N >= the particles.
/// tau21 = tau_2 / tau_1 is small for two-pronged jets, tau32 = tau_3 / tau_2 for three-pronged.
std::array<double, 3> nsubjettiness(const std::vector<Particle>& particles, double beta = 1, double r0 = 0.8);

/// The constituent view: the n leading particles with pT above min_pt, as (pT, eta - eta_jet,
/// phi - phi_jet) rows, zero-padded to n rows.
std::vector<float> constituents(const std::vector<Particle>& particles, int n, double min_pt);

}  // namespace nac::jets
