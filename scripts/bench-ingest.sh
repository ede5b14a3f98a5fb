#!/usr/bin/env bash
# Benchmark of issue 12, manager ingestion: readings per second durably stored from batched agent
# uploads, and the p50/p99 time per batch, on SQLite and on PostgreSQL (DATABASE_URL_PG, default
# postgres://postgres@127.0.0.1:5432/test, in a schema of its own that is dropped afterwards).
# The real `support-assistant serve manager` (release build) on loopback; AGENTS agents added with
# `manager agent add`, each enrolled and uploading BATCHES batches of SIZE readings over HTTP at the
# same time (the `fleet_ingest` load client of the manager crate; its bodies are made before the
# clock starts). Every reading is a new reading and an automatic meter read. Prints numbers,
# asserts nothing (the client stops with an error if a reading is not stored): readings/s and
# p50/p99 per batch as the agents saw them, then the manager's own split from its log (the
# `readings received` line: store_ms, evaluate_ms; the `batch stored` debug line: ms per phase of
# the transaction, median and p99 over the batches).
# Usage: bash scripts/bench-ingest.sh [AGENTS=8] [BATCHES=25] [SIZE=100]
# SA_BIN=path uses that binary instead of a release build (SA_CLIENT=path: that load client);
# BENCH_PROFILE=dev builds the load client
# without --release; BENCH_BACKENDS="sqlite postgres" picks the backends; BENCH_KEEP=1 keeps the
# PostgreSQL schema (to look at its plans).
set -euo pipefail
cd "$(dirname "$0")/.."
AGENTS=${1:-8}
BATCHES=${2:-25}
SIZE=${3:-100}
PG=${DATABASE_URL_PG:-postgres://postgres@127.0.0.1:5432/test}
profile=--release
target=release
if [ "${BENCH_PROFILE:-release}" = dev ]; then profile=; target=debug; fi
if [ -z "${SA_BIN:-}" ]; then
  cargo build -q $profile -p support-assistant --bin support-assistant
  SA_BIN=target/$target/support-assistant
fi
if [ -z "${SA_CLIENT:-}" ]; then
  cargo build -q $profile -p manager --example fleet_ingest
  SA_CLIENT=target/$target/examples/fleet_ingest
fi
CLIENT=$SA_CLIENT
BIN=$SA_BIN
tmp=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
export SA_MANAGER_DATA_KEYS_FILE=$tmp/keys
# Warnings, plus the two per-batch lines of the manager's ingestion (JSON lines, summed up below).
export RUST_LOG=warn,manager::fleet::api=info,manager::fleet::store=debug,manager::fleet::evaluate=debug,manager::fleet::devices=debug

busy_cpu() { # [earlier reading] -> CPU seconds busy on the machine (since that reading)
  awk -v hz="$(getconf CLK_TCK)" -v since="${1:-0}" \
    '/^cpu / {printf "%.1f", ($2 + $3 + $4 + $7 + $8) / hz - since}' /proc/stat
}

awaiting_evaluation() { # data args -> devices whose stored readings await evaluation
  local q="SELECT count(*) FROM fleet_devices WHERE batch_seq > evaluated_seq"
  if [ "$1" = --database ] && [[ "$2" == sqlite://* ]]; then
    python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "${2#sqlite://}" "$q"
  else
    psql "$PG" -qAtc "SET search_path TO $4; $q" | tail -1
  fi
}

bench_backend() { # $1 = label, rest = data args
  local label=$1; shift
  local data=("$@")
  local partner customer
  partner=$($BIN manager tenant add --name "Bench $label" "${data[@]}")
  customer=$($BIN manager customer add --partner "$partner" --name "Site" "${data[@]}")
  : >"$tmp/tokens-$label"
  for i in $(seq "$AGENTS"); do
    $BIN manager agent add --partner "$partner" --customer "$customer" --name "bench-$i" "${data[@]}" \
      | tail -1 >>"$tmp/tokens-$label"
  done
  $BIN --log-json serve manager --listen 127.0.0.1:0 --insecure-http "${data[@]}" >"$tmp/serve-$label.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do grep -q 'listening on' "$tmp/serve-$label.log" 2>/dev/null && break; sleep 0.1; done
  local addr
  addr=$(grep -o 'http://127.0.0.1:[0-9]*' "$tmp/serve-$label.log" | head -1)
  [ -n "$addr" ] || { echo "the manager did not start"; cat "$tmp/serve-$label.log"; exit 1; }
  local busy0
  busy0=$(busy_cpu)
  /usr/bin/time -f '%e %U %S' -o "$tmp/time-$label" \
    "$CLIENT" "$addr" "$tmp/tokens-$label" "$BATCHES" "$SIZE" "$label ($BIN)"
  # The policies and forecasts are evaluated after the uploads are answered: how long until no
  # device awaits evaluation (read from the database, every 0.2 s, at most 15 min).
  local waiting=1 waited=0 started=$SECONDS
  while [ "$waited" -lt 4500 ]; do
    waiting=$(awaiting_evaluation "${data[@]}")
    [ "$waiting" = 0 ] && break
    sleep 0.2; waited=$((waited + 1))
  done
  echo "$label: evaluation caught up $((SECONDS - started)) s after the last batch was answered (devices still waiting: $waiting)"
  local manager_cpu
  manager_cpu=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$pid/stat")
  echo "$label: CPU while uploading and evaluating: $(busy_cpu "$busy0") s on $(nproc) cores, of which the manager $manager_cpu s (its whole life)"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
  read -r _ c_user c_sys <"$tmp/time-$label"
  echo "$label: load client CPU $(echo "$c_user + $c_sys" | bc) s (on the same $(nproc) cores as the manager)"
  python3 - "$label" "$tmp/serve-$label.log" <<'PY'
import json, math, sys
label, path = sys.argv[1], sys.argv[2]
series = {}
for line in open(path, encoding="utf-8", errors="replace"):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("message") == "readings received":
        for k in ("store_ms",):
            series.setdefault(k, []).append(int(e.get(k, 0)))
    elif e.get("message") == "evaluated after batches":
        series.setdefault("devices_per_evaluation", []).append(int(e.get("devices", 0)))
        evaluations = series.setdefault("device_evaluations", [0])
        evaluations[0] += int(e.get("devices", 0))
    else:
        prefix = {"batch stored": "", "evaluated": "evaluate.", "forecasts": "forecast."}
        for start, p in prefix.items():
            if str(e.get("message", "")).startswith(start):
                for part in str(e.get("phases", "")).split():
                    k, _, v = part.partition("=")
                    series.setdefault(p + k, []).append(int(v))
def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, math.ceil(len(xs) * q) - 1))]
if series:
    print(f"{label}: manager ms per batch, p50/p99: " + ", ".join(
        f"{k} {pct(v, 0.5)}/{pct(v, 0.99)}" for k, v in series.items()))
PY
}

echo "== manager ingestion: $AGENTS agents x $BATCHES batches x $SIZE readings, loopback, $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
for backend in ${BENCH_BACKENDS:-sqlite postgres}; do
  case $backend in
    sqlite) bench_backend sqlite --database "sqlite://$tmp/bench.db" ;;
    postgres)
      schema="bench_ingest_$$"
      bench_backend postgres --database "$PG" --pg-schema "$schema"
      if [ -n "${BENCH_KEEP:-}" ]; then echo "kept schema $schema"; else
        psql "$PG" -qc "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true
      fi
      ;;
  esac
done
