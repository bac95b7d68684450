#!/usr/bin/env bash
# Sets up everything Ripple needs on a fresh machine: Node 22 and yarn, the
# Rust WebAssembly toolchain, Debian's PostgreSQL and Chromium, dbt on DuckDB
# for the dbt projects' test, the yarn workspace, and the engine's
# WebAssembly package. Idempotent.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_node() {
  if [[ "$("$NODE_HOME/bin/node" --version 2>/dev/null)" != v$NODE_MAJOR.* ]]; then
    log "installing Node $NODE_MAJOR into .tools/node"
    rm -rf "$TOOLS/node" && mkdir -p "$TOOLS/node"
    # A package.json of its own, or npm would install into the repo's workspace.
    echo '{"private": true}' >"$TOOLS/node/package.json"
    (cd "$TOOLS/node" && npm install --no-save --no-package-lock --no-audit --no-fund "node@$NODE_MAJOR" >/dev/null)
  fi
  mkdir -p "$TOOLS/bin"
  # `yarn` for every script and for tools that spawn it (Playwright, Backstage CLI).
  cat >"$TOOLS/bin/yarn" <<SHIM
#!/bin/sh
exec "$NODE_HOME/bin/node" "$YARN_RELEASE" "\$@"
SHIM
  chmod +x "$TOOLS/bin/yarn"
}

# Debian 12's Prometheus, for the health provider's test (docs/health.md).
PROMETHEUS_VERSION=2.42.0+ds-5+deb12u1

ensure_debian_packages() {
  local missing=()
  # prometheus: Debian 12's 2.42, a real Prometheus for the health
  # provider's tests (it starts no service here; the tests run their own).
  for pkg in postgresql chromium prometheus; do
    # (`dpkg -s` also succeeds for removed packages whose config files remain.)
    [[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" == "install ok installed" ]] || missing+=("$pkg")
  done
  if ((${#missing[@]})); then
    log "installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    # Prometheus is pinned to the version its test was written against.
    missing=("${missing[@]/#prometheus/prometheus=$PROMETHEUS_VERSION}")
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

ensure_rust_wasm() {
  command -v cargo >/dev/null || die "cargo not found: install Rust with rustup (https://rustup.rs)"
  rustup target list --installed | grep -qx wasm32-unknown-unknown \
    || { log "adding the wasm32-unknown-unknown target"; rustup target add wasm32-unknown-unknown; }
  # The test command checks the Rust code's formatting (rustfmt.toml).
  [[ "$(rustup component list --installed)" == *rustfmt* ]] \
    || { log "adding rustfmt"; rustup component add rustfmt; }
  local wasm_pack="0.15.1"
  [[ "$(wasm-pack --version 2>/dev/null)" == "wasm-pack $wasm_pack" ]] \
    || { log "installing wasm-pack $wasm_pack"; cargo install wasm-pack --version "$wasm_pack" --locked; }
  # wasm-pack uses the wasm-bindgen CLI on PATH only when it matches the crate
  # version in Cargo.lock exactly. (--locked fails on this registry.)
  local bindgen
  bindgen="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock")"
  [[ -n "$bindgen" ]] || die "wasm-bindgen not found in Cargo.lock"
  [[ "$(wasm-bindgen --version 2>/dev/null)" == "wasm-bindgen $bindgen" ]] \
    || { log "installing wasm-bindgen-cli $bindgen"; cargo install wasm-bindgen-cli --version "$bindgen"; }
}

# dbt-core and dbt-duckdb (tests/dbt: real dbt builds of the projects Ripple
# rewrites) and OpenLineage's dbt integration, dbt-ol (the OpenLineage
# test: real dbt runs posting their events to a running backend), in a
# virtualenv of their own, every package pinned in tests/dbt/requirements.txt
# and installed without resolving anything else.
ensure_dbt() {
  local hash
  hash="$(hash_files tests/dbt/requirements.txt)"
  if ! stamp_matches dbt "$hash" || [[ ! -x "$TOOLS/dbt/bin/dbt" ]] || [[ ! -x "$TOOLS/dbt/bin/dbt-ol" ]]; then
    command -v python3 >/dev/null || die "python3 not found: dbt (tests/dbt) needs Python 3.9 to 3.13 with venv"
    log "installing dbt-core, dbt-duckdb and openlineage-dbt into .tools/dbt"
    rm -rf "$TOOLS/dbt"
    python3 -m venv "$TOOLS/dbt" || die "python3 -m venv failed (on Debian's Python: apt-get install python3-venv)"
    "$TOOLS/dbt/bin/pip" install --quiet --disable-pip-version-check --no-input --no-deps -r "$ROOT/tests/dbt/requirements.txt"
    # --no-deps installs exactly the list: `pip check` proves it complete.
    "$TOOLS/dbt/bin/pip" check >/dev/null || die "tests/dbt/requirements.txt misses a dependency: $("$TOOLS/dbt/bin/pip" check)"
    stamp_write dbt "$hash"
  fi
}

ensure_yarn_install() {
  local hash
  hash="$(hash_files yarn.lock package.json packages/*/package.json plugins/*/package.json)"
  if ! stamp_matches yarn "$hash" || [[ ! -d "$ROOT/node_modules" ]]; then
    log "yarn install"
    # Yarn makes this --immutable by itself when CI is set.
    (cd "$ROOT" && yarn install)
    stamp_write yarn "$hash"
  fi
}

ensure_node
ensure_debian_packages
ensure_rust_wasm
ensure_dbt
# The engine's build runs wasm-opt from the yarn workspace.
ensure_yarn_install
"$ROOT/scripts/build-engine.sh"
