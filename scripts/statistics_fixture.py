#!/usr/bin/env python3
"""Writes tests/fixtures/statistics/mann_whitney.json: samples and SciPy's two-sided
Mann-Whitney U test of them (scipy.stats.mannwhitneyu with its defaults), for
tests/statistics_test.cpp. Needs Debian's python3-scipy; run from the repository's root:

    /usr/bin/python3 scripts/statistics_fixture.py
"""
import json
import numpy as np
import scipy
from scipy.stats import mannwhitneyu

rng = np.random.default_rng(7)
cases = []
def add(name, x, y):
    x, y = [float(v) for v in x], [float(v) for v in y]
    r = mannwhitneyu(x, y)  # two-sided, continuity correction, method 'auto'
    cases.append({"name": name, "x": x, "y": y, "u": float(r.statistic), "p": float(r.pvalue)})

add("small, exact", [1.2, 3.4, 0.5, 2.2, 5.0], [4.1, 6.3, 7.7, 5.5])
add("small, separated", [1, 2, 3], [4, 5, 6, 7])
add("8 against 8, exact", rng.normal(0, 1, 8), rng.normal(1, 1, 8))
add("8 against 12, exact", rng.normal(0, 1, 8), rng.normal(0.5, 1, 12))
add("10 seeds, asymptotic", rng.normal(0, 1, 10), rng.normal(1, 1, 10))
add("10 seeds, equal", rng.normal(0, 1, 10), rng.normal(0, 1, 10))
add("ties, small", [1, 2, 2, 3], [2, 3, 3, 4, 5])
add("ties, hypervolumes rounded", np.round(rng.normal(0.6, 0.05, 15), 2), np.round(rng.normal(0.62, 0.05, 15), 2))
add("all equal", [0.5] * 5, [0.5] * 6)
add("30 against 25", rng.exponential(1.0, 30), rng.exponential(1.5, 25))
with open("tests/fixtures/statistics/mann_whitney.json", "w") as f:
    json.dump({"made_by": "scripts/statistics_fixture.py with SciPy " + scipy.__version__, "cases": cases}, f, indent=1)
    f.write("\n")
