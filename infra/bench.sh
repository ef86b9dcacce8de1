#!/usr/bin/env bash
# Prints evx's speed and memory figures. Each package's benchmarks report ratios against a
# reference measured in the same run (crypto/sha256, pdftotext), never absolute pass/fail.
set -euo pipefail
cd "$(dirname "$0")/.."
go test -run '^$' -bench . -benchtime 1x -count 1 ./... | grep -v '^ok\|no test files'
