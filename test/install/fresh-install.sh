#!/usr/bin/env bash
# The README's first command on a fresh Debian machine, as a test (TAP output).
#
#   test/install/fresh-install.sh RELEASE        (RELEASE: trixie | bookworm)
#
# In a fresh copy (an overlay) of a pristine `debootstrap --variant=minbase`
# root (test/vm/debian-root.sh --pristine RELEASE, cached), with /dev, /proc and
# /sys bound in, from a fresh `git clone` of this checkout's HEAD:
#   1. `bash .ci/install` succeeds with nothing installed beforehand (it takes
#      the release's nodejs, npm and libnode-dev where the release's Node.js is
#      >= 20, as Debian 13's is);
#   2. on Debian 13, node-libgpiod (the libgpiod 1.6 backend the tests also
#      run) loads, linked to libgpiod 1.6.3 built from Debian 12's source;
#   3. `bin/gpio-aggfs mount /srv/gpio --sim fixtures/demo-board.json` serves
#      agg/new_device; a spec written there creates gpio-agg.0, whose spec,
#      line names and values read back as written, down to the simulated pin;
#   4. SIGTERM unmounts and the daemon exits 0.
# Everything runs in a private mount namespace, so no mount outlives the test,
# and the root copy is removed at the end. Downloaded .debs and npm's cache are
# kept between runs (in debian-root.sh's cache), so a second run downloads
# little. Needs root. Ends with tap's summary line "# { total: N, pass: N … }";
# exit status 0 only when every check passed.
set -Euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
CHECKOUT=$(cd "$HERE/../.." && pwd -P)
CACHE=${GPIO_AGGFS_ROOT_CACHE:-/var/cache/gpio-aggfs/roots}
RELEASE=${1:-}
[[ $RELEASE == trixie || $RELEASE == bookworm ]] || { echo "usage: $0 trixie|bookworm" >&2; exit 2; }

n=0 pass=0
ok() { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; shift; local line; for line in "$@"; do echo "  # $line"; done; }
finish() {
  echo "1..$n"
  local line="# { total: $n, pass: $pass"
  ((n - pass)) && line+=", fail: $((n - pass))"
  echo "$line }"
  ((n == pass)) && exit 0
  exit 1
}
# check NAME CMD…: one test point for a command's success.
check() {
  local name=$1; shift
  local out rc=0
  out=$("$@" 2>&1) || rc=$?
  if ((rc == 0)); then ok "$name"; else not_ok "$name" "exit status $rc" "${out: -3000}"; fi
  return "$rc"
}
# expect NAME ACTUAL EXPECTED
expect() {
  if [[ $2 == "$3" ]]; then ok "$1"; else not_ok "$1" "expected: $(printf %q "$3")" "got:      $(printf %q "$2")"; fi
}

if [[ ${GPIO_AGGFS_INSTALL_NS:-} != 1 ]]; then
  echo "TAP version 14"
  echo "# fresh install on Debian $RELEASE"
  if [[ $(id -u) != 0 ]]; then not_ok "runs as root (debootstrap, chroot, mount)"; finish; fi
  START=$(date +%s)
  if PRISTINE=$(bash "$CHECKOUT/test/vm/debian-root.sh" --pristine "$RELEASE"); then
    ok "pristine $RELEASE root ($PRISTINE)"
  else
    not_ok "pristine $RELEASE root (debootstrap)"; finish
  fi
  # The rest in a private mount namespace: its mounts go away with it.
  GPIO_AGGFS_INSTALL_NS=1 PRISTINE=$PRISTINE N0=$n P0=$pass \
    unshare --mount --propagation private bash "${BASH_SOURCE[0]}" "$RELEASE"
  rc=$?
  echo "# fresh install on Debian $RELEASE took $(( $(date +%s) - START )) s"
  exit "$rc"
fi

# --- inside the private mount namespace --------------------------------------------
n=$N0 pass=$P0
WORK=$(mktemp -d /var/tmp/gpio-aggfs-install.XXXXXX)
ROOT=$WORK/root
DAEMON=
cleanup() {
  [[ -n $DAEMON ]] && kill -KILL "$DAEMON" 2>/dev/null
  umount -R -l "$ROOT" 2>/dev/null
  rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT
trap 'exit 143' TERM; trap 'exit 130' INT; trap 'exit 129' HUP
mkdir -p "$WORK/upper" "$WORK/work" "$ROOT"
if ! mount -t overlay overlay -o "lowerdir=$PRISTINE,upperdir=$WORK/upper,workdir=$WORK/work" "$ROOT"; then
  not_ok "a fresh copy of the pristine root (overlay)"; finish
fi
# shellcheck source=../vm/root-env.sh
. "$CHECKOUT/test/vm/root-env.sh"
root_enter "$ROOT" "$CACHE" "$RELEASE" || { not_ok "bind /dev, /proc, /sys and the download caches into the root"; finish; }

check "git clone of the checkout into the root" git clone --quiet "$CHECKOUT" "$ROOT/root/gpio-aggfs" || finish
# The README's first command as a newcomer runs it: nothing installed beforehand
# (.ci/install takes the release's nodejs, npm and libnode-dev itself).
check "bash .ci/install" in_root "$ROOT" bash -c 'cd /root/gpio-aggfs && bash .ci/install' || finish
echo "# node $(in_root "$ROOT" node --version), npm $(in_root "$ROOT" npm --version)"
if [[ $RELEASE == trixie ]]; then
  check "node-libgpiod loads, linked to libgpiod 1.6.3 built from Debian 12's source" in_root "$ROOT" bash -c \
    'cd /root/gpio-aggfs && node -e "require(\"node-libgpiod\")" && ldd node_modules/node-libgpiod/build/Release/node-libgpiod.node | grep -q "libgpiod.so.2 => /var/cache/gpio-aggfs/libgpiod-1.6.3/lib/"'
fi

# The demo board, served in the root's own node, as the README's first command does.
MNT=/srv/gpio
# (chroot, env, bash and the script all exec: $! is the daemon itself.)
chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
  bash -c "cd /root/gpio-aggfs && exec bin/gpio-aggfs mount $MNT --sim fixtures/demo-board.json" >"$WORK/daemon.log" 2>&1 &
DAEMON=$!
ready=0
for ((i = 0; i < 600; i++)); do
  [[ -e $ROOT$MNT/agg/new_device ]] && { ready=1; break; }
  kill -0 "$DAEMON" 2>/dev/null || break
  sleep 0.1
done
if ((ready)); then ok "the demo board mounts at $MNT (agg/new_device)"; else
  not_ok "the demo board mounts at $MNT (agg/new_device)" "$(tail -n 20 "$WORK/daemon.log")"; finish
fi
check "echo 'LED0 BUTTON' > agg/new_device" bash -c "echo 'LED0 BUTTON' > '$ROOT$MNT/agg/new_device'"
expect "gpio-agg.0/spec reads back" "$(cat "$ROOT$MNT/gpio-agg.0/spec" 2>&1)" "gpiochip0 0,3"
expect "agg/devices lists it" "$(cat "$ROOT$MNT/agg/devices" 2>&1)" "gpio-agg.0 gpiochip0 0,3"
expect "line names" "$(cat "$ROOT$MNT/gpio-agg.0/line0/name" "$ROOT$MNT/gpio-agg.0/line1/name" 2>&1)" $'LED0\nBUTTON'
check "LED0 as an output driven high" bash -c "echo out > '$ROOT$MNT/gpio-agg.0/line0/direction' && echo 1 > '$ROOT$MNT/gpio-agg.0/line0/value'"
expect "the simulated pin follows" "$(cat "$ROOT$MNT/.sim/gpiochip0/sim_gpio0/value" 2>&1)" 1
check "BUTTON pressed (pull-up on the simulated pin)" bash -c "echo pull-up > '$ROOT$MNT/.sim/gpiochip0/sim_gpio3/pull'"
expect "BUTTON reads 1" "$(cat "$ROOT$MNT/gpio-agg.0/line1/value" 2>&1)" 1

kill -TERM "$DAEMON"
rc=0; wait "$DAEMON" || rc=$?
DAEMON=
expect "SIGTERM: the daemon exits 0" "$rc" 0
if grep -q " $ROOT$MNT " /proc/self/mountinfo; then
  not_ok "SIGTERM: $MNT is unmounted" "$(grep " $ROOT$MNT " /proc/self/mountinfo)"
else
  ok "SIGTERM: $MNT is unmounted"
fi
[[ $rc == 0 ]] || sed 's/^/  # /' "$WORK/daemon.log"
finish
