#!/usr/bin/env bash
# Builds each function in functions/ as a Lambda bootstrap for provided.al2023 on arm64 and
# zips it with the counterpart directory: build/<fn>/bootstrap and build/<fn>.zip. Prints the
# sizes, and says so when a bootstrap is over the 10 MiB goal.
set -euo pipefail
cd "$(dirname "$0")/.."
limit=$((10 << 20))
status=0
for dir in functions/*/; do
  fn=$(basename "$dir")
  [ -f "$dir/main.go" ] || continue
  out="build/$fn"
  rm -rf "$out" "build/$fn.zip" && mkdir -p "$out"
  GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -trimpath -ldflags '-s -w' \
    -o "$out/bootstrap" "./functions/$fn"
  cp infra/counterparts.yaml "$out/counterparts.yaml"
  (cd "$out" && python3 - "$fn" <<'PY'
import sys, zipfile
with zipfile.ZipFile("../" + sys.argv[1] + ".zip", "w", zipfile.ZIP_DEFLATED) as z:
    for name, mode in (("bootstrap", 0o755), ("counterparts.yaml", 0o644)):
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.external_attr = (0o100000 | mode) << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, open(name, "rb").read())
PY
  )
  size=$(stat -c %s "$out/bootstrap")
  zsize=$(stat -c %s "build/$fn.zip")
  printf '%-8s bootstrap %6.2f MiB  zip %6.2f MiB\n' "$fn" "$(echo "$size / 1048576" | bc -l)" "$(echo "$zsize / 1048576" | bc -l)"
  if [ "$size" -gt "$limit" ]; then echo "$fn: bootstrap over the 10 MiB goal" >&2; fi
done
exit $status
