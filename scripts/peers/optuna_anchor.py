#!/usr/bin/env python3
"""The Optuna peer of nac's strategy figures (scripts/bench_strategies.sh), one seed per call.

  /usr/bin/python3 scripts/peers/optuna_anchor.py SEED      (Debian python3-optuna, 3.1)

1. Optuna's NSGA-II with its defaults (population 50) on ZDT1 with 30 variables for 2000
   trials; the hypervolume of every trial's point at the reference (1.1, 1.1) (the true front's
   is 0.8767), as nac measures it.
2. Optuna's TPE with its defaults on the conditional space of nac's test_functions task
   (problem = "conditional", slots = 3; plugins/tasks/test_functions/conditional.cpp): per slot a
   block kind conv / attn / none, a channel count 4..64 (log) for conv and attn, a kernel 1, 3, 5
   for conv (one channel parameter for both kinds, as in nac), and a learning rate 1e-5..1e-1 (log); 300 trials; the best value found.

Each prints the wall time per trial of the study (the sampler and Optuna's bookkeeping; the
functions themselves take microseconds).
"""
import math
import sys
import time

import optuna


def zdt1(x):
    f1 = x[0]
    g = 1 + 9 * sum(x[1:]) / (len(x) - 1)
    return f1, g * (1 - math.sqrt(f1 / g))


def hypervolume_2d(points, ref):
    """Area dominated by the points (minimised) within the reference box."""
    inside = sorted(p for p in points if p[0] < ref[0] and p[1] < ref[1])
    area, best_f2 = 0.0, ref[1]
    for f1, f2 in inside:  # by f1 ascending: each point adds the strip below the best f2 so far
        if f2 < best_f2:
            area += (ref[0] - f1) * (best_f2 - f2)
            best_f2 = f2
    return area


def conditional(trial, slots=3):
    total = 0.0
    for i in range(slots):
        b = f"b{i}"
        kind = trial.suggest_categorical(b, ["conv", "attn", "none"])
        if kind == "conv":
            ch = trial.suggest_int(b + "_ch", 4, 64, log=True)
            k = trial.suggest_categorical(b + "_k", [1, 3, 5])
            total += (math.log2(ch) - 3.3) ** 2 + 0.3 * (k - 3) ** 2
        elif kind == "attn":
            ch = trial.suggest_int(b + "_ch", 4, 64, log=True)
            total += (math.log2(ch) - 4) ** 2 + 0.5
        else:
            total += 1.0
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    return total + (math.log10(lr) + 3) ** 2


def main():
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    n, trials = 30, 2000
    study = optuna.create_study(directions=["minimize", "minimize"], sampler=optuna.samplers.NSGAIISampler(seed=seed))
    start = time.perf_counter()
    study.optimize(lambda t: zdt1([t.suggest_float(f"x{i}", 0.0, 1.0) for i in range(n)]), n_trials=trials)
    ms = (time.perf_counter() - start) / trials * 1e3
    hv = hypervolume_2d([t.values for t in study.trials if t.values], (1.1, 1.1))
    print(f"NSGA-II ZDT1 n={n}, {trials} trials: HV(ref 1.1,1.1)={hv:.4f}, {ms:.3f} ms/trial")

    trials = 300
    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=seed))
    start = time.perf_counter()
    study.optimize(conditional, n_trials=trials)
    ms = (time.perf_counter() - start) / trials * 1e3
    print(f"TPE conditional 3 slots, {trials} trials: best={study.best_value:.4f}, {ms:.3f} ms/trial")


if __name__ == "__main__":
    main()
