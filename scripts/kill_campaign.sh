#!/usr/bin/env bash
# Kills a search with kill -9 at random moments, resumes it after each kill, and compares the
# finished folder with an uninterrupted run of the same experiment: every trial (id, status,
# parameters, objectives) must be the same, none lost, none twice. With `schedule = "async"` the
# trials depend on timing, so only the last two are checked (every trial id once, in both files).
#
#   scripts/kill_campaign.sh EXPERIMENT.toml [KILLS] [MAX_SECONDS] [SEED]
#
# KILLS (default 20) kills, each after a random delay in [0, MAX_SECONDS) (default: the
# uninterrupted run's wall time) from the start of that attempt; SEED seeds the delays. Uses the
# release build (scripts/build.sh release). Prints one line per attempt and a summary; exits 1 if
# the folder does not match, cannot be resumed, or a run crashed.
set -euo pipefail
cd "$(dirname "$0")/.."
experiment="$1"
kills="${2:-20}"
nac=build/release/bin/nac
[ -x "$nac" ] || scripts/build.sh release >/dev/null
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

seconds() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }  # milliseconds as seconds
start=$(date +%s%N)
"$nac" run "$experiment" --out "$work/reference" --quiet >/dev/null
wall_ms=$((($(date +%s%N) - start) / 1000000))
max_ms="${3:+$(python3 -c "print(int(float('$3') * 1000))")}"
max_ms="${max_ms:-$wall_ms}"
RANDOM="${4:-1}"
echo "uninterrupted run: $(seconds $wall_ms) s; $kills kills at random moments in [0, $(seconds $max_ms)) s of each attempt"

out="$work/killed"
killed=0 crashed=0
for ((k = 1; k <= kills; k++)); do
  if [ -f "$out/experiment.toml" ]; then args=(run --resume "$out"); else args=(run "$experiment" --out "$out"); fi
  delay=$(seconds $((max_ms * RANDOM / 32768)))
  "$nac" "${args[@]}" --quiet >"$work/log" 2>&1 &
  pid=$!
  sleep "$delay"
  if kill -9 "$pid" 2>/dev/null; then
    wait "$pid" 2>/dev/null || true
    killed=$((killed + 1))
    told=$( [ -f "$out/trials.jsonl" ] && wc -l <"$out/trials.jsonl" || echo 0)
    echo "attempt $k: killed after ${delay} s, trials.jsonl holds $told lines"
  else
    code=0
    wait "$pid" || code=$?
    if [ "$code" -ne 0 ]; then
      crashed=$((crashed + 1))
      echo "attempt $k: exited $code before the kill:" && cat "$work/log"
    else
      echo "attempt $k: finished before the kill (${delay} s)"
    fi
  fi
done
if [ -f "$out/experiment.toml" ]; then args=(run --resume "$out"); else args=(run "$experiment" --out "$out"); fi
if ! "$nac" "${args[@]}" --quiet >"$work/log" 2>&1; then
  echo "the final resume failed:" && cat "$work/log"
  exit 1
fi

status=0
python3 - "$work/reference" "$out" <<'EOF' || status=1
import json, sys, tomllib
asynchronous = tomllib.load(open(sys.argv[2] + "/experiment.toml", "rb")).get("search", {}).get("schedule") == "async"
def told(folder):
    rows = []
    for line in open(folder + "/trials.jsonl"):
        j = json.loads(line)
        rows.append(json.dumps({k: j.get(k) for k in ("trial", "status", "params", "objectives", "message")},
                               sort_keys=True))
    return rows
ref, got = told(sys.argv[1]), told(sys.argv[2])
csv = sum(1 for _ in open(sys.argv[2] + "/trials.csv")) - 1
ids = [json.loads(r)["trial"] for r in got]
lost = len(set(range(len(ref))) - set(ids))
twice = len(ids) - len(set(ids))
journal = [json.loads(line)["trial"] for line in open(sys.argv[2] + "/journal.jsonl")]
if asynchronous:
    print(f"trials: {len(got)} of {len(ref)}; lost: {lost}; twice: {twice}; trials.csv rows: {csv}; "
          f"journal: {len(journal)} lines, {len(set(journal))} trials (async: not compared one by one)")
    sys.exit(0 if sorted(ids) == list(range(len(ref))) and csv == len(ref) and set(journal) == set(ids) else 1)
same = sum(a == b for a, b in zip(ref, got))
print(f"trials: {len(got)} of {len(ref)}; identical to the uninterrupted run: {same}; lost: {lost}; "
      f"twice: {twice}; trials.csv rows: {csv}")
sys.exit(0 if got == ref and csv == len(ref) else 1)
EOF
echo "kills: $killed; runs that crashed: $crashed"
[ "$crashed" -eq 0 ] && exit $status || exit 1
