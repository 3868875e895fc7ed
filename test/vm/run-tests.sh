#!/usr/bin/env bash
# Run tap test files as compiled JavaScript, one file at a time, each straight
# with node: no tap runner and no TypeScript loader. Under the VM's software
# emulation both cost seconds in every test process (the TypeScript loader
# alone loads the whole compiler); the compiled files are the same tests.
#
#   test/vm/run-tests.sh [--timeout SECS] [--js DIR] PATH...
#
# PATH is a test file (test/x/y.test.ts) or a directory of them, as given to
# tap. Each maps to its compiled file DIR/test/x/y.test.js (DIR default
# dist/tests, written by `tsc -p tsconfig.json --outDir dist/tests`); a missing
# or outdated compiled file of any source under lib/ or test/ is an error, so
# stale output never runs.
#
# Prints each file's TAP output indented as a subtest, then
# "ok N - FILE # time=…" or "not ok N - FILE", one time line per file and
# tap's closing summary "# { total: T, pass: P, fail: F, … }" summed over the
# files (a file that crashed, timed out or reported no summary counts as one
# failure). Exit status: 0 when every file passed, 1 otherwise, 2 on usage errors.
set -Euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

TIMEOUT=900
JS=dist/tests
usage() { sed -n '7p' "${BASH_SOURCE[0]}" | sed 's/^# *//' >&2; exit 2; }
while (($#)); do
  case $1 in
    --timeout) (($# >= 2)) || usage; TIMEOUT=$2; shift 2 ;;
    --js) (($# >= 2)) || usage; JS=$2; shift 2 ;;
    -h|--help) usage ;;
    --) shift; break ;;
    -*) echo "run-tests: unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
(($#)) || usage
[[ $TIMEOUT =~ ^[0-9]+$ ]] || { echo "run-tests: --timeout needs seconds" >&2; exit 2; }

files=()
for path in "$@"; do
  path=${path%/}
  if [[ -d $path ]]; then
    found=$(find "$path" -name '*.test.ts' | LC_ALL=C sort)
    [[ -n $found ]] || { echo "run-tests: no test files under $path" >&2; exit 2; }
    while IFS= read -r file; do files+=("$file"); done <<<"$found"
  elif [[ -f $path && $path == *.test.ts ]]; then
    files+=("$path")
  else
    echo "run-tests: $path is neither a directory nor a .test.ts file" >&2; exit 2
  fi
done
# Every source the tests load (tests, helpers, lib) must be compiled and current.
sources=$(find lib test -name '*.ts' ! -name '*.d.ts' | LC_ALL=C sort)
while IFS= read -r file; do
  js=$JS/${file%.ts}.js
  [[ -f $js ]] || { echo "run-tests: $js is missing: compile the tests (tsc -p tsconfig.json --outDir $JS)" >&2; exit 2; }
  [[ ! $file -nt $js ]] || { echo "run-tests: $js is older than $file: compile the tests again" >&2; exit 2; }
done <<<"$sources"

now() { date +%s.%N; }
secs() { awk -v s="$1" -v e="$2" 'BEGIN { printf "%.1f", e - s }'; }
field() { sed -nE "s/.*[{ ]$1: ([0-9]+).*/\\1/p" <<<"$2"; }

total=0 pass=0 fail=0 skip=0 todo=0 n=0 status=0
times=()
start_all=$(now)
echo "TAP version 14"
for file in "${files[@]}"; do
  n=$((n + 1))
  js=$JS/${file%.ts}.js
  out=$(mktemp)
  echo "# Subtest: $file"
  start=$(now)
  # tap's own timeout (TAP_TIMEOUT) comes first and reports the test that hung;
  # the kill a minute later only catches a file that does not end even then.
  TAP_TIMEOUT=$TIMEOUT timeout -k 10 $((TIMEOUT + 60)) node --enable-source-maps "$js" </dev/null 2>&1 \
    | tee "$out" | sed -u 's/^/    /'
  rc=${PIPESTATUS[0]}
  took=$(secs "$start" "$(now)")
  summary=$(grep -E '^# \{ total: [0-9]+' "$out" | tail -n 1 || true)
  rm -f "$out"
  if [[ -n $summary ]]; then
    t=$(field total "$summary"); p=$(field pass "$summary"); f=$(field fail "$summary")
    s=$(field skip "$summary"); d=$(field todo "$summary")
    total=$((total + t)); pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0}))
    skip=$((skip + ${s:-0})); todo=$((todo + ${d:-0}))
  fi
  if [[ -z $summary || ${f:-0} != 0 || $rc != 0 ]]; then
    status=1
    if [[ -z $summary || ${f:-0} == 0 ]]; then
      # Crashed, timed out (124/137) or failed without a failing assertion: one failure.
      total=$((total + 1)); fail=$((fail + 1))
    fi
    echo "not ok $n - $file # time=${took}s exit=$rc"
  else
    echo "ok $n - $file # time=${took}s"
  fi
  times+=("$(printf '%8ss  %s' "$took" "$file")")
  unset f
done
echo "1..$n"
echo "# time per file:"
printf '# %s\n' "${times[@]}"
echo "# all files: $(secs "$start_all" "$(now)")s"
line="# { total: $total, pass: $pass"
((fail)) && line+=", fail: $fail"
((skip)) && line+=", skip: $skip"
((todo)) && line+=", todo: $todo"
echo "$line }"
exit $status
