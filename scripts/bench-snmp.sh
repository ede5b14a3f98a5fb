#!/usr/bin/env bash
# Benchmark of issue "Read any printer over SNMP": prints numbers, asserts nothing.
#  1. `device read` of a full MFD (identity, 12 supplies, meters) against `device serve`: SNMP round
#     trips and wall time, side by side with net-snmp's snmpbulkwalk of the same subtrees.
#  2. GETBULK requests per second answered by `device serve`, side by side with snmpsim, same recording.
# Loopback only; every loop is bounded. Usage: bash scripts/bench-snmp.sh [RUNS] [LOAD_SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-30}
SECS=${2:-5}
REC=fixtures/xerox-altalink-c8055-meters.snmprec
cargo build -q --release -p support-assistant --bin support-assistant
cargo build -q --release -p printer --example snmp_load
BIN=target/release/support-assistant
LOAD=target/release/examples/snmp_load
tmp=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

start_device() { # $1 = log file; sets addr and pid
  $BIN device serve --recording $REC --snmp 127.0.0.1:0 --http 127.0.0.1:0 --admin-password bench --data-dir "$tmp/dev" >"$1" 2>&1 &
  pid=$!
  for _ in $(seq 100); do grep -q 'udp://' "$1" 2>/dev/null && break; sleep 0.1; done
  addr=$(grep -o 'udp://[0-9.:]*' "$1" | head -1 | sed 's#udp://##')
}
stop_device() { kill -INT "$1"; wait "$1" 2>/dev/null || true; }
answered() { grep -o '[0-9]* requests answered' "$1" | grep -o '^[0-9]*'; }
ms() { date +%s%N; }

SUBTREES=(1.3.6.1.2.1.1 1.3.6.1.2.1.2.2.1.6 1.3.6.1.2.1.25.3.2.1.3 1.3.6.1.2.1.43.5.1.1.17 1.3.6.1.2.1.43.10.2.1.4
  1.3.6.1.2.1.43.10.2.1.5 1.3.6.1.2.1.43.11.1.1.3 1.3.6.1.2.1.43.11.1.1.4 1.3.6.1.2.1.43.11.1.1.5 1.3.6.1.2.1.43.11.1.1.6
  1.3.6.1.2.1.43.11.1.1.8 1.3.6.1.2.1.43.11.1.1.9 1.3.6.1.2.1.43.12.1.1.4 1.3.6.1.4.1.253.8.51.1.2.1.20
  1.3.6.1.4.1.253.8.53.3.2.1.3 1.3.6.1.4.1.253.8.53.13.2.1.6 1.3.6.1.4.1.18334.1.1.1.5.7.2 1.3.6.1.4.1.11.2.3.9.4.2.1.4.1.2)

echo "== 1. Reading a full MFD ($REC: 12 supplies, 11 meters), $RUNS runs each"
log="$tmp/ours.log"; start_device "$log"
t0=$(ms); for _ in $(seq "$RUNS"); do $BIN device read --json --target "$addr" >/dev/null; done; t1=$(ms)
stop_device $pid; ours_req=$(answered "$log")
printf "support-assistant device read : %5.1f round trips/read  %6.2f ms/read (process start included)\n" \
  "$(echo "$ours_req / $RUNS" | bc -l)" "$(echo "($t1 - $t0) / 1000000 / $RUNS" | bc -l)"

for reps in 10 25; do
  log="$tmp/netsnmp$reps.log"; start_device "$log"
  t0=$(ms)
  for _ in $(seq "$RUNS"); do
    for s in "${SUBTREES[@]}"; do snmpbulkwalk -v2c -c public -Cr$reps -On "$addr" "$s" >/dev/null; done
  done
  t1=$(ms); stop_device $pid; ns_req=$(answered "$log")
  printf "snmpbulkwalk -Cr%-2s (18 walks)  : %5.1f round trips/read  %6.2f ms/read (18 process starts included)\n" \
    "$reps" "$(echo "$ns_req / $RUNS" | bc -l)" "$(echo "($t1 - $t0) / 1000000 / $RUNS" | bc -l)"
done

echo
echo "== 2. Agent throughput: GETBULK (max-repetitions 25, supplies table), ${SECS}s, 8 workers in flight"
log="$tmp/load.log"; start_device "$log"
printf "device serve (ours) : "; $LOAD "$addr" public "$SECS" 8
stop_device $pid
if python3 -c 'import snmpsim, pysmi' 2>/dev/null; then
  mkdir -p "$tmp/sim" "$tmp/simcache"; cp $REC "$tmp/sim/public.snmprec"
  port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  user=(); [ "$(id -u)" = 0 ] && user=(--process-user=root --process-group=root)
  snmpsim-command-responder --data-dir="$tmp/sim" --cache-dir="$tmp/simcache" --agent-udpv4-endpoint=127.0.0.1:$port --logging-method=null "${user[@]}" >/dev/null 2>&1 &
  simpid=$!
  for _ in $(seq 100); do snmpget -v2c -c public -t 0.3 -r 0 127.0.0.1:$port 1.3.6.1.2.1.1.1.0 >/dev/null 2>&1 && break; sleep 0.2; done
  printf "snmpsim             : "; $LOAD "127.0.0.1:$port" public "$SECS" 8
  kill $simpid
fi
