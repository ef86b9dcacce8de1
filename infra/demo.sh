#!/usr/bin/env bash
# The evx demo (make demo): builds bin/evx and runs `evx demo`, the whole exchange on the
# embedded default: an uploader sends the sample evidence in testdata/sample/ to two
# counterparts, one pulls and accepts, the other receives a copy altered in transit and
# rejects it, and legal staff verify the custody trail and get the court report.
# Everything it makes lands in out/demo/ (replaced on every run). Arguments go to evx demo:
# ./infra/demo.sh --serve (make demo DEMO_ARGS=--serve) keeps the pages served until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
go build -o bin/evx ./cmd/evx
rm -rf out/demo
mkdir -p out
exec ./bin/evx demo --out out/demo "$@"
