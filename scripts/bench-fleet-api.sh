#!/usr/bin/env bash
# Benchmark of issue 13 (fleet API): requests per second of GET /api/v1/fleet/devices for a page of
# 100 devices, on a partner with 10 000 agent-reported devices and 30 days of supply levels (one
# reading a day, two supplies each: the window the forecasts read). Prints numbers, asserts nothing.
# A small load client (Python, keep-alive connections) on loopback against `support-assistant serve manager` (release build); SQLite and PostgreSQL
# (DATABASE_URL_PG, default postgres://postgres@127.0.0.1:5432/test, in a schema of its own that is
# dropped afterwards).
#
# Seeding: the devices' last readings go in through the real ingestion API (batches of 300
# readings, with the agent credential `agent enroll` wrote), the 29 earlier days by SQL in bulk (as
# scripts/bench-fleet-policies.sh does), so the page's forecasts have a month of history.
# The forecasts stored by the evaluation after each batch saw one reading; the history came in
# behind the API's back, so they are deleted (as after an upgrade: nothing stored yet). A first
# pass over every page, one at a time, computes and stores them ("cold pages", what the first
# reads after an upgrade cost); the runs after it (and an ANALYZE, as autovacuum would do) read
# stored forecasts, as a partner's ERP does between the evaluations that keep them fresh.
# Usage: bash scripts/bench-fleet-api.sh [SECONDS_PER_RUN] [CONNECTIONS] [DEVICES]  (defaults 10 16 10000)
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-10}
CONN=${2:-16}
DEVICES=${3:-10000}
PG=${DATABASE_URL_PG:-postgres://postgres@127.0.0.1:5432/test}
# SA_BIN: another build of the binary (e.g. a debug one to try the script); numbers are for release.
if [ -n "${SA_BIN:-}" ]; then
  BIN=$SA_BIN
else
  cargo build -q --release -p support-assistant --bin support-assistant
  BIN=$PWD/target/release/support-assistant
fi
tmp=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# A small load client (oha is not part of the test dependencies): CONN keep-alive connections, one
# thread each, for SECS seconds; the URL's "{offset}" is replaced by a random multiple of 100 below
# the device count. Prints "rps p50_ms p99_ms ok_share". Its own ceiling shows in the /healthz line.
load() { # $1 = URL, $2 = API key (or empty)
  python3 - "$1" "$2" "$SECS" "$CONN" "$DEVICES" <<'PY'
import http.client, random, sys, threading, time, urllib.parse
url, key, secs, conn, devices = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
u = urllib.parse.urlsplit(url.replace("{offset}", "0"))
headers = {"Authorization": "Bearer " + key} if key else {}
lat, ok, total, lock = [], [0], [0], threading.Lock()
end = time.monotonic() + secs
def worker(seed):
    rnd = random.Random(seed)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    mine, good, n = [], 0, 0
    while time.monotonic() < end:
        path = urllib.parse.urlsplit(url.replace("{offset}", str(rnd.randrange(max(1, devices // 100)) * 100)))
        target = path.path + ("?" + path.query if path.query else "")
        t = time.monotonic()
        try:
            c.request("GET", target, headers=headers)
            r = c.getresponse(); r.read()
            good += 200 <= r.status < 300
        except Exception:
            c.close(); c = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        mine.append(time.monotonic() - t); n += 1
    with lock:
        lat.extend(mine); ok[0] += good; total[0] += n
start = time.monotonic()
threads = [threading.Thread(target=worker, args=(i,)) for i in range(conn)]
for t in threads: t.start()
for t in threads: t.join()
took = time.monotonic() - start
lat.sort()
pct = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000 if lat else 0.0
print("%.1f %.1f %.1f %.1f%%" % (total[0] / took, pct(0.50), pct(0.99), 100.0 * ok[0] / max(1, total[0])))
PY
}

# Every page once, in order, on one connection: prints "rps p50_ms p99_ms ok_share".
sweep() { # $1 = URL with {offset}, $2 = API key
  python3 - "$1" "$2" "$DEVICES" <<'PY'
import http.client, sys, time, urllib.parse
url, key, devices = sys.argv[1], sys.argv[2], int(sys.argv[3])
u = urllib.parse.urlsplit(url.replace("{offset}", "0"))
c = http.client.HTTPConnection(u.hostname, u.port, timeout=300)
lat, ok = [], 0
start = time.monotonic()
for offset in range(0, devices, 100):
    path = urllib.parse.urlsplit(url.replace("{offset}", str(offset)))
    t = time.monotonic()
    c.request("GET", path.path + "?" + path.query, headers={"Authorization": "Bearer " + key})
    r = c.getresponse(); r.read()
    ok += 200 <= r.status < 300
    lat.append(time.monotonic() - t)
took = time.monotonic() - start
lat.sort()
pct = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000 if lat else 0.0
print("%.1f %.1f %.1f %.1f%%" % (len(lat) / took, pct(0.50), pct(0.99), 100.0 * ok / max(1, len(lat))))
PY
}

# POSTs the devices' last readings as the agent does: batches of 300 (under the 256 KiB body limit).
ingest() { # $1 = manager URL, $2 = agent credential
  python3 - "$1" "$2" "$DEVICES" <<'PY'
import json, sys, uuid, urllib.request, datetime
url, cred, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
def supply(index, desc, pct):
    return {"index": index, "description": desc, "part_number": None, "type": "toner",
            "class": "consumed", "colorant": None, "max_capacity": 100, "level": pct,
            "percent": pct, "status": "ok"}
stored = 0
for start in range(0, n, 300):
    readings = []
    for i in range(start, min(n, start + 300)):
        readings.append({
            "reading_id": str(uuid.uuid4()),
            "read_at": now.isoformat().replace("+00:00", "Z"),
            "address": "127.0.10.1:161",
            "identity": {"serial": "BENCH-%05d" % i, "model": "MFD 5000", "mac": None,
                         "sys_descr": None, "sys_object_id": None},
            "status": {},
            "supplies": [supply("1.1", "Black Toner", 40 + (i * 7) % 60),
                         supply("1.2", "Cyan Toner", 40 + (i * 13) % 60)],
            "meters": [], "alerts": []})
    body = json.dumps({"batch_id": str(uuid.uuid4()), "agent_version": "bench",
                       "readings": readings}).encode()
    req = urllib.request.Request(url + "/api/v1/agents/readings", data=body, method="POST",
                                 headers={"Authorization": "Bearer " + cred,
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=300) as r:
        stored += json.load(r)["stored"]
print(stored)
PY
}

# 29 earlier days of history per device: a reading a day, levels 1 % a day higher back in time.
HISTORY_SQL="
WITH RECURSIVE days(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM days WHERE n < 29)
INSERT INTO fleet_readings (id, partner_id, device_id, agent_id, batch_id, read_at, received_at,
  address, device_status, printer_status, errors, body)
SELECT f.device_id || '-' || CAST(days.n AS TEXT), f.partner_id, f.device_id, f.agent_id, 'bench',
  f.last_read_at - CAST(days.n AS BIGINT) * 86400000, f.last_read_at - CAST(days.n AS BIGINT) * 86400000,
  '', NULL, NULL, '', '{}'
FROM fleet_devices f CROSS JOIN days;
INSERT INTO fleet_supply_levels (reading_id, device_id, supply_index, description, kind, class,
  colorant, level, max_capacity, percent, status, read_at)
SELECT r.id, r.device_id, l.supply_index, l.description, l.kind, l.class, l.colorant,
  l.level + (f.last_read_at - r.read_at) / 86400000, l.max_capacity,
  l.percent + (f.last_read_at - r.read_at) / 86400000, l.status, r.read_at
FROM fleet_readings r JOIN fleet_devices f ON f.device_id = r.device_id
JOIN fleet_supply_levels l ON l.reading_id = f.last_reading_id WHERE r.batch_id = 'bench';
DELETE FROM fleet_supply_forecasts;
ANALYZE;"

bench_backend() { # $1 = label, $2 = sql command prefix, rest = data args
  local label=$1 sql=$2; shift 2
  local data=("$@")
  export SA_MANAGER_DATA_KEYS_FILE=$tmp/keys
  export RUST_LOG=warn
  local partner customer key token
  partner=$($BIN manager tenant add --name "Bench $label" "${data[@]}")
  customer=$($BIN manager customer add --partner "$partner" --name "Bench customer" "${data[@]}")
  key=$($BIN manager api-key add --partner "$partner" "${data[@]}")
  token=$($BIN manager agent add --partner "$partner" --customer "$customer" --name bench "${data[@]}" | grep -o 'sae_[A-Za-z0-9_-]*' | head -1)
  $BIN serve manager --listen 127.0.0.1:0 --insecure-http "${data[@]}" >"$tmp/serve-$label.log" 2>&1 &
  pid=$!
  for _ in $(seq 300); do grep -q 'listening on' "$tmp/serve-$label.log" 2>/dev/null && break; sleep 0.1; done
  local addr
  addr=$(grep -o 'http://127.0.0.1:[0-9]*' "$tmp/serve-$label.log" | head -1)
  $BIN agent enroll --manager "$addr" --token "$token" --data-dir "$tmp/agent-$label" >/dev/null
  local cred stored started seeded
  cred=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["credential"])' "$tmp/agent-$label/agent.json")
  started=$(date +%s.%N)
  stored=$(ingest "$addr" "$cred")
  $sql "$HISTORY_SQL" >/dev/null
  seeded=$(echo "$(date +%s.%N) - $started" | bc -l)
  local cold first pages bare
  cold=$(sweep "$addr/api/v1/fleet/devices?limit=100&offset={offset}" "$key")
  # The cold pass filled fleet_supply_forecasts, analysed above while empty: PostgreSQL then reads
  # a page's stored forecasts by scanning them all (rows=1 estimate, about 50 ms a page instead
  # of 3). Autovacuum analyses a table that grew so much within a minute; here it is done at once.
  $sql "ANALYZE;" >/dev/null
  first=$(load "$addr/api/v1/fleet/devices?limit=100" "$key")
  pages=$(load "$addr/api/v1/fleet/devices?limit=100&offset={offset}" "$key")
  bare=$(load "$addr/healthz" "")
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
  read -r c_rps c50 c99 cok <<<"$cold"
  read -r f_rps f50 f99 fok <<<"$first"
  read -r p_rps p50 p99 pok <<<"$pages"
  read -r b_rps b50 b99 bok <<<"$bare"
  printf "%-10s %-30s %9s %9s %9s %6s\n" "$label" "cold pages, 1 conn (compute)" "$c_rps" "$c50" "$c99" "$cok"
  printf "%-10s %-30s %9s %9s %9s %6s\n" "$label" "fleet page 100 (first)" "$f_rps" "$f50" "$f99" "$fok"
  printf "%-10s %-30s %9s %9s %9s %6s\n" "$label" "fleet page 100 (any offset)" "$p_rps" "$p50" "$p99" "$pok"
  printf "%-10s %-30s %9s %9s %9s %6s\n" "$label" "bare /healthz" "$b_rps" "$b50" "$b99" "$bok"
  printf "%-10s seeded %s devices (readings stored over HTTP: %s) + 29 days of history in %.1f s\n" \
    "$label" "$DEVICES" "$stored" "$seeded"
}

echo "== fleet API, ${SECS}s per run, $CONN connections, loopback, $(nproc) cores, $DEVICES devices x 30 days"
printf "%-10s %-30s %9s %9s %9s %6s\n" backend route "req/s" "p50 ms" "p99 ms" "2xx"
bench_backend sqlite "sqlite3 $tmp/bench.db" --database "sqlite://$tmp/bench.db"
schema="bench_fleet_api_$$"
pg_sql() { PGOPTIONS="-c search_path=$schema" psql "$PG" -q -v ON_ERROR_STOP=1 -c "$1"; }
bench_backend postgres pg_sql --database "$PG" --pg-schema "$schema"
psql "$PG" -qc "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true
