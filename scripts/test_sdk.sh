#!/usr/bin/env bash
# The SDK as a plugin author meets it: install nac from a build tree into a fresh prefix,
# configure and build every project under examples/plugins/ against that prefix with nothing but
# find_package(nac), list the plugins with the installed nac, and validate and run a small
# experiment with each. Run by the test suite (ctest); by hand: scripts/test_sdk.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build/release}"
work="$(mktemp -d "${TMPDIR:-/tmp}/nac_sdk.XXXXXX")"
trap 'rm -rf "$work"' EXIT
fail() { echo "test_sdk: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$work/prefix" >/dev/null
nac="$work/prefix/bin/nac"
"$nac" --version

dirs=()
for example in examples/plugins/*/; do
  name="$(basename "$example")"
  echo "== $name: configure and build against $work/prefix"
  cmake -S "$example" -B "$work/build/$name" -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_PREFIX_PATH="$work/prefix" >"$work/$name.configure.log" 2>&1 ||
    { cat "$work/$name.configure.log" >&2; fail "$name: configure failed"; }
  cmake --build "$work/build/$name" >"$work/$name.build.log" 2>&1 ||
    { cat "$work/$name.build.log" >&2; fail "$name: build failed"; }
  dirs+=(--plugin-dir "$work/build/$name")
done

echo "== nac plugins"
"$nac" plugins "${dirs[@]}" | tee "$work/plugins.txt"
for entry in "strategy *regularized_evolution" "block *separable" "op *hard_swish" "objective *weight_memory" "task *sphere" \
             "compressor *random_pruning" "backend *layer_report"; do
  grep -Eq "^$entry " "$work/plugins.txt" || fail "nac plugins does not list '$entry'"
done

run() {  # run NAME EXPERIMENT: validate and run it with every example's plugins
  local name="$1" experiment="$2"
  echo "== $name: nac validate and nac run $experiment"
  "$nac" validate "$experiment" "${dirs[@]}"
  "$nac" run "$experiment" "${dirs[@]}" --out "$work/out/$name" --quiet
}
trials() { tail -n +2 "$1/trials.csv" | grep -c ',complete,' || true; }
hypervolume() { sed -n 's/.*"hypervolume": *\([0-9.eE+-]*\).*/\1/p' "$1/summary.json" | head -n 1; }

run evolution examples/plugins/regularized_evolution/zdt1.toml
[ "$(trials "$work/out/evolution")" -eq 600 ] || fail "regularized evolution: expected 600 complete trials"
# The same budget with random search: evolution must find a better front (ZDT1's best is 0.87).
sed 's/^name = "regularized_evolution"/name = "random"/; /^population/d; /^sample/d' \
    examples/plugins/regularized_evolution/zdt1.toml >"$work/zdt1_random.toml"
"$nac" run "$work/zdt1_random.toml" --out "$work/out/random" --quiet
hv_evolution="$(hypervolume "$work/out/evolution")" hv_random="$(hypervolume "$work/out/random")"
echo "ZDT1 hypervolume after 600 trials: regularized evolution $hv_evolution, random search $hv_random"
awk -v a="$hv_evolution" -v b="$hv_random" 'BEGIN { exit !(a > b) }' || fail "regularized evolution does not beat random search"

echo "== regularized_evolution: nac bench against nsga2, tpe and random (2 seeds, 200 evaluations)"
sed 's/^seeds = 5/seeds = 2/; s/^evaluations = 600/evaluations = 200/; s/^checkpoints = .*/checkpoints = [100, 200]/' \
    examples/plugins/regularized_evolution/bench.toml >"$work/bench_evolution.toml"
"$nac" bench "$work/bench_evolution.toml" "${dirs[@]}" --out "$work/out/bench" --quiet | tee "$work/bench.txt"
grep -q "zdt1 .* regularized_evolution vs nsga2" "$work/bench.txt" || fail "nac bench: no verdict for regularized_evolution"
[ "$(wc -l <"$work/out/bench/runs.jsonl")" -eq 16 ] || fail "nac bench: expected 16 runs (2 problems x 4 contenders x 2 seeds)"
grep -q '^| regularized_evolution |' "$work/out/bench/report.md" || fail "nac bench: the report has no row for regularized_evolution"

run separable examples/plugins/separable_block/bragg_tiny.toml
[ "$(trials "$work/out/separable")" -ge 6 ] || fail "separable block: fewer than 6 of 8 trials complete"
grep -q ',separable,' "$work/out/separable/trials.csv" || fail "separable block: no trial used the block"
head -n 1 "$work/out/separable/trials.csv" | grep -q 'weight_memory' || fail "weight_memory is not an objective column"

run sphere examples/plugins/sphere_task/sphere.toml
[ "$(trials "$work/out/sphere")" -eq 200 ] || fail "sphere: expected 200 complete trials"
echo "== random_pruning: nac train and nac compress"
tiny=examples/plugins/random_pruning
"$nac" train "$tiny/tiny_model.json" --config "$tiny/compress_tiny.toml" --out "$work/out/tiny" --quiet >/dev/null
"$nac" compress "$work/out/tiny/model.nacm" --config "$tiny/compress_tiny.toml" "${dirs[@]}" \
    --out "$work/out/compress" --quiet
[ "$(grep -c ',random_pruning,round ' "$work/out/compress/compression.csv")" -eq 3 ] ||
  fail "random_pruning: expected 3 rounds in compression.csv"
echo "== layer_report: nac export"
"$nac" export layer_report "$work/out/tiny/model.nacm" --out "$work/out/report" "${dirs[@]}" --set file=costs.csv
[ "$(head -n 1 "$work/out/report/costs.csv")" = "layer,macs,bops,params" ] || fail "layer_report: no costs.csv header"
[ "$(wc -l < "$work/out/report/costs.csv")" -gt 2 ] || fail "layer_report: costs.csv has no layers"
echo "test_sdk: every example plugin built out of tree, loaded and ran"
