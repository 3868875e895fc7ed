#!/usr/bin/env bash
# Run "SIGTERM ends a blocked events reader and the daemon exits"
# (test/lifecycle/mount.test.ts) N times in a row in one tap run, optionally
# with every core kept busy by a shell busy loop, and print the counts.
#
#   bash test/lifecycle/shutdown-loop.sh [N] [--load]
#
# Heavy: run it under the shared lock (flock /work/wt/heavy.lock …) on a shared machine.
set -Euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
rounds=${1:-100}
load=${2:-}
busy=()
cleanup() { for pid in "${busy[@]}"; do kill "$pid" 2>/dev/null; done; }
trap cleanup EXIT
if [[ $load == --load ]]; then
  for ((i = 0; i < $(nproc); i++)); do (while :; do :; done) & busy+=($!); done
  echo "shutdown-loop: ${#busy[@]} busy loops in the background"
fi
log=$(mktemp /tmp/gpio-aggfs-shutdown-loop.XXXXXX)
SHUTDOWN_REPEAT=$rounds npx tap --grep 'SIGTERM ends a blocked events reader' --timeout 3600 test/lifecycle/mount.test.ts >"$log" 2>&1
status=$?
passed=$(grep -cE '^    ok [0-9]+ - SIGTERM ends a blocked events reader' "$log")
failed=$(grep -cE '^    not ok [0-9]+ - SIGTERM ends a blocked events reader' "$log")
echo "shutdown-loop: $rounds rounds${load:+ under load}: $passed passed, $failed failed (log: $log)"
grep -E 'not ok|No such file|hung' "$log" | head -20
exit $status
