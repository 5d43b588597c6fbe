#!/usr/bin/env bash
# The main job from a fresh clone: install packages, build, run the quickstart experiment.
# Results go to results/quickstart/<date-time>/, so a second run never touches the first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release
out="results/quickstart/$(date +%Y%m%d-%H%M%S)"
build/release/bin/nac run experiments/quickstart.toml --out "$out"
