#!/usr/bin/env bash
# mutation: do the tests of the verifier, of bag validation and of receipts catch a broken
# check? gremlins (github.com/go-gremlins/gremlins) changes one operator at a time (a flipped
# or moved comparison, a negated condition, an arithmetic operator, ++/--) in the files below,
# runs the owning package's tests, and counts the mutants the tests kill.
#
#   infra/mutation.sh                    every package below
#   infra/mutation.sh custody bagit      some of them
#   infra/mutation.sh --report [pkg...]  the scores of the last runs again, from their logs
#
# Prints, per package, the mutants killed, those that lived, the score (killed and timed out,
# over killed, timed out and lived, equivalent mutants left out) and every survivor. A survivor
# that is equivalent to the original (no test can tell them apart) is listed with its reason in
# shared/<package>/testdata/mutation-equivalent.txt as
#
#   file<TAB>MUTATOR<TAB>the source line, trimmed<TAB>why it is equivalent[<TAB>column]
#
# matched by file, mutator and line text, so entries survive edits elsewhere in the file. The
# optional column (gremlins' file:line:column) tells apart two mutants of one mutator on the
# same line: an entry with a column matches only the mutant at that column, one without
# matches every mutant of that mutator on the line.
# Exits 1 when a package scores below MUTATION_THRESHOLD (90) percent.
#
# Slow: each mutant rebuilds and tests its package. Measured on 2 shared cores, one worker:
# see the figures in the last closing note of the mutation issue. Not part of `make test`.
#
# The tests run with -short (the long randomised loops cut down), -count=1 (no cached result,
# so that the unmutated run that sets the time limit is a real one) and -vet=off (go vet
# judges the code, not the tests' verdict).
#
# Environment: EVX_CACHE (tool cache, default ~/.cache/evx), MUTATION_WORKERS (1),
# MUTATION_TIMEOUT_COEFFICIENT (10: a mutant's test run may take that many times the
# unmutated run), MUTATION_THRESHOLD (90), MUTATION_SHORT (1; 0 runs the full tests),
# MUTATION_FILES_<package> to mutate other files of a package than the list below ("all" for
# every file), e.g. MUTATION_FILES_custody="verify.go checkpoint.go".
set -euo pipefail
cd "$(dirname "$0")/.."

GREMLINS_MODULE=github.com/go-gremlins/gremlins/cmd/gremlins
GREMLINS_VERSION=v0.6.0
EVX_CACHE=${EVX_CACHE:-$HOME/.cache/evx}
WORKERS=${MUTATION_WORKERS:-1}
COEFF=${MUTATION_TIMEOUT_COEFFICIENT:-10}
THRESHOLD=${MUTATION_THRESHOLD:-90}
GOFLAGS="${GOFLAGS:-} -count=1 -vet=off"
[ "${MUTATION_SHORT:-1}" = 0 ] || GOFLAGS+=" -short"
export GOFLAGS

# The files each package's tests must guard: verification, validation, receipts and routing.
declare -A FILES=(
  [custody]="verify.go checkpoint.go signer.go event.go trail.go batch.go ed25519.go verifyseals.go keyhistory.go seal.go receipt.go witnessed.go completeness.go laterrotations.go"
  [bagit]="validate.go tagfile.go paths.go"
  [pipeline]="receipt.go route.go"
)
# Tests left out of a package's runs because they are slow and aim elsewhere (ingest of hostile
# bundles, crashes at every port call, killed processes). Leaving a test out can only let a
# mutant live, so the score is a lower bound.
declare -A SKIP=(
  [pipeline]="TestCrashAtEveryStep|TestHostileBundlesRejected|TestSIGKILLDuringIngest"
)
ORDER=(custody bagit pipeline)

say() { printf 'mutation: %s\n' "$*" >&2; }

install() {
  local bin="$EVX_CACHE/bin/gremlins" stamp="$EVX_CACHE/bin/gremlins.version"
  if [ -x "$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$GREMLINS_VERSION" ]; then return 0; fi
  mkdir -p "$EVX_CACHE/bin"
  say "go install $GREMLINS_MODULE@$GREMLINS_VERSION"
  # Built outside the module so evx's go.mod is not consulted or changed.
  (cd "$EVX_CACHE" && GOBIN="$EVX_CACHE/bin" GOFLAGS=-buildvcs=false go install "$GREMLINS_MODULE@$GREMLINS_VERSION")
  echo "$GREMLINS_VERSION" >"$stamp"
}

# excludes prints gremlins -E options leaving only the listed files of a package (paths are
# relative to the package folder).
excludes() {
  local pkg=$1 f base
  local var="MUTATION_FILES_$pkg"
  local want=${!var:-${FILES[$pkg]}}
  printf -- '-E\n/\n' # subpackages (test helpers, generators) are not what is measured
  [ "$want" = all ] && return 0
  for f in "shared/$pkg"/*.go; do
    base=${f##*/}
    case $base in *_test.go) continue ;; esac
    if ! [[ " $want " == *" $base "* ]]; then
      printf -- '-E\n^%s$\n' "${base//./\\.}"
    fi
  done
}

# report reads gremlins' output of one package and prints the score and the survivors.
report() {
  local pkg=$1 log=$2 equiv="shared/$1/testdata/mutation-equivalent.txt"
  awk -v pkg="$pkg" -v dir="shared/$pkg" -v equiv="$equiv" -v threshold="$THRESHOLD" '
    function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
    function srcline(file, n,   line, i, r) {
      r = ""
      i = 0
      while ((getline line < (dir "/" file)) > 0) { if (++i == n) { r = line; break } }
      close(dir "/" file)
      return trim(r)
    }
    BEGIN {
      FS = "\t"
      while ((getline line < equiv) > 0) {
        if (line ~ /^#/ || line == "") continue
        split(line, f, "\t")
        k = f[1] "\t" f[2] "\t" trim(f[3])
        if (trim(f[5]) != "") k = k "\t" trim(f[5])
        eq[k] = f[4]
      }
      FS = " "
    }
    / KILLED | TIMED OUT /  { killed++ }
    / LIVED / {
      # "LIVED MUTATOR at file:line:col"
      mut = $2; where = $NF
      split(where, w, ":")
      text = srcline(w[1], w[2] + 0)
      key = w[1] "\t" mut "\t" text
      if ((key "\t" w[3]) in eq) key = key "\t" w[3]
      if (key in eq) { equivalent++; eqlist = eqlist sprintf("  equivalent %s %s: %s\n", mut, where, eq[key]) }
      else { lived++; survivors = survivors sprintf("  LIVED %s %s: %s\n", mut, where, text) }
    }
    / NOT COVERED / { uncovered++ }
    / NOT VIABLE /  { notviable++ }
    END {
      total = killed + lived
      score = total ? 100 * killed / total : 100
      printf "%-9s killed %d, lived %d, equivalent %d, not covered %d, not viable %d: score %.1f%%\n", pkg, killed, lived, equivalent, uncovered, notviable, score
      printf "%s%s", survivors, eqlist
      exit (score < threshold) ? 1 : 0
    }' "$log"
}

main() {
  local report_only=0
  if [ "${1:-}" = --report ]; then report_only=1; shift; fi
  local pkgs=("$@") pkg status=0 log opts start
  [ ${#pkgs[@]} -gt 0 ] || pkgs=("${ORDER[@]}")
  if [ $report_only = 1 ]; then
    for pkg in "${pkgs[@]}"; do
      report "$pkg" "$EVX_CACHE/logs/mutation-$pkg.log" || status=1
    done
    return $status
  fi
  install
  mkdir -p "$EVX_CACHE/logs"
  local summary=""
  for pkg in "${pkgs[@]}"; do
    [ -n "${FILES[$pkg]:-}" ] || { say "unknown package $pkg (want one of ${ORDER[*]})"; exit 2; }
    log="$EVX_CACHE/logs/mutation-$pkg.log"
    mapfile -t opts < <(excludes "$pkg")
    local var="MUTATION_FILES_$pkg"
    say "$pkg: ${!var:-${FILES[$pkg]}} (log: $log)"
    start=$SECONDS
    GOFLAGS="$GOFLAGS${SKIP[$pkg]:+ -skip=${SKIP[$pkg]}}" "$EVX_CACHE/bin/gremlins" unleash --workers "$WORKERS" --timeout-coefficient "$COEFF" \
      "${opts[@]}" "./shared/$pkg" >"$log" 2>&1 || { say "gremlins failed on $pkg; see $log"; tail -5 "$log" >&2; status=1; continue; }
    say "$pkg: $((SECONDS - start)) s"
    if out=$(report "$pkg" "$log"); then :; else status=1; fi
    summary+="$out"$'\n'
  done
  printf '%s' "$summary"
  return $status
}

main "$@"; exit $?  # on one line: the file may change while a run goes on
