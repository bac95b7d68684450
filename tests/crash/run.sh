#!/usr/bin/env bash
# The crash test: a real backend on PostgreSQL with a rollout under way,
# killed with SIGKILL at random moments and restarted; the invariants are
# checked after every restart (docs/backend.md, "Tests"; docs/rollout.md).
#
#   tests/crash/run.sh [--kills N] [--seed S] [--consumers C] [--up-ms MS] [--keep]
#
# --kills: how many SIGKILLs (default 10, the short form in scripts/test.sh;
# the long form is --kills 100). --seed: replays a run (each run prints its
# seed). --consumers: the fleet's size (default 8, at least 7). --up-ms: the
# longest time the backend runs after it is ready before a kill (default
# 6000). --keep: keeps the database and the work folder.
#
# Needs PostgreSQL on 127.0.0.1:5432 (user postgres, password ripple, or
# RIPPLE_CRASH_PG_PASSWORD); scripts/test.sh starts it. Each run creates and
# drops a database of its own, ripple_crash_<seed>_<pid>.
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"

cd "$ROOT"
# Backstage's TypeScript transform (what `backstage-cli package start` runs)
# lets the test load plugins/ripple-common's state table, and the backend
# process it starts load the plugins from their sources.
exec node --enable-source-maps --require "$ROOT/node_modules/@backstage/cli-node/config/nodeTransform.cjs" \
  "$ROOT/tests/crash/crash.mjs" "$@"
