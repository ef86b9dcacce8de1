#!/usr/bin/env bash
# The Lambda bootstraps' figures: each bootstrap's size (at most 16 MiB: infra/build-lambdas.sh
# fails over it) and its INIT under aws-lambda-rie against the emulators, configured as
# template.yaml deploys it (first invocation less the warm one, per function; the test fails
# when init makes an AWS call); and the DynamoDB ledger's appends with 1 and 64 writers in both
# layouts (BenchmarkIntegrationAppend, docs/performance.md). Part of `make bench`; alone:
# `make bench-aws`.
set -euo pipefail
cd "$(dirname "$0")/.."
./infra/build-lambdas.sh
if ./infra/emulators.sh install >/dev/null 2>&1; then
  set -o pipefail
  ./infra/emulators.sh run go test -count=1 -timeout 30m -tags integration -run '^TestIntegrationColdStart$' -v ./functions/internal/e2e |
    grep -o 'cold start .*\|^--- FAIL.*\|want none at init.*\|want at most 16 MiB.*'
  ./infra/emulators.sh run go test -count=1 -timeout 30m -tags integration -run '^$' -bench '^BenchmarkIntegrationAppend$' -benchtime 640x ./shared/backend/aws/dynamoledger |
    grep -o '^BenchmarkIntegrationAppend/.*\|^append .*\|^--- FAIL.*'
else
  echo "lambda INIT not measured: the emulators could not be installed (infra/emulators.sh install)"
fi
