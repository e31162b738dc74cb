#!/usr/bin/env bash
# Renders a report folder's index.html in headless Chromium, saves a screenshot, and fails when the page logs
# console errors. Skips (exit 0, with a message) when Chromium is not installed.
#
#   tests/report/screenshot.sh REPORT_DIR [SCREENSHOT.png]     (default: REPORT_DIR/../REPORT_NAME-screenshot.png)
#
# Example: dotnet run -c Release --project src/Occam.Cli -- study --out /tmp/study && tests/report/screenshot.sh /tmp/study
set -euo pipefail

if [[ $# -lt 1 || ! -f "$1/index.html" ]]; then
  echo "usage: $0 REPORT_DIR [SCREENSHOT.png]  (REPORT_DIR must hold index.html)" >&2
  exit 2
fi
report=$(cd "$1" && pwd)
shot=${2:-"$(dirname "$report")/$(basename "$report")-screenshot.png"}

browser=""
for candidate in chromium chromium-browser google-chrome; do
  if command -v "$candidate" > /dev/null; then browser=$candidate; break; fi
done
if [[ -z $browser ]]; then
  echo "SKIP: chromium is not installed (apt-get install -y chromium); report not rendered"
  exit 0
fi

profile=$(mktemp -d)
log=$(mktemp)
trap 'rm -rf "$profile" "$log"' EXIT
# The report needs no network: background networking, updates and sync stay off.
timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
  --disable-sync --no-first-run --user-data-dir="$profile" --enable-logging=stderr --v=0 \
  --window-size=1280,2000 --screenshot="$shot" "file://$report/index.html" > "$log" 2>&1 || {
    status=$?; echo "FAIL: $browser exited with status $status:" >&2; cat "$log" >&2; exit 1; }

if grep -E "Uncaught|ERROR:CONSOLE|Failed to load resource|Not allowed to load" "$log" >&2; then
  echo "FAIL: the page logged console errors (above)" >&2
  exit 1
fi
if [[ ! -s $shot ]]; then
  echo "FAIL: no screenshot was written to $shot" >&2
  cat "$log" >&2
  exit 1
fi
echo "OK: $shot ($(stat -c %s "$shot") bytes), no console errors"
