#!/usr/bin/env bash
# Prints evx's speed and memory figures. Each package's benchmarks report ratios against a
# reference measured in the same run (crypto/sha256, pdftotext), never absolute pass/fail.
set -euo pipefail
cd "$(dirname "$0")/.."
# Payload of the bagit benchmark bags: 1 GiB of stored members (a quarter of it deflated).
export EVX_BENCH_MIB=${EVX_BENCH_MIB:-1024}
go test -run '^$' -bench . -benchtime 1x -count 1 ./... | grep -v '^ok\|no test files\|^PASS$\|^goos:\|^goarch:\|^cpu:'

# Peak resident memory of `evx bag validate` on stored-member zip bags of 100 MiB and
# 1 GiB, side by side (goal: under 64 MiB whatever the size). Bags go to a temporary
# folder that is removed on exit.
go build -o bin/evx ./cmd/evx
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# peak_kib CMD...: runs CMD, prints its peak RSS in KiB (/usr/bin/time if present, else
# VmHWM polled from /proc).
peak_kib() {
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f '%M' -o "$tmp/rss" "$@" >/dev/null
    tail -n 1 "$tmp/rss"
  else
    "$@" >/dev/null &
    local pid=$! hwm=0 v
    while kill -0 "$pid" 2>/dev/null; do
      v=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
      [ -n "$v" ] && hwm=$v
      sleep 0.05
    done
    wait "$pid"
    echo "$hwm"
  fi
}

for mib in 100 1024; do
  go run ./shared/bagit/internal/benchbag/mkbag -o "$tmp/bag.zip" -mib "$mib"
  kib=$(peak_kib bin/evx bag validate "$tmp/bag.zip")
  awk -v m="$mib" -v k="$kib" 'BEGIN { printf "evx bag validate, %4d MiB stored zip: peak RSS %5.1f MiB (goal < 64 MiB)\n", m, k / 1024 }'
  rm -f "$tmp/bag.zip"
done

# Text extraction on the public PDF corpus beside the project, when present: in-process time
# per MB against pdftotext on files of 1 MB and more (peak RSS per file: make corpus).
for c in ../shared/corpus/pdf ../../shared/corpus/pdf; do
  if [ -d "$c" ]; then
    go test -run '^$' -bench '^BenchmarkCorpus$' -benchtime 1x -count 1 ./shared/extract -corpus "$(cd "$c" && pwd)" | grep '^Benchmark'
    break
  fi
done

# The Lambda bootstraps: sizes and INIT (infra/bench-aws.sh, also `make bench-aws`);
# EVX_BENCH_LAMBDA=0 skips this part.
if [ "${EVX_BENCH_LAMBDA:-1}" != 0 ]; then
  ./infra/bench-aws.sh
fi
