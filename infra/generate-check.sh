#!/usr/bin/env bash
# Fails when a checked-in generated file is stale. Runs `go generate ./...` (every generator
# has its //go:generate line) and compares the files of the tree before and after, so that
# uncommitted edits elsewhere do not count; prints the files a generator changed, added or
# removed, and leaves them regenerated, ready to commit.
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
go generate ./...
snapshot >"$after"
if ! diff -q "$before" "$after" >/dev/null; then
  echo "generated files are stale (regenerated now; review and commit them):" >&2
  diff "$before" "$after" | sed -n 's/^[<>] [0-9a-f]*  /  /p' | sort -u >&2
  exit 1
fi
echo "generated files are current"
