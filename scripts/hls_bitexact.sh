#!/usr/bin/env bash
# The C simulation of a model's HLS project against nac's fixed-point inference, bit for bit, at
# several default types (docs/hls_backend.md):
#
#   scripts/hls_bitexact.sh MODEL.nacm INPUTS.{npz,npy,h5} SAMPLES [TYPE...]
#
# For each type: nac export hls (testbench: the first SAMPLES rows of INPUTS, which also calibrate
# the types), then nac hls csim; prints one line per type. Default types: <16,6> with and without
# AP_RND,AP_SAT, <10,4,AP_RND,AP_SAT>, <8,3,AP_TRN,AP_SAT>, <6,2,AP_RND,AP_WRAP>. Exit 1 if any differs.
set -euo pipefail
cd "$(dirname "$0")/.."
(($# >= 3)) || { sed -n '2,9p' "$0" >&2; exit 2; }
model="$1" inputs="$2" samples="$3"
shift 3
types=("$@")
((${#types[@]})) || types=("ap_fixed<16,6,AP_RND,AP_SAT>" "ap_fixed<16,6>" "ap_fixed<10,4,AP_RND,AP_SAT>"
  "ap_fixed<8,3,AP_TRN,AP_SAT>" "ap_fixed<6,2,AP_RND,AP_WRAP>")
nac="${NAC:-build/release/bin/nac}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
status=0
for t in "${types[@]}"; do
  dir="$work/p$RANDOM"
  start=$SECONDS
  "$nac" export hls "$model" --out "$dir" --inputs "$inputs" --set testbench_samples="$samples" \
    --set "default_type=$t" >/dev/null
  if line=$("$nac" hls csim "$dir" 2>&1 | grep "vs nac's fixed-point"); then :; else status=1; fi
  [[ "$line" == *"(bit-exact)"* ]] || status=1
  echo "$t: ${line#*inference: } ($((SECONDS - start)) s)"
done
exit $status
