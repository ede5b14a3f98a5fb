#!/usr/bin/env bash
# schemathesis (PyPI) against the manager's and the gallery's /openapi.json, authenticated as their
# real clients (the partner's manager API key, the gallery API key), on a demo started on loopback.
# Prints schemathesis' summary per service; exits non-zero when it found failures.
# Usage: scripts/schemathesis.sh [MAX_EXAMPLES]   (SA_BIN = the binary, default target/debug)
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${SA_BIN:-$PWD/target/debug/support-assistant}
MAX=${1:-20}
command -v st >/dev/null 2>&1 || pip install -q schemathesis
tmp=$(mktemp -d)
base=$((31000 + RANDOM % 2000))
SA_WEBLET_DIR=$tmp/no-weblet RUST_LOG=warn "$BIN" demo --data-dir "$tmp/data" --base-port "$base" \
  --snmp-base-port $((base + 50)) >"$tmp/demo.out" 2>"$tmp/demo.err" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 600); do grep -q 'Press Ctrl-C' "$tmp/demo.out" 2>/dev/null && break; sleep 0.1; done
grep -q 'Press Ctrl-C' "$tmp/demo.out" || { cat "$tmp/demo.err"; exit 1; }
key() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$tmp/data/demo.json" "$1"; }
status=0
for svc in "manager $base manager_api_key" "gallery $((base + 1)) gallery_api_key"; do
  set -- $svc
  echo "== schemathesis: $1 (http://127.0.0.1:$2/openapi.json)"
  st run "http://127.0.0.1:$2/openapi.json" -H "Authorization: Bearer $(key "$3")" \
    --checks all --max-examples "$MAX" --no-color || status=1
done
exit $status
