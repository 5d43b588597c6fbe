#!/usr/bin/env bash
# Checks that every C++ source file of the repository matches .clang-format (clang-format 14, as
# Debian 12 ships it). Prints the files that do not and exits 1; `scripts/check_format.sh --fix`
# reformats them instead.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "check_format: clang-format is not installed (scripts/install-deps.sh)" >&2; exit 1; }
mapfile -t files < <(find apps bench core examples plugins tests -name '*.cpp' -o -name '*.hpp' | sort)
if [ "${1:-}" = "--fix" ]; then
  clang-format -i "${files[@]}"
  exit 0
fi
# One clang-format for all files (a process per file took 40 s, nearly all of it start-up); it
# names each file that differs in its messages ("FILE:LINE:COL: error: code should be ...").
bad=()
if ! report="$(clang-format --dry-run -Werror "${files[@]}" 2>&1)"; then
  mapfile -t bad < <(printf '%s\n' "$report" | sed -n 's/^\([^:]*\):[0-9]*:[0-9]*: error: .*/\1/p' | sort -u)
  ((${#bad[@]})) || { printf '%s\n' "$report" >&2; bad=("(clang-format failed)"); }
fi
if ((${#bad[@]})); then
  echo "check_format: ${#bad[@]} of ${#files[@]} files differ from .clang-format (scripts/check_format.sh --fix):" >&2
  printf '  %s\n' "${bad[@]}" >&2
  exit 1
fi
echo "check_format: ${#files[@]} files match .clang-format"
