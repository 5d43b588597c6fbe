#!/usr/bin/env bash
# The ThreadSanitizer build of the test suite and its tests of parallel workers (the tsan preset;
# OMP_NUM_THREADS=1 and tests/tsan.supp for Debian's uninstrumented oneDNN and libgomp). Not in
# CI (scripts/test.sh): run it after changing the runner, the workers or the engine's threads.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh tsan
ctest --preset tsan
