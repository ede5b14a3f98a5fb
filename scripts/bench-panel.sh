#!/usr/bin/env bash
# Panel budget of issue 6: requests, bytes and time from panel start to the Services tab shown, in
# headless Chromium on loopback (target: at most 8 requests, 100 KB, 500 ms). Prints numbers; the
# browser test behind it asserts only requests and bytes. Each run is a fresh browser profile
# (cold: no cache, no cached CORS preflight), a real assistant, manager, gallery and emulated
# device (release build). Preflights (OPTIONS) are not in Resource Timing, so not in the count.
# Usage: bash scripts/bench-panel.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
for _ in $(seq "$RUNS"); do
  cargo nextest run --release -p assistant --test browser \
    panel_start_to_the_services_tab_stays_within_8_requests_and_100_kb --no-capture 2>&1 |
    grep -o 'panel start to Services tab: [0-9]* requests, [0-9]* bytes, [0-9]* ms'
done
