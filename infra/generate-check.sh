#!/usr/bin/env bash
# Fails when a checked-in generated file is stale. Runs `go generate ./...` (every generator
# has its //go:generate line) and compares the files of the tree before and after, so that
# uncommitted edits elsewhere do not count; prints the files a generator changed, added or
# removed, and leaves them regenerated, ready to commit. Paths listed in
# infra/generate-check.skip (generators that are not yet reproducible) are reported but do
# not fail the check.
set -euo pipefail
cd "$(dirname "$0")/.."
snapshot() {
  git ls-files -z --cached --others --exclude-standard | sort -z |
    while IFS= read -r -d '' f; do
      if [ -f "$f" ]; then sha256sum -- "$f"; fi
    done
}
before=$(mktemp) after=$(mktemp)
trap 'rm -f "$before" "$after"' EXIT
snapshot >"$before"
dirty=$(git status --porcelain=v1 -uall | cut -c4-)
go generate ./...
snapshot >"$after"
changed=$(diff "$before" "$after" | sed -n 's/^[<>] [0-9a-f]*  //p' | sort -u || true)
skips=$(grep -v '^[[:space:]]*\(#\|$\)' infra/generate-check.skip || true)
stale="" unreproducible=""
while IFS= read -r f; do
  [ -n "$f" ] || continue
  skip=""
  while IFS= read -r p; do
    if [ -n "$p" ] && [ "${f#"$p"}" != "$f" ]; then skip=1; fi
  done <<<"$skips"
  if [ -n "$skip" ]; then unreproducible+="  $f"$'\n'; else stale+="  $f"$'\n'; fi
done <<<"$changed"
if [ -n "$unreproducible" ]; then
  echo "not compared (listed in infra/generate-check.skip: their generators are not reproducible yet; committed copies restored):" >&2
  printf '%s' "$unreproducible" >&2
  while IFS= read -r f; do
    f=${f#  }
    if [ -n "$f" ] && ! grep -qxF -- "$f" <<<"$dirty" && git ls-files --error-unmatch -- "$f" >/dev/null 2>&1; then
      git checkout -q -- "$f"
    fi
  done <<<"$unreproducible"
fi
if [ -n "$stale" ]; then
  echo "generated files are stale (regenerated now; review and commit them):" >&2
  printf '%s' "$stale" >&2
  exit 1
fi
echo "generated files are current"
