#!/usr/bin/env bash
# Sets everything up and starts the dev portal: frontend on
# http://localhost:3000, backend on :7007, data in .ripple/sqlite (kept across
# restarts), the example catalog from examples/ loaded.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$ROOT/scripts/setup.sh"
mkdir -p "$ROOT/.ripple/sqlite"
# The example warehouse where shop-orders lives (docs/validation.md).
node "$ROOT/scripts/example-warehouse.mjs"
cd "$ROOT"
exec yarn start "$@"
