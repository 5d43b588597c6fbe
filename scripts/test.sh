#!/usr/bin/env bash
# Every test from a fresh clone: install packages, build Release and ASan+UBSan, run the doctest
# suites through ctest in both.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
for preset in release asan; do
  echo "== $preset: build"
  scripts/build.sh "$preset"
  echo "== $preset: test"
  ctest --preset "$preset"
done
