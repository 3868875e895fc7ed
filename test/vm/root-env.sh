# Helpers for running commands in a Debian root directory (sourced by
# debian-root.sh and test/install/fresh-install.sh). Call root_enter only in a
# private mount namespace (unshare --mount --propagation private): its mounts
# then end with that namespace, whatever happens.

# root_enter ROOT CACHE RELEASE: bind /dev, /proc and /sys into ROOT, keep the
# downloaded .debs (CACHE/apt-RELEASE) and npm's cache (CACHE/npm) between
# runs, give ROOT this machine's DNS and local CA certificates (a TLS proxy on
# the way to the registries is trusted there as here), and keep services from
# starting inside it.
root_enter() {
  local root=$1 cache=$2 release=$3
  mkdir -p "$cache/apt-$release/partial" "$cache/npm" "$root/root/.npm" "$root/usr/local/share/ca-certificates" || return
  mount --bind /dev "$root/dev" \
    && mount -t devpts -o newinstance,ptmxmode=666 devpts "$root/dev/pts" \
    && mount -t proc proc "$root/proc" \
    && mount -t sysfs sysfs "$root/sys" \
    && mount --bind "$cache/apt-$release" "$root/var/cache/apt/archives" \
    && mount --bind "$cache/npm" "$root/root/.npm" \
    && cp /etc/resolv.conf "$root/etc/resolv.conf" || return
  if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/" || return
  fi
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d" && chmod 0755 "$root/usr/sbin/policy-rc.d"
}

# root_leave ROOT: undo what root_enter left in the root's files.
root_leave() {
  rm -f "$1/usr/sbin/policy-rc.d"
}

# in_root ROOT CMD…: CMD inside ROOT as root, with a clean environment. node-gyp
# takes Node's headers from the release (libnode-dev, /usr/include/node)
# instead of downloading them: this machine cannot reach nodejs.org.
in_root() {
  local root=$1; shift
  chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt npm_config_nodedir=/usr "$@"
}
