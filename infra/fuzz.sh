#!/usr/bin/env bash
# Runs every Fuzz target in the module for a short time each: infra/fuzz.sh 10s
set -euo pipefail
cd "$(dirname "$0")/.."
t=${1:-10s}
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for f in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/func //'); do
    echo "== $pkg $f"
    # Minimizing each new input with the default 60 s budget leaves a short run almost no
    # time to fuzz when inputs are whole documents; 10 executions per input is enough here.
    go test -run '^$' -fuzz "^$f\$" -fuzztime "$t" -fuzzminimizetime 10x "$pkg"
  done
done
