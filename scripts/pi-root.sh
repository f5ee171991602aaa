#!/bin/sh
# Prints the path of a pristine arm64 Debian trixie minbase root filesystem, the Raspberry Pi
# OS stand-in of `npm run test:pi` (shared/FIELD-LAB.md): built once with debootstrap through
# qemu-user-static, then reused from the cache. Needs root. Progress goes to stderr.
#   VIGIE_PI_CACHE  where the root is kept (default /var/cache/vigie-pi-root)
set -eu

cache=${VIGIE_PI_CACHE:-/var/cache/vigie-pi-root}
root="$cache/trixie-arm64"
say() { printf 'pi-root: %s\n' "$*" >&2; }

[ "$(id -u)" -eq 0 ] || { say "run as root (debootstrap and chroot need it)"; exit 1; }

if ! command -v debootstrap > /dev/null || ! command -v update-binfmts > /dev/null \
  || [ ! -x /usr/bin/qemu-aarch64-static ] && [ ! -x /usr/bin/qemu-aarch64 ]; then
  say "installing qemu-user-static, binfmt-support and debootstrap"
  apt-get update >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    qemu-user-static binfmt-support debootstrap >&2
fi
[ -f /proc/sys/fs/binfmt_misc/status ] || mount binfmt_misc -t binfmt_misc /proc/sys/fs/binfmt_misc
update-binfmts --enable qemu-aarch64 >&2 2> /dev/null || true
[ -f /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || { say "qemu-aarch64 is not registered with binfmt_misc"; exit 1; }

if [ ! -x "$root/bin/sh" ]; then
  mirror=$(sed -n 's/^URIs: *\(http[^ ]*debian\)\/*$/\1/p; s/^deb \(http[^ ]*debian\)\/* .*/\1/p' \
    /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2> /dev/null | head -n 1)
  say "debootstrap trixie arm64 minbase from ${mirror:-its default mirror} into $root (a few minutes)"
  mkdir -p "$cache"
  rm -rf "$root.partial"
  # Built beside, renamed when whole: an interrupted build is never taken for a cached one.
  # curl and systemd (not running: a chroot) as on Raspberry Pi OS Lite, where the command starts.
  debootstrap --arch=arm64 --variant=minbase --include=curl,systemd trixie "$root.partial" ${mirror:+"$mirror"} >&2
  mv "$root.partial" "$root"
fi
[ "$(chroot "$root" uname -m)" = aarch64 ] || { say "$root does not run as aarch64"; exit 1; }
printf '%s\n' "$root"
