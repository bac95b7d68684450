#!/usr/bin/env bash
# dbt projects rewritten by `ripple rewrite --project` and built by real dbt
# on DuckDB before and after each change (tests/dbt/rewrites.test.js says
# how; tests/dbt/README.md says what).
#
#   tests/dbt/run.sh
#
# Needs what scripts/setup.sh installs: dbt in .tools/dbt, and the yarn
# workspace (for @duckdb/node-api). Builds the debug CLI first (after the Rust
# suite, nothing is left to compile). Environment: RIPPLE_DBT_ONLY,
# RIPPLE_DBT_ORDER, RIPPLE_DBT_WITHOUT_PROJECT, RIPPLE_DBT_JOBS,
# RIPPLE_DBT_KEEP (see the test).
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"

[[ -x "$TOOLS/dbt/bin/dbt" ]] || die "no dbt in .tools/dbt: run scripts/setup.sh"
cd "$ROOT"
log "building the ripple CLI (debug)"
cargo build --quiet --locked -p ripple-cli
export RIPPLE_CLI="${CARGO_TARGET_DIR:-$ROOT/target}/debug/ripple"
# dbt must not reach the network: no usage statistics (the test sets the
# same), and the projects install no packages (no `dbt deps`).
export DBT_SEND_ANONYMOUS_USAGE_STATS=false
exec node --test --test-reporter=spec tests/dbt/rewrites.test.js
