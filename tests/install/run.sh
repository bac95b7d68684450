#!/usr/bin/env bash
# The install test: Ripple installs into a portal the way people will take it.
#
#  1. checks every published package's metadata (check-packages.mjs,
#     `backstage-cli repo fix --publish --check`), builds and packs each with
#     yarn and with npm, and checks the tarballs (check-tarballs.mjs);
#  2. serves the tarballs as the @ripple scope of a local npm registry
#     (registry.mjs), so `yarn add @ripple/...` works as after a release;
#  3. for each portal (new frontend system, legacy one): creates it with
#     `@backstage/create-app@0.8.4` in a temporary folder, applies the
#     registry resolutions Ripple's own portal needs (portal.mjs), then the
#     README's "Install into your portal" lines verbatim (readme.mjs);
#  4. type-checks the portal, runs the plugin's engine workers from its
#     dist/ (engine-workers.mjs), checks its config (a misspelt Ripple key must be
#     refused), builds the app once, starts the backend on a free port with
#     its own SQLite files and Ripple's example catalog, and runs the browser
#     smoke test (smoke.spec.ts) in Debian's Chromium.
#
# Environment: RIPPLE_INSTALL_PORTALS ("new legacy" by default),
# RIPPLE_INSTALL_DIR (the work folder; a fresh temporary one by default, kept
# on failure for its logs). Yarn's global cache is shared with the repository.
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"

HERE="$ROOT/tests/install"
PORTALS="${RIPPLE_INSTALL_PORTALS:-new legacy}"
WORK="${RIPPLE_INSTALL_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/ripple-install.XXXXXX")}"
CREATE_APP="@backstage/create-app@0.8.4"
mkdir -p "$WORK"
# Screenshots, sizes and timings are kept here (ignored by git).
export RIPPLE_INSTALL_OUTPUT="$ROOT/.ripple/install"
mkdir -p "$RIPPLE_INSTALL_OUTPUT"
# The portals change their lockfiles (`yarn add`), which CI=true would refuse.
export YARN_ENABLE_IMMUTABLE_INSTALLS=false

started=$SECONDS
: >"$WORK/timings.txt"
step() { # step NAME COMMAND...: runs it, records its wall time, returns its status
  local name="$1" t=$SECONDS rc=0
  shift
  log "install test: $name"
  "$@" || rc=$?
  echo "$name: $((SECONDS - t)) s" >>"$WORK/timings.txt"
  ((rc == 0)) || log "FAILED: $name"
  return "$rc"
}

# Background processes (each the leader of its own process group, by setsid),
# in a file: portals run in subshells.
: >"$WORK/pids"
cleanup() {
  local pid
  while read -r pid; do kill -- "-$pid" 2>/dev/null || true; done <"$WORK/pids"
  # Removed only once its processes are gone, and only after a pass.
  if [[ -n "${PASSED:-}" && -z "${RIPPLE_INSTALL_DIR:-}" ]]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT

free_port() { node -e 'const s=require("net").createServer().listen(0,()=>{console.log(s.address().port);s.close()})'; }

published_dirs() {
  local dir
  for dir in "$ROOT"/plugins/* "$ROOT/packages/engine"; do
    [[ -f "$dir/package.json" ]] && echo "$dir"
  done
}

pack_all() {
  (cd "$ROOT" && yarn tsc)
  mkdir -p "$WORK/tarballs" "$WORK/npm"
  local dir
  for dir in $(published_dirs); do
    (
      cd "$dir"
      if grep -q '"backstage"' package.json; then yarn backstage-cli package build; fi
      yarn pack --out "$WORK/tarballs/%s-%v.tgz" >/dev/null
      # npm must pack it as well (prepack rewrites package.json for both).
      npm pack --pack-destination "$WORK/npm" >/dev/null 2>"$WORK/npm/pack.log" \
        || { cat "$WORK/npm/pack.log" >&2; exit 1; }
    )
  done
  node "$HERE/check-tarballs.mjs" "$WORK/tarballs" "$WORK/npm" | tee "$WORK/sizes.txt"
}

start_registry() {
  rm -f "$WORK/registry.port"
  setsid node "$HERE/registry.mjs" "$WORK/tarballs" "$WORK/registry.port" &
  echo $! >>"$WORK/pids"
  local i
  for i in $(seq 50); do [[ -s "$WORK/registry.port" ]] && break; sleep 0.2; done
  [[ -s "$WORK/registry.port" ]] || die "the local registry did not start"
  REGISTRY="http://localhost:$(cat "$WORK/registry.port")"
}

create_portal() { # create_portal KIND DIR
  local kind="$1" dir="$2" flags=(--skip-install --path "$dir")
  [[ "$kind" == legacy ]] && flags+=(--legacy)
  rm -rf "$dir"
  # create-app asks for the app's name on stdin.
  echo "ripple-install-$kind" | npx --yes "$CREATE_APP" "${flags[@]}" >"$WORK/$kind-create.log" 2>&1 \
    || { tail -30 "$WORK/$kind-create.log" >&2; return 1; }
  node "$HERE/portal.mjs" "$ROOT" "$dir" "$REGISTRY"
}

# Not from the README: the example catalog lives on this disk, where a real
# portal's catalog points at repositories its integrations read. The backend
# plugin's reader of local files lets the UrlReaderService read the example
# consumers' code and the datasets' schema files below examples/ (allowed in
# write_test_config), as in the dev portal.
add_test_fixtures() { # add_test_fixtures DIR
  node - "$1/packages/backend/src/index.ts" <<'JS'
const fs = require('fs');
const [file] = process.argv.slice(2);
const index = fs.readFileSync(file, 'utf8');
const fixture = `// Install test only: read the example catalog's files from disk.
backend.add(
  import('@ripple/backstage-plugin-ripple-backend').then(m => ({
    default: m.localFileUrlReaderFactory,
  })),
);
`;
if (!index.includes('backend.start();')) throw new Error(`${file}: no backend.start();`);
fs.writeFileSync(file, index.replace('backend.start();', `${fixture}backend.start();`));
JS
}

# The portal's own config for the test: its port, its SQLite files, Ripple's
# example catalog, the example catalog's guest user.
write_test_config() { # write_test_config DIR PORT
  cat >"$1/app-config.install.yaml" <<YAML
app:
  baseUrl: http://localhost:$2
backend:
  baseUrl: http://localhost:$2
  listen:
    port: $2
  cors:
    origin: http://localhost:$2
  database:
    client: better-sqlite3
    connection:
      directory: $1/sqlite
  reading:
    allow:
      - host: localhost
        paths: [$ROOT/examples]
catalog:
  rules:
    - allow: [Component, System, API, Resource, Location, User, Group]
  locations:
    - type: file
      target: $ROOT/examples/catalog.yaml
auth:
  providers:
    guest:
      userEntityRef: user:default/guest
      ownershipEntityRefs: [user:default/guest, group:default/guests, group:default/data-platform]
YAML
}

# The portal's config validation must refuse a misspelt Ripple key, naming it.
check_config() { # check_config DIR
  local dir="$1" out
  (cd "$dir" && yarn backstage-cli config:check --strict --config app-config.yaml --config app-config.install.yaml)
  printf 'ripple:\n  agent:\n    intervalSecnds: 5\n' >"$dir/app-config.misspelt.yaml"
  if out="$(cd "$dir" && yarn backstage-cli config:check --strict --config app-config.yaml \
    --config app-config.misspelt.yaml 2>&1)"; then
    die "config:check accepted the misspelt key ripple.agent.intervalSecnds"
  fi
  grep -q "additionalProperty=intervalSecnds.*at /ripple/agent" <<<"$out" \
    || die "config:check refused the misspelt key without naming it: $out"
  log "config:check refuses ripple.agent.intervalSecnds: $(grep -o 'Config must.*' <<<"$out")"
}

# A backend whose plugin failed to start logs it and keeps running, never
# ready: stop waiting at once, and say which plugin failed and why.
startup_failure() { # startup_failure KIND
  local log="$WORK/$1-backend.log" failure plugins
  failure="$(grep -E -A12 "startup failed|Backend failed to start" "$log" 2>/dev/null)" || return 0
  plugins="$(grep -oE "(Plugin|Module) '[^']+'( for plugin '[^']+')? startup failed" <<<"$failure" | sort -u | paste -sd ';' -)"
  printf '%s\n' "$failure" >&2
  die "the $1 portal's backend failed to start: ${plugins:-see $log}"
}

start_backend() { # start_backend KIND DIR PORT
  local kind="$1" dir="$2" port="$3" i
  rm -rf "$dir/sqlite"
  # setsid itself is the background job, so $! leads the backend's process group.
  setsid bash -c "cd '$dir' && exec yarn workspace backend start --config ../../app-config.yaml \
    --config ../../app-config.install.yaml" >"$WORK/$kind-backend.log" 2>&1 &
  BACKEND_PID=$!
  echo "$BACKEND_PID" >>"$WORK/pids"
  for i in $(seq 300); do
    curl -sf "http://localhost:$port/.backstage/health/v1/readiness" >/dev/null && return 0
    kill -0 "$BACKEND_PID" 2>/dev/null || { tail -40 "$WORK/$kind-backend.log" >&2; die "the $kind portal's backend exited"; }
    startup_failure "$kind"
    sleep 1
  done
  tail -40 "$WORK/$kind-backend.log" >&2
  die "the $kind portal's backend was not ready after 300 s"
}

smoke_test() { # smoke_test KIND PORT
  (cd "$HERE" && RIPPLE_PORTAL_KIND="$1" RIPPLE_PORTAL_URL="http://localhost:$2" \
    yarn playwright test --config playwright.config.ts)
}

portal() { # portal KIND: one portal, from create-app to the smoke test
  local kind="$1" dir="$WORK/portal-$1" port portal_started=$SECONDS
  port="$(free_port)"
  step "$kind: create-app" create_portal "$kind" "$dir"
  # The README's lines; its `yarn add` lines are the portal's first install.
  step "$kind: README install lines" node "$HERE/readme.mjs" "$ROOT/README.md" "$dir" "$kind"
  add_test_fixtures "$dir"
  write_test_config "$dir" "$port"
  step "$kind: tsc" bash -c "cd '$dir' && yarn tsc"
  step "$kind: engine workers from dist" node "$HERE/engine-workers.mjs" "$dir/packages/backend"
  step "$kind: config check" check_config "$dir"
  step "$kind: app build" bash -c "cd '$dir' && yarn workspace app build --config ../../app-config.yaml --config ../../app-config.install.yaml"
  step "$kind: backend start" start_backend "$kind" "$dir" "$port"
  local ok=0
  step "$kind: browser smoke test" smoke_test "$kind" "$port" || ok=$?
  kill -- "-$BACKEND_PID" 2>/dev/null || true
  echo "$kind portal in all: $((SECONDS - portal_started)) s" >>"$WORK/timings.txt"
  return "$ok"
}

step "package metadata" node "$HERE/check-packages.mjs"
step "repo fix --publish --check" bash -c "cd '$ROOT' && yarn backstage-cli repo fix --publish --check"
step "build and pack" pack_all
start_registry
failed=()
for kind in $PORTALS; do
  # A subshell of its own, so that `set -e` stops this portal at its first
  # failure (it would not inside `portal || ...`) and the next one still runs.
  set +e
  (set -e; portal "$kind")
  rc=$?
  set -e
  ((rc == 0)) || failed+=("$kind")
done

echo "wall time: $((SECONDS - started)) s" >>"$WORK/timings.txt"
log "install test timings (work folder $WORK):"
sed 's/^/  /' "$WORK/timings.txt" >&2
cp "$WORK/timings.txt" "$WORK/sizes.txt" "$RIPPLE_INSTALL_OUTPUT/" 2>/dev/null || true
if ((${#failed[@]})); then
  die "install test failed for the portal(s): ${failed[*]} (logs in $WORK)"
fi
PASSED=1
log "install test passed"
