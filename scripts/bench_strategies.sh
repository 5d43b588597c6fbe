#!/usr/bin/env bash
# Search strategies side by side with their peers, in one session on one machine:
#   nac   nac_bench_strategies (NSGA-II on ZDT1-4/6 and DTLZ2, TPE and random on the conditional
#         space) and nac_bench_strategy (sampler cost per trial as the history grows);
#   Optuna  scripts/peers/optuna_anchor.py SEED (Debian python3-optuna): default NSGA-II on
#         ZDT1, default TPE on the conditional space;
#   pagmo2  scripts/peers/pagmo_zdt1.cpp (Debian libpagmo-dev), built into a temporary folder:
#         nsga2, population 40 x 49 generations on ZDT1.
# Every figure is a median over the seeds 0 .. SEEDS-1. See docs/strategies.md.
#
#   scripts/bench_strategies.sh [--seeds N] [--peers DIR] [--no-build] [--no-peers] [--install]
#
# It builds the release preset first (--no-build skips that; NAC_BUILD_DIR picks another build
# folder). --peers DIR (or NAC_PEERS) takes the peer scripts from another folder (default:
# scripts/peers); --no-peers runs nac alone.
# --install lets the script apt-get the peers' Debian packages (python3-optuna, libpagmo-dev)
# when they are missing (root or sudo); without it a missing peer is skipped with a note.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
seeds=5
peers=${NAC_PEERS:-$(cd "$(dirname "$0")" && pwd)/peers}
build=1
run_peers=1
install=0
while (($#)); do
  case "$1" in
    --seeds) seeds=$2; shift 2 ;;
    --peers) peers=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    --no-peers) run_peers=0; shift ;;
    --install) install=1; shift ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench_strategies: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

bin=${NAC_BUILD_DIR:-$root/build/release}/bin
if ((build)); then
  (cd "$root" && cmake --preset release >/dev/null &&
     cmake --build --preset release --target nac_bench_strategies nac_bench_strategy nac_plugins >/dev/null)
fi
[ -x "$bin/nac_bench_strategies" ] || { echo "bench_strategies: $bin/nac_bench_strategies is missing (build first)" >&2; exit 1; }

work=$(mktemp -d /tmp/nac_bench_strategies.XXXXXX)
trap 'rm -rf "$work"' EXIT

have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
ensure_pkg() {  # ensure_pkg PACKAGE: 0 if installed (installing it with --install)
  have_pkg "$1" && return 0
  ((install)) || { echo "bench_strategies: $1 is not installed; skipping that peer (--install installs it)" >&2; return 1; }
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$1" >/dev/null
}

echo "== nac: quality (median over seeds 0..$((seeds - 1)))"
"$bin/nac_bench_strategies" --seeds "$seeds" 2>/dev/null | tee "$work/nac.txt"
echo
echo "== nac: sampler cost per trial as the history grows"
"$bin/nac_bench_strategy" --benchmark_min_time=0.3 2>/dev/null | grep -E "^(BM_|Benchmark)" | tee "$work/cost.txt"

if ((run_peers)); then
  if [ -f "$peers/optuna_anchor.py" ] && ensure_pkg python3-optuna; then
    echo
    echo "== Optuna (default NSGA-II on ZDT1, default TPE on the conditional space)"
    for ((s = 0; s < seeds; s++)); do /usr/bin/python3 "$peers/optuna_anchor.py" "$s" | sed "s/^/seed $s: /"; done | tee "$work/optuna.txt"
  else
    echo "bench_strategies: no Optuna peer ($peers/optuna_anchor.py)" >&2
  fi
  if [ -f "$peers/pagmo_zdt1.cpp" ] && ensure_pkg libpagmo-dev; then
    echo
    echo "== pagmo2 (nsga2, population 40 x 49 generations, on ZDT1)"
    g++ -O2 -std=c++17 "$peers/pagmo_zdt1.cpp" -o "$work/pagmo_zdt1" -lpagmo -lboost_serialization -ltbb
    for ((s = 0; s < seeds; s++)); do "$work/pagmo_zdt1" "$s" | sed "s/^/seed $s: /"; done | tee "$work/pagmo.txt"
  else
    echo "bench_strategies: no pagmo2 peer ($peers/pagmo_zdt1.cpp)" >&2
  fi
fi

echo
/usr/bin/python3 - "$work" <<'PY'
import re, statistics, sys, pathlib
w = pathlib.Path(sys.argv[1])
def read(name):
    p = w / name
    return p.read_text() if p.exists() else ""
rows = []
nac = {}
for line in read("nac.txt").splitlines():
    m = re.match(r"(\S.*?)\s{2,}(nsga2|tpe|random)\s+(\d+)\s+(HV|best)\s+([\d.]+)\s+\[.*?\]\s+([\d.]+) us", line)
    if m: nac[(m.group(1), m.group(2))] = (float(m.group(5)), float(m.group(6)))
opt = read("optuna.txt")
hv = [float(x) for x in re.findall(r"NSGA-II.*?HV\(ref 1.1,1.1\)=([\d.]+)", opt)]
nsga_ms = [float(x) for x in re.findall(r"NSGA-II.*?, ([\d.]+) ms/trial", opt)]
best = [float(x) for x in re.findall(r"TPE.*?best=([\d.]+)", opt)]
tpe_ms = [float(x) for x in re.findall(r"TPE.*?, ([\d.]+) ms/trial", opt)]
pag = read("pagmo.txt")
pag_hv = [float(x) for x in re.findall(r"HV\(ref 1.1,1.1\)=([\d.]+)", pag)]
pag_us = [float(x) for x in re.findall(r"([\d.]+) us/eval", pag)]
med = lambda v: f"{statistics.median(v):.4f}" if v else "-"
short = lambda v, unit: f"{statistics.median(v):.3g} {unit}" if v else "-"
def cost(key):
    return f"{nac[key][1]:.1f} us" if key in nac else "-"
print("== side by side (medians over the same seeds, this machine, this session)")
print(f"{'measure':44s} {'nac':>10s} {'Optuna':>10s} {'pagmo2':>10s}")
z = ("zdt1 (30 vars)", "nsga2")
print(f"{'NSGA-II ZDT1 n=30, 2000 evals: HV (1.1,1.1)':44s} {nac[z][0] if z in nac else float('nan'):10.4f} {med(hv):>10s} {med(pag_hv):>10s}")
c = ("conditional (3 slots)", "tpe")
print(f"{'TPE conditional space, 300 trials: best':44s} {nac[c][0] if c in nac else float('nan'):10.4f} {med(best):>10s} {'-':>10s}")
print(f"{'NSGA-II sampler time per trial':44s} {cost(z):>10s} {short(nsga_ms, 'ms'):>10s} {short(pag_us, 'us*'):>10s}")
print(f"{'TPE sampler time per trial (300 trials)':44s} {cost(c):>10s} {short(tpe_ms, 'ms'):>10s} {'-':>10s}")
print("HV: nac and Optuna over every evaluated point, pagmo2 over its final population (the ideal front: 0.8767).")
print("Optuna's times include its study bookkeeping; * pagmo2's includes the evaluation itself.")
PY
