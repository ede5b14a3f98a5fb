#!/usr/bin/env bash
# Runs every test of the project: formatting, lints, unit, integration and interop tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
export DATABASE_URL_PG="${DATABASE_URL_PG:-postgres://postgres@127.0.0.1:5432/test}"
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# Tests that start the binary use the one this build makes (no cargo inside a test).
export SA_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/support-assistant"
cargo nextest run --workspace --locked --no-fail-fast
# The OpenAPI documents say what the services do: schemathesis, every check, a fixed seed and few
# examples (well under 2 minutes on 2 cores), against the binary above.
bash scripts/schemathesis.sh 5 manager gallery assistant
