#!/usr/bin/env bash
# Runs the tests tagged `integration` (functions named TestIntegration...). The emulators
# they need are started here and stopped by PID on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
go test -race -count=1 -tags integration -run '^TestIntegration' ./...
