#!/usr/bin/env bash
# Prints evx's speed and memory figures. Each package's benchmarks report ratios against a
# reference measured in the same run (crypto/sha256, pdftotext), never absolute pass/fail.
set -euo pipefail
cd "$(dirname "$0")/.."
go test -run '^$' -bench . -benchtime 1x -count 1 ./... | grep -v '^ok\|no test files'
# Text extraction on the public PDF corpus beside the project, when present: in-process time
# per MB against pdftotext on files of 1 MB and more (peak RSS per file: make corpus).
for c in ../shared/corpus/pdf ../../shared/corpus/pdf; do
  if [ -d "$c" ]; then
    go test -run '^$' -bench '^BenchmarkCorpus$' -benchtime 1x -count 1 ./shared/extract -corpus "$(cd "$c" && pwd)" | grep '^Benchmark'
    break
  fi
done
