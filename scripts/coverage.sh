#!/usr/bin/env bash
# Measures the engine's coverage on real-world SQL: the share of files the
# CLI analyses without an error diagnostic (every statement parsed).
#
#   scripts/coverage.sh [--list] [DIR[:DIALECT]...]
#
# Always measures Mozilla's BigQuery ETL (the `sql/` folder of the PyPI sdist
# of mozilla-bigquery-etl 2025.2.1, pinned by its sha256, downloaded once into
# ~/.cache/ripple); each DIR given is measured too, as BigQuery unless a
# dialect follows it (`/tmp/realworld/dbt:snowflake`). `--list` prints each
# file with errors and its first error. A measuring tool, not a test: it
# builds the release CLI (`cargo build --release -p ripple-cli`).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SDIST_URL="https://files.pythonhosted.org/packages/5a/9e/fb81a014fed21595d50451adc9f7e949e3e037c5057b2c15f3189943f283/mozilla_bigquery_etl-2025.2.1.tar.gz"
SDIST_SHA256="9b5c041068087c3ddb5213e576477a657aae1d95e814abf5f927b84c2ab6ed92"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/ripple"

list=false
corpora=()
for arg in "$@"; do
  case "$arg" in
    --list) list=true ;;
    -*) die "unknown option $arg (usage: scripts/coverage.sh [--list] [DIR[:DIALECT]...])" ;;
    *) corpora+=("$arg") ;;
  esac
done

mozilla="$CACHE/mozilla_bigquery_etl-2025.2.1"
if [[ ! -d "$mozilla/sql" ]]; then
  mkdir -p "$CACHE"
  log "downloading mozilla-bigquery-etl 2025.2.1 from PyPI"
  curl -fsSL --retry 3 -o "$CACHE/sdist.tar.gz" "$SDIST_URL"
  echo "$SDIST_SHA256  $CACHE/sdist.tar.gz" | sha256sum -c --quiet - || die "the sdist's sha256 differs from the pinned one"
  tar -xzf "$CACHE/sdist.tar.gz" -C "$CACHE"
  rm "$CACHE/sdist.tar.gz"
fi
corpora=("$mozilla/sql:bigquery" "${corpora[@]}")

cd "$ROOT"
log "building the release CLI"
cargo build --quiet --release -p ripple-cli
ripple="$ROOT/target/release/ripple"

printf '%-60s %8s %8s %9s\n' corpus files errors coverage
for corpus in "${corpora[@]}"; do
  dir="${corpus%%:*}"
  dialect=bigquery
  [[ "$corpus" == *:* ]] && dialect="${corpus#*:}"
  [[ -d "$dir" ]] || die "no such folder: $dir"
  out="$(mktemp)"
  "$ripple" analyze --dialect "$dialect" "$dir" >"$out"
  # The summary closes the output: "summary": {"files": N, "statements": N, "files_with_errors": N}.
  summary="$(tail -c 512 "$out" | tr -d ' \n')"
  files="$(sed -E 's/.*"summary":\{"files":([0-9]+).*/\1/' <<<"$summary")"
  errors="$(sed -E 's/.*"files_with_errors":([0-9]+).*/\1/' <<<"$summary")"
  awk -v c="$dir ($dialect)" -v f="$files" -v e="$errors" \
    'BEGIN { printf "%-60s %8d %8d %8.2f%%\n", c, f, e, f ? 100 * (f - e) / f : 100 }'
  if $list; then
    command -v jq >/dev/null || die "--list needs jq"
    jq -r '.files[] | select(any(.diagnostics[]; .severity == "error"))
      | (first(.diagnostics[] | select(.severity == "error"))) as $d
      | "    \(.path):\($d.line):\($d.column): \($d.message[:120])"' "$out"
  fi
  rm -f "$out"
done
