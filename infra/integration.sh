#!/usr/bin/env bash
# Runs the tests tagged `integration` (functions named TestIntegration...) against the AWS
# emulators: infra/emulators.sh installs what is missing into $EVX_CACHE, starts them, exports
# their endpoints and stops them by PID when this script exits.
set -euo pipefail
cd "$(dirname "$0")/.."
source infra/emulators.sh
start=$(date +%s%3N)
emulators_start
echo "integration: emulators ready in $(($(date +%s%3N) - start)) ms" >&2
go test -race -count=1 -timeout 30m -tags integration -run '^TestIntegration' ./...
