#!/usr/bin/env bash
# The steps' crash test (docs/steps.md, "Resume"): a real backend on
# PostgreSQL runs a migration's steps on a PostgreSQL warehouse and is
# killed with SIGKILL during the backfill, the switch, the contract and the
# rollbacks; after each restart the warehouse must match the steps' states,
# with nothing lost or doubled, and at the end, every step rolled back, be
# exactly as it was.
#
#   tests/crash/steps.sh [--kills N] [--seed S] [--rows R] [--batch-rows B] [--keep]
#
# Needs PostgreSQL on 127.0.0.1:5432, as run.sh. Each run creates and drops
# two databases of its own (the plugin's and the warehouse's).
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"

cd "$ROOT"
exec node --enable-source-maps --require "$ROOT/node_modules/@backstage/cli-node/config/nodeTransform.cjs" \
  "$ROOT/tests/crash/steps.mjs" "$@"
