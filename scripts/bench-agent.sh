#!/usr/bin/env bash
# Benchmark of issue 12 (fleet agent): prints numbers, asserts nothing. Loopback only, every loop bounded.
#  1. One agent cycle over N emulated printers (`device fleet`, the project's fixtures and the shared
#     recordings as copies with their own serials, one loopback address each): wall time, CPU, SNMP round
#     trips per printer — side by side with net-snmp's snmpbulkwalk of the same subtrees, one process per
#     device and subtree as a LibreNMS-style poller does, with the same parallelism.
#  2. Manager ingestion (scripts/bench-ingest.sh): readings/s durably stored from batched HTTP uploads to
#     `serve manager`, p50/p99 per batch, on SQLite and PostgreSQL (DATABASE_URL_PG, own schema, dropped).
# Usage: bash scripts/bench-agent.sh [DEVICES=1000] [SNMPBULKWALK_DEVICES=DEVICES] [PARALLELISM=64]
# SA_BIN=path uses that binary instead of a release build; BENCH_PROFILE=dev builds the ingestion load
# client without --release; BENCH_SKIP_INGEST=1 skips part 2.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
WALK=${2:-$N}
PAR=${3:-64}
if [ -z "${SA_BIN:-}" ]; then
  cargo build -q --release -p support-assistant --bin support-assistant
  SA_BIN=target/release/support-assistant
fi
BIN=$SA_BIN
tmp=$(mktemp -d)
fleet_pid=
cleanup() {
  [ -n "$fleet_pid" ] && kill "$fleet_pid" 2>/dev/null && wait "$fleet_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/rec"
cp fixtures/*.snmprec ../shared/printers/recordings/*.snmprec "$tmp/rec/"
per=$(ls "$tmp/rec" | wc -l)
copies=$(( (N + per - 1) / per ))

start_fleet() { # $1 = log
  $BIN device fleet --dir "$tmp/rec" --copies "$copies" --base-address 127.77.0.1 --port 1161 \
    --manifest "$tmp/fleet.json" >"$1" 2>&1 &
  fleet_pid=$!
  for _ in $(seq 600); do grep -q '^fleet of' "$1" 2>/dev/null && return; sleep 0.1; done
  echo "the fleet did not start"; cat "$1"; exit 1
}
stop_fleet() { # prints the requests the fleet answered
  kill -INT "$fleet_pid"; wait "$fleet_pid" 2>/dev/null || true; fleet_pid=
  grep -o '[0-9]* requests answered' "$1" | grep -o '^[0-9]*'
}

# The subtrees of printer::interpret::subtrees() (what one agent walk collects).
SUBTREES=(1.3.6.1.2.1.1 1.3.6.1.2.1.2.2.1.6 1.3.6.1.2.1.25.3.2.1.3 1.3.6.1.2.1.43.5.1.1.17
  1.3.6.1.2.1.43.10.2.1.4 1.3.6.1.2.1.43.10.2.1.5 1.3.6.1.2.1.43.11.1.1.3 1.3.6.1.2.1.43.11.1.1.4
  1.3.6.1.2.1.43.11.1.1.5 1.3.6.1.2.1.43.11.1.1.6 1.3.6.1.2.1.43.11.1.1.8 1.3.6.1.2.1.43.11.1.1.9
  1.3.6.1.2.1.43.12.1.1.4 1.3.6.1.2.1.25.3.2.1.5 1.3.6.1.2.1.25.3.5.1.1 1.3.6.1.2.1.25.3.5.1.2
  1.3.6.1.2.1.43.18.1.1 1.3.6.1.4.1.253.8.51.1.2.1.20 1.3.6.1.4.1.253.8.53.3.2.1.3
  1.3.6.1.4.1.253.8.53.13.2.1.6 1.3.6.1.4.1.18334.1.1.1.5.7.2 1.3.6.1.4.1.11.2.3.9.4.2.1.4.1.2)

start_fleet "$tmp/fleet1.log"
addrs=$(python3 -c 'import json,sys; print("\n".join(d["addr"] for d in json.load(open(sys.argv[1]))[:int(sys.argv[2])]))' "$tmp/fleet.json" "$N")
n_dev=$(echo "$addrs" | wc -l)
targets=$(echo "$addrs" | sed 's/^/--target /' | tr '\n' ' ')
# shellcheck disable=SC2086
/usr/bin/time -f '%e %U %S' -o "$tmp/agent.time" $BIN agent run --once --no-upload $targets \
  --concurrency "$PAR" --rate 1000000 --timeout-ms 2000 --retries 1 --data-dir "$tmp/agent" >"$tmp/agent.out" 2>"$tmp/agent.err"
agent_answered=$(stop_fleet "$tmp/fleet1.log")
read -r a_wall a_user a_sys <"$tmp/agent.time"
summary=$(grep '^sweep' "$tmp/agent.out" || true)

start_fleet "$tmp/fleet2.log"
walk_addrs=$(echo "$addrs" | head -n "$WALK")
n_walk=$(echo "$walk_addrs" | wc -l)
for a in $walk_addrs; do for s in "${SUBTREES[@]}"; do echo "$a $s"; done; done >"$tmp/jobs"
/usr/bin/time -f '%e %U %S' -o "$tmp/walk.time" \
  xargs -P "$PAR" -n 2 sh -c 'snmpbulkwalk -v2c -c public -Cr25 -On -t 2 -r 1 "udp:$0" "$1" >/dev/null 2>&1 || true' <"$tmp/jobs"
walk_answered=$(stop_fleet "$tmp/fleet2.log")
read -r w_wall w_user w_sys <"$tmp/walk.time"

python3 - "$n_dev" "$a_wall" "$a_user" "$a_sys" "$agent_answered" "$n_walk" "$w_wall" "$w_user" "$w_sys" "$walk_answered" "$PAR" "$summary" <<'PY'
import sys
n, aw, au, asy, aa, nw, ww, wu, wsy, wa, par, summary = sys.argv[1:]
n, nw, aa, wa = int(n), int(nw), int(aa), int(wa)
aw, au, asy, ww, wu, wsy = map(float, (aw, au, asy, ww, wu, wsy))
print(f"agent cycle: {summary}")
print(f"{'poller':<26}{'devices':>8}{'wall s':>9}{'CPU s':>8}{'round trips/dev':>17}{'s per 1000 dev':>16}")
print(f"{'support-assistant agent':<26}{n:>8}{aw:>9.2f}{au+asy:>8.2f}{aa/n:>17.2f}{aw*1000/n:>16.2f}")
print(f"{'snmpbulkwalk x subtrees':<26}{nw:>8}{ww:>9.2f}{wu+wsy:>8.2f}{wa/nw:>17.2f}{ww*1000/nw:>16.2f}")
print(f"parallelism {par}; agent is {(ww/nw)/(aw/n):.1f}x faster per device, {((wu+wsy)/nw)/((au+asy)/n):.1f}x less CPU per device")
PY

[ -n "${BENCH_SKIP_INGEST:-}" ] && exit 0
SA_BIN=$BIN bash scripts/bench-ingest.sh 8 25 100
