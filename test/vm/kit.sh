#!/usr/bin/env bash
# gpio-aggfs VM kit: everything needed to boot a QEMU VM with real (simulated)
# kernel GPIO chips.
#
#   - installs the Debian packages the VM harness needs (only if missing);
#   - picks the installed kernel (one with /boot/vmlinuz-<v> and headers);
#   - fetches linux-source-<major.minor> and builds gpio-sim (+ irq_sim) and
#     gpio-aggregator as out-of-tree modules for that kernel;
#   - builds a busybox initramfs that loads virtio/9p/configfs/fuse/overlay
#     and the gpio-sim module, then runs test/vm/vm-init.sh as /init.
#
# The result is cached in $GPIO_AGGFS_VM_CACHE (default
# /var/cache/gpio-aggfs/vm-kit)/<kernel-version>-<hash of kit.sh + vm-init.sh>.
# A valid cache is reused as is. On success the kit directory is printed on
# stdout (progress goes to stderr); any failure exits non-zero.
#
# Environment:
#   GPIO_AGGFS_VM_CACHE   cache root (default /var/cache/gpio-aggfs/vm-kit)
#   GPIO_AGGFS_VM_KVER    kernel version to use (default: newest usable one)
#   GPIO_AGGFS_VM_REBUILD=1  ignore a cached kit and rebuild it
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
CACHE_ROOT=${GPIO_AGGFS_VM_CACHE:-/var/cache/gpio-aggfs/vm-kit}

log() { printf 'vm: %s\n' "$*" >&2; }
die() { printf 'vm: ERROR: %s\n' "$*" >&2; exit 1; }
trap 'rc=$?; printf "vm: ERROR: kit.sh failed (status %s) at line %s: %s\n" "$rc" "$LINENO" "$BASH_COMMAND" >&2; exit "$rc"' ERR

START=$(date +%s.%N)
elapsed() { awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; }

# Modules the VM needs (virtio PCI, the 9p root, configfs for gpio-sim, FUSE, overlay); copied
# into the initramfs with what they depend on, in load order, from the kernel's own modules.dep
# (names and dependencies change between kernels: fscache is a module of its own on 6.1).
NEEDED_MODULES=(virtio_pci 9pnet_virtio 9p configfs fuse overlay)
# What the kit build needs (the packages the VM's root needs come from .ci/install).
PACKAGES=(qemu-system-x86 linux-image-amd64 linux-headers-amd64 busybox-static xz-utils build-essential cpio)

# --- 1. packages -------------------------------------------------------------
missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [[ $status == installed ]] || missing+=("$p")
done
if ((${#missing[@]})); then
  [[ $(id -u) == 0 ]] || die "missing Debian packages (${missing[*]}); run kit.sh as root to install them"
  log "installing missing packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2 || die "apt-get update failed"
  apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 || die "apt-get install ${missing[*]} failed"
fi

# --- 2. kernel version ---------------------------------------------------------
usable_kernel() {
  local v=$1
  [[ -f /boot/vmlinuz-$v && -f /lib/modules/$v/build/Makefile && -d /lib/modules/$v/kernel ]]
}
if [[ -n ${GPIO_AGGFS_VM_KVER:-} ]]; then
  KVER=$GPIO_AGGFS_VM_KVER
  usable_kernel "$KVER" || die "GPIO_AGGFS_VM_KVER=$KVER: need /boot/vmlinuz-$KVER, /lib/modules/$KVER/kernel and its headers (/lib/modules/$KVER/build)"
else
  KVER=
  for d in /lib/modules/*/; do
    v=$(basename "$d")
    usable_kernel "$v" && KVER=$(printf '%s\n%s\n' "$KVER" "$v" | sed '/^$/d' | sort -V | tail -n1)
  done
  [[ -n $KVER ]] || die "no kernel with both /boot/vmlinuz-<v> and headers in /lib/modules/<v>/build (install linux-image-amd64 linux-headers-amd64)"
fi
[[ -r /boot/vmlinuz-$KVER ]] || die "/boot/vmlinuz-$KVER is not readable"

# --- 3. cache lookup -------------------------------------------------------------
[[ -f $HERE/vm-init.sh ]] || die "missing $HERE/vm-init.sh"
HASH=$(cat "$HERE/kit.sh" "$HERE/vm-init.sh" | sha256sum | cut -c1-12)
KIT=$CACHE_ROOT/$KVER-$HASH

kit_valid() {
  [[ -f $KIT/kit.env ]] || return 1
  local f
  for f in vmlinuz initrd.img gpio-sim-oot.ko gpio-aggregator.ko; do
    [[ -s $KIT/$f ]] || return 1
  done
}

if [[ ${GPIO_AGGFS_VM_REBUILD:-0} != 1 ]] && kit_valid; then
  log "kit for kernel $KVER is cached: $KIT ($(elapsed)s)"
  printf '%s\n' "$KIT"
  exit 0
fi

mkdir -p "$CACHE_ROOT" || die "cannot create cache directory $CACHE_ROOT"
[[ -w $CACHE_ROOT ]] || die "cache directory $CACHE_ROOT is not writable (run as root or set GPIO_AGGFS_VM_CACHE)"
exec 9>"$CACHE_ROOT/.lock"
if ! flock -n 9; then
  log "another kit build is running; waiting for $CACHE_ROOT/.lock"
  flock 9
fi
if [[ ${GPIO_AGGFS_VM_REBUILD:-0} != 1 ]] && kit_valid; then  # built by a concurrent run
  log "kit for kernel $KVER is cached: $KIT ($(elapsed)s)"
  printf '%s\n' "$KIT"
  exit 0
fi

log "building the VM kit for kernel $KVER in $KIT"
BUILD=$(mktemp -d "$CACHE_ROOT/.build-$KVER-$HASH.XXXXXX")
trap 'rm -rf "$BUILD"' EXIT

# --- 4. kernel sources for gpio-sim ----------------------------------------------
IMAGE_VERSION=$(dpkg-query -W -f='${Version}' "linux-image-$KVER" 2>/dev/null || true)
SERIES=$(sed -E 's/^([0-9]+\.[0-9]+).*/\1/' <<<"$KVER")
SRC_PKG=linux-source-$SERIES
DL=$CACHE_ROOT/downloads
mkdir -p "$DL"
# apt-get download drops privileges to _apt when it can write the directory.
if [[ $(id -u) == 0 ]] && id _apt >/dev/null 2>&1; then chown _apt "$DL" 2>/dev/null || true; fi

fetch_source() {  # $1 = version or ""
  local spec=$SRC_PKG${1:+=$1}
  log "downloading $spec (apt-get download)"
  (cd "$DL" && apt-get download -q "$spec" >&2)
}
SRC_DEB=
if [[ -n $IMAGE_VERSION ]]; then
  SRC_DEB=$(ls "$DL/${SRC_PKG}_${IMAGE_VERSION//:/%3a}_"*.deb 2>/dev/null | head -n1 || true)
fi
if [[ -z $SRC_DEB ]]; then
  if [[ -n $IMAGE_VERSION ]] && fetch_source "$IMAGE_VERSION"; then
    :
  elif fetch_source ""; then
    log "note: $SRC_PKG $IMAGE_VERSION (the kernel's own version) was not available; using the candidate version"
  else
    [[ $(id -u) == 0 ]] || die "apt-get download $SRC_PKG failed"
    log "apt-get download failed; running apt-get update and retrying"
    apt-get update -q >&2 || die "apt-get update failed"
    fetch_source "$IMAGE_VERSION" || fetch_source "" || die "apt-get download $SRC_PKG failed"
  fi
  SRC_DEB=$(ls -t "$DL/${SRC_PKG}_"*.deb | head -n1)
fi
[[ -s $SRC_DEB ]] || die "no $SRC_PKG .deb found in $DL"
for old in "$DL/${SRC_PKG}_"*.deb; do [[ $old == "$SRC_DEB" ]] || rm -f "$old"; done
log "using $(basename "$SRC_DEB")"

SRC_FILES=(drivers/gpio/gpio-sim.c drivers/gpio/gpiolib.h kernel/irq/irq_sim.c drivers/gpio/gpio-aggregator.c)
INNER=usr/src/$SRC_PKG.tar.xz
log "extracting ${SRC_FILES[*]} from $INNER"
mkdir -p "$BUILD/src"
dpkg-deb --fsys-tarfile "$SRC_DEB" | tar -xO -f - "./$INNER" \
  | tar -xJ -f - -C "$BUILD/src" --strip-components=1 "${SRC_FILES[@]/#/$SRC_PKG/}" \
  || die "could not extract ${SRC_FILES[*]} from $SRC_DEB ($INNER)"

# --- 5. module build -----------------------------------------------------------------
MOD=$BUILD/module
mkdir -p "$MOD"
for f in "${SRC_FILES[@]}"; do cp "$BUILD/src/$f" "$MOD/"; done
# irq_to_desc() is not exported to modules; generic_handle_irq() does the same job.
sed -i 's/handle_simple_irq(irq_to_desc(irqnum));/generic_handle_irq(irqnum);/' "$MOD/irq_sim.c"
grep -q 'generic_handle_irq(irqnum);' "$MOD/irq_sim.c" && ! grep -q 'irq_to_desc' "$MOD/irq_sim.c" \
  || die "patching irq_sim.c failed (the source no longer matches 'handle_simple_irq(irq_to_desc(irqnum));')"
cat >"$MOD/Kbuild" <<'KBUILD'
obj-m += gpio-sim-oot.o gpio-aggregator.o
gpio-sim-oot-y := gpio-sim.o irq_sim.o
KBUILD
log "building gpio-sim-oot.ko and gpio-aggregator.ko against /lib/modules/$KVER/build"
if ! make -C "/lib/modules/$KVER/build" M="$MOD" -j"$(nproc)" modules >"$BUILD/make.log" 2>&1; then
  tail -n 40 "$BUILD/make.log" >&2
  die "module build failed (log above)"
fi
for m in gpio-sim-oot gpio-aggregator; do
  [[ -s $MOD/$m.ko ]] || die "module build produced no $m.ko"
done

# --- 6. initramfs ----------------------------------------------------------------------
declare -A DEP_OF=() PATH_OF=() SEEN=()
while IFS= read -r line; do
  file=${line%%:*}; name=${file##*/}; name=${name%%.ko*}; name=${name//-/_}
  PATH_OF[$name]=$file; DEP_OF[$name]=${line#*:}
done <"/lib/modules/$KVER/modules.dep"
INITRD_MODULES=()
add_module() {
  local m=$1 dep name
  [[ -n ${SEEN[$m]:-} ]] && return 0
  SEEN[$m]=1
  if [[ -z ${PATH_OF[$m]:-} ]]; then
    grep -qE "/${m//_/[-_]}\.ko\$" "/lib/modules/$KVER/modules.builtin" && return 0  # built in
    die "kernel module $m: neither in /lib/modules/$KVER/modules.dep nor built in"
  fi
  for dep in ${DEP_OF[$m]}; do name=${dep##*/}; name=${name%%.ko*}; add_module "${name//-/_}"; done
  INITRD_MODULES+=("$m")
}
for m in "${NEEDED_MODULES[@]}"; do add_module "$m"; done
log "building the initramfs (busybox + ${#INITRD_MODULES[@]} kernel modules + gpio-sim)"
RD=$BUILD/initramfs
mkdir -p "$RD"/{bin,sbin,dev,proc,sys,run,tmp,mnt,lib/modules}
cp /bin/busybox "$RD/bin/busybox"
file_is_static=$(file -b /bin/busybox 2>/dev/null || true)
[[ -z $file_is_static || $file_is_static == *static* ]] || die "/bin/busybox is not static (install busybox-static)"
cp "$HERE/vm-init.sh" "$RD/init"
chmod 0755 "$RD/init" "$RD/bin/busybox"
: >"$RD/lib/modules/load-order"
for m in "${INITRD_MODULES[@]}"; do
  src=/lib/modules/$KVER/${PATH_OF[$m]}
  [[ -f $src ]] || die "kernel module $m: $src is missing"
  case $src in
    *.ko.xz) xz -dc "$src" >"$RD/lib/modules/$m.ko" ;;
    *.ko.zst) zstd -qdc "$src" >"$RD/lib/modules/$m.ko" ;;
    *.ko.gz) gzip -dc "$src" >"$RD/lib/modules/$m.ko" ;;
    *) cp "$src" "$RD/lib/modules/$m.ko" ;;
  esac
  echo "$m" >>"$RD/lib/modules/load-order"
done
cp "$MOD/gpio-sim-oot.ko" "$MOD/gpio-aggregator.ko" "$RD/lib/modules/"
printf '%s\n' gpio-sim-oot gpio-aggregator >>"$RD/lib/modules/load-order"
if [[ $(id -u) == 0 ]]; then mknod -m 600 "$RD/dev/console" c 5 1; fi
(cd "$RD" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$BUILD/initrd.img"

# --- 7. publish ---------------------------------------------------------------------------
OUT=$BUILD/kit
mkdir -p "$OUT"
cp "/boot/vmlinuz-$KVER" "$OUT/vmlinuz"
mv "$BUILD/initrd.img" "$OUT/initrd.img"
cp "$MOD/gpio-sim-oot.ko" "$MOD/gpio-aggregator.ko" "$MOD/irq_sim.c" "$OUT/"
cat >"$OUT/kit.env" <<ENV
KIT_KVER=$KVER
KIT_HASH=$HASH
KIT_SOURCE=$(basename "$SRC_DEB")
KIT_BUILT=$(date -u +%Y-%m-%dT%H:%M:%SZ)
ENV
rm -rf "$KIT"
mv -T "$OUT" "$KIT"
# Drop kits of older harness versions that have not been rebuilt for 14 days.
find "$CACHE_ROOT" -mindepth 1 -maxdepth 1 -type d -name '*-????????????' ! -path "$KIT" -mtime +14 \
  -exec rm -rf {} + 2>/dev/null || true
log "kit ready: $KIT ($(elapsed)s)"
printf '%s\n' "$KIT"
