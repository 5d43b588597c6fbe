#!/usr/bin/python3
"""Cross-check nac's nn engine against PyTorch on BraggNN (docs/torch_crosscheck.md).

Builds BraggNN in PyTorch from nac's own description experiments/models/braggnn.json (the builder
of scripts/peers/epochs_torch.py, with nac's semantics and PyTorch's default initialisation) with
a fixed seed, writes its weights into a nac model file (.nacm) under nac's parameter names, writes a batch of synthetic patches and their centres as
.npy, runs build/release/bin/nac_torch_crosscheck (one training-mode forward, MSE loss, backward)
and compares with the same step in PyTorch (float32): the output, the loss, d(loss)/d(input) and
every parameter gradient. A float64 PyTorch run is also made, to show how far float32 PyTorch
itself is from exact arithmetic (the noise floor the comparison has to live with).

Usage: /usr/bin/python3 scripts/torch_crosscheck.py [--batch 64] [--seed 0] [--data-seed 1]
           [--threads 1] [--tol 1e-4] [--loss-tol 1e-5] [--bin PATH] [--spec PATH]
           [--attn-scale 1] [--keep DIR] [--perturb PARAM [--perturb-by 1e-3]]
Exit code 0 when everything is within tolerance, 1 on a mismatch, 2 when a step failed.
"""
import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts", "peers"))
from epochs_torch import Attention, build, patches  # noqa: E402


class NacModel(torch.nn.Module):
    """A nac model description as PyTorch modules (epochs_torch.build), with a map from PyTorch's
    parameter names ("seq.3.weight") to nac's ("c2.weight", "nlb.theta.bias", "fc.8.weight")."""

    def __init__(self, spec):
        super().__init__()
        self.seq, _ = build(spec)
        self.nac_names = {}
        for layer, (index, module) in zip(spec["layers"], self.seq.named_children()):
            for name in module.state_dict():
                self.nac_names[f"seq.{index}.{name}"] = f"{layer['name']}.{name}"

    def forward(self, x):
        return self.seq(x)

    def nac_state(self):
        return {self.nac_names[k]: v for k, v in self.state_dict().items()}

    def load_nac_state(self, state):
        torch_names = {v: k for k, v in self.nac_names.items()}
        self.load_state_dict({torch_names[k]: v for k, v in state.items()})


def write_nacm(path, spec, state):
    """Writes a NACMODEL v1 file (core/include/nac/nn/model_io.hpp) holding `state` (name -> tensor)."""
    tensors, blobs, offset = [], [], 0
    for name, t in state.items():
        a = np.ascontiguousarray(t.detach().cpu().numpy(), dtype="<f4")
        tensors.append({"name": name, "kind": "param", "shape": list(a.shape), "offset": offset})
        blobs.append(a.tobytes())
        offset += a.nbytes
    header = json.dumps({"spec": spec, "tensors": tensors, "dtype": "float32-le"}).encode()
    with open(path, "wb") as f:
        f.write(b"NACMODEL")
        f.write(struct.pack("<I", 1))
        f.write(struct.pack("<Q", len(header)))
        f.write(header)
        for b in blobs:
            f.write(b)


def torch_step(model, x, t, dtype):
    """One training-mode forward, MSE loss and backward; returns (output, loss, d_input, {name: grad})."""
    m = model.to(dtype)
    m.train()
    m.zero_grad(set_to_none=True)
    xi = x.to(dtype).clone().requires_grad_(True)
    y = m(xi)
    loss = torch.nn.MSELoss()(y, t.to(dtype))
    loss.backward()
    grads = {m.nac_names[n]: p.grad.detach().clone() for n, p in m.named_parameters()}
    return y.detach().clone(), loss.item(), xi.grad.detach().clone(), grads


def compare(nac, ref, ref64, scale=None):
    """Max abs diff, max elementwise rel diff, max abs diff / scale (default max|ref|), and the
    distances of nac and torch float32 to float64 on the same scale."""
    nac = np.asarray(nac, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    ref64 = np.asarray(ref64, dtype=np.float64)
    d = np.abs(nac - ref)
    if scale is None:
        scale = float(np.max(np.abs(ref))) if ref.size else 0.0
    max_abs = float(np.max(d)) if d.size else 0.0
    denom = np.abs(ref)
    nz = denom > 0
    max_rel_elem = float(np.max(d[nz] / denom[nz])) if nz.any() else 0.0
    rel_max = max_abs / scale if scale > 0 else (0.0 if max_abs == 0 else float("inf"))
    t_vs_64 = float(np.max(np.abs(ref - ref64))) if ref.size else 0.0
    t_vs_64_rel = t_vs_64 / scale if scale > 0 else 0.0
    n_vs_64 = float(np.max(np.abs(nac - ref64))) if ref.size else 0.0
    n_vs_64_rel = n_vs_64 / scale if scale > 0 else 0.0
    return dict(scale=scale, max_abs=max_abs, max_rel_elem=max_rel_elem, rel_max=rel_max,
                t64=t_vs_64_rel, n64=n_vs_64_rel)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0, help="torch.manual_seed for the weights")
    ap.add_argument("--data-seed", type=int, default=1, help="seed of patches()")
    ap.add_argument("--threads", type=int, default=1, help="threads for both torch and nac")
    ap.add_argument("--tol", type=float, default=1e-4,
                    help="output: absolute; gradients: relative to the tensor's max |value|")
    ap.add_argument("--loss-tol", type=float, default=1e-5, help="relative tolerance on the loss")
    ap.add_argument("--bin", default=os.path.join(ROOT, "build/release/bin/nac_torch_crosscheck"))
    ap.add_argument("--spec", default=os.path.join(ROOT, "experiments/models/braggnn.json"))
    ap.add_argument("--keep", help="write the files here and keep them (default: a temporary folder)")
    ap.add_argument("--attn-scale", type=float, default=1.0, metavar="S",
                    help="multiply nlb.theta and nlb.phi (weights and biases) by S in both models, which "
                         "scales the attention logits by about S^2: at the default initialisation the "
                         "attention is almost uniform (logits' spread ~0.05), S=8 makes it peaked (~3)")
    ap.add_argument("--perturb", metavar="PARAM",
                    help="self-test of this harness: multiply PARAM by 1 + DELTA (--perturb-by) in the nac "
                         "model only (torch keeps the original); the check should then FAIL")
    ap.add_argument("--perturb-by", type=float, default=1e-3, metavar="DELTA")
    args = ap.parse_args()

    if not os.access(args.bin, os.X_OK):
        print(f"FAIL: {args.bin} not found; build it with "
              f"cmake --build --preset release --target nac_torch_crosscheck")
        return 2
    with open(args.spec) as f:
        spec = json.load(f)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    model = NacModel(spec).float()
    if args.attn_scale != 1.0:
        with torch.no_grad():
            for block in (m for m in model.seq if isinstance(m, Attention)):
                for conv in (block.theta, block.phi):
                    conv.weight.mul_(args.attn_scale)
                    conv.bias.mul_(args.attn_scale)
    x, t = patches(args.batch, args.data_seed)
    x, t = x.float().contiguous(), t.float().contiguous()

    state = model.nac_state()
    nac_state = dict(state)
    if args.perturb:
        if args.perturb not in state:
            print(f"--perturb: no parameter '{args.perturb}'; there are {', '.join(state)}")
            return 2
        w = state[args.perturb].clone()
        w.mul_(1.0 + args.perturb_by)
        nac_state[args.perturb] = w
        print(f"self-test: {args.perturb} *= 1 + {args.perturb_by:g} in the nac model only; expect FAIL")

    work = args.keep or tempfile.mkdtemp(prefix="nac_torch_crosscheck_")
    os.makedirs(work, exist_ok=True)
    out_dir = os.path.join(work, "nac_out")
    shutil.rmtree(out_dir, ignore_errors=True)  # no stale gradients from an earlier --keep run
    try:
        nacm = os.path.join(work, "braggnn.nacm")
        write_nacm(nacm, spec, nac_state)
        np.save(os.path.join(work, "input.npy"), x.numpy().astype("<f4"))
        np.save(os.path.join(work, "target.npy"), t.numpy().astype("<f4"))

        # PyTorch float32 (the reference) and float64 (the exact-arithmetic yardstick), same weights.
        y32, loss32, dx32, g32 = torch_step(model, x, t, torch.float32)
        m64 = NacModel(spec)
        m64.load_nac_state(state)
        y64, loss64, dx64, g64 = torch_step(m64, x, t, torch.float64)

        cmd = [args.bin, nacm, os.path.join(work, "input.npy"), os.path.join(work, "target.npy"), out_dir,
               "--threads", str(args.threads)]
        print("$ " + " ".join(cmd))
        r = subprocess.run(cmd, capture_output=True, text=True)
        sys.stdout.write(r.stdout)
        sys.stderr.write(r.stderr)
        if r.returncode != 0:
            print(f"FAIL: nac_torch_crosscheck exited with code {r.returncode}")
            return 2
        loss_nac = None
        for line in r.stdout.splitlines():
            if line.startswith("loss "):
                loss_nac = float(line.split()[1])
        if loss_nac is None:
            print("FAIL: nac_torch_crosscheck printed no loss")
            return 2

        rows, ok = [], True
        expected = {"grad_" + n + ".npy" for n in g32} | {"output.npy", "grad_input.npy"}
        found = set(os.listdir(out_dir))
        if found != expected:
            print(f"FAIL: parameter sets differ: only nac {sorted(found - expected)}, "
                  f"only torch {sorted(expected - found)}")
            ok = False

        # A gradient that is exactly zero in exact arithmetic (float64 PyTorch: below 1e-9 of the
        # largest gradient of the same layer) is pure rounding noise in both frameworks, so its
        # own max|value| is no scale. BraggNN has one: nlb.phi.bias, since theta^T (phi + b) adds
        # theta_i . b to every entry of row i of the attention logits and the row softmax ignores
        # that. Such a tensor is judged against the largest gradient of its layer instead.
        def layer_of(n):
            return n.rsplit(".", 1)[0]

        layer_scale, layer_scale64 = {}, {}
        for n in g32:
            layer_scale[layer_of(n)] = max(layer_scale.get(layer_of(n), 0.0), float(g32[n].abs().max()))
            layer_scale64[layer_of(n)] = max(layer_scale64.get(layer_of(n), 0.0), float(g64[n].abs().max()))
        exact_zero = [n for n in g32 if float(g64[n].abs().max()) <= 1e-9 * layer_scale64[layer_of(n)]]

        def row(name, nac_arr, ref, ref64, absolute, scale=None, note=""):
            nonlocal ok
            c = compare(nac_arr, ref.numpy(), ref64.numpy(), scale)
            passed = (c["max_abs"] <= args.tol) if absolute else (c["rel_max"] <= args.tol)
            ok &= passed
            rows.append((name, "x".join(map(str, ref.shape)), c, ("ok" if passed else "FAIL") + note))

        row("output", np.load(os.path.join(out_dir, "output.npy")), y32, y64, absolute=True)
        row("d input", np.load(os.path.join(out_dir, "grad_input.npy")), dx32, dx64, absolute=False)
        for n in g32:
            f = os.path.join(out_dir, f"grad_{n}.npy")
            if not os.path.exists(f):
                continue
            if n in exact_zero:
                row(n, np.load(f), g32[n], g64[n], absolute=False, scale=layer_scale[layer_of(n)], note=" (*)")
            else:
                row(n, np.load(f), g32[n], g64[n], absolute=False)

        print()
        print(f"BraggNN, batch {args.batch}, weights seed {args.seed}, data seed {args.data_seed}, "
              f"attention scale {args.attn_scale:g}, threads {args.threads}, torch {torch.__version__}")
        hdr = (f"{'tensor':<18}{'shape':>12}{'max|torch|':>12}{'max abs diff':>14}{'max rel/elem':>14}"
               f"{'abs/max|ref|':>14}{'nac vs f64':>12}{'torch vs f64':>14}  result")
        print(hdr)
        print("-" * len(hdr))
        for name, shape, c, res in rows:
            print(f"{name:<18}{shape:>12}{c['scale']:>12.4g}{c['max_abs']:>14.3e}{c['max_rel_elem']:>14.3e}"
                  f"{c['rel_max']:>14.3e}{c['n64']:>12.3e}{c['t64']:>14.3e}  {res}")
        loss_rel = abs(loss_nac - loss32) / abs(loss32) if loss32 else abs(loss_nac)
        loss_ok = loss_rel <= args.loss_tol
        ok &= loss_ok
        print("-" * len(hdr))
        print(f"loss: nac {loss_nac:.9g}, torch f32 {loss32:.9g}, torch f64 {loss64:.9g}; "
              f"rel diff nac-torch {loss_rel:.3e} (tol {args.loss_tol:g})  {'ok' if loss_ok else 'FAIL'}")
        print(f"criteria: output max abs diff <= {args.tol:g}; every gradient (and d input) "
              f"max abs diff <= {args.tol:g} * max|torch grad|.")
        print("'nac vs f64' / 'torch vs f64': max abs diff to a float64 PyTorch run, divided by max|torch f32|.")
        for n in exact_zero:
            g64max = float(g64[n].abs().max())
            print(f"(*) {n}: the exact gradient is 0 (float64 max|grad| {g64max:.1e}); both frameworks return "
                  f"rounding noise, so 'max|torch|' and the ratios use the largest gradient of layer "
                  f"'{layer_of(n)}' ({layer_scale[layer_of(n)]:.4g}) as the scale.")
        print()
        print("PASS" if ok else "FAIL")
        return 0 if ok else 1
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
