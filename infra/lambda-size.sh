#!/usr/bin/env bash
# What the Lambda bootstraps are made of (arm64, CGO_ENABLED=0, -tags lambda.norpc,evx.nophone -trimpath,
# as infra/build-lambdas.sh builds them).
#
#   infra/lambda-size.sh floor     sizes of two reference bootstraps: lambda.Start with the S3,
#                                  DynamoDB, SQS and KMS clients from config.LoadDefaultConfig,
#                                  first only constructed, then each making one call
#   infra/lambda-size.sh FN [N]    the N (default 40) packages with the most bytes of symbols in
#                                  functions/FN, from `go tool nm -size` of an unstripped build
#
# Symbol sizes add up to less than the stripped file: the runtime's tables (pclntab, type
# data) grow with the code and are not attributed to a package here.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOOS=linux GOARCH=arm64 CGO_ENABLED=0
flags=(-tags lambda.norpc,evx.nophone -trimpath)
mib() { awk '{printf "%.2f MiB", $1 / 1048576}' <<<"$(stat -c %s "$1")"; }

floor() {
  local dir
  dir=$(mktemp -d build/floor.XXXXXX) # inside the module, so go.mod pins the same versions
  trap 'rm -rf "$dir"' RETURN
  mkdir -p "$dir/built" "$dir/called"
  cat >"$dir/main.tmpl" <<'GO'
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

func main() {
	cfg, _ := config.LoadDefaultConfig(context.Background())
	s, d, q, k := s3.NewFromConfig(cfg), dynamodb.NewFromConfig(cfg), sqs.NewFromConfig(cfg), kms.NewFromConfig(cfg)
	lambda.Start(func(ctx context.Context) error {
		if ctx == nil { // CALLS
			_, _, _, _ = s, d, q, k
		}
		return nil
	})
}
GO
  sed 's|// CALLS||' "$dir/main.tmpl" >"$dir/built/main.go"
  sed 's|if ctx == nil { // CALLS|{|; s|_, _, _, _ = s, d, q, k|s.GetObject(ctx, \&s3.GetObjectInput{}); d.GetItem(ctx, \&dynamodb.GetItemInput{}); q.SendMessage(ctx, \&sqs.SendMessageInput{}); k.Sign(ctx, \&kms.SignInput{})|' "$dir/main.tmpl" >"$dir/called/main.go"
  for v in built called; do
    go build "${flags[@]}" -ldflags '-s -w' -o "$dir/$v/bootstrap" "./$dir/$v"
  done
  echo "clients constructed, never called: $(mib "$dir/built/bootstrap") (the linker drops every operation and the credential providers)"
  echo "one call per client:               $(mib "$dir/called/bootstrap") (operations, retries, signing, the credential chain: SSO, STS, sign-in)"
}

packages() {
  local fn=$1 n=${2:-40} bin
  bin=$(mktemp)
  trap 'rm -f "$bin"' RETURN
  go build "${flags[@]}" -o "$bin" "./functions/$fn"
  go tool nm -size -sort size "$bin" | awk '
    $3 == "B" || $3 == "b" || $4 == "crypto/internal/fips140/drbg.memory" { next } # not in the file
    { name = $4; sub(/^go:(itab|type)\./, "", name); sub(/^type:/, "", name); sub(/^\**\(?\**/, "", name)
      pkg = name
      if (match(pkg, /^[^ ]*\//)) { head = substr(pkg, 1, RLENGTH); tail = substr(pkg, RLENGTH + 1); sub(/\..*/, "", tail); pkg = head tail }
      else sub(/\..*/, "", pkg)
      size[pkg] += $2; total += $2 }
    END { for (p in size) printf "%10d  %s\n", size[p], p; printf "%10d  (all symbols)\n", total }' | sort -rn | head -"$((n + 1))"
}

case ${1:-} in
  floor) floor ;;
  "" | -h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  *) [ -f "functions/$1/main.go" ] || { echo "no function functions/$1" >&2; exit 2; }; packages "$@" ;;
esac
