#!/usr/bin/env bash
# Renders a run's report.html in headless Chromium (Debian's `chromium`, installed here when
# missing) and saves a full-page screenshot: scripts/report_screenshot.sh RUN_DIR [OUT.png]
# (default RUN_DIR/report.png). Offline: the report loads nothing from the network.
set -euo pipefail
dir="${1:?usage: scripts/report_screenshot.sh RUN_DIR [OUT.png]}"
out="${2:-$dir/report.png}"
[ -f "$dir/report.html" ] || { echo "$dir/report.html: missing (nac report $dir writes it)" >&2; exit 1; }
if ! command -v chromium >/dev/null; then
  [ "$(id -u)" = 0 ] || { echo "chromium is not installed: apt-get install chromium (as root)" >&2; exit 1; }
  apt-get install -y chromium >/dev/null
fi
html="$(cd "$(dirname "$dir/report.html")" && pwd)/report.html"
# A tall window: headless Chromium's screenshot is of the window, not the page.
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1200,"${HEIGHT:-6000}" \
  --screenshot="$out" "file://$html" 2>/dev/null
echo "$out"
