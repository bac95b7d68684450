#!/usr/bin/env bash
# Builds the engine's WebAssembly package (packages/engine) with wasm-pack:
# the `nodejs` target for the backend and Jest, the `web` target for the
# browser bundle; then shrinks the `.wasm` with binaryen's wasm-opt (the npm
# package `binaryen`, a devDependency of packages/engine: wasm-pack's own
# download of wasm-opt cannot work here). Skipped when the inputs have not
# changed. Needs `yarn install` first (for wasm-opt).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$ROOT"
hash="$(hash_files Cargo.toml Cargo.lock .cargo/config.toml scripts/build-engine.sh packages/engine/package.json \
  $(git ls-files -co --exclude-standard rust-engine | grep -v '/tests/\|/examples/'))"
out="$ROOT/packages/engine"
if stamp_matches engine "$hash" && [[ -f "$out/node/ripple_engine_bg.wasm" && -f "$out/web/ripple_engine_bg.wasm" && -f "$out/node-dbt/ripple_engine_bg.wasm" && -f "$out/node-canary/ripple_engine_bg.wasm" ]]; then
  exit 0
fi
wasm_opt="$ROOT/node_modules/.bin/wasm-opt"
[[ -x "$wasm_opt" ]] || die "wasm-opt not found: run yarn install (the binaryen devDependency of packages/engine)"

build() { # target, out dir, extra cargo arguments
  local target=$1 dir=$2
  shift 2
  log "building the engine's WebAssembly package ($dir)"
  wasm-pack --quiet build rust-engine/wasm --profile wasm-release --target "$target" \
    --out-dir "$out/$dir" --out-name ripple_engine --no-pack "$@"
  # wasm-pack writes a `.gitignore` of `*`, which would also hide the files from `npm pack`.
  rm -f "$out/$dir/.gitignore"
}
optimize() { # .wasm file
  # The --enable flags are the features rustc's wasm32 target emits by default.
  # -O3 rather than -Oz: see "Size" in docs/engine.md for the figures.
  "$wasm_opt" "$1" -o "$1" -O3 --strip-debug --strip-producers \
    --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue
}

build nodejs node
build web web
# Both targets get the same module (only the JS glue differs): optimize once.
cmp -s "$out/node/ripple_engine_bg.wasm" "$out/web/ripple_engine_bg.wasm" \
  || die "the nodejs and web builds produced different .wasm files"
log "optimizing the .wasm (wasm-opt)"
optimize "$out/web/ripple_engine_bg.wasm"
cp "$out/web/ripple_engine_bg.wasm" "$out/node/ripple_engine_bg.wasm"
# Node's dbt project bindings (the `dbt` feature) are a module of their own,
# loaded on first use: the engine's module stays the one the browser runs
# (under 1 MB gzip), so the tests in Node test that very module, stack
# depth included (test/chains.test.js, hostile.test.js).
build nodejs node-dbt --features dbt
log "optimizing the dbt module's .wasm (wasm-opt)"
optimize "$out/node-dbt/ripple_engine_bg.wasm"
# The engine canary's test build (docs/backend.md, "Engine versions and the
# canary"): another version rewriting one construct differently. Tests only:
# not in the package's files, and not optimized.
build nodejs node-canary --features canary
stamp_write engine "$hash"
