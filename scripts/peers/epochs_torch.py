#!/usr/bin/python3
"""PyTorch peer of nac_bench_epochs: whole training epochs of the same fixed candidates.

Builds each model from nac's own model description (JSON, e.g. bench/models/*.json and
experiments/models/braggnn.json) as PyTorch modules with nac's semantics, and trains it as
nac_bench_epochs does: epochs of 10,000 synthetic 11x11 patches at batch 256, RMSprop 1.5e-3,
MSE, then a no-grad pass over 256 validation patches. Prints training samples per second and
GFLOP/s (6 FLOPs per MAC per sample) per model, the best of several timed epochs.

Uses Debian's python3-torch; not run by CI. Run it with the OpenBLAS core-type settings removed
(they slow Debian's OpenBLAS, and so PyTorch, on these machines) and with tcmalloc preloaded
(glibc's malloc returns PyTorch's freed tensors to the kernel and faults them back in page by
page: up to 2x slower training on virtual machines; scripts/peers/README.md), and try 1 and 2 threads:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 \\
        OMP_NUM_THREADS=1 \\
        /usr/bin/python3 scripts/peers/epochs_torch.py --threads 1 MODEL.json...

With --bits B (2..16) it trains with uniform quantization-aware training as BM_BraggnnQatStep sets
it (and Brevitas' defaults): symmetric per-tensor fake quantization of every convolution and
linear weight and input, the scale from the largest magnitude, straight-through gradients; with
--sparsity F, global L1 magnitude masks on those weights (torch.nn.utils.prune). The nac side is
nac_bench_nn's BM_BraggnnQatStep (batch 256, 8 bits, 0 or 80% sparsity).

Usage: epochs_torch.py [--threads N] [--seconds S] [--epoch-samples N] [--bits B] [--sparsity F] MODEL.json...
"""
import argparse
import json
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.utils.prune as prune


class Attention(nn.Module):
    """nac's `attention` op (BraggNN's non-local block): softmax(s theta phi^T) g, a 1x1 conv out, + x."""

    def __init__(self, c, hidden, scale, residual):
        super().__init__()
        self.theta, self.phi, self.g = nn.Conv2d(c, hidden, 1), nn.Conv2d(c, hidden, 1), nn.Conv2d(c, hidden, 1)
        self.out = nn.Conv2d(hidden, c, 1)
        self.s = 1 / math.sqrt(hidden) if scale else 1.0
        self.residual = residual

    def forward(self, x):
        b, c, h, w = x.shape
        t = self.theta(x).flatten(2).transpose(1, 2)  # (b, n, hidden)
        p = self.phi(x).flatten(2)  # (b, hidden, n)
        g = self.g(x).flatten(2).transpose(1, 2)
        y = torch.softmax(self.s * (t @ p), -1) @ g  # (b, n, hidden)
        z = self.out(y.transpose(1, 2).reshape(b, -1, h, w))
        return z + x if self.residual else z


def build(spec):
    """A torch.nn.Sequential for a nac model description; returns it and the MACs per sample."""
    shape = list(spec["input"])
    layers, macs = [], 0
    for l in spec["layers"]:
        op, a = l["op"], l.get("attrs", {})
        if op == "conv2d":
            k, st, pad, gr = a["kernel"], a.get("stride", 1), a.get("padding", 0), a.get("groups", 1)
            c, h, w = shape
            o = a["out_channels"]
            layers.append(nn.Conv2d(c, o, k, st, pad, groups=gr, bias=bool(a.get("bias", 1))))
            h, w = (h + 2 * pad - k) // st + 1, (w + 2 * pad - k) // st + 1
            macs += o * h * w * (c // gr) * k * k
            shape = [o, h, w]
        elif op == "linear":
            o = a["out_features"]
            layers.append(nn.Linear(shape[0], o, bias=bool(a.get("bias", 1))))
            macs += shape[0] * o
            shape = [o]
        elif op == "flatten":
            layers.append(nn.Flatten())
            shape = [math.prod(shape)]
        elif op == "relu":
            layers.append(nn.ReLU())
        elif op == "leaky_relu":
            layers.append(nn.LeakyReLU(a.get("slope", 0.01)))
        elif op == "gelu":
            layers.append(nn.GELU())
        elif op == "tanh":
            layers.append(nn.Tanh())
        elif op == "sigmoid":
            layers.append(nn.Sigmoid())
        elif op == "identity":
            layers.append(nn.Identity())
        elif op == "batchnorm":
            bn = nn.BatchNorm2d if len(shape) == 3 else nn.BatchNorm1d
            layers.append(bn(shape[0], eps=a.get("eps", 1e-5), momentum=a.get("momentum", 0.1)))
        elif op == "layernorm":
            layers.append(nn.LayerNorm(shape, eps=a.get("eps", 1e-5)))
        elif op == "attention":
            c, h, w = shape
            hd, n = a["hidden"], h * w
            layers.append(Attention(c, hd, a.get("scale", 0), a.get("residual", 1)))
            macs += 3 * n * c * hd + 2 * n * n * hd + n * hd * c
        else:
            sys.exit(f"epochs_torch.py: layer '{l.get('name')}': op '{op}' is not supported here")
    return nn.Sequential(*layers), macs


class FakeQuantize(nn.Module):
    """Symmetric per-tensor fake quantization to `bits`, the scale from the largest magnitude."""

    def __init__(self, bits):
        super().__init__()
        self.q = 2 ** (bits - 1) - 1

    def forward(self, t):
        s = float((t.detach().abs().max() / self.q).clamp(min=1e-12))
        return torch.fake_quantize_per_tensor_affine(t, s, 0, -self.q, self.q)


def compress(model, bits, sparsity):
    """QAT of every conv/linear weight and input at `bits` (32: none), global L1 masks at `sparsity`."""
    weighted = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    if sparsity > 0:
        prune.global_unstructured([(m, "weight") for m in weighted], pruning_method=prune.L1Unstructured,
                                  amount=sparsity)
    if bits < 32:
        for m in weighted:  # (after prune's own pre-hook has set m.weight from its mask)
            m.forward = quantized_forward(m, FakeQuantize(bits))


def quantized_forward(m, fq):
    def forward(x):
        w = fq(m.weight)
        if isinstance(m, nn.Conv2d):
            return m._conv_forward(fq(x), w, m.bias)
        return nn.functional.linear(fq(x), w, m.bias)

    return forward


def patches(n, seed):
    """Pseudo-Voigt peaks on 11x11 patches with noise, normalised; labels are centres / 11."""
    g = torch.Generator().manual_seed(seed)
    c = 3 + 5 * torch.rand(n, 2, generator=g)
    wid = 0.8 + 1.2 * torch.rand(n, 1, 1, generator=g)
    eta = torch.rand(n, 1, 1, generator=g)
    ax = torch.arange(11.0)
    r2 = ((ax.view(1, 1, 11) - c[:, 0].view(n, 1, 1)) ** 2 + (ax.view(1, 11, 1) - c[:, 1].view(n, 1, 1)) ** 2) / wid**2
    img = eta / (1 + r2) + (1 - eta) * torch.exp(-math.log(2) * r2) + 0.02 * torch.randn(n, 11, 11, generator=g)
    img = img / img.amax(dim=(1, 2), keepdim=True)
    return img.view(n, 1, 11, 11).float(), (c / 11).float()


def epoch(model, opt, lossf, x, y, xv):
    model.train()
    perm = torch.randperm(len(x))
    for i in range(0, len(x), 256):
        j = perm[i : i + 256]
        opt.zero_grad()
        lossf(model(x[j]), y[j]).backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        model(xv)


def warn_allocator():
    if "malloc" not in os.environ.get("LD_PRELOAD", ""):
        print("note: PyTorch runs here with glibc's malloc; preload tcmalloc for PyTorch at its best "
              "(LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4; scripts/peers/README.md)", file=sys.stderr)


def main():
    warn_allocator()
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("models", nargs="+")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=10, help="timed epochs per model for at least this long")
    ap.add_argument("--epoch-samples", type=int, default=10000)
    ap.add_argument("--bits", type=int, default=32, help="quantization-aware training at B bits (32: none)")
    ap.add_argument("--sparsity", type=float, default=0.0, help="global L1 pruning masks (0: none)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x, y = patches(args.epoch_samples, 0)
    xv, _ = patches(256, 1)
    print(f"torch {torch.__version__}, {args.threads} thread(s), epochs of {args.epoch_samples} samples at batch 256"
          + (f", QAT at {args.bits} bits" if args.bits < 32 else "")
          + (f", {args.sparsity:.0%} sparsity" if args.sparsity > 0 else ""))
    for path in args.models:
        with open(path) as f:
            model, macs = build(json.load(f))
        compress(model, args.bits, args.sparsity)
        opt = torch.optim.RMSprop(model.parameters(), 1.5e-3)
        lossf = nn.MSELoss()
        epoch(model, opt, lossf, x, y, xv)  # warm-up
        best, t_end = float("inf"), time.perf_counter() + args.seconds
        while True:
            t0 = time.perf_counter()
            epoch(model, opt, lossf, x, y, xv)
            best = min(best, time.perf_counter() - t0)
            if time.perf_counter() > t_end:
                break
        sps = args.epoch_samples / best
        print(f"{os.path.basename(path):28s} MACs {macs:9d}  {sps:9.0f} samples/s  {6 * macs * sps / 1e9:6.2f} GFLOP/s  (epoch {best * 1e3:.0f} ms)")


if __name__ == "__main__":
    main()
