#!/bin/busybox sh
# /init of the gpio-aggfs VM initramfs (built into the kit by kit.sh).
#
# Loads the kernel modules, mounts the host root (9p tag "host", read-only)
# and the run spec written by run.sh (9p tag "spec"), creates the gpio-sim
# chips, gives the project checkout a writable overlay, chroots into the host
# root and runs the command. The exit status is reported on the console as
# "[gpio-aggfs-vm-exit:<nonce>:<status>]", then the VM powers off.
/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin

mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys

NONCE=unknown
fail() {
    echo "vm: init: FAILED: $*"
    echo "[gpio-aggfs-vm-boot-failed:$NONCE]"
    sync
    poweroff -f
    sleep 10
}

while read -r m; do
    insmod "/lib/modules/$m.ko" || fail "insmod $m"
done </lib/modules/load-order
mount -t configfs configfs /sys/kernel/config || fail "mount configfs"

P9="trans=virtio,version=9p2000.L,msize=262144"
mkdir -p /spec /host
mount -t 9p -o "$P9,ro" spec /spec || fail "mount the run spec (9p tag spec)"
. /spec/spec.env || fail "read /spec/spec.env"
# spec.env sets: NONCE CHECKOUT INTERACTIVE P9CACHE
mount -t 9p -o "$P9,ro,cache=$P9CACHE" host /host || fail "mount the host root (9p tag host)"
[ -d "/host$CHECKOUT" ] || fail "checkout $CHECKOUT not visible through 9p"

# Writable view of the checkout: overlay (lower = 9p checkout, upper = tmpfs).
# The lower layer is bound before /tmp and /run are covered by tmpfs, so a
# checkout under /tmp works too.
mkdir -p /ovl
mount -t tmpfs -o mode=0755 ovl /ovl || fail "mount tmpfs /ovl"
mkdir -p /ovl/lower /ovl/upper /ovl/work
mount --bind "/host$CHECKOUT" /ovl/lower || fail "bind $CHECKOUT"

mount --bind /dev /host/dev || fail "bind /dev"
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /host/dev/pts 2>/dev/null || true
mount -t tmpfs -o mode=1777 shm /host/dev/shm 2>/dev/null || true
mount --bind /proc /host/proc || fail "bind /proc"
mount --bind /sys /host/sys || fail "bind /sys"
mount -t configfs configfs /host/sys/kernel/config || fail "mount configfs in the chroot"
mount -t tmpfs -o mode=1777 tmp /host/tmp || fail "mount tmpfs /tmp"
mount -t tmpfs -o mode=0755 run /host/run || fail "mount tmpfs /run"
mount -t tmpfs -o mode=1777 vartmp /host/var/tmp 2>/dev/null || true
mkdir -p "/host$CHECKOUT"
mount -t overlay overlay -o "lowerdir=/ovl/lower,upperdir=/ovl/upper,workdir=/ovl/work" "/host$CHECKOUT" \
    || fail "overlay mount on $CHECKOUT"

mkdir -p /host/run/gpio-aggfs-vm /host/tmp/home
cp /spec/board.json /spec/cmd.sh /host/run/gpio-aggfs-vm/ || fail "copy the run spec"

# gpio-sim chips (script generated on the host by gpio-sim-setup.mjs).
. /spec/gpio-sim-setup.sh || fail "gpio-sim setup"

read -r up _ </proc/uptime
echo "vm: VM up after ${up}s; running the command [gpio-aggfs-vm-booted:$NONCE]"
if [ "$INTERACTIVE" = 1 ]; then
    setsid cttyhack chroot /host /bin/bash /run/gpio-aggfs-vm/cmd.sh
    rc=$?
else
    # Not a terminal session: the command sees a pipe (like CI), not the
    # serial console, and gets no stdin.
    stty -onlcr 2>/dev/null
    { chroot /host /bin/bash /run/gpio-aggfs-vm/cmd.sh </dev/null; echo $? >/rc; } 2>&1 | cat
    rc=$(cat /rc 2>/dev/null || echo 125)
fi
echo "[gpio-aggfs-vm-exit:$NONCE:$rc]"
echo 0 > /proc/sys/kernel/printk   # keep "reboot: Power down" off the output
sync
poweroff -f
sleep 10
