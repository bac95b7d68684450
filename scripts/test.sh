#!/usr/bin/env bash
# Sets everything up and runs every test suite: Rust, the engine package,
# dbt projects rewritten and built by real dbt on DuckDB, TypeScript, Jest
# (unit and backend integration, on SQLite and a real PostgreSQL), the crash
# test (a real backend killed 10 times), and the browser end-to-end tests in
# Debian's Chromium.
# Runs them all, then exits non-zero if any failed.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$ROOT/scripts/setup.sh"

# The PostgreSQL server that Backstage's TestDatabases connects to.
start_postgres() {
  local version
  version="$(ls /usr/lib/postgresql | sort -n | tail -1)"
  if ! pg_lsclusters --no-header | awk -v v="$version" '$1 == v && $2 == "main" && $4 == "online"' | grep -q .; then
    log "starting PostgreSQL $version"
    as_root pg_ctlcluster "$version" main start
  fi
  as_root su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'ripple'\"" >/dev/null
  export "BACKSTAGE_TEST_DATABASE_POSTGRES${version}_CONNECTION_STRING=postgresql://postgres:ripple@127.0.0.1:5432"
}
start_postgres

cd "$ROOT"
failed=()
# Each suite's output is kept too, so that the end of the run can repeat
# what a failed suite said last: a CI that shows only the end of a long run
# then still shows why it failed.
logs="$(mktemp -d)"
suites=0
suite() {
  local name="$1"
  shift
  log "test: $name"
  local started=$SECONDS
  suites=$((suites + 1))
  local output="$logs/suite-$suites.log"
  # Into a file, shown as it grows: a pipe (tee) would wait for every
  # process the suite leaves holding its output, a file waits for none.
  # The file exists before tail opens it: the background suite creates it
  # only when it starts, and a tail that came first failed the whole run.
  : >"$output"
  "$@" >"$output" 2>&1 &
  local pid=$!
  tail -n +1 -f --pid="$pid" "$output" || true
  if wait "$pid"; then
    log "passed: $name ($((SECONDS - started)) s)"
  else
    log "FAILED: $name ($((SECONDS - started)) s)"
    failed+=("$name")
    cp "$output" "$logs/failed-${#failed[@]}.log"
  fi
}

suite "Rust" cargo test --workspace --locked
# rustfmt.toml sets the width the code is written to; drift fails here.
suite "Rust formatting" cargo fmt --all --check
suite "engine package in Node" yarn workspace @ripple/engine test
# Small dbt projects rewritten by `ripple rewrite --project` for upstream
# changes, each built by real dbt on DuckDB before and after: the same rows.
suite "dbt projects (real dbt on DuckDB)" "$ROOT/tests/dbt/run.sh"
suite "TypeScript" yarn tsc
# CI=true: Jest runs once instead of watching, and never writes snapshots.
suite "Jest (unit and backend integration)" env CI=true yarn backstage-cli repo test
# A real backend process on PostgreSQL with a rollout under way, killed with
# SIGKILL 10 times at random moments (a new seed each run, printed; replay
# with tests/crash/run.sh --seed S); the long form is --kills 100.
suite "crash test (10 kills)" "$ROOT/tests/crash/run.sh" --kills 10
# The same for a migration's steps on a PostgreSQL warehouse: killed 8 times
# during the backfill of a million rows, the switch, the contract and the
# rollbacks (replay with tests/crash/steps.sh --seed S).
suite "steps crash test (8 kills)" "$ROOT/tests/crash/steps.sh" --kills 8
suite "browser end-to-end" yarn playwright test
# Packs every published package and installs the tarballs into fresh
# create-app portals (new and legacy frontend systems) by the README's lines.
suite "install into fresh portals" "$ROOT/tests/install/run.sh"

if ((${#failed[@]})); then
  for i in "${!failed[@]}"; do
    log "the last lines of the failed suite \"${failed[$i]}\":"
    tail -n 60 "$logs/failed-$((i + 1)).log" >&2
  done
  die "failed suites: $(printf '%s; ' "${failed[@]}")"
fi
log "all suites passed"
