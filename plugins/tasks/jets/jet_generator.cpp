#include "jet_generator.hpp"

#include <algorithm>
#include <cmath>

#include "jet_features.hpp"
#include "nac/rng.hpp"

namespace nac::jets {

const std::array<std::string, kClasses>& class_names() {
  static const std::array<std::string, kClasses> names = {"g", "q", "W", "Z", "t"};
  return names;
}

namespace {

constexpr double kPi = 3.14159265358979323846;

// A parton: its share of the jet's pT, its offset from the jet axis, and its kind (gluon-like
// prongs fragment wider).
struct Prong {
  double share = 1, deta = 0, dphi = 0;
  bool gluon = false;
};

int poisson(Rng& rng, double mean) {  // Knuth's product of uniforms (means below a few hundred)
  const double limit = std::exp(-mean);
  int k = 0;
  for (double p = rng.uniform(); p > limit; p *= rng.uniform()) ++k;
  return k;
}

// Gamma(shape k >= 1, scale 1) by Marsaglia and Tsang.
double gamma(Rng& rng, double k) {
  const double d = k - 1.0 / 3, c = 1 / std::sqrt(9 * d);
  for (;;) {
    double x, v;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const double u = rng.uniform();
    if (u < 1 - 0.0331 * x * x * x * x || std::log(u) < 0.5 * x * x + d * (1 - v + std::log(v))) return d * v;
  }
}

// Negative binomial of mean `mean` and shape k (a Poisson of a gamma-distributed mean): the
// wide multiplicity distributions of jets.
int negative_binomial(Rng& rng, double mean, double k) { return poisson(rng, mean * gamma(rng, k) / k); }

// A two-body decay of `parent` (mass m, momentum fraction z to the first child) at jet pT pt:
// the children are separated by dR = m / (pT_parent sqrt(z (1 - z))) in a random direction, their
// pT-weighted centre on the parent's axis.
void decay(const Prong& parent, double pt, double m, double z, Rng& rng, std::vector<Prong>& out) {
  const double p = parent.share * pt, dr = m / (p * std::sqrt(z * (1 - z))), a = rng.uniform(0, 2 * kPi);
  const double ce = std::cos(a) * dr, cp = std::sin(a) * dr;
  out.push_back({parent.share * z, parent.deta + (1 - z) * ce, parent.dphi + (1 - z) * cp, false});
  out.push_back({parent.share * (1 - z), parent.deta - z * ce, parent.dphi - z * cp, false});
}

// The partons of a jet of class `label`; `target`: the mass the jet is scaled to (0: none).
std::vector<Prong> partons(int label, double pt, Rng& rng, double& target) {
  std::vector<Prong> out;
  target = 0;
  if (label <= 1) {  // g, q: one hard parton with QCD emissions (soft, mostly collinear)
    const bool gluon = label == 0;
    Prong hard{1, 0, 0, gluon};
    const int emissions = poisson(rng, gluon ? 1.4 : 1.0);
    for (int e = 0; e < emissions; ++e) {
      const double z = 0.02 + 0.22 * std::pow(rng.uniform(), 2.0), theta = 0.05 + 0.45 * std::pow(rng.uniform(), 1.5);
      const double a = rng.uniform(0, 2 * kPi), s = hard.share * z;
      out.push_back({s, hard.deta + theta * std::cos(a) * (1 - z), hard.dphi + theta * std::sin(a) * (1 - z), true});
      hard.deta -= theta * std::cos(a) * z;
      hard.dphi -= theta * std::sin(a) * z;
      hard.share -= s;
    }
    out.push_back(hard);
    return out;
  }
  if (label <= 3) {                                                             // W or Z -> q q'
    target = std::max(40.0, (label == 2 ? 80.4 : 91.2) + 11.0 * rng.normal());  // with detector smearing
    decay(Prong{}, pt, target, rng.uniform(0.15, 0.85), rng, out);
    return out;
  }
  // t -> b W, W -> q q'
  target = std::max(120.0, 172.5 + 14.0 * rng.normal());
  const double mw = std::max(50.0, 80.4 + 8.0 * rng.normal());
  const double zmax = std::min(0.6, 1 - mw * mw / (target * target) - 0.05);
  const double zb = rng.uniform(0.15, std::max(0.16, zmax));
  const double rest = std::max(target * target - mw * mw / (1 - zb), 100.0);  // z(1-z) p^2 dR^2 = m_t^2 - m_W^2/(1-z)
  std::vector<Prong> bw;
  decay(Prong{}, pt, std::sqrt(rest), zb, rng, bw);
  out.push_back(bw[0]);  // b
  decay(bw[1], pt, mw, rng.uniform(0.15, 0.85), rng, out);
  return out;
}

// Each parton's particles: a negative-binomial multiplicity shared by sqrt(pT share); momentum
// fractions from squared
// exponentials (a leading particle); offsets normal with a width falling as 1/sqrt(pT), centred
// on the parton's axis.
void fragment(const std::vector<Prong>& prongs, double pt, double multiplicity, Rng& rng,
              std::vector<std::vector<Particle>>& out) {
  double norm = 0;
  for (const Prong& p : prongs) norm += std::sqrt(p.share);
  out.assign(prongs.size(), {});
  for (std::size_t k = 0; k < prongs.size(); ++k) {
    const Prong& pr = prongs[k];
    const int n = std::max(1, negative_binomial(rng, multiplicity * std::sqrt(pr.share) / norm, 8));
    std::vector<double> w(static_cast<std::size_t>(n));
    double sum = 0;
    for (double& v : w) {
      const double e = -std::log(1 - rng.uniform());
      sum += v = e * e;
    }
    double ce = 0, cp = 0, total = 0;
    for (double v : w) {
      const double ppt = v / sum * pr.share * pt;
      const double sigma = std::min((pr.gluon ? 0.14 : 0.12) / std::sqrt(ppt), 0.35);
      Particle p{ppt, sigma * rng.normal(), sigma * rng.normal()};
      ce += p.pt * p.eta, cp += p.pt * p.phi, total += p.pt;
      out[k].push_back(p);
    }
    for (Particle& p : out[k]) p.eta -= ce / total, p.phi -= cp / total;
  }
}

// The particles with the partons' offsets scaled by s, around the jet axis (eta0, 0).
std::vector<Particle> place(const std::vector<Prong>& prongs, const std::vector<std::vector<Particle>>& frag, double s,
                            double eta0) {
  std::vector<Particle> out;
  for (std::size_t k = 0; k < prongs.size(); ++k)
    for (const Particle& p : frag[k])
      out.push_back({p.pt, eta0 + s * prongs[k].deta + p.eta, s * prongs[k].dphi + p.phi});
  return out;
}

}  // namespace

Jet generate_jet(int label, std::uint64_t seed, std::uint64_t index) {
  Rng rng = Rng::derive(seed, index);
  const double pt = std::clamp(1000 * std::exp(0.25 * rng.normal()), 300.0, 3000.0);
  const double eta0 = rng.uniform(-2, 2);
  double target = 0;
  const std::vector<Prong> prongs = partons(label, pt, rng, target);
  static constexpr double kMultiplicity[kClasses] = {56, 42, 46, 48, 56};
  std::vector<std::vector<Particle>> frag;
  fragment(prongs, pt, kMultiplicity[label], rng, frag);
  double s = 1;
  if (target > 0) {  // m^2(s) = a s^2 + b for centred prongs (small angles): the s of the target mass
    const double b = std::pow(jet_mass(place(prongs, frag, 0, eta0)), 2);
    const double a = std::pow(jet_mass(place(prongs, frag, 1, eta0)), 2) - b;
    if (a > 0) s = std::sqrt(std::max(target * target - b, 0.01 * a) / a);
  }
  Jet jet;
  jet.label = label;
  for (const Particle& p : place(prongs, frag, s, eta0))  // within R = 0.8 of the axis
    if (std::hypot(p.eta - eta0, p.phi) < 0.8) jet.particles.push_back(p);
  std::sort(jet.particles.begin(), jet.particles.end(),
            [](const Particle& a, const Particle& b) { return a.pt > b.pt; });
  return jet;
}

std::vector<Jet> generate_jets(std::int64_t n, std::uint64_t seed, std::int64_t first) {
  std::vector<Jet> jets(static_cast<std::size_t>(std::max<std::int64_t>(n, 0)));
#pragma omp parallel for schedule(dynamic, 64)
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t index = first + i;
    jets[static_cast<std::size_t>(i)] =
        generate_jet(static_cast<int>(index % kClasses), seed, static_cast<std::uint64_t>(index));
  }
  return jets;
}

}  // namespace nac::jets
