#!/usr/bin/env bash
# Fuzzes nac's readers with libFuzzer (the asan preset's build: clang, ASan+UBSan): the experiment file (TOML, settings of
# every plugin), the array files (.npy, .npz, HDF5), the model files (.nacm and JSON), and the
# run folder that --resume reads (state.json, trials.jsonl, journal.jsonl).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]      default: 30 s for each of the four targets
#
# First every saved finding in tests/fuzz/regressions/TARGET/ is run once (each was a crash,
# fixed since: they must stay fixed). The seed corpora are made from the repository's
# experiments, test fixtures and a small run of the release build; what the fuzzer adds is kept
# in build/fuzz/corpus/TARGET/ between runs. A crash, leak, hang (10 s) or sanitizer report
# stops the target, leaves the input in build/fuzz/findings/TARGET/ and fails the script.
# CI runs 20 s each; a long local campaign: scripts/fuzz.sh 3600. The fuzzers' random seed is
# NAC_FUZZ_SEED (default 1, so CI tries the same inputs on every run; 0: a new seed each run,
# what a long campaign wants: NAC_FUZZ_SEED=0 NAC_FUZZ_JOBS=2 scripts/fuzz.sh 3600).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
shift || true
targets=("$@")
((${#targets[@]})) || targets=(fuzz_experiment fuzz_arrays fuzz_model fuzz_resume)

scripts/install-deps.sh
scripts/build.sh release >/dev/null  # its nac makes the seeds
cmake --preset asan >/dev/null      # the fuzz targets are part of the sanitizer build
cmake --build --preset fuzz
nac=build/release/bin/nac
bin=build/asan/bin
root=build/fuzz  # seeds, corpora and findings
seeds="$root/seeds"

# Seeds, made afresh each time (cheap).
rm -rf "$seeds"
mkdir -p "$seeds"/{fuzz_experiment,fuzz_arrays,fuzz_model,fuzz_resume}
cp experiments/*.toml "$seeds/fuzz_experiment/"
for f in examples/plugins/*/*.toml; do cp "$f" "$seeds/fuzz_experiment/$(basename "$(dirname "$f")")_$(basename "$f")"; done
cp tests/fixtures/data/*.np? "$seeds/fuzz_arrays/"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$nac" data generate bragg -n 6 --seed 1 -o "$work/patches.h5" --threads 1 >/dev/null
"$nac" data generate bragg -n 6 --seed 1 -o "$work/patches.npz" --threads 1 >/dev/null
cp "$work/patches.h5" "$work/patches.npz" "$seeds/fuzz_arrays/"
# A model: the first byte chooses the reader (odd: .nacm, even: JSON description).
{ printf '\0'; cat experiments/models/braggnn.json; } >"$seeds/fuzz_model/braggnn.json"
cat >"$work/tiny.json" <<'EOF'
{"input": [1, 11, 11], "layers": [{"op": "conv2d", "name": "c", "attrs": {"out_channels": 2, "kernel": 3}},
 {"op": "relu", "name": "r"}, {"op": "flatten", "name": "f"}, {"op": "linear", "name": "l", "attrs": {"out_features": 2}}]}
EOF
{ printf '\0'; cat "$work/tiny.json"; } >"$seeds/fuzz_model/tiny.json"
if "$nac" train "$work/tiny.json" --task bragg --set train_samples=64 --set validation_samples=16 \
  --set test_samples=0 --epochs 1 --out "$work/train" --quiet --threads 1 >/dev/null 2>&1; then
  for m in "$work"/train/*.nacm; do { printf '\1'; cat "$m"; } >"$seeds/fuzz_model/$(basename "$m")"; done
else
  echo "fuzz.sh: note: no .nacm seed (nac train of the tiny model failed)" >&2
fi
# A run folder stopped after 16 trials: the first byte chooses the file replaced.
cat >"$work/zdt1.toml" <<'EOF'
name = "seed"
seed = 3
[task]
name = "test_functions"
problem = "zdt1"
variables = 4
[strategy]
name = "nsga2"
population = 8
[search]
trials = 16
batch = 8
workers = 1
EOF
"$nac" run "$work/zdt1.toml" --out "$work/run" --quiet >/dev/null
i=0
for f in state.json trials.jsonl journal.jsonl; do
  { printf "\\$(printf '%03o' $i)"; cat "$work/run/$f"; } >"$seeds/fuzz_resume/$f"
  i=$((i + 1))
done

# HDF5 keeps allocations from one call to the next (and loses a few on some corrupt files, inside
# libhdf5: tests/fuzz/lsan.supp): libFuzzer's per-input leak check would stop at those and slow
# every input to a crawl, so the array target checks for leaks only at its end; the other targets
# check after every input.
declare -A extra=([fuzz_arrays]="-detect_leaks=0")

sanitizers=(env ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  LSAN_OPTIONS="suppressions=$PWD/tests/fuzz/lsan.supp")
# One target: its saved findings, then SECONDS of fuzzing. Returns non-zero on a finding.
fuzz_one() {
  local t="$1" corpus="$root/corpus/$1" findings="$root/findings/$1"
  mkdir -p "$corpus" "$findings"
  local regressions=(tests/fuzz/regressions/"$t"/*)
  if [ -e "${regressions[0]}" ]; then
    echo "== $t: ${#regressions[@]} saved findings"
    "${sanitizers[@]}" "$bin/$t" -runs=1 "${regressions[@]}" >"$findings/regressions.log" 2>&1 ||
      { echo "fuzz.sh: $t fails on a saved finding: $findings/regressions.log" >&2; return 1; }
  fi
  echo "== $t: ${seconds} s"
  if ! "${sanitizers[@]}" "$bin/$t" "$corpus" "$seeds/$t" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=4096 -max_len=65536 -seed="${NAC_FUZZ_SEED:-1}" ${extra[$t]:-} -print_final_stats=1 \
    -artifact_prefix="$findings/" >"$findings/last.log" 2>&1; then
    echo "fuzz.sh: $t found a crash; the input and the log are in $findings/" >&2
    tail -40 "$findings/last.log" >&2
    return 1
  fi
  echo "$t: $(grep -E "^stat::number_of_executed_units|^stat::new_units_added" "$findings/last.log" | tr '\n' ' ')"
}

# NAC_FUZZ_JOBS targets at a time (default 1; a long campaign on N cores: NAC_FUZZ_JOBS=N).
jobs="${NAC_FUZZ_JOBS:-1}"
status=0
pids=()
for t in "${targets[@]}"; do
  if ((jobs <= 1)); then
    fuzz_one "$t" || status=1
    continue
  fi
  fuzz_one "$t" &
  pids+=($!)
  if ((${#pids[@]} >= jobs)); then
    wait "${pids[0]}" || status=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
exit $status
