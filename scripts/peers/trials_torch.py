#!/usr/bin/python3
"""PyTorch peer of a nac search's trials: the same candidates, trained with the same recipe.

Reads a finished `nac run` folder (trials.jsonl and models/trial_N.nacm), builds every completed
trial's model in PyTorch from its own description (scripts/peers/epochs_torch.py's builder, with
nac's semantics), and trains it as the main job's recipe says (experiments/bragg_speed.toml):
RMSprop 1.5e-3 with a cosine schedule over the epochs, MSE, batch 256, 5 epochs of 10,000
synthetic 11x11 patches, one no-grad score on 5,000 after the last epoch. Each trial is timed from
building the model to its score, as nac times a trial. Prints, per trial, the MACs and both
tools' seconds, then the totals: trials per hour per core of each, and their ratio, at the same
candidates (so the same mean MACs).

The search that chose the candidates costs nothing here (nac's NSGA-II and Optuna's take
milliseconds per trial). Uses Debian's python3-torch; not run by CI. Run it with the OpenBLAS
core-type settings removed (they slow Debian's OpenBLAS, and so PyTorch, on these machines) and with tcmalloc preloaded
(glibc's malloc returns PyTorch's freed tensors to the kernel and faults them back in page by
page: up to 2x slower training on virtual machines; scripts/peers/README.md) on
one thread (a search trains one candidate per core), on a quiet machine:

    build/release/bin/nac run experiments/bragg_speed.toml --out results/bragg_speed
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 \\
        OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \\
        /usr/bin/python3 scripts/peers/trials_torch.py results/bragg_speed

nac's per-trial seconds come from its run (2 workers x 1 thread on 2 cores); its trials per hour
per core are counted from the trials' own seconds and, with the workers' idle time, from the
run's wall time (summary.json).

The recipe's sizes (epochs, batch, training and validation samples) default to the run's own
experiment.toml.

Usage: trials_torch.py RUN_DIR [--threads N] [--epochs E] [--batch B] [--train N] [--validation N]
                       [--limit N] [--only ID,ID,...] [--macs-only]
"""
import argparse
import json
import os
import struct
import sys
import time
import tomllib

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from epochs_torch import build, patches, warn_allocator  # noqa: E402


def model_spec(path):
    """The model description inside a .nacm file: magic, u32 version, u64 header length, JSON."""
    if not os.path.isfile(path):
        sys.exit(f"trials_torch.py: {path}: missing (the run kept no model of this trial)")
    with open(path, "rb") as f:
        head = f.read(20)
        if len(head) < 20 or head[:8] != b"NACMODEL":
            sys.exit(f"trials_torch.py: {path}: not a nac model file")
        (length,) = struct.unpack("<Q", head[12:20])
        return json.loads(f.read(length))["spec"]


def trial_spec(run, trial):
    """The model description of a trial of a run folder (its models/trial_N.nacm)."""
    return model_spec(os.path.join(run, "models", f"trial_{trial['trial']}.nacm"))


def trial_ids(text):
    """--only's list of trial numbers."""
    try:
        return {int(i) for i in text.split(",")}
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a list of trial numbers such as 3,7,12")


def train_trial(spec, x, y, xv, yv, epochs, batch):
    torch.manual_seed(0)
    model, macs = build(spec)
    opt = torch.optim.RMSprop(model.parameters(), 1.5e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    lossf = nn.MSELoss()
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(len(x))
        for i in range(0, len(x), batch):
            j = perm[i : i + batch]
            opt.zero_grad()
            lossf(model(x[j]), y[j]).backward()
            opt.step()
        sched.step()
    model.eval()
    with torch.no_grad():
        err = ((model(xv) - yv) * 11).norm(dim=1).mean().item()
    return macs, err


def main():
    warn_allocator()
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run", help="a finished nac run folder")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--epochs", type=int, help="default: the run's [training] epochs")
    ap.add_argument("--train", type=int, help="default: the run's [task] train_samples")
    ap.add_argument("--validation", type=int, help="default: the run's [task] validation_samples")
    ap.add_argument("--batch", type=int, help="default: the run's [training] batch")
    ap.add_argument("--limit", type=int, default=0, help="the first N trials only (0: all)")
    ap.add_argument("--only", type=trial_ids, help="these trials only, e.g. 3,7,12 (to time some again)")
    ap.add_argument("--macs-only", action="store_true",
                    help="print each trial's MACs (counted as morph_torch_nas.py counts them) and nac's trials per "
                         "hour per core, without training (to compare a run with the Optuna peer's at its mean MACs)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    for name in ("experiment.toml", "trials.jsonl"):
        if not os.path.isfile(os.path.join(args.run, name)):
            sys.exit(f"trials_torch.py: {args.run}: no {name}; give the folder of a finished nac run")
    with open(os.path.join(args.run, "experiment.toml"), "rb") as f:
        exp = tomllib.load(f)
    recipe = {"epochs": exp.get("training", {}).get("epochs", 5), "batch": exp.get("training", {}).get("batch", 256),
              "train": exp.get("task", {}).get("train_samples", 10000),
              "validation": exp.get("task", {}).get("validation_samples", 5000)}
    for key, value in recipe.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
        elif getattr(args, key) != value:
            print(f"note: --{key} {getattr(args, key)} differs from the run's {value}: the ratios compare other work")
    with open(os.path.join(args.run, "trials.jsonl")) as f:
        trials = [json.loads(line) for line in f if line.strip()]
    trials = [t for t in trials if t.get("status") == "complete"]
    if args.only:
        trials = [t for t in trials if t["trial"] in args.only]
    if args.limit:
        trials = trials[: args.limit]
    if not trials:
        sys.exit(f"trials_torch.py: {args.run}: no completed trial")
    if args.macs_only:
        macs = [build(trial_spec(args.run, t))[1] for t in trials]
        for t, m in zip(trials, macs):
            print(f"{t['trial']:>6} {m:>9} {t['seconds']:>7.2f}")
        n, sum_nac = len(trials), sum(t["seconds"] for t in trials)
        print(f"mean MACs {sum(macs) / n:.0f}, median {sorted(macs)[n // 2]}")
        print(f"nac: {sum_nac:.1f} s of trial time, {3600 * n / sum_nac:.0f} trials/hour per core")
        return
    x, y = patches(args.train, 0)
    xv, yv = patches(args.validation, 1)
    print(f"torch {torch.__version__}, {args.threads} thread(s); {len(trials)} trials of {args.run}: "
          f"{args.epochs} epochs of {args.train} patches at batch {args.batch}, scored on {args.validation}")
    print(f"{'trial':>6} {'MACs':>9} {'torch s':>8} {'nac s':>7} {'ratio':>6}")
    sum_torch = sum_nac = sum_macs = 0.0
    for t in trials:
        spec = trial_spec(args.run, t)
        t0 = time.perf_counter()
        macs, _ = train_trial(spec, x, y, xv, yv, args.epochs, args.batch)
        seconds = time.perf_counter() - t0
        sum_torch += seconds
        sum_nac += t["seconds"]
        sum_macs += macs
        print(f"{t['trial']:>6} {macs:>9} {seconds:>8.2f} {t['seconds']:>7.2f} {seconds / t['seconds']:>6.2f}",
              flush=True)
    n = len(trials)
    torch_rate = 3600 * n / sum_torch
    nac_rate = 3600 * n / sum_nac
    print(f"mean MACs {sum_macs / n:.0f}")
    print(f"PyTorch: {sum_torch:.1f} s for {n} trials, {torch_rate:.0f} trials/hour per core")
    print(f"nac:     {sum_nac:.1f} s of trial time, {nac_rate:.0f} trials/hour per core "
          f"({nac_rate / torch_rate:.2f}x PyTorch)")
    summary = os.path.join(args.run, "summary.json")
    if os.path.exists(summary) and args.limit == 0 and not args.only:
        with open(summary) as f:
            s = json.load(f)
        wall_rate = 3600 * s["trials"] / (s["seconds"] * s["workers"])
        print(f"nac, counting its run's wall time on {s['workers']} workers (busy {s['worker_busy']:.1%}): "
              f"{wall_rate:.0f} trials/hour per core ({wall_rate / torch_rate:.2f}x PyTorch)")


if __name__ == "__main__":
    main()
