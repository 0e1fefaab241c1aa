#!/usr/bin/env bash
# Installs the Debian packages the full test suite and the benchmarks use.
# Needs root (or sudo). Safe to run again.
set -euo pipefail
pkgs=(
  gcc libc6-dev linux-libc-dev   # layout tests compile against <linux/fuse.h>
  libfuse3-dev pkg-config        # conformance --exec tests build libfuse's examples (and their sources) and C servers
  fuse3                          # fusermount3: mounting as an ordinary user
  python3                        # syscall helpers in the real-mount tests (xattrs, locks, mmap)
  util-linux                     # unshare, mount, umount
)
if [ "${DEVFUSE_SKIP_VM:-}" != 1 ]; then
  pkgs+=(qemu-system-x86 busybox-static cpio)   # the CUSE lane boots Debian's kernel in qemu
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
