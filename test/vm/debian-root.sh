#!/usr/bin/env bash
# Debian roots for the VM suite and the fresh-install test, built with
# debootstrap and cached.
#
#   test/vm/debian-root.sh [--pristine] RELEASE     (RELEASE: bookworm | trixie)
#
# --pristine  a bare `debootstrap --variant=minbase RELEASE` root, as a new
#             machine has it (the fresh-install test copies it per run).
# default     the VM root: the pristine root with the release's nodejs, npm and
#             libnode-dev (Node's headers: node-gyp then needs no download),
#             then this checkout's own `.ci/install` run inside it (packages
#             chosen by the release, `npm ci`, build) in a copy of the checkout
#             at /opt/gpio-aggfs. The VM binds /opt/gpio-aggfs/node_modules over
#             the checkout's node_modules, so the tests run on native addons
#             built in that release.
#
# Roots are cached in $GPIO_AGGFS_ROOT_CACHE (default /var/cache/gpio-aggfs/roots)
# as <release>-pristine-<hash> and <release>-vm-<hash>; the hash covers the
# debootstrap call for the pristine root, and this script, root-env.sh,
# .ci/install, package.json and package-lock.json for the VM root. A valid cache is reused as is. The root's directory is
# printed on stdout, progress goes to stderr. Needs root.
#
# The Debian archive is the one this machine's apt sources name
# (GPIO_AGGFS_DEBIAN_MIRROR overrides it). Downloaded .debs and npm's cache
# are kept in $GPIO_AGGFS_ROOT_CACHE/apt-<release> and …/npm between builds.
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
CHECKOUT=$(cd "$HERE/../.." && pwd -P)
CACHE=${GPIO_AGGFS_ROOT_CACHE:-/var/cache/gpio-aggfs/roots}

log() { printf 'root: %s\n' "$*" >&2; }
die() { printf 'root: ERROR: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '5p' "${BASH_SOURCE[0]}" | sed 's/^# *//' >&2; exit 2; }

PRISTINE=0
[[ ${1:-} == --pristine ]] && { PRISTINE=1; shift; }
(($# == 1)) || usage
RELEASE=$1
case $RELEASE in bookworm|trixie) ;; *) die "unknown release '$RELEASE' (bookworm or trixie)" ;; esac
[[ $(id -u) == 0 ]] || die "building a Debian root needs root (debootstrap, chroot)"

START=$(date +%s)
elapsed() { echo "$(( $(date +%s) - START ))s"; }

mirror() {
  [[ -n ${GPIO_AGGFS_DEBIAN_MIRROR:-} ]] && { echo "$GPIO_AGGFS_DEBIAN_MIRROR"; return; }
  local url
  # deb822 sources ("URIs:"), then one-line sources ("deb URL suite …"); the main
  # archive, not the security one.
  url=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | sed -nE 's/^URIs:[[:space:]]*//p' | tr ' ' '\n' \
        | grep -E '^https?://' | grep -v -- '-security' | head -n1 || true)
  [[ -n $url ]] || url=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
        | sed -nE 's/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?(https?:\/\/[^[:space:]]+).*/\2/p' \
        | grep -v -- '-security' | head -n1 || true)
  [[ -n $url ]] || die "no Debian archive URL in /etc/apt/sources*; set GPIO_AGGFS_DEBIAN_MIRROR"
  echo "${url%/}"
}

# --- cache --------------------------------------------------------------------
script_hash() { cat "$@" | sha256sum | cut -c1-12; }
# The pristine root depends on the debootstrap call only (PRISTINE_RECIPE).
PRISTINE_RECIPE="debootstrap --variant=minbase $RELEASE"
P_HASH=$(script_hash <(echo "$PRISTINE_RECIPE"))
P_DIR=$CACHE/$RELEASE-pristine-$P_HASH
V_HASH=$(script_hash "$HERE/debian-root.sh" "$HERE/root-env.sh" "$CHECKOUT/.ci/install" "$CHECKOUT/package.json" "$CHECKOUT/package-lock.json")
V_DIR=$CACHE/$RELEASE-vm-$V_HASH
TARGET=$P_DIR
((PRISTINE)) || TARGET=$V_DIR

if [[ -f $TARGET/.gpio-aggfs-root ]]; then
  log "$RELEASE root is cached: $TARGET"
  echo "$TARGET"; exit 0
fi
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock-$RELEASE"
flock 9
[[ -f $TARGET/.gpio-aggfs-root ]] && { log "$RELEASE root is cached: $TARGET"; echo "$TARGET"; exit 0; }

BUILD=
cleanup() { [[ -n $BUILD && -d $BUILD ]] && rm -rf --one-file-system "$BUILD"; return 0; }
trap cleanup EXIT
trap 'exit 143' TERM; trap 'exit 130' INT; trap 'exit 129' HUP

# --- pristine root ----------------------------------------------------------------
if [[ ! -f $P_DIR/.gpio-aggfs-root ]]; then
  if ! command -v debootstrap >/dev/null; then
    log "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >&2 \
      || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >&2; } \
      || die "apt-get install debootstrap failed"
  fi
  URL=$(mirror)
  BUILD=$(mktemp -d "$CACHE/.build-$RELEASE-pristine.XXXXXX")
  log "$PRISTINE_RECIPE from $URL"
  mkdir -p "$CACHE/apt-$RELEASE"
  debootstrap --variant=minbase --cache-dir="$CACHE/apt-$RELEASE" "$RELEASE" "$BUILD/root" "$URL" >"$BUILD/debootstrap.log" 2>&1 \
    || { tail -n 30 "$BUILD/debootstrap.log" >&2; die "debootstrap $RELEASE failed (log above)"; }
  rm -f "$BUILD/root/var/cache/apt/archives/"*.deb
  echo "$RELEASE $URL $(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$BUILD/root/.gpio-aggfs-root"
  rm -rf "$P_DIR"
  mv -T "$BUILD/root" "$P_DIR"
  rm -rf "$BUILD"; BUILD=
  log "pristine $RELEASE root: $P_DIR ($(elapsed))"
fi
if ((PRISTINE)); then echo "$P_DIR"; exit 0; fi

# --- VM root: the pristine root + nodejs + the checkout's .ci/install ---------------
BUILD=$(mktemp -d "$CACHE/.build-$RELEASE-vm.XXXXXX")
R=$BUILD/root
log "copying the pristine root"
cp -a "$P_DIR" "$R"
rm -f "$R/.gpio-aggfs-root"
mkdir -p "$R/opt/gpio-aggfs"
git -C "$CHECKOUT" ls-files -z | (cd "$CHECKOUT" && xargs -0 cp --parents -t "$R/opt/gpio-aggfs")
log "installing the release's nodejs, npm and libnode-dev, then running the checkout's .ci/install (copied to /opt/gpio-aggfs) in the $RELEASE root"
# In a private mount namespace: the root's mounts end with it.
unshare --mount --propagation private bash -c '
  . "$1/root-env.sh"
  root_enter "$2" "$3" "$4" || { echo "root: cannot prepare the chroot" >&2; exit 1; }
  in_root "$2" sh -c "apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nodejs npm libnode-dev" \
    || { echo "root: apt-get install nodejs npm libnode-dev failed" >&2; exit 1; }
  in_root "$2" bash -c "cd /opt/gpio-aggfs && bash .ci/install" || { echo "root: .ci/install failed" >&2; exit 1; }
  root_leave "$2"
' provision "$HERE" "$R" "$CACHE" "$RELEASE" >"$BUILD/install.log" 2>&1 \
  || { tail -n 40 "$BUILD/install.log" >&2; die "installing gpio-aggfs in the $RELEASE root failed (log above)"; }
cp "$BUILD/install.log" "$R/opt/gpio-aggfs/install.log"
echo "$RELEASE vm $(date -u +%Y-%m-%dT%H:%M:%SZ) node_modules=/opt/gpio-aggfs/node_modules" >"$R/.gpio-aggfs-root"
rm -rf "$V_DIR"
mv -T "$R" "$V_DIR"
# Drop roots of older versions of this script not rebuilt for 14 days.
find "$CACHE" -mindepth 1 -maxdepth 1 -type d -name "$RELEASE-*-????????????" ! -path "$P_DIR" ! -path "$V_DIR" -mtime +14 \
  -exec rm -rf --one-file-system {} + 2>/dev/null || true
log "VM $RELEASE root: $V_DIR ($(elapsed))"
echo "$V_DIR"
