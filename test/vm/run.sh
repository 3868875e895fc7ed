#!/usr/bin/env bash
# Run a command inside a QEMU VM that has real kernel GPIO chips (gpio-sim).
#
#   test/vm/run.sh [--kvm] [--board FILE] [--root DIR] [--timeout SECS] -- <command...>
#
# The VM boots Debian's kernel (kit built by kit.sh), mounts the host root
# read-only over 9p, creates one gpio-sim chip per board-file chip (chip i is
# /dev/gpiochip<i>), chroots into the host root (or into --root DIR) and runs <command> with
# cwd = this checkout (a writable overlay over the read-only 9p view; writes
# are discarded at power-off) and GPIO_AGGFS_VM=1. Output is streamed live;
# run.sh exits with the command's exit status.
#
# Inside the VM:
#   /run/gpio-aggfs-vm/chips.json   {"chips":[{index,name,path,label,lines,names,
#                                    configfsDir,devName,sysfsDir}, ...]}
#   /run/gpio-aggfs-vm/board.json   copy of the board file
#   env: GPIO_AGGFS_VM=1 GPIO_AGGFS_VM_CHIPS GPIO_AGGFS_VM_BOARD HOME=/tmp/home
#   gpio-sim chips stay removable: echo 0 > <configfsDir>/live (root).
#
# Options / environment:
#   --board FILE                 board file (default fixtures/vm-board.json)
#   --root DIR                   run in this root directory of the host instead of
#                                the host root (GPIO_AGGFS_VM_ROOT), e.g. a Debian 13
#                                root from debian-root.sh; it gets a writable overlay,
#                                and when its .gpio-aggfs-root names node_modules=PATH,
#                                PATH (inside the root) covers the checkout's node_modules
#   --kvm                        use KVM instead of TCG (hangs on some hosts)
#   --timeout SECS               overall limit (GPIO_AGGFS_VM_TIMEOUT, default 2400)
#   GPIO_AGGFS_VM_BOOT_TIMEOUT   limit for booting up to the command (default 600: on a busy
#                                machine qemu alone can take minutes before the kernel starts)
#   GPIO_AGGFS_VM_MEM (2048), GPIO_AGGFS_VM_SMP (2)
#   GPIO_AGGFS_VM_PASSENV        extra host variables to pass into the VM
#                                (CI DEBUG TERM LANG LC_ALL NO_COLOR FORCE_COLOR always are)
#   GPIO_AGGFS_VM_9P_CACHE       9p cache mode for the host root (default loose)
#   GPIO_AGGFS_VM_QEMU_ARGS      extra qemu arguments (split on spaces)
# Exit status: the command's; 124 on timeout; 125 when the VM failed to boot
# or did not report a status; 2 on usage errors.
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
CHECKOUT=$(cd "$HERE/../.." && pwd -P)

log() { printf 'vm: %s\n' "$*" >&2; }
die() { local rc=${2:-125}; printf 'vm: ERROR: %s\n' "$1" >&2; exit "$rc"; }
usage() { sed -n '2,4p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

KVM=0
BOARD=$CHECKOUT/fixtures/vm-board.json
ROOTDIR=${GPIO_AGGFS_VM_ROOT:-/}
TIMEOUT=${GPIO_AGGFS_VM_TIMEOUT:-2400}
BOOT_TIMEOUT=${GPIO_AGGFS_VM_BOOT_TIMEOUT:-600}
while (($#)); do
  case $1 in
    --kvm) KVM=1; shift ;;
    --board) (($# >= 2)) || die "--board needs a file" 2; BOARD=$2; shift 2 ;;
    --board=*) BOARD=${1#--board=}; shift ;;
    --root) (($# >= 2)) || die "--root needs a directory" 2; ROOTDIR=$2; shift 2 ;;
    --root=*) ROOTDIR=${1#--root=}; shift ;;
    --timeout) (($# >= 2)) || die "--timeout needs seconds" 2; TIMEOUT=$2; shift 2 ;;
    --timeout=*) TIMEOUT=${1#--timeout=}; shift ;;
    -h|--help) usage ;;
    --) shift; break ;;
    *) die "unknown option '$1' (the command goes after --)" 2 ;;
  esac
done
(($#)) || { log "no command given"; usage; }
[[ $TIMEOUT =~ ^[0-9]+$ ]] || die "timeout must be a number of seconds, got '$TIMEOUT'" 2
[[ $BOOT_TIMEOUT =~ ^[0-9]+$ ]] || die "GPIO_AGGFS_VM_BOOT_TIMEOUT must be a number of seconds" 2
[[ -f $BOARD ]] || die "board file not found: $BOARD" 2
BOARD=$(cd "$(dirname "$BOARD")" && pwd -P)/$(basename "$BOARD")
[[ -d $ROOTDIR/usr/bin && -x $ROOTDIR/bin/bash ]] || die "--root $ROOTDIR: not a root directory (no usr/bin, bin/bash)" 2
ROOTDIR=$(cd "$ROOTDIR" && pwd -P)
NODE_MODULES=
if [[ $ROOTDIR != / && -f $ROOTDIR/.gpio-aggfs-root ]]; then
  NODE_MODULES=$(sed -nE 's/.*node_modules=([^ ]+).*/\1/p' "$ROOTDIR/.gpio-aggfs-root")
  [[ -z $NODE_MODULES || -d $ROOTDIR$NODE_MODULES ]] || die "--root $ROOTDIR: $NODE_MODULES is missing in it" 2
fi

T0=$(date +%s.%N)
since() { awk -v s="$1" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; }

KIT=$("$HERE/kit.sh") || die "kit.sh failed; cannot boot the VM"
[[ -f $KIT/kit.env ]] || die "kit.sh returned no usable kit ($KIT)"

SPEC=$(mktemp -d "${TMPDIR:-/tmp}/gpio-aggfs-vm.XXXXXX")
LOG=$SPEC/console.log
WATCHDOG=
stop_vm() { [[ -f $SPEC/qemu.pid ]] && kill "$(cat "$SPEC/qemu.pid")" 2>/dev/null; return 0; }
cleanup() {
  [[ -n $WATCHDOG ]] && kill "$WATCHDOG" 2>/dev/null
  stop_vm
  rm -rf "$SPEC"
}
on_signal() { log "interrupted; stopping the VM"; exit "$1"; }
trap cleanup EXIT
trap 'on_signal 130' INT
trap 'on_signal 143' TERM
trap 'on_signal 129' HUP

# The chip setup script (validates the board file before booting).
node "$HERE/gpio-sim-setup.mjs" "$BOARD" >"$SPEC/gpio-sim-setup.sh" || die "invalid board file $BOARD" 2
cp "$BOARD" "$SPEC/board.json"

sq() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
NONCE=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
INTERACTIVE=0
[[ -t 0 && -t 1 ]] && INTERACTIVE=1
{
  echo "NONCE=$NONCE"
  echo "CHECKOUT=$(sq "$CHECKOUT")"
  echo "INTERACTIVE=$INTERACTIVE"
  echo "P9CACHE=$(sq "${GPIO_AGGFS_VM_9P_CACHE:-loose}")"
  echo "ROOTDIR=$(sq "$ROOTDIR")"
  echo "NODE_MODULES=$(sq "$NODE_MODULES")"
} >"$SPEC/spec.env"

# The command script, run by the host's bash inside the chroot.
{
  echo '# gpio-aggfs VM command'
  for v in CI DEBUG TERM LANG LC_ALL NO_COLOR FORCE_COLOR ${GPIO_AGGFS_VM_PASSENV:-}; do
    [[ -n ${!v+x} ]] && printf 'export %s=%q\n' "$v" "${!v}"
  done
  printf 'export PATH=%q\n' "$PATH"
  echo 'export HOME=/tmp/home GPIO_AGGFS_VM=1'
  echo 'export GPIO_AGGFS_VM_CHIPS=/run/gpio-aggfs-vm/chips.json GPIO_AGGFS_VM_BOARD=/run/gpio-aggfs-vm/board.json'
  printf 'cd %q || exit 125\n' "$CHECKOUT"
  printf 'exec'; printf ' %q' "$@"; echo
} >"$SPEC/cmd.sh"

ACCEL=(-accel tcg)
if ((KVM)); then
  [[ -w /dev/kvm ]] || die "--kvm: /dev/kvm is missing or not writable"
  # No "-cpu host": under nested virtualisation qemu aborts on it (MSR 0x10a).
  ACCEL=(-accel kvm)
  log "warning: KVM guests hang in early boot on some hosts (nested virtualisation); the boot timeout (${BOOT_TIMEOUT}s) applies"
fi
QEMU=(qemu-system-x86_64 "${ACCEL[@]}" -m "${GPIO_AGGFS_VM_MEM:-2048}" -smp "${GPIO_AGGFS_VM_SMP:-2}"
  -nodefaults -no-user-config -display none -monitor none -serial stdio -no-reboot
  -pidfile "$SPEC/qemu.pid" -kernel "$KIT/vmlinuz" -initrd "$KIT/initrd.img"
  -append "console=ttyS0 quiet loglevel=3 panic=-1"
  -virtfs "local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap"
  -virtfs "local,path=$SPEC,mount_tag=spec,security_model=none,readonly=on")
# shellcheck disable=SC2206
EXTRA=(${GPIO_AGGFS_VM_QEMU_ARGS:-})
QEMU+=("${EXTRA[@]}")

log "booting the VM ($([[ $KVM == 1 ]] && echo KVM || echo TCG), board $BOARD, root $ROOTDIR, timeout ${TIMEOUT}s)"
log "command (in $CHECKOUT): $*"
T1=$(date +%s.%N)
: >"$LOG"
# Boot watchdog: kill the VM if it does not reach the command in time.
(
  for ((i = 0; i < BOOT_TIMEOUT; i++)); do
    sleep 1
    grep -aq "\[gpio-aggfs-vm-booted:$NONCE\]" "$LOG" 2>/dev/null && exit 0
    [[ -f $SPEC/qemu.pid ]] || continue
    kill -0 "$(cat "$SPEC/qemu.pid")" 2>/dev/null || exit 0
  done
  : >"$SPEC/boot-timeout"
  [[ -f $SPEC/qemu.pid ]] && kill "$(cat "$SPEC/qemu.pid")" 2>/dev/null
) </dev/null >/dev/null 2>&1 &
WATCHDOG=$!
# Run in the background and wait, so that INT/TERM/HUP traps fire at once
# (and stop the VM) instead of after qemu exits. stdin is passed explicitly
# (fd 3) for interactive sessions.
exec 3<&0
{
  rc=0
  timeout --foreground -k 15 "$TIMEOUT" "${QEMU[@]}" <&3 3<&- 2>&1 || rc=$?
  { echo "$rc" >"$SPEC/qemu.rc"; } 2>/dev/null || true
} | tee -a "$LOG" &
wait $! || true
kill "$WATCHDOG" 2>/dev/null || true
wait "$WATCHDOG" 2>/dev/null || true
WATCHDOG=
qrc=$(cat "$SPEC/qemu.rc" 2>/dev/null || echo 125)
[[ ! -s $LOG || $(tail -c1 "$LOG" | od -An -c | tr -d ' ') == '\n' ]] || echo

line=$(grep -aoE "\[gpio-aggfs-vm-exit:$NONCE:[0-9]+\]" "$LOG" | tail -n1 || true)
if [[ -n $line ]]; then
  rc=${line##*:}; rc=${rc%]}
  log "command exited with status $rc (VM ${KIT##*/}; total $(since "$T0")s, VM $(since "$T1")s)"
  exit "$rc"
fi
if [[ -f $SPEC/boot-timeout ]]; then
  die "the VM did not boot within ${BOOT_TIMEOUT}s (GPIO_AGGFS_VM_BOOT_TIMEOUT); it was killed"
fi
if ((qrc == 124 || qrc == 137)); then
  die "timed out after ${TIMEOUT}s (set GPIO_AGGFS_VM_TIMEOUT or --timeout); the VM was killed" 124
fi
if grep -aq "\[gpio-aggfs-vm-boot-failed:" "$LOG"; then
  die "the VM failed to set up (see the 'vm: init: FAILED' line above)"
fi
die "the VM stopped (qemu status $qrc) without reporting the command's exit status: boot failure or kernel panic (console output above)"
