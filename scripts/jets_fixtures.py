#!/usr/bin/env python3
"""Small files in the layouts of the real jet datasets, and the values nac's readers must get from
them (plugins/tasks/jets/jet_files.cpp, tests/jet_files_test.cpp), written with numpy and h5py
independently of nac's C++:

    /usr/bin/python3 scripts/jets_fixtures.py tests/fixtures/jets

(Debian: apt-get install python3-h5py.) Deterministic: the same files on every run (numpy's
seeded generator; no time stamps in the HDF5 files, which keep h5py's default, oldest format).

Files:
  jets_150p.h5            the hls4ml LHC jet data's 150-particle layout (zenodo record 3602260,
                          jetImage_*_150p_*.h5): `jets` (N, 59) float32 named by `jetFeatureNames`
                          (fixed-length byte strings, the real order: 53 features, then the one-hot
                          j_g j_q j_w j_z j_t j_undef), `jetConstituentList` (N, 150, 16) float32
                          (gzip, chunks of 4 jets) named by `particleFeatureNames`, particles by
                          decreasing pT and zero padded, and a small `jetImage` readers must ignore
  jets_150p_expected.csv  per jet: its label (g 0, q 1, W 2, Z 3, t 4), the 16 high-level features
                          in nac's order, view a (8 constituents above 2 GeV: j1_pt, j1_etarel,
                          j1_phirel) and view b (3 above 5 GeV: j1_deltaR, j1_pt, j1_e)
  hlf_openml.arff         the OpenML hls4ml_lhc_jets_hlf table's layout (16 features and `class`
                          {g,q,t,w,z}), 10 rows, with comments, quoting and mixed-case keywords
  hlf_shuffled.csv        the same rows as CSV: an index column, the columns shuffled, labels in
                          mixed case
  hlf_expected.csv        label and the 16 features in nac's order of those rows
  bad_*.h5                the 150-particle layout (3 jets) with one fault each (see bad() below)

Floats are written as '%.9g' of float32 values, which reads back to the same float32.
"""
import os
import sys

import h5py
import numpy as np

HLF = ["j_zlogz", "j_c1_b0_mmdt", "j_c1_b1_mmdt", "j_c1_b2_mmdt", "j_c2_b1_mmdt", "j_c2_b2_mmdt",
       "j_d2_b1_mmdt", "j_d2_b2_mmdt", "j_d2_a1_b1_mmdt", "j_d2_a1_b2_mmdt", "j_m2_b1_mmdt", "j_m2_b2_mmdt",
       "j_n2_b1_mmdt", "j_n2_b2_mmdt", "j_mass_mmdt", "j_multiplicity"]

# The real files' jetFeatureNames, in their order.
JET_COLUMNS = (
    ["j_ptfrac", "j_pt", "j_eta", "j_mass",
     "j_tau1_b1", "j_tau2_b1", "j_tau3_b1", "j_tau1_b2", "j_tau2_b2", "j_tau3_b2", "j_tau32_b1", "j_tau32_b2",
     "j_zlogz",
     "j_c1_b0", "j_c1_b1", "j_c1_b2", "j_c2_b1", "j_c2_b2", "j_d2_b1", "j_d2_b2", "j_d2_a1_b1", "j_d2_a1_b2",
     "j_m2_b1", "j_m2_b2", "j_n2_b1", "j_n2_b2",
     "j_tau1_b1_mmdt", "j_tau2_b1_mmdt", "j_tau3_b1_mmdt", "j_tau1_b2_mmdt", "j_tau2_b2_mmdt", "j_tau3_b2_mmdt",
     "j_tau32_b1_mmdt", "j_tau32_b2_mmdt",
     "j_c1_b0_mmdt", "j_c1_b1_mmdt", "j_c1_b2_mmdt", "j_c2_b1_mmdt", "j_c2_b2_mmdt", "j_d2_b1_mmdt", "j_d2_b2_mmdt",
     "j_d2_a1_b1_mmdt", "j_d2_a1_b2_mmdt", "j_m2_b1_mmdt", "j_m2_b2_mmdt", "j_n2_b1_mmdt", "j_n2_b2_mmdt",
     "j_mass_trim", "j_mass_mmdt", "j_mass_prun", "j_mass_sdb2", "j_mass_sdm1",
     "j_multiplicity"]
    + ["j_g", "j_q", "j_w", "j_z", "j_t", "j_undef"])
assert len(JET_COLUMNS) == 59 and all(name in JET_COLUMNS for name in HLF)

PARTICLE_COLUMNS = ["j1_px", "j1_py", "j1_pz", "j1_e", "j1_erel", "j1_pt", "j1_ptrel", "j1_eta", "j1_etarel",
                    "j1_etarot", "j1_phi", "j1_phirel", "j1_phirot", "j1_deltaR", "j1_costheta", "j1_costhetarel"]
PARTICLES = 150
CLASSES = "gqWZt"  # nac's label order; one-hot columns j_g j_q j_w j_z j_t

rng = np.random.default_rng(20261207)


def f32(x):
    return np.float32(x)


def fmt(x):
    return "%.9g" % np.float32(x)


def make_jet(label, count, stored):
    """One jet of `count` particles (the first `stored` kept, at most 150): (jets row, particles)."""
    pt_jet = rng.uniform(400, 1600)
    eta_jet, phi_jet = rng.uniform(-1.5, 1.5), rng.uniform(-np.pi, np.pi)
    # Shares of a leading-particle spectrum; the softest fall below 2 GeV.
    pt = np.sort(rng.exponential(1.0, count) ** 2.5)[::-1]
    pt = pt / pt.sum() * pt_jet
    etarel = np.clip(rng.normal(0, 0.12, count), -0.8, 0.8)
    phirel = np.clip(rng.normal(0, 0.12, count), -0.8, 0.8)
    eta = eta_jet + etarel
    phi = (phi_jet + phirel + np.pi) % (2 * np.pi) - np.pi
    px, py, pz, e = pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta), pt * np.cosh(eta)
    angle = rng.uniform(-np.pi, np.pi)  # the jet's principal axis, for the rotated coordinates
    cols = {
        "j1_px": px, "j1_py": py, "j1_pz": pz, "j1_e": e, "j1_erel": e / e.sum(), "j1_pt": pt,
        "j1_ptrel": pt / pt.sum(), "j1_eta": eta, "j1_etarel": etarel,
        "j1_etarot": etarel * np.cos(angle) + phirel * np.sin(angle), "j1_phi": phi, "j1_phirel": phirel,
        "j1_phirot": -etarel * np.sin(angle) + phirel * np.cos(angle), "j1_deltaR": np.hypot(etarel, phirel),
        "j1_costheta": np.tanh(eta), "j1_costhetarel": np.tanh(etarel),
    }
    particles = np.zeros((PARTICLES, len(PARTICLE_COLUMNS)), dtype=np.float32)
    for k, name in enumerate(PARTICLE_COLUMNS):
        particles[:stored, k] = cols[name][:stored]
    row = {name: rng.uniform(0.01, 2.0) for name in JET_COLUMNS}
    row.update({"j_ptfrac": rng.uniform(0.5, 1.0), "j_pt": pt.sum(), "j_eta": eta_jet,
                "j_mass": [60, 40, 80.4, 91.2, 172.5][label] * rng.uniform(0.8, 1.2),
                "j_zlogz": -rng.uniform(1.5, 4.5), "j_mass_mmdt": rng.uniform(5, 200),
                "j_multiplicity": count})
    for k, name in enumerate(["j_g", "j_q", "j_w", "j_z", "j_t", "j_undef"]):
        row[name] = 1.0 if k == label else 0.0
    return np.array([row[name] for name in JET_COLUMNS], dtype=np.float32), particles


def make_jets(labels, counts):
    rows, lists = zip(*(make_jet(label, count, min(count, PARTICLES)) for label, count in zip(labels, counts)))
    return np.stack(rows), np.stack(lists)


def write_h5(path, jets, particles, jet_names=JET_COLUMNS, particle_names=PARTICLE_COLUMNS, skip=()):
    with h5py.File(path, "w") as f:
        def dataset(name, data, **kwargs):
            if name not in skip:
                f.create_dataset(name, data=data, track_times=False, **kwargs)  # (no time stamps)

        dataset("jets", jets)
        dataset("jetFeatureNames", np.array([n.encode() for n in jet_names]))  # fixed-length 'S'
        dataset("jetConstituentList", particles, compression="gzip", shuffle=True,
                chunks=(min(4, len(particles)),) + particles.shape[1:])
        dataset("particleFeatureNames", np.array([n.encode() for n in particle_names]))
        dataset("jetImage", rng.uniform(0, 1, (len(jets), 4, 4)).astype(np.float32))


def view(particles, constituents, min_pt, features):
    """The constituents view: the first `constituents` particles with pT above min_pt, in file order
    (the float32 pT compared with min_pt as float64)."""
    pt = particles[:, :, PARTICLE_COLUMNS.index("j1_pt")].astype(np.float64)
    out = np.zeros((len(particles), constituents, len(features)), dtype=np.float32)
    for j in range(len(particles)):
        keep = np.nonzero(pt[j] > min_pt)[0][:constituents]
        for k, name in enumerate(features):
            out[j, :len(keep), k] = particles[j, keep, PARTICLE_COLUMNS.index(name)]
    return out.reshape(len(particles), -1)


def main(folder):
    os.makedirs(folder, exist_ok=True)

    # 12 jets of all classes; one of 150 particles (a full axis, no padding) whose multiplicity says
    # 163 (the real files keep the 150 leading ones), one of a single particle, and jet 0 with 4
    # particles above 2 GeV, one of them at exactly 5 GeV and one at exactly 2 GeV (at the cut, so
    # dropped).
    labels = [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 2, 4]
    counts = [23, 41, 7, 150, 56, 1, 12, 33, 18, 64, 9, 48]
    jets, particles = make_jets(labels, counts)
    jets[3, JET_COLUMNS.index("j_multiplicity")] = 163
    pt = PARTICLE_COLUMNS.index("j1_pt")
    assert particles[0, 1, pt] > 5
    particles[0, 2:5, pt] = [5.0, 4.0, 2.0]
    particles[0, 5:23, pt] = np.minimum(particles[0, 5:23, pt], 1.9)  # still decreasing
    assert (np.diff(particles[:, :, pt], axis=1) <= 0).all()
    assert ((particles[:, :, pt] > 0) & (particles[:, :, pt] <= 2)).any()  # soft particles
    write_h5(os.path.join(folder, "jets_150p.h5"), jets, particles)

    a_features, b_features = ["j1_pt", "j1_etarel", "j1_phirel"], ["j1_deltaR", "j1_pt", "j1_e"]
    a, b = view(particles, 8, 2.0, a_features), view(particles, 3, 5.0, b_features)
    header = (["jet", "label"] + HLF + ["a%d_%s" % (i, n) for i in range(8) for n in a_features]
              + ["b%d_%s" % (i, n) for i in range(3) for n in b_features])
    with open(os.path.join(folder, "jets_150p_expected.csv"), "w") as out:
        out.write(",".join(header) + "\n")
        for j in range(len(jets)):
            hlf = [jets[j, JET_COLUMNS.index(n)] for n in HLF]
            out.write(",".join([str(j), str(labels[j])] + [fmt(v) for v in list(hlf) + list(a[j]) + list(b[j])]) + "\n")

    # Faulty files, 3 jets each.
    def bad(name, **kwargs):
        jets3, particles3 = make_jets([0, 2, 4], [10, 20, 30])
        fix = kwargs.pop("fix", None)
        if fix:
            jets3, particles3 = fix(jets3, particles3)
        write_h5(os.path.join(folder, "bad_" + name + ".h5"), jets3, particles3, **kwargs)

    def label_row(values):
        def fix(jets3, particles3):
            jets3[1, -6:] = values
            return jets3, particles3
        return fix

    bad("two_labels", fix=label_row([0, 0, 1, 1, 0, 0]))  # jet 1: W and Z
    bad("no_label", fix=label_row([0, 0, 0, 0, 0, 0]))
    bad("undef", fix=label_row([0, 0, 0, 0, 0, 1]))
    bad("feature_names", jet_names=JET_COLUMNS[:-1])  # 58 names for 59 columns
    bad("particle_names", particle_names=PARTICLE_COLUMNS[:-1])  # 15 names for 16 columns
    bad("rows", fix=lambda jets3, particles3: (jets3, particles3[:2]))  # 2 particle lists for 3 jets
    bad("missing", skip=("particleFeatureNames",))
    bad("no_hlf", jet_names=[n if n != "j_c2_b1_mmdt" else "j_c2_b1_mmdt_x" for n in JET_COLUMNS])

    # The OpenML table: 10 rows of the 16 features and the class.
    rows = 10
    classes = [0, 1, 2, 3, 4, 4, 3, 2, 1, 0]
    table = np.stack([make_jet(c, 20, 20)[0] for c in classes])
    hlf = np.stack([table[:, JET_COLUMNS.index(n)] for n in HLF], axis=1).astype(np.float32)
    with open(os.path.join(folder, "hlf_expected.csv"), "w") as out:
        out.write(",".join(["label"] + HLF) + "\n")
        for r in range(rows):
            out.write(",".join([str(classes[r])] + [fmt(v) for v in hlf[r]]) + "\n")

    openml = "gqtwz"  # OpenML's nominal values (sorted)
    with open(os.path.join(folder, "hlf_openml.arff"), "w") as out:
        out.write("% The layout of OpenML's hls4ml_lhc_jets_hlf (data set 42468): 16 features and the class.\n")
        out.write("% Written by scripts/jets_fixtures.py.\n\n")
        out.write("@RELATION 'hls4ml_lhc_jets_hlf'\n\n")
        for k, name in enumerate(HLF):
            kind = ["NUMERIC", "numeric", "REAL"][k % 3]
            out.write("@ATTRIBUTE %s %s\n" % ("'%s'" % name if k == 14 else name, kind))
        out.write("@ATTRIBUTE class {g,q,t,w,z}\n\n@DATA\n")
        for r in range(rows):
            label = CLASSES[classes[r]].lower()
            assert label in openml
            values = [fmt(v) for v in hlf[r]] + ["'%s'" % label if r == 2 else label]
            if r == 4:
                out.write("% a comment between rows\n\n")
            out.write((", " if r == 1 else ",").join(values) + "\n")

    order = list(rng.permutation(len(HLF) + 1))  # the class among the shuffled columns
    names = HLF + ["class"]
    with open(os.path.join(folder, "hlf_shuffled.csv"), "w") as out:
        out.write(",".join(['""'] + ['"%s"' % names[k] if k % 4 == 0 else names[k] for k in order]) + "\n")
        for r in range(rows):
            label = CLASSES[classes[r]]
            label = label.lower() if r % 3 == 0 else label.upper() if r % 3 == 1 else label
            values = [fmt(v) for v in hlf[r]] + [label]
            out.write(",".join([str(r)] + [values[k] for k in order]) + "\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/jets")
