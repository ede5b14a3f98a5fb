#!/usr/bin/env bash
# Installs the real peers the tests talk to: net-snmp's tools, snmpsim, an SMTP server, Chromium.
set -euo pipefail
need_apt=()
command -v snmpget >/dev/null 2>&1 || need_apt+=(snmp)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need_apt+=(chromium-driver)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
command -v bc >/dev/null 2>&1 || need_apt+=(bc)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
command -v sqlite3 >/dev/null 2>&1 || need_apt+=(sqlite3)
command -v timeout >/dev/null 2>&1 || need_apt+=(coreutils)
if [ ${#need_apt[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
python3 -c 'import snmpsim, pysmi' 2>/dev/null || pip install -q snmpsim pysmi
python3 -c 'import aiosmtpd' 2>/dev/null || pip install -q aiosmtpd
# schemathesis, pinned: a new release brings new checks, which should arrive by a change here.
[ "$(st --version 2>/dev/null)" = "st, version 4.32.5" ] || pip install -q "schemathesis==4.32.5"
command -v cargo-nextest >/dev/null 2>&1 || cargo install --locked cargo-nextest
