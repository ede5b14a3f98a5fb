#!/usr/bin/env bash
# schemathesis (PyPI) against each service's /openapi.json, authenticated as its real clients are,
# on a demo started on loopback:
#   manager    the partner's manager API key (as the assistant and partners' systems call it) for
#              the operations of security scheme `api_key`, and for those of `agent_credential`
#              (an agent's batches of readings) the credential of an agent this script creates
#              (POST /api/v1/agents) and enrols (POST /api/v1/agents/enroll) as
#              `support-assistant agent enroll` does; see scripts/schemathesis/manager.toml
#   gallery    the gallery API key
#   assistant  a device credential (Bearer) with its sealed configuration (X-App-Config), as the
#              weblet calls it; both come from the gallery's install endpoint, as a device's do.
#              The assistant runs as `serve assistant` next to the demo (same manager, gallery and
#              keys) with a per-device rate limit a fuzzer does not trip over.
# Every check (`--checks all`), deterministic generation (the same cases every run, so a CI failure
# repeats), scripts/schemathesis/SERVICE.toml for what a service's OpenAPI document cannot say,
# and optionally a time budget per service (SA_SCHEMATHESIS_MAX_TIME seconds; fuzzing then repeats
# until it is spent).
# Prints schemathesis' summary per service; exits non-zero when it found failures.
# Usage: scripts/schemathesis.sh [MAX_EXAMPLES] [SERVICE…]   (SA_BIN = the binary, default target/debug)
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${SA_BIN:-$PWD/target/debug/support-assistant}
MAX=${1:-20}
shift || true
ONLY=" ${*:-manager gallery assistant} "
[ "$(st --version 2>/dev/null)" = "st, version 4.32.5" ] || pip install -q "schemathesis==4.32.5"
tmp=$(mktemp -d)
# A block of ports below Linux's ephemeral range (32768-60999), so that no outgoing connection can
# hold one of them: TCP base..base+12, UDP base+50..base+52. Checked free, and the demo is retried
# on another block should one be taken between the check and its bind (3 tries at most).
free_block() {
  python3 - <<'PY'
import random, socket
for _ in range(200):
    base = 10000 + random.randrange(227) * 100
    try:
        socks = []
        for i in range(13):
            s = socket.socket(); s.bind(("127.0.0.1", base + i)); socks.append(s)
        for i in range(3):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", base + 50 + i)); socks.append(s)
    except OSError:
        continue
    finally:
        for s in socks: s.close()
    print(base); break
PY
}
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT
for try in 1 2 3; do
  base=$(free_block)
  [ -n "$base" ] || { echo "no free block of ports below 32768"; exit 1; }
  rm -rf "$tmp/data"
  RUST_LOG=warn "$BIN" demo --data-dir "$tmp/data" --base-port "$base" \
    --snmp-base-port $((base + 50)) >"$tmp/demo.out" 2>"$tmp/demo.err" &
  demo=$!
  for _ in $(seq 600); do
    grep -q 'Press Ctrl-C' "$tmp/demo.out" 2>/dev/null && break
    kill -0 "$demo" 2>/dev/null || break
    sleep 0.1
  done
  if grep -q 'Press Ctrl-C' "$tmp/demo.out"; then pids+=("$demo"); break; fi
  kill "$demo" 2>/dev/null; wait "$demo" 2>/dev/null
  echo "demo did not start on port $base (try $try of 3):"; cat "$tmp/demo.err"
  [ "$try" = 3 ] && exit 1
done
key() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$tmp/data/demo.json" "$1"; }
manager="http://127.0.0.1:$base" gallery="http://127.0.0.1:$((base + 1))"
assistant_port=$((base + 3))

# The assistant, and a device's credential and sealed configuration from the gallery.
if [[ $ONLY == *" assistant "* ]]; then
  SA_MANAGER_API_KEYS="acme=$(key manager_api_key)" SA_CONFIG_KEYS="$(key gallery_sealing)" \
  SA_CONTACT_KEYS="$(key contact_keys)" RUST_LOG=warn "$BIN" serve assistant \
    --listen "127.0.0.1:$assistant_port" --insecure-http --database "sqlite://$tmp/assistant.db" \
    --manager-url "$manager" --gallery-url "$gallery" --mail "folder:$tmp/mail" \
    --rate-limit-per-second 10000 --rate-limit-burst 10000 >"$tmp/assistant.out" 2>"$tmp/assistant.err" &
  pids+=($!)
  curl -sf -X POST -H "Authorization: Bearer $(key gallery_api_key)" -H 'Content-Type: application/json' \
    -d '{}' "$gallery/api/devices/XRX9C934E4A7B21/install" >"$tmp/install.json" \
    || { echo "install at the gallery failed"; exit 1; }
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$assistant_port/healthz" >/dev/null && break; sleep 0.1; done
fi
# The manager's two clients: the partner's API key, and an agent of the demo's first customer,
# created with that key and enrolled with its one-time token.
if [[ $ONLY == *" manager "* ]]; then
  export SA_ST_MANAGER_API_KEY SA_ST_CUSTOMER_ID SA_ST_AGENT_CREDENTIAL
  SA_ST_MANAGER_API_KEY=$(key manager_api_key)
  # KEY of the JSON object on stdin (of its first item when it is a list).
  field() { python3 -c "import json,sys; v=json.load(sys.stdin); print((v[0] if isinstance(v, list) else v)[sys.argv[1]])" "$1"; }
  SA_ST_CUSTOMER_ID=$(curl -sf -H "Authorization: Bearer $SA_ST_MANAGER_API_KEY" "$manager/api/v1/customers" \
    | field id) || { echo "no customer at the manager"; exit 1; }
  token=$(curl -sf -H "Authorization: Bearer $SA_ST_MANAGER_API_KEY" -H 'Content-Type: application/json' \
    -d "{\"customer_id\":\"$SA_ST_CUSTOMER_ID\",\"name\":\"schemathesis\"}" "$manager/api/v1/agents" \
    | field enrol_token) || { echo "creating an agent at the manager failed"; exit 1; }
  SA_ST_AGENT_CREDENTIAL=$(curl -sf -H 'Content-Type: application/json' \
    -d "{\"token\":\"$token\",\"version\":\"schemathesis\"}" "$manager/api/v1/agents/enroll" \
    | field credential) || { echo "enrolling the agent failed"; exit 1; }
fi
bundle() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$tmp/install.json" "$1"; }

status=0
run() { # NAME PORT HEADER…
  local name=$1 port=$2
  shift 2
  [[ $ONLY == *" $name "* ]] || return 0
  local budget=() config=()
  [ -n "${SA_SCHEMATHESIS_MAX_TIME:-}" ] && budget=(--max-time "$SA_SCHEMATHESIS_MAX_TIME")
  [ -f "scripts/schemathesis/$name.toml" ] && config=(--config-file "scripts/schemathesis/$name.toml")
  echo "== schemathesis: $name (http://127.0.0.1:$port/openapi.json)"
  st "${config[@]}" run "http://127.0.0.1:$port/openapi.json" "$@" --checks all --max-examples "$MAX" \
    --generation-deterministic "${budget[@]}" --no-color || status=1
}
run manager "$base"
run gallery $((base + 1)) -H "Authorization: Bearer $(key gallery_api_key)"
if [[ $ONLY == *" assistant "* ]]; then
  run assistant "$assistant_port" -H "Authorization: Bearer $(bundle credential)" \
    -H "X-App-Config: $(bundle sealed_config)"
fi
exit $status
