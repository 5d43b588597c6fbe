#!/usr/bin/env bash
# Every test from a fresh clone: install packages, build Release and ASan+UBSan and run the
# doctest suites through ctest in both (Release also installs the build and builds the example
# plugins against the install, and checks the style), then the fuzz targets, which the ASan+UBSan
# build (clang) has built beside the tests, for 20 s each (scripts/fuzz.sh). The ThreadSanitizer build and its tests of parallel workers are
# scripts/test_threads.sh: a third full build that no longer fits CI's 30 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
for preset in release asan; do
  echo "== $preset: build (at $SECONDS s)"
  scripts/build.sh "$preset"
  echo "== $preset: test (at $SECONDS s)"
  ctest --preset "$preset"
done
echo "== fuzz: 20 s per target (at $SECONDS s)"
scripts/fuzz.sh 20
