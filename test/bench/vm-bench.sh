#!/usr/bin/env bash
# Value-write latency on one gpio-sim line, inside the VM, three ways in
# interleaved rounds: through gpio-aggfs (libgpiod backend), through the
# kernel's legacy sysfs GPIO value file (/sys/class/gpio), and by a libgpiod
# gpiod_line_set_value() call. Each takes the line in turn and gives it back.
# The fuse-native floor (test/bench/floor-fs.mjs) is measured alongside, to
# show how much of gpio-aggfs's time is the FUSE binding's.
#
#   bash test/vm/run.sh -- bash test/bench/vm-bench.sh
#
# Prints "BENCH-VM-JSON {...}" (read by test/bench/bench.mjs --vm).
# Under QEMU's software emulation absolute times are not those of real
# hardware; the ratios are what this measures.
set -euo pipefail

ROUNDS=${BENCH_VM_ROUNDS:-3}
BATCHES=${BENCH_VM_BATCHES:-4}
SIZE=${BENCH_VM_SIZE:-100}
OFFSET=6
WORK=$(mktemp -d /tmp/gpio-aggfs-vm-bench.XXXXXX)
MNT=$WORK/mnt
DAEMON=
FLOOR=

log() { printf 'vm-bench: %s\n' "$*" >&2; }
cleanup() {
  if [[ -n $DAEMON ]]; then
    kill -TERM "$DAEMON" 2>/dev/null || true
    wait "$DAEMON" 2>/dev/null || true
  fi
  if [[ -n $FLOOR ]]; then
    kill -TERM "$FLOOR" 2>/dev/null || true
    wait "$FLOOR" 2>/dev/null || true
  fi
  fusermount -uz "$MNT" 2>/dev/null || true
  fusermount -uz "$WORK/floor" 2>/dev/null || true
  [[ -n ${GPIO_NUMBER:-} && -d /sys/class/gpio/gpio$GPIO_NUMBER ]] && echo "$GPIO_NUMBER" >/sys/class/gpio/unexport
  rm -rf "$WORK"
}
trap cleanup EXIT

cc -O2 -DHAVE_GPIOD -o "$WORK/client" test/bench/client.c -lgpiod

CHIPS=${GPIO_AGGFS_VM_CHIPS:-/run/gpio-aggfs-vm/chips.json}
CHIP=$(node -e 'console.log(require(process.argv[1]).chips[0].name)' "$CHIPS")
LABEL=$(node -e 'console.log(require(process.argv[1]).chips[0].label)' "$CHIPS")
# The legacy sysfs numbering: the chip's base plus the offset.
BASE=
for dir in /sys/class/gpio/gpiochip*; do
  [[ $(cat "$dir/label") == "$LABEL" ]] && BASE=$(cat "$dir/base")
done
[[ -n $BASE ]] || { log "no /sys/class/gpio entry labelled $LABEL (CONFIG_GPIO_SYSFS?)"; exit 1; }
GPIO_NUMBER=$((BASE + OFFSET))
log "line: $CHIP offset $OFFSET (label $LABEL), legacy sysfs gpio$GPIO_NUMBER"

node bin/gpio-aggfs mount "$MNT" >"$WORK/daemon.log" 2>&1 &
DAEMON=$!
for ((i = 0; i < 1200; i++)); do
  [[ -e $MNT/agg/new_device ]] && break
  kill -0 "$DAEMON" 2>/dev/null || { cat "$WORK/daemon.log" >&2; exit 1; }
  sleep 0.1
done
[[ -e $MNT/agg/new_device ]] || { log "gpio-aggfs did not start"; cat "$WORK/daemon.log" >&2; exit 1; }
mkdir -p "$WORK/floor"
node test/bench/floor-fs.mjs "$WORK/floor" >"$WORK/floor.log" 2>&1 &
FLOOR=$!
for ((i = 0; i < 1200; i++)); do
  grep -q ready "$WORK/floor.log" && break
  kill -0 "$FLOOR" 2>/dev/null || { cat "$WORK/floor.log" >&2; exit 1; }
  sleep 0.1
done

: >"$WORK/sysfs.txt"; : >"$WORK/gpio-aggfs.txt"; : >"$WORK/libgpiod.txt"; : >"$WORK/floor.txt"
for ((round = 0; round < ROUNDS; round++)); do
  log "round $((round + 1))/$ROUNDS"
  echo "$GPIO_NUMBER" >/sys/class/gpio/export
  echo out >"/sys/class/gpio/gpio$GPIO_NUMBER/direction"
  "$WORK/client" lat pwrite "/sys/class/gpio/gpio$GPIO_NUMBER/value" "$BATCHES" "$SIZE" >>"$WORK/sysfs.txt"
  echo "$GPIO_NUMBER" >/sys/class/gpio/unexport

  echo "$CHIP $OFFSET" >"$MNT/agg/new_device"
  echo out >"$MNT/gpio-agg.0/line0/direction"
  "$WORK/client" lat pwrite "$MNT/gpio-agg.0/line0/value" "$BATCHES" "$SIZE" >>"$WORK/gpio-aggfs.txt"
  echo gpio-agg.0 >"$MNT/agg/delete_device"

  "$WORK/client" gpiod "$CHIP" "$OFFSET" "$BATCHES" "$SIZE" >>"$WORK/libgpiod.txt"

  "$WORK/client" lat pwrite "$WORK/floor/value" "$BATCHES" "$SIZE" >>"$WORK/floor.txt"
done

node --input-type=module - "$WORK" <<'EOF'
import { readFileSync } from 'node:fs';
const dir = process.argv[2];
const load = (name) => readFileSync(`${dir}/${name}.txt`, 'utf8').trim().split('\n').map(Number).sort((a, b) => a - b);
const stats = (s) => ({
  median: Math.round(s[s.length >> 1] / 10) / 100,
  p99: Math.round(s[Math.min(s.length - 1, Math.ceil(0.99 * s.length) - 1)] / 10) / 100,
  n: s.length,
});
const write = { 'legacy sysfs (/sys/class/gpio)': stats(load('sysfs')), 'gpio-aggfs': stats(load('gpio-aggfs')), 'libgpiod set_value': stats(load('libgpiod')), 'fuse-native floor (no GPIO)': stats(load('floor')) };
const sysfs = write['legacy sysfs (/sys/class/gpio)'].median;
const floor = write['fuse-native floor (no GPIO)'].median;
for (const v of Object.values(write)) {
  v.ratioToSysfs = Math.round((100 * v.median) / sysfs) / 100;
  v.ratioToFloor = Math.round((10000 * v.median) / floor) / 10000;
}
console.log(`BENCH-VM-JSON ${JSON.stringify({ unit: 'µs', op: 'pwrite "0"/"1" on an open value fd; gpiod_line_set_value()', write })}`);
EOF
