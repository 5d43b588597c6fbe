#include "jet_features.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace nac::jets {

namespace {

constexpr double kPi = 3.14159265358979323846;

struct FourVector {
  double px = 0, py = 0, pz = 0, e = 0;
  void add(const FourVector& o) { px += o.px, py += o.py, pz += o.pz, e += o.e; }
  double pt() const { return std::hypot(px, py); }
  double phi() const { return std::atan2(py, px); }
  double rapidity() const { return 0.5 * std::log((e + pz) / (e - pz)); }
};

FourVector momentum(const Particle& p) {
  return {p.pt * std::cos(p.phi), p.pt * std::sin(p.phi), p.pt * std::sinh(p.eta), p.pt * std::cosh(p.eta)};
}

// A node of the clustering tree: a particle (children -1) or the merger of two nodes.
struct Node {
  FourVector p;
  double y = 0, phi = 0;
  int left = -1, right = -1;
};

double distance2(const Node& a, const Node& b) {
  const double dy = a.y - b.y, dp = delta_phi(a.phi, b.phi);
  return dy * dy + dp * dp;
}

// Pairwise sequential clustering with each active node's nearest neighbour cached (O(n^2) for n
// particles; valid for any symmetric distance that depends only on the two nodes):
// Cambridge/Aachen (dR^2 in rapidity and azimuth) or exclusive kT (min(pT_i^2, pT_j^2) dR^2, with
// no beam distance, as for N-subjettiness's axes). E-scheme: the merged node's four-momentum is
// the sum.
struct Clustering {
  enum class Measure { CambridgeAachen, Kt };
  std::vector<Node> nodes;
  std::vector<int> active;

  Clustering(const std::vector<Particle>& particles, Measure m) : measure_(m) {
    const int n = static_cast<int>(particles.size());
    nodes.reserve(static_cast<std::size_t>(2 * n));
    for (const Particle& p : particles) nodes.push_back({momentum(p), p.eta, p.phi});
    for (int i = 0; i < n; ++i) active.push_back(i);
    nn_.assign(static_cast<std::size_t>(2 * n), -1);
    nd_.assign(static_cast<std::size_t>(2 * n), std::numeric_limits<double>::infinity());
    for (const int a : active) refresh(a);
  }

  /// Merges the closest pair of active nodes (at least two must be active).
  void merge_closest() {
    int a = active[0];
    for (const int i : active)
      if (nd_[static_cast<std::size_t>(i)] < nd_[static_cast<std::size_t>(a)]) a = i;
    const int b = nn_[static_cast<std::size_t>(a)];
    Node m;
    m.p = nodes[static_cast<std::size_t>(a)].p;
    m.p.add(nodes[static_cast<std::size_t>(b)].p);
    m.y = m.p.rapidity();
    m.phi = m.p.phi();
    m.left = a;
    m.right = b;
    const int c = static_cast<int>(nodes.size());
    nodes.push_back(m);
    active.erase(std::remove_if(active.begin(), active.end(), [&](int i) { return i == a || i == b; }), active.end());
    active.push_back(c);
    refresh(c);
    for (const int i : active) {
      if (i == c) continue;
      if (nn_[static_cast<std::size_t>(i)] == a || nn_[static_cast<std::size_t>(i)] == b) {
        refresh(i);
      } else {
        const double d = distance(i, c);
        if (d < nd_[static_cast<std::size_t>(i)])
          nd_[static_cast<std::size_t>(i)] = d, nn_[static_cast<std::size_t>(i)] = c;
      }
    }
  }

 private:
  double distance(int a, int b) const {
    const Node& x = nodes[static_cast<std::size_t>(a)];
    const Node& y = nodes[static_cast<std::size_t>(b)];
    const double r2 = distance2(x, y);
    if (measure_ == Measure::CambridgeAachen) return r2;
    const double pa = x.p.pt(), pb = y.p.pt();
    return std::min(pa * pa, pb * pb) * r2;
  }
  void refresh(int a) {
    nd_[static_cast<std::size_t>(a)] = std::numeric_limits<double>::infinity();
    for (const int b : active)
      if (b != a) {
        const double d = distance(a, b);
        if (d < nd_[static_cast<std::size_t>(a)])
          nd_[static_cast<std::size_t>(a)] = d, nn_[static_cast<std::size_t>(a)] = b;
      }
  }

  Measure measure_;
  std::vector<int> nn_;
  std::vector<double> nd_;
};

void leaves(const std::vector<Node>& nodes, int n, std::vector<int>& out) {
  if (nodes[static_cast<std::size_t>(n)].left < 0) {
    out.push_back(n);
    return;
  }
  leaves(nodes, nodes[static_cast<std::size_t>(n)].left, out);
  leaves(nodes, nodes[static_cast<std::size_t>(n)].right, out);
}

}  // namespace

double delta_phi(double phi, double reference) {
  double d = std::fmod(phi - reference, 2 * kPi);
  if (d > kPi) d -= 2 * kPi;
  if (d <= -kPi) d += 2 * kPi;
  return d;
}

double jet_mass(const std::vector<Particle>& particles) {
  FourVector s;
  for (const Particle& p : particles) s.add(momentum(p));
  return std::sqrt(std::max(s.e * s.e - s.px * s.px - s.py * s.py - s.pz * s.pz, 0.0));
}

void jet_axis(const std::vector<Particle>& particles, double& eta, double& phi) {
  FourVector s;
  for (const Particle& p : particles) s.add(momentum(p));
  const double pt = s.pt();
  eta = pt > 0 ? std::asinh(s.pz / pt) : 0;
  phi = pt > 0 ? s.phi() : 0;
}

std::vector<Particle> mmdt(const std::vector<Particle>& particles, double zcut) {
  if (particles.size() < 2) return particles;
  Clustering ca(particles, Clustering::Measure::CambridgeAachen);
  while (ca.active.size() > 1) ca.merge_closest();
  const std::vector<Node>& nodes = ca.nodes;
  const std::vector<int>& active = ca.active;
  // Declustering from the top: follow the harder branch while the softer one is below zcut.
  int node = active[0];
  while (nodes[static_cast<std::size_t>(node)].left >= 0) {
    const Node& t = nodes[static_cast<std::size_t>(node)];
    const double p1 = nodes[static_cast<std::size_t>(t.left)].p.pt(),
                 p2 = nodes[static_cast<std::size_t>(t.right)].p.pt();
    if (std::min(p1, p2) / (p1 + p2) > zcut) break;
    node = p1 >= p2 ? t.left : t.right;
  }
  std::vector<int> kept;
  leaves(nodes, node, kept);
  std::sort(kept.begin(), kept.end());
  std::vector<Particle> out;
  for (const int i : kept) out.push_back(particles[static_cast<std::size_t>(i)]);
  return out;
}

// One pass over the triplets for both betas: a triplet's smallest and largest angle are the same
// at every beta.
void correlations(const std::vector<Particle>& particles, Correlations& c1, Correlations& c2) {
  const std::size_t n = particles.size();
  c1 = c2 = Correlations{};
  double total = 0;
  for (const Particle& p : particles) total += p.pt;
  if (n < 2 || total <= 0) return;
  std::vector<double> z(n), r(n * n), r2(n * n);
  for (std::size_t i = 0; i < n; ++i) z[i] = particles[i].pt / total;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      const double de = particles[i].eta - particles[j].eta, dp = delta_phi(particles[i].phi, particles[j].phi);
      r2[i * n + j] = de * de + dp * dp;
      r[i * n + j] = std::sqrt(r2[i * n + j]);
    }
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i + 1; j < n; ++j) {
      const double zij = z[i] * z[j];
      c1.e2 += zij * r[i * n + j];
      c2.e2 += zij * r2[i * n + j];
      for (std::size_t k = j + 1; k < n; ++k) {
        const double w = zij * z[k];
        const double a = r[i * n + j], b = r[i * n + k], d = r[j * n + k];
        const double a2 = r2[i * n + j], b2 = r2[i * n + k], d2 = r2[j * n + k];
        const double p1 = a * b * d, p2 = a2 * b2 * d2;
        c1.e3 += w * p1;
        c2.e3 += w * p2;
        // The smallest and the largest angle of the triplet.
        const bool ab = a <= b, ad = a <= d, bd = b <= d;
        const double lo1 = ab ? (ad ? a : d) : (bd ? b : d), lo2 = ab ? (ad ? a2 : d2) : (bd ? b2 : d2);
        const double hi1 = ab ? (bd ? d : b) : (ad ? d : a), hi2 = ab ? (bd ? d2 : b2) : (ad ? d2 : a2);
        c1.e3_1 += w * lo1;
        c2.e3_1 += w * lo2;
        c1.e3_2 += hi1 > 0 ? w * (p1 / hi1) : 0.0;  // the product of the two smallest
        c2.e3_2 += hi2 > 0 ? w * (p2 / hi2) : 0.0;
      }
    }
}

const std::array<std::string, kFeatures>& feature_names() {
  static const std::array<std::string, kFeatures> names = {
      "j_zlogz",      "j_c1_b0_mmdt", "j_c1_b1_mmdt",    "j_c1_b2_mmdt",    "j_c2_b1_mmdt", "j_c2_b2_mmdt",
      "j_d2_b1_mmdt", "j_d2_b2_mmdt", "j_d2_a1_b1_mmdt", "j_d2_a1_b2_mmdt", "j_m2_b1_mmdt", "j_m2_b2_mmdt",
      "j_n2_b1_mmdt", "j_n2_b2_mmdt", "j_mass_mmdt",     "j_multiplicity"};
  return names;
}

std::array<double, kFeatures> high_level_features(const std::vector<Particle>& particles) {
  std::array<double, kFeatures> f{};
  double total = 0;
  for (const Particle& p : particles) total += p.pt;
  for (const Particle& p : particles)
    if (p.pt > 0) f[0] += p.pt / total * std::log(p.pt / total);
  const std::vector<Particle> g = mmdt(particles);
  double groomed = 0, squares = 0;
  for (const Particle& p : g) groomed += p.pt;
  for (const Particle& p : g) squares += (p.pt / groomed) * (p.pt / groomed);
  Correlations b1, b2;
  correlations(g, b1, b2);
  const auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
  f[1] = (1 - squares) / 2;  // e2 at beta 0: sum_{i<j} z_i z_j
  f[2] = b1.e2;
  f[3] = b2.e2;
  f[4] = ratio(b1.e3, b1.e2 * b1.e2);
  f[5] = ratio(b2.e3, b2.e2 * b2.e2);
  f[6] = ratio(b1.e3, b1.e2 * b1.e2 * b1.e2);
  f[7] = ratio(b2.e3, b2.e2 * b2.e2 * b2.e2);
  f[8] = ratio(b1.e3, b1.e2 * b1.e2 * b1.e2);  // alpha 1, beta 1: e3(1) / e2(1)^3
  f[9] = ratio(b1.e3, std::pow(b2.e2, 1.5));   // alpha 1, beta 2: e3(1) / e2(2)^(3/2)
  f[10] = ratio(b1.e3_1, b1.e2);
  f[11] = ratio(b2.e3_1, b2.e2);
  f[12] = ratio(b1.e3_2, b1.e2 * b1.e2);
  f[13] = ratio(b2.e3_2, b2.e2 * b2.e2);
  f[14] = jet_mass(g);
  f[15] = static_cast<double>(particles.size());
  return f;
}

std::array<double, 3> nsubjettiness(const std::vector<Particle>& particles, double beta, double r0) {
  std::array<double, 3> tau{};
  double total = 0;
  for (const Particle& p : particles) total += p.pt;
  if (particles.empty() || total <= 0) return tau;
  Clustering kt(particles, Clustering::Measure::Kt);
  for (int n = 3; n >= 1; --n) {
    while (static_cast<int>(kt.active.size()) > n) kt.merge_closest();
    if (static_cast<int>(kt.active.size()) < n) continue;  // as many axes as particles: tau_n = 0
    double sum = 0;
    for (const Particle& p : particles) {
      double nearest = std::numeric_limits<double>::infinity();
      for (const int a : kt.active) {
        const Node& axis = kt.nodes[static_cast<std::size_t>(a)];
        const double de = p.eta - axis.y, dp = delta_phi(p.phi, axis.phi);
        nearest = std::min(nearest, de * de + dp * dp);
      }
      sum += p.pt * std::pow(nearest, beta / 2);
    }
    tau[static_cast<std::size_t>(n - 1)] = sum / (total * std::pow(r0, beta));
  }
  return tau;
}

std::vector<float> constituents(const std::vector<Particle>& particles, int n, double min_pt) {
  double eta = 0, phi = 0;
  jet_axis(particles, eta, phi);
  std::vector<float> rows(static_cast<std::size_t>(3 * n), 0.0f);
  int k = 0;
  for (const Particle& p : particles) {  // (by decreasing pT)
    if (k == n) break;
    if (p.pt <= min_pt) continue;
    rows[static_cast<std::size_t>(3 * k)] = static_cast<float>(p.pt);
    rows[static_cast<std::size_t>(3 * k + 1)] = static_cast<float>(p.eta - eta);
    rows[static_cast<std::size_t>(3 * k + 2)] = static_cast<float>(delta_phi(p.phi, phi));
    ++k;
  }
  return rows;
}

}  // namespace nac::jets
