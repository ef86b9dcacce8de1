#!/usr/bin/env bash
# Builds each function in functions/ as a Lambda bootstrap for provided.al2023 on arm64 through
# the function's own Makefile (the target SAM's BuildMethod: makefile calls), so that what a
# zip holds is defined once: build/<fn>/ holds bootstrap, counterparts.yaml and whatever else
# the function ships (the api: fonts/), and build/<fn>.zip is that folder. Prints the sizes,
# and fails when a bootstrap is over 16 MiB (the limit of the AWS deployment issue).
set -euo pipefail
cd "$(dirname "$0")/.."
limit=$((16 << 20))
status=0
for dir in functions/*/; do
  fn=$(basename "$dir")
  [ -f "$dir/main.go" ] && [ -f "$dir/Makefile" ] || continue
  target=$(grep -o -m1 '^build-[A-Za-z0-9]*Function' "$dir/Makefile")
  out="$PWD/build/$fn"
  rm -rf "$out" "build/$fn.zip" && mkdir -p "$out"
  make -s -C "$dir" "$target" ARTIFACTS_DIR="$out"
  (cd "$out" && python3 - "$fn" <<'PY'
import os, sys, zipfile
with zipfile.ZipFile("../" + sys.argv[1] + ".zip", "w", zipfile.ZIP_DEFLATED) as z:
    for root, dirs, files in os.walk("."):
        dirs.sort()
        for f in sorted(files):
            name = os.path.relpath(os.path.join(root, f), ".")
            mode = 0o755 if name == "bootstrap" else 0o644
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, open(name, "rb").read())
PY
  )
  size=$(stat -c %s "$out/bootstrap")
  zsize=$(stat -c %s "build/$fn.zip")
  printf '%-8s bootstrap %6.2f MiB  zip %6.2f MiB\n' "$fn" "$(echo "$size / 1048576" | bc -l)" "$(echo "$zsize / 1048576" | bc -l)"
  if [ "$size" -gt "$limit" ]; then echo "$fn: bootstrap over 16 MiB" >&2; status=1; fi
done
exit $status
