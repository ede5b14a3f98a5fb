#!/usr/bin/env bash
# Benchmark of issue 3 (Services Manager): prints numbers, asserts nothing.
# oha on loopback, 64 connections, against `support-assistant serve manager` (release build):
#   1. incident creations/s (POST /api/v1/incidents, each with its own idempotency key)
#   2. list requests/s (GET /api/v1/devices/{serial}/incidents, a device with 20 incidents)
#   3. the bare route /healthz of the same binary, and the ratios
# on SQLite and on PostgreSQL (DATABASE_URL_PG, default postgres://postgres@127.0.0.1:5432/test, in a
# schema of its own that is dropped afterwards).
# Usage: bash scripts/bench-manager.sh [SECONDS_PER_RUN] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-10}
CONN=${2:-64}
PG=${DATABASE_URL_PG:-postgres://postgres@127.0.0.1:5432/test}
command -v oha >/dev/null || cargo install oha --locked
cargo build -q --release -p support-assistant --bin support-assistant
BIN=$PWD/target/release/support-assistant
tmp=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

# oha's JSON summary -> "rps p50_ms p99_ms ok_share"
summarise() {
  python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
s = d["summary"]; p = d["latencyPercentiles"]
codes = d.get("statusCodeDistribution", {})
ok = sum(v for k, v in codes.items() if k.startswith("2")); total = sum(codes.values()) or 1
print("%.0f %.2f %.2f %.1f%%" % (s["requestsPerSec"], p["p50"] * 1000, p["p99"] * 1000, 100.0 * ok / total))
' "$1"
}

run_oha() { # $1 = name, rest = oha arguments
  local name=$1; shift
  oha --no-tui --output-format json -z "${SECS}s" -c "$CONN" "$@" >"$tmp/$name.json"
  summarise "$tmp/$name.json"
}

body='{"device_serial":"BENCH-1","kind":"service","issue_code":"paper_jam","description":"Paper jam in tray 2, benchmark","contact":{"name":"Bench Person","email":"bench@example.com","phone":"+49 30 1234567"}}'
body2=${body/BENCH-1/BENCH-2}

bench_backend() { # $1 = label, rest = data args
  local label=$1; shift
  local data=("$@")
  export SA_MANAGER_DATA_KEYS_FILE=$tmp/keys
  local partner customer key
  export RUST_LOG=warn
  partner=$($BIN manager tenant add --name "Bench $label" "${data[@]}")
  customer=$($BIN manager customer add --partner "$partner" --name "Bench customer" "${data[@]}")
  $BIN manager device add --partner "$partner" --customer "$customer" --serial BENCH-1 --model M --location L "${data[@]}" >/dev/null
  $BIN manager device add --partner "$partner" --customer "$customer" --serial BENCH-2 --model M --location L "${data[@]}" >/dev/null
  key=$($BIN manager api-key add --partner "$partner" "${data[@]}")
  RUST_LOG=warn $BIN serve manager --listen 127.0.0.1:0 --insecure-http "${data[@]}" >"$tmp/serve-$label.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do grep -q 'listening on' "$tmp/serve-$label.log" 2>/dev/null && break; sleep 0.1; done
  local addr port
  addr=$(grep -o 'http://127.0.0.1:[0-9]*' "$tmp/serve-$label.log" | head -1)
  port=${addr##*:}
  for i in $(seq 20); do
    curl -sf -o /dev/null -X POST "$addr/api/v1/incidents" -H "Authorization: Bearer $key" \
      -H 'content-type: application/json' -H "Idempotency-Key: list-$i" -d "$body2"
  done
  local since
  since=$(date -u -d '30 days ago' +%Y-%m-%dT%H:%M:%SZ)
  local create list bare
  create=$(run_oha "create-$label" -m POST -H "Authorization: Bearer $key" -H 'content-type: application/json' -d "$body" \
    --rand-regex-url "http://127[.]0[.]0[.]1:$port/api/v1/incidents[?]idempotency_key=[a-z0-9]{24}")
  list=$(run_oha "list-$label" -H "Authorization: Bearer $key" "$addr/api/v1/devices/BENCH-2/incidents?since=$since")
  bare=$(run_oha "bare-$label" "$addr/healthz")
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
  local made
  made=$(python3 -c 'import json,sys; print(sum(v for k,v in json.load(open(sys.argv[1])).get("statusCodeDistribution",{}).items() if k.startswith("2")))' "$tmp/create-$label.json")
  read -r c_rps c50 c99 cok <<<"$create"
  read -r l_rps l50 l99 lok <<<"$list"
  read -r b_rps b50 b99 bok <<<"$bare"
  printf "%-10s %-22s %9s %9s %9s %6s\n" "$label" "incident create" "$c_rps" "$c50" "$c99" "$cok"
  printf "%-10s %-22s %9s %9s %9s %6s\n" "$label" "list (20 incidents)" "$l_rps" "$l50" "$l99" "$lok"
  printf "%-10s %-22s %9s %9s %9s %6s\n" "$label" "bare /healthz" "$b_rps" "$b50" "$b99" "$bok"
  printf "%-10s ratios to bare: create %.3f, list %.3f; incidents created in %ss: %s\n" "$label" \
    "$(echo "$c_rps / $b_rps" | bc -l)" "$(echo "$l_rps / $b_rps" | bc -l)" "$SECS" "$made"
}

echo "== Services Manager, oha ${SECS}s per run, $CONN connections, loopback, $(nproc) cores"
printf "%-10s %-22s %9s %9s %9s %6s\n" backend route "req/s" "p50 ms" "p99 ms" "2xx"
bench_backend sqlite --database "sqlite://$tmp/bench.db"
schema="bench_manager_$$"
bench_backend postgres --database "$PG" --pg-schema "$schema"
psql "$PG" -qc "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true
