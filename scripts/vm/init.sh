#!/bin/sh
# /init of the devfuse test VM's initramfs (busybox sh, PID 1). Built into
# .vm/initramfs-*.cpio.gz by scripts/vm/run.sh; edit here, run.sh rebuilds it.
#
# 1. mounts proc, sys, devtmpfs and loads the modules listed in /modules/order
#    (virtio, 9p, overlay, fuse, cuse) with insmod, in dependency order;
# 2. builds the new root: the host's / (9p tag "hostroot", read-only) under a
#    tmpfs overlay, the host's working directory (9p tag "work", read-write) at
#    the same path, fresh proc/sys/devtmpfs/devpts, tmpfs on /tmp, /run, /dev/shm;
# 3. runs /job/job.sh (9p tag "job", written by run.sh) with the host's bash,
#    chrooted into the new root, stdout/stderr on the virtio-serial ports
#    devfuse.stdout / devfuse.stderr, and writes its exit status to devfuse.status;
# 4. reboots, which with qemu's -no-reboot ends qemu.
# Anything that goes wrong before the command runs is printed on the console
# (ttyS0, which run.sh shows on a boot failure) and no status is written.

PATH=/bin
export PATH

mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys

say() { echo "devfuse-vm-init [$(cut -d' ' -f1 /proc/uptime)s]: $*"; }
die() {
  say "FATAL: $*"
  sync
  reboot -f
  sleep 10
  exit 1
}

say "init started"
while read -r m; do
  [ -n "$m" ] || continue
  insmod "/modules/$m.ko" || die "insmod $m failed"
done </modules/order
[ -c /dev/cuse ] || die "/dev/cuse did not appear after loading cuse"
say "modules loaded"

p9="trans=virtio,version=9p2000.L,msize=512000"
mount -t 9p -o "$p9,ro" job /job || die "cannot mount the job share"
mount -t 9p -o "$p9,ro,cache=loose" hostroot /lower || die "cannot mount the host's / over 9p"
mount -t tmpfs -o mode=0755 tmpfs /upper || die "cannot mount the overlay's tmpfs"
mkdir -p /upper/data /upper/work
mount -t overlay -o lowerdir=/lower,upperdir=/upper/data,workdir=/upper/work,xino=off,index=off,redirect_dir=off,metacopy=off \
  overlay /newroot || die "cannot mount the overlay root"

cwd=$(cat /job/cwd)
n=/newroot
mount -t proc proc $n/proc || die "cannot mount /proc in the new root"
mount -t sysfs sysfs $n/sys || die "cannot mount /sys in the new root"
mount -t devtmpfs devtmpfs $n/dev || die "cannot mount /dev in the new root"
mkdir -p $n/dev/pts $n/dev/shm
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts $n/dev/pts || die "cannot mount devpts"
mount -t tmpfs -o mode=1777 tmpfs $n/dev/shm
mount -t tmpfs -o mode=1777 tmpfs $n/tmp || die "cannot mount /tmp"
mount -t tmpfs -o mode=0755 tmpfs $n/run || die "cannot mount /run"
# the working directory last, so that it also works below /tmp or /run
mkdir -p "$n$cwd" || die "cannot create $cwd in the new root"
mount -t 9p -o "$p9,rw,cache=mmap" work "$n$cwd" || die "cannot mount the working directory $cwd"
[ -d $n/sys/fs/fuse/connections ] && mount -t fusectl fusectl $n/sys/fs/fuse/connections
ip link set lo up 2>/dev/null
hostname devfuse-vm

out='' err='' status=''
for d in /sys/class/virtio-ports/*; do
  case "$(cat "$d/name" 2>/dev/null)" in
    devfuse.stdout) out=/dev/${d##*/} ;;
    devfuse.stderr) err=/dev/${d##*/} ;;
    devfuse.status) status=/dev/${d##*/} ;;
  esac
done
[ -n "$out" ] && [ -n "$err" ] && [ -n "$status" ] || die "virtio-serial ports not found"
cp /job/job.sh $n/run/devfuse-job.sh || die "cannot copy the job"

say "running the command"
env -i chroot $n /bin/bash /run/devfuse-job.sh </dev/null >"$out" 2>"$err"
rc=$?
say "command exited with status $rc"
sync
echo "$rc" >"$status"
sync
reboot -f
sleep 10
