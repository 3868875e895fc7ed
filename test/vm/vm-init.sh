#!/bin/busybox sh
# /init of the gpio-aggfs VM initramfs (built into the kit by kit.sh).
#
# Loads the kernel modules, mounts the host root (9p tag "host", read-only)
# and the run spec written by run.sh (9p tag "spec"), creates the gpio-sim
# chips, gives the project checkout a writable overlay, chroots into the host
# root (or into another root directory of the host, ROOTDIR, given a writable
# overlay; its own node_modules, NODE_MODULES, cover the checkout's) and runs
# the command. The exit status is reported on the console as
# "[gpio-aggfs-vm-exit:<nonce>:<status>]", then the VM powers off.
/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin

mount -t devtmpfs devtmpfs /dev 2>/dev/null
# What udev would add: bash's process substitution needs /dev/fd.
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
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
# spec.env sets: NONCE CHECKOUT INTERACTIVE P9CACHE ROOTDIR NODE_MODULES
mount -t 9p -o "$P9,ro,cache=$P9CACHE" host /host || fail "mount the host root (9p tag host)"
[ -d "/host$CHECKOUT" ] || fail "checkout $CHECKOUT not visible through 9p"

# The root the command runs in: the host's own, or a root directory of the
# host (e.g. a Debian 13 root) with a writable tmpfs overlay, so that mount
# points can be made in it.
R=/host
if [ -n "$ROOTDIR" ] && [ "$ROOTDIR" != / ]; then
    [ -d "/host$ROOTDIR/usr/bin" ] || fail "root $ROOTDIR not visible through 9p"
    mkdir -p /rootovl /newroot
    mount -t tmpfs -o mode=0755 rootovl /rootovl || fail "mount tmpfs /rootovl"
    mkdir -p /rootovl/upper /rootovl/work
    mount -t overlay overlay -o "lowerdir=/host$ROOTDIR,upperdir=/rootovl/upper,workdir=/rootovl/work" /newroot \
        || fail "overlay mount of the root $ROOTDIR"
    R=/newroot
fi

# Writable view of the checkout: overlay (lower = 9p checkout, upper = tmpfs).
# The lower layer is bound before /tmp and /run are covered by tmpfs, so a
# checkout under /tmp works too.
mkdir -p /ovl
mount -t tmpfs -o mode=0755 ovl /ovl || fail "mount tmpfs /ovl"
mkdir -p /ovl/lower /ovl/upper /ovl/work
mount --bind "/host$CHECKOUT" /ovl/lower || fail "bind $CHECKOUT"

mount --bind /dev $R/dev || fail "bind /dev"
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts $R/dev/pts 2>/dev/null || true
mount -t tmpfs -o mode=1777 shm $R/dev/shm 2>/dev/null || true
mount --bind /proc $R/proc || fail "bind /proc"
mount --bind /sys $R/sys || fail "bind /sys"
mount -t configfs configfs $R/sys/kernel/config || fail "mount configfs in the chroot"
mount -t tmpfs -o mode=1777 tmp $R/tmp || fail "mount tmpfs /tmp"
mount -t tmpfs -o mode=0755 run $R/run || fail "mount tmpfs /run"
mount -t tmpfs -o mode=1777 vartmp $R/var/tmp 2>/dev/null || true
mkdir -p "$R$CHECKOUT"
mount -t overlay overlay -o "lowerdir=/ovl/lower,upperdir=/ovl/upper,workdir=/ovl/work" "$R$CHECKOUT" \
    || fail "overlay mount on $CHECKOUT"

if [ -n "$NODE_MODULES" ]; then
    # The root's own npm install (native addons built in that release).
    nm="$R$CHECKOUT/node_modules"
    [ -L "$nm" ] && rm "$nm"    # a symlink to the host's node_modules (removed in the overlay only)
    mkdir -p "$nm"
    mount --bind "$R$NODE_MODULES" "$nm" || fail "bind $NODE_MODULES over the checkout's node_modules"
fi

mkdir -p $R/run/gpio-aggfs-vm $R/tmp/home
cp /spec/board.json /spec/cmd.sh $R/run/gpio-aggfs-vm/ || fail "copy the run spec"

# gpio-sim chips (script generated on the host by gpio-sim-setup.mjs).
. /spec/gpio-sim-setup.sh || fail "gpio-sim setup"

read -r up _ </proc/uptime
echo "vm: VM up after ${up}s; running the command [gpio-aggfs-vm-booted:$NONCE]"
if [ "$INTERACTIVE" = 1 ]; then
    setsid cttyhack chroot $R /bin/bash /run/gpio-aggfs-vm/cmd.sh
    rc=$?
else
    # Not a terminal session: the command sees a pipe (like CI), not the
    # serial console, and gets no stdin.
    stty -onlcr 2>/dev/null
    { chroot $R /bin/bash /run/gpio-aggfs-vm/cmd.sh </dev/null; echo $? >/rc; } 2>&1 | cat
    rc=$(cat /rc 2>/dev/null || echo 125)
fi
echo "[gpio-aggfs-vm-exit:$NONCE:$rc]"
echo 0 > /proc/sys/kernel/printk   # keep "reboot: Power down" off the output
sync
poweroff -f
sleep 10
