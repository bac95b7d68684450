#!/usr/bin/env bash
# Regenerates the typed router of the backend plugin from its OpenAPI spec
# (plugins/ripple-backend/src/schema/openapi.yaml) with Backstage's repo-tools,
# after putting the schemas of the engine's types it carries into it
# (`ripple schema`: the change spec, a finding's kind and severity).
#
# repo-tools runs openapi-generator, whose jar it downloads from Maven Central;
# where Maven Central is unreachable, the same jar is taken from PyPI's
# `openapi-generator-cli` wheel.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

generator_dir="$ROOT/node_modules/@openapitools/openapi-generator-cli"
# The generator version repo-tools pins.
version="$(node -p "require('$ROOT/node_modules/@backstage/repo-tools/openapitools.json')['generator-cli'].version")"
jar="$generator_dir/versions/$version.jar"
if [[ ! -f "$jar" ]]; then
  log "fetching openapi-generator $version"
  tmp="$(mktemp -d)"
  python3 -m pip download --quiet --no-deps -d "$tmp" "openapi-generator-cli==$version"
  mkdir -p "$(dirname "$jar")"
  python3 -c "import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read('openapi_generator_cli/openapi-generator.jar'))" "$tmp"/*.whl >"$jar"
  rm -rf "$tmp"
fi
# The engine's schemas, from its Rust types.
schema="$(mktemp)"
(cd "$ROOT" && cargo run --quiet --locked -p ripple-cli -- schema >"$schema")
node "$ROOT/scripts/engine-schemas.mjs" "$schema"
rm -f "$schema"
"$ROOT/node_modules/.bin/prettier" --log-level warn --write "$ROOT/plugins/ripple-backend/src/schema/openapi.yaml"
cd "$ROOT/plugins/ripple-backend"
"$ROOT/node_modules/.bin/backstage-repo-tools" package schema openapi generate --server --client-package plugins/ripple-common
