#!/usr/bin/env python3
"""The 16 high-level jet features, computed independently of nac's C++ (numpy only), to make the
fixture tests/fixtures/jets/features.csv from tests/fixtures/jets/particles.csv:

    python3 scripts/jets_features.py tests/fixtures/jets/particles.csv > tests/fixtures/jets/features.csv
    python3 scripts/jets_features.py --nsubjettiness tests/fixtures/jets/particles.csv \
        > tests/fixtures/jets/nsubjettiness.csv

Input: CSV rows jet,label,pt,eta,phi (massless particles). The definitions are docs/jets.md's:
Cambridge/Aachen clustering by brute force (every pair each step, E-scheme, rapidity and azimuth
of the summed four-momenta), mMDT declustering with z_cut = 0.1, energy correlation functions
over all triplets with numpy broadcasting; N-subjettiness (beta 1 and 2, R0 = 0.8) on the axes of
exclusive kT clustering by brute force (every pair each step, distance min(pT_a^2, pT_b^2) dR^2,
E-scheme).
"""
import csv
import itertools
import sys

import numpy as np

NAMES = ["j_zlogz", "j_c1_b0_mmdt", "j_c1_b1_mmdt", "j_c1_b2_mmdt", "j_c2_b1_mmdt", "j_c2_b2_mmdt",
         "j_d2_b1_mmdt", "j_d2_b2_mmdt", "j_d2_a1_b1_mmdt", "j_d2_a1_b2_mmdt", "j_m2_b1_mmdt", "j_m2_b2_mmdt",
         "j_n2_b1_mmdt", "j_n2_b2_mmdt", "j_mass_mmdt", "j_multiplicity"]


def four(pt, eta, phi):
    return np.array([pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta), pt * np.cosh(eta)])


def dphi(a, b):
    return (a - b + np.pi) % (2 * np.pi) - np.pi


def mass(p):
    return np.sqrt(max(p[3] ** 2 - p[0] ** 2 - p[1] ** 2 - p[2] ** 2, 0.0))


def mmdt(parts, zcut=0.1):
    """parts: list of (pt, eta, phi). Returns the indices the groomer keeps."""
    # Each cluster: (four-momentum, rapidity, azimuth, tree) with tree a leaf index or a pair.
    clusters = [(four(*p), p[1], p[2], i) for i, p in enumerate(parts)]
    while len(clusters) > 1:
        best = None
        for a, b in itertools.combinations(range(len(clusters)), 2):
            d = (clusters[a][1] - clusters[b][1]) ** 2 + dphi(clusters[a][2], clusters[b][2]) ** 2
            if best is None or d < best[0]:
                best = (d, a, b)
        _, a, b = best
        p = clusters[a][0] + clusters[b][0]
        y = 0.5 * np.log((p[3] + p[2]) / (p[3] - p[2]))
        merged = (p, y, np.arctan2(p[1], p[0]), (clusters[a], clusters[b]))
        clusters = [c for k, c in enumerate(clusters) if k not in (a, b)] + [merged]
    node = clusters[0]
    while not isinstance(node[3], int):
        left, right = node[3]
        p1, p2 = np.hypot(*left[0][:2]), np.hypot(*right[0][:2])
        if min(p1, p2) / (p1 + p2) > zcut:
            break
        node = left if p1 >= p2 else right

    def leaves(n):
        return [n[3]] if isinstance(n[3], int) else leaves(n[3][0]) + leaves(n[3][1])

    return sorted(leaves(node))


def kt_axes(parts, n):
    """The n exclusive kT jets of parts [(pt, eta, phi)] as (rapidity, azimuth) pairs."""
    clusters = [(four(*p), p[1], p[2]) for p in parts]
    while len(clusters) > n:
        best = None
        for a, b in itertools.combinations(range(len(clusters)), 2):
            pa, pb = np.hypot(*clusters[a][0][:2]), np.hypot(*clusters[b][0][:2])
            dr2 = (clusters[a][1] - clusters[b][1]) ** 2 + dphi(clusters[a][2], clusters[b][2]) ** 2
            d = min(pa, pb) ** 2 * dr2
            if best is None or d < best[0]:
                best = (d, a, b)
        _, a, b = best
        p = clusters[a][0] + clusters[b][0]
        merged = (p, 0.5 * np.log((p[3] + p[2]) / (p[3] - p[2])), np.arctan2(p[1], p[0]))
        clusters = [c for k, c in enumerate(clusters) if k not in (a, b)] + [merged]
    return [(c[1], c[2]) for c in clusters]


def nsubjettiness(pt, eta, phi, beta, r0=0.8):
    out = []
    for n in (1, 2, 3):
        if n >= len(pt):
            out.append(0.0)
            continue
        axes = kt_axes(list(zip(pt, eta, phi)), n)
        dr = np.array([np.hypot(eta - y, dphi(phi, a)) for y, a in axes])  # (axes, particles)
        out.append(np.sum(pt * dr.min(axis=0) ** beta) / (pt.sum() * r0 ** beta))
    return out


def correlations(pt, eta, phi, beta):
    z = pt / pt.sum()
    r = np.hypot(eta[:, None] - eta[None, :], dphi(phi[:, None], phi[None, :])) ** beta
    n = len(pt)
    i, j = np.triu_indices(n, 1)
    e2 = np.sum(z[i] * z[j] * r[i, j])
    trip = np.array(list(itertools.combinations(range(n), 3)))
    if len(trip) == 0:
        return e2, 0.0, 0.0, 0.0
    a, b, c = trip[:, 0], trip[:, 1], trip[:, 2]
    w = z[a] * z[b] * z[c]
    angles = np.sort(np.stack([r[a, b], r[a, c], r[b, c]]), axis=0)
    return e2, np.sum(w * angles[0] * angles[1] * angles[2]), np.sum(w * angles[0]), np.sum(w * angles[0] * angles[1])


def features(pt, eta, phi):
    z = pt / pt.sum()
    out = [np.sum(z * np.log(z))]
    keep = mmdt(list(zip(pt, eta, phi)))
    g_pt, g_eta, g_phi = pt[keep], eta[keep], phi[keep]
    zg = g_pt / g_pt.sum()
    out.append((1 - np.sum(zg ** 2)) / 2)
    if len(keep) >= 2:
        e2_1, e3_1, m_1, n_1 = correlations(g_pt, g_eta, g_phi, 1)
        e2_2, e3_2, m_2, n_2 = correlations(g_pt, g_eta, g_phi, 2)
    else:
        e2_1 = e3_1 = m_1 = n_1 = e2_2 = e3_2 = m_2 = n_2 = 0.0

    def ratio(a, b):
        return a / b if b > 0 else 0.0

    out += [e2_1, e2_2, ratio(e3_1, e2_1 ** 2), ratio(e3_2, e2_2 ** 2), ratio(e3_1, e2_1 ** 3),
            ratio(e3_2, e2_2 ** 3), ratio(e3_1, e2_1 ** 3), ratio(e3_1, e2_2 ** 1.5), ratio(m_1, e2_1),
            ratio(m_2, e2_2), ratio(n_1, e2_1 ** 2), ratio(n_2, e2_2 ** 2)]
    p = sum(four(*x) for x in zip(g_pt, g_eta, g_phi))
    out += [mass(p), float(len(pt))]
    return out


def main():
    args = sys.argv[1:]
    taus = args[0] == "--nsubjettiness"
    jets = {}
    with open(args[-1]) as f:
        for row in csv.DictReader(f):
            jets.setdefault(int(row["jet"]), []).append((float(row["pt"]), float(row["eta"]), float(row["phi"])))
    names = ["tau1_b1", "tau2_b1", "tau3_b1", "tau1_b2", "tau2_b2", "tau3_b2"] if taus else NAMES
    print("jet," + ",".join(names))
    for jet, parts in sorted(jets.items()):
        a = np.array(parts)
        pt, eta, phi = a[:, 0], a[:, 1], a[:, 2]
        values = nsubjettiness(pt, eta, phi, 1) + nsubjettiness(pt, eta, phi, 2) if taus else features(pt, eta, phi)
        print(str(jet) + "," + ",".join("%.17g" % v for v in values))


if __name__ == "__main__":
    main()
