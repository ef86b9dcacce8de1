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

# Peak resident memory of an ingest on one machine: `evx upload --data` spools, validates,
# stores, extracts and routes in-process a generated bag (stored zip, 64 documents) of 100 MiB
# and one of EVX_BENCH_INGEST_GIB GiB (default 2; 20 GiB was run by hand, see
# docs/performance.md). Goal: under 64 MiB, and the large under 4 times the small. Each needs
# three times its size on disk (the bag, the bag as received, the documents); a size that does
# not fit in $tmp is skipped and says so.
gib=${EVX_BENCH_INGEST_GIB:-2}
cat >"$tmp/counterparts.yaml" <<'YAML'
counterparts:
  - id: be-fpp
    name: Federal Prosecutor's Office (benchmark)
    country: BE
    legal_bases: [EU-EIO]
    handling_codes: [H0, H1]
    active: true
YAML
small_kib=
for mib in 100 $((gib * 1024)); do
  need_kib=$((mib * 1024 * 3 + 1024 * 1024))
  free_kib=$(df -Pk "$tmp" | awk 'NR == 2 {print $4}')
  if [ "$free_kib" -lt "$need_kib" ]; then
    echo "evx upload --data, $mib MiB: skipped, needs $((need_kib / 1048576)) GiB free in $tmp, has $((free_kib / 1048576))"
    continue
  fi
  go run ./shared/bagit/internal/benchbag/mkbag -o "$tmp/ingest.zip" -mib "$mib" -counterpart be-fpp -legal-basis EU-EIO
  start=$(date +%s.%N)
  kib=$(peak_kib bin/evx upload --data "$tmp/ingest-data" --directory "$tmp/counterparts.yaml" --uploader bench "$tmp/ingest.zip")
  end=$(date +%s.%N)
  [ -z "$small_kib" ] && small_kib=$kib
  awk -v m="$mib" -v k="$kib" -v s="$small_kib" -v t0="$start" -v t1="$end" 'BEGIN { printf "evx upload --data, %6d MiB stored zip: peak RSS %5.1f MiB (goal < 64 MiB), %.2f times the 100 MiB bag'"'"'s (goal < 4), %.0f MiB/s\n", m, k / 1024, k / s, m / (t1 - t0) }'
  rm -rf "$tmp/ingest.zip" "$tmp/ingest-data"
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
