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
if stamp_matches engine "$hash" && [[ -f "$out/node/ripple_engine_bg.wasm" && -f "$out/web/ripple_engine_bg.wasm" ]]; then
  exit 0
fi
wasm_opt="$ROOT/node_modules/.bin/wasm-opt"
[[ -x "$wasm_opt" ]] || die "wasm-opt not found: run yarn install (the binaryen devDependency of packages/engine)"

for target in nodejs web; do
  dir=$([[ $target == nodejs ]] && echo node || echo web)
  # The Node build has the dbt project bindings too (see the `dbt` feature
  # of rust-engine/wasm).
  extra=()
  [[ $target == nodejs ]] && extra=(-- --features dbt)
  log "building the engine's WebAssembly package ($target)"
  wasm-pack --quiet build rust-engine/wasm --profile wasm-release --target "$target" \
    --out-dir "$out/$dir" --out-name ripple_engine --no-pack "${extra[@]}"
  # wasm-pack writes a `.gitignore` of `*`, which would also hide the files from `npm pack`.
  rm -f "$out/$dir/.gitignore"
  log "optimizing the .wasm ($target, wasm-opt)"
  # The --enable flags are the features rustc's wasm32 target emits by default.
  # -O3 rather than -Oz: see "Size" in docs/engine.md for the figures.
  "$wasm_opt" "$out/$dir/ripple_engine_bg.wasm" -o "$out/$dir/ripple_engine_bg.wasm" \
    -O3 --strip-debug --strip-producers \
    --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue
done
stamp_write engine "$hash"
