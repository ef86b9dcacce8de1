#!/usr/bin/env bash
# The evx demo: for now, the evidence-bundle steps. Builds bin/evx, packs the sample
# evidence in testdata/sample/ into a bag, validates it as ingest will, and shows that a
# tampered copy is refused.
set -euo pipefail
cd "$(dirname "$0")/.."
go build -o bin/evx ./cmd/evx
evx="$PWD/bin/evx"
sample="$PWD/testdata/sample"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fields=(--date 2026-03-15 --counterpart BE-FPP
  --field EVX-Request-Reference=MLA-2026-0042
  --field EVX-Requesting-State=NL --field EVX-Requested-State=BE
  --field "EVX-Legal-Basis=1959 European Convention on Mutual Assistance in Criminal Matters"
  --field EVX-Handling-Code=H2 --field External-Identifier=OM-2026-114)
srcs=("$sample/seizure-report.txt" "$sample/bank-records.csv" "$sample/photos")

echo "== 1. Pack the sample evidence (testdata/sample/) into a bundle for Belgium"
"$evx" bag create "${fields[@]}" -o case-2026-114.zip "${srcs[@]}"

echo
echo "== 2. Validate it against RFC 8493 alone (--spec)"
"$evx" bag validate --spec case-2026-114.zip

echo
echo "== 3. Validate it as evx ingest will (RFC 8493 + evx intake policy)"
"$evx" bag validate case-2026-114.zip

echo
echo "== 4. Alter one file of a copy (a folder bag) and validate again: refused, exit code 1"
"$evx" bag create "${fields[@]}" -o tampered "${srcs[@]}" >/dev/null
printf 'altered\n' >> tampered/data/bank-records.csv
if "$evx" bag validate tampered; then
  echo "demo: the tampered bag was accepted; this is a bug" >&2
  exit 1
fi

echo
echo "Done. On your own files:"
echo "  bin/evx bag create --counterpart BE-FPP -o mybag.zip FILE_OR_FOLDER..."
echo "  bin/evx bag validate mybag.zip"
