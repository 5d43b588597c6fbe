#!/usr/bin/env python3
"""The Optuna side of a nac bench file: runs Optuna's samplers on the bench's test_functions
problems (ZDT1-4, ZDT6, DTLZ1-4, DTLZ7) with the bench's seeds, budgets and checkpoints, and
writes their runs in nac bench's runs.jsonl format, so that

    nac bench BENCH.toml --peer-runs PEER.jsonl

puts them beside nac's contenders in one report, with the same statistics. The problems,
hypervolume and IGD are written here again from their definitions (Zitzler, Deb and Thiele
2000; Deb, Thiele, Laumanns and Zitzler 2005), independently of nac's C++; the IGD is the mean
distance from the true front's points to the nearest evaluated point, as nac measures it.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 scripts/peers/optuna_bench.py \\
        experiments/bench/zdt_low_budget.toml -o results/optuna_zdt_low_budget.jsonl [--samplers tpe,nsga2]

Needs Debian's python3-optuna (3.1). Samplers: tpe (Optuna's TPESampler with its defaults: MOTPE
for several objectives), nsga2 (NSGAIISampler, population 50 by default; --population N),
random. Single-objective problems (the conditional space) are skipped: nac's conditional space
has no Optuna twin here.
"""
import argparse, json, math, sys, time, tomllib
import numpy as np
import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)


def zdt(which, x):
    n = len(x)
    f1 = x[0]
    if which == 4:
        g = 1 + 10 * (n - 1) + sum(v * v - 10 * math.cos(4 * math.pi * v) for v in x[1:])
    elif which == 6:
        f1 = 1 - math.exp(-4 * x[0]) * math.sin(6 * math.pi * x[0]) ** 6
        g = 1 + 9 * (sum(x[1:]) / (n - 1)) ** 0.25
    else:
        g = 1 + 9 * sum(x[1:]) / (n - 1)
    r = f1 / g
    if which in (2, 6):
        h = 1 - r * r
    elif which == 3:
        h = 1 - math.sqrt(r) - r * math.sin(10 * math.pi * f1)
    else:
        h = 1 - math.sqrt(r)
    return [f1, g * h]


def dtlz(which, x, m):
    k = len(x) - m + 1
    tail = x[m - 1:]
    if which in (1, 3):
        g = 100 * (k + sum((v - 0.5) ** 2 - math.cos(20 * math.pi * (v - 0.5)) for v in tail))
    elif which == 7:
        g = 1 + 9 * sum(tail) / k
    else:
        g = sum((v - 0.5) ** 2 for v in tail)
    if which == 1:
        f = []
        for j in range(m):
            v = 0.5 * (1 + g)
            for i in range(m - 1 - j):
                v *= x[i]
            if j > 0:
                v *= 1 - x[m - 1 - j]
            f.append(v)
        return f
    if which == 7:
        f = list(x[:m - 1])
        h = m - sum(fj / (1 + g) * (1 + math.sin(3 * math.pi * fj)) for fj in f)
        return f + [(1 + g) * h]
    y = [v ** 100 for v in x] if which == 4 else x
    f = []
    for j in range(m):
        v = 1 + g
        for i in range(m - 1 - j):
            v *= math.cos(y[i] * math.pi / 2)
        if j > 0:
            v *= math.sin(y[m - 1 - j] * math.pi / 2)
        f.append(v)
    return f


def nondominated(points):
    pts = sorted(set(map(tuple, points)))
    out = []
    for p in pts:
        if not any(all(q[i] <= p[i] for i in range(len(p))) for q in out):
            out.append(p)
    return out


def simplex(m, n):
    def count(h):
        c = 1.0
        for i in range(1, m):
            c = c * (h + i) / i
        return c
    h = 1
    while count(h + 1) <= n:
        h += 1
    out = []
    def rec(prefix, left, dims):
        if dims == 1:
            out.append(prefix + [left / h])
            return
        for v in range(left, -1, -1):
            rec(prefix + [v / h], left - v, dims - 1)
    rec([], h, m)
    return out


def thin(points, n):
    if len(points) <= n:
        return points
    k = -(-len(points) // n)
    return points[::k]


def true_front(kind, which, m, n):
    if kind == "zdt":
        if which == 3:
            s = 20 * n
            curve = [[i / (s - 1), 1 - math.sqrt(i / (s - 1)) - i / (s - 1) * math.sin(10 * math.pi * i / (s - 1))]
                     for i in range(s)]
            return thin([list(p) for p in nondominated(curve)], n)
        low = 0.2807753191 if which == 6 else 0.0
        f1 = [low + (1 - low) * i / (n - 1) for i in range(n)]
        return [[a, 1 - a * a if which in (2, 6) else 1 - math.sqrt(a)] for a in f1]
    if which == 7:
        dims = m - 1
        side = max(2, math.ceil(((20 if m == 2 else 4) * n) ** (1 / dims)))
        pts = []
        for idx in range(side ** dims):
            f, r = [], idx
            for _ in range(dims):
                f.append((r % side) / (side - 1))
                r //= side
            h = m - sum(v / 2 * (1 + math.sin(3 * math.pi * v)) for v in f)
            pts.append(f + [2 * h])
        return thin([list(p) for p in nondominated(pts)], n)
    out = []
    for p in simplex(m, n):
        norm = math.sqrt(sum(v * v for v in p))
        out.append([0.5 * v for v in p] if which == 1 else [v / norm for v in p])
    return out


def hypervolume(points, ref):
    pts = [p for p in nondominated(points) if all(p[i] < ref[i] for i in range(len(ref)))]
    if not pts:
        return 0.0
    if len(ref) == 2:
        hv, level = 0.0, ref[1]
        for a, b in sorted(pts):
            if b < level:
                hv += (ref[0] - a) * (level - b)
                level = b
        return hv
    # Slices along the last objective.
    pts.sort(key=lambda p: p[-1])
    hv = 0.0
    for i, p in enumerate(pts):
        top = pts[i + 1][-1] if i + 1 < len(pts) else ref[-1]
        if top > p[-1]:
            hv += hypervolume([q[:-1] for q in pts[:i + 1]], ref[:-1]) * (top - p[-1])
    return hv


def problem_of(table):
    name = table.get("problem", "")
    if name.startswith("zdt"):
        which = int(name[3])
        n = table.get("variables", 30 if which <= 3 else 10)
        low, high = (-5.0, 5.0) if which == 4 else (0.0, 1.0)
        bounds = [(0.0, 1.0)] + [(low, high)] * (n - 1)
        return dict(kind="zdt", which=which, m=2, bounds=bounds, f=lambda x: zdt(which, x), ref=[1.1, 1.1])
    if name.startswith("dtlz"):
        which, m = int(name[4]), table.get("objectives", 3)
        n = table.get("variables", m - 1 + (5 if which == 1 else 20 if which == 7 else 10))
        ref = [0.55 if which == 1 else 1.1] * m
        if which == 7:
            ref[-1] = 2.2 * m
        return dict(kind="dtlz", which=which, m=m, bounds=[(0.0, 1.0)] * n, f=lambda x: dtlz(which, x, m), ref=ref)
    return None


def checkpoints_of(bench, problem):
    budget = problem.get("evaluations", bench["evaluations"])
    if "checkpoints" in problem:
        cps = sorted(set(problem["checkpoints"]))
    elif "evaluations" in problem and "checkpoints" in bench:
        cps = [e for e in sorted(set(bench["checkpoints"])) if e < budget]
    elif "checkpoints" in bench:
        cps = sorted(set(bench["checkpoints"]))
    else:
        cps = sorted(set((budget * k + 9) // 10 for k in range(1, 11)))
    if not cps or cps[-1] != budget:
        cps.append(budget)
    return budget, cps


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("bench")
    ap.add_argument("-o", "--out", required=True)
    ap.add_argument("--samplers", default="tpe,nsga2")
    ap.add_argument("--population", type=int, default=50)
    ap.add_argument("--problems", default="", help="labels of the problems to run (default: all)")
    args = ap.parse_args()
    with open(args.bench, "rb") as f:
        bench = tomllib.load(f)
    seeds = bench.get("seeds", 10)
    seeds = list(range(seeds)) if isinstance(seeds, int) else seeds
    front_points = bench.get("front_points", 1000)
    measures = bench["measures"]
    with open(args.out, "w") as out:
        for table in bench["problem"]:
            p = problem_of(table)
            if p is None:
                print(f"skipped: problem {table.get('label', table.get('problem'))} (no Optuna twin)", file=sys.stderr)
                continue
            label = table.get("label", table.get("problem"))
            if args.problems and label not in args.problems.split(","):
                continue
            budget, cps = checkpoints_of(bench, table)
            ref = table.get("reference_point", p["ref"])
            front = true_front(p["kind"], p["which"], p["m"], front_points)
            for sampler_name in args.samplers.split(","):
                for seed in seeds:
                    sampler = {"tpe": lambda: optuna.samplers.TPESampler(seed=seed),
                               "nsga2": lambda: optuna.samplers.NSGAIISampler(seed=seed, population_size=args.population),
                               "random": lambda: optuna.samplers.RandomSampler(seed=seed)}[sampler_name]()
                    study = optuna.create_study(directions=["minimize"] * p["m"], sampler=sampler)
                    bounds = p["bounds"]
                    t0 = time.perf_counter()
                    study.optimize(lambda t: p["f"]([t.suggest_float(f"x{i}", lo, hi) for i, (lo, hi) in enumerate(bounds)]),
                                   n_trials=budget)
                    seconds = time.perf_counter() - t0
                    values = [list(t.values) for t in study.trials]
                    run = {"problem": label, "contender": "optuna-" + sampler_name, "seed": seed,
                           "directions": ["minimize"] * p["m"], "ok": True, "error": "", "evaluations": cps,
                           "values": {}, "trials": budget, "failed_trials": 0,
                           "sampler_us_per_trial": 1e6 * seconds / budget, "seconds": seconds}
                    if "hypervolume" in measures:
                        run["values"]["hypervolume"] = [hypervolume(values[:e], ref) for e in cps]
                    if "igd" in measures:
                        arr = np.array(values)
                        igd = []
                        for e in cps:
                            d = np.sqrt(((np.array(front)[:, None, :] - arr[None, :e, :]) ** 2).sum(-1)).min(1)
                            igd.append(float(d.mean()))
                        run["values"]["igd"] = igd
                    out.write(json.dumps(run) + "\n")
                    out.flush()
                    print(f"{label} optuna-{sampler_name} seed {seed}: {seconds:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
