#!/bin/sh
# Time to evaluate every fleet policy (automatic orders, alert incidents, silent devices) for
# 10 000 devices with 90 days of readings, on SQLite and on PostgreSQL (DATABASE_URL_PG, default
# postgres://postgres@127.0.0.1:5432/test). Prints one line per backend.
set -eu
cd "$(dirname "$0")/.."
exec cargo nextest run -p manager --run-ignored only --no-capture -E 'test(bench_fleet_policies)' "$@"
