#!/usr/bin/env bash
# Builds the engine's WebAssembly package (packages/engine) with wasm-pack:
# the `nodejs` target for the backend and Jest, the `web` target for the
# browser bundle. Skipped when the Rust sources have not changed.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$ROOT"
hash="$(hash_files Cargo.toml Cargo.lock $(git ls-files -co --exclude-standard rust-engine | grep -v '/tests/'))"
out="$ROOT/packages/engine"
if stamp_matches engine "$hash" && [[ -f "$out/node/ripple_engine_bg.wasm" && -f "$out/web/ripple_engine_bg.wasm" ]]; then
  exit 0
fi
for target in nodejs web; do
  dir=$([[ $target == nodejs ]] && echo node || echo web)
  log "building the engine's WebAssembly package ($target)"
  wasm-pack --quiet build rust-engine/wasm --release --target "$target" \
    --out-dir "$out/$dir" --out-name ripple_engine --no-pack
  # wasm-pack writes a `.gitignore` of `*`, which would also hide the files from `npm pack`.
  rm -f "$out/$dir/.gitignore"
done
stamp_write engine "$hash"
