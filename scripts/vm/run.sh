#!/usr/bin/env bash
# Runs a command in a throw-away qemu VM booted with Debian's own kernel (which,
# unlike many hosts, has CUSE), with the host's / visible read-only under a tmpfs
# overlay and the current directory shared read-write at the same path.
# The command's stdout/stderr come back on this script's stdout/stderr and its
# exit status becomes this script's. See scripts/vm/README.md.
#
#   scripts/vm/run.sh [--timeout SECONDS] [--mem MB] [--smp N] [--verbose] -- COMMAND [ARG...]
#   scripts/vm/run.sh --check      # can the lane run here? exit 0 yes, 1 no
#   scripts/vm/run.sh --prepare    # only fill the cache (.vm/), boot nothing
#
# Exit status: the command's own; 124 the VM timed out; 125 the VM did not boot
# or the runner failed (no status came back); 2 bad usage.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${DEVFUSE_VM_CACHE:-$repo/.vm}

EXIT_TIMEOUT=124
EXIT_BOOT=125
# Modules the guest needs; their dependencies are found in the modules
# themselves (the package has no modules.dep) and loaded first.
ROOT_MODULES=(virtio_pci virtio_console 9pnet_virtio 9p overlay fuse cuse)
# Bump when the way the initramfs is laid out changes (forces a rebuild).
INITRAMFS_FORMAT=1

timeout_s=${DEVFUSE_VM_TIMEOUT:-600}
mem=${DEVFUSE_VM_MEM:-2048}
smp=${DEVFUSE_VM_SMP:-}
verbose=${DEVFUSE_VM_VERBOSE:-0}
mode=run

log() { echo "devfuse-vm: $*" >&2; }
die() { log "error: $*"; exit "$EXIT_BOOT"; }
usage() {
  if [ "${1:-2}" = 0 ]; then sed -n '8,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  else sed -n '8,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; fi
  exit "${1:-2}"
}

while [ $# -gt 0 ]; do
  case $1 in
    --timeout) [ $# -ge 2 ] || usage; timeout_s=$2; shift 2 ;;
    --timeout=*) timeout_s=${1#*=}; shift ;;
    --mem) [ $# -ge 2 ] || usage; mem=$2; shift 2 ;;
    --mem=*) mem=${1#*=}; shift ;;
    --smp) [ $# -ge 2 ] || usage; smp=$2; shift 2 ;;
    --smp=*) smp=${1#*=}; shift ;;
    --verbose|-v) verbose=1; shift ;;
    --check) mode=check; shift ;;
    --prepare) mode=prepare; shift ;;
    --help|-h) usage 0 ;;
    --) shift; break ;;
    -*) log "unknown option: $1"; usage ;;
    *) break ;;
  esac
done
[[ $timeout_s =~ ^[0-9]+$ ]] && [ "$timeout_s" -gt 0 ] || { log "--timeout wants a positive number of seconds"; exit 2; }
[[ $mem =~ ^[0-9]+$ ]] && [ "$mem" -ge 256 ] || { log "--mem wants a number of MiB (>= 256)"; exit 2; }
if [ -z "$smp" ]; then
  smp=$(nproc 2>/dev/null || echo 1)
  [ "$smp" -le 4 ] || smp=4
fi
[[ $smp =~ ^[0-9]+$ ]] && [ "$smp" -ge 1 ] || { log "--smp wants a number of CPUs"; exit 2; }
if [ "$mode" = run ] && [ $# -eq 0 ]; then log "no command given"; usage; fi

now() { date +%s.%N; }
t_start=$(now)
elapsed() { awk -v a="$t_start" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
vlog() { [ "$verbose" != 1 ] || log "[$(elapsed)s] $*"; }

# ---------------------------------------------------------------- apt helpers
# Runs a command as root: directly, or with passwordless sudo; fails otherwise.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo -n "$@"
  else return 1
  fi
}
can_root() { [ "$(id -u)" -eq 0 ] || { command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; }; }

apt_updated=0
apt_update() {
  [ "$apt_updated" = 0 ] || return 0
  apt_updated=1
  log "apt-get update"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
}
# The version apt would install of a package, or nothing.
candidate() {
  apt-cache policy "$1" 2>/dev/null | awk '$1 == "Candidate:" && $2 != "(none)" { print $2 }'
}
# Same into $cand, running apt-get update once if the package lists don't know
# the package (not in a subshell, so that the update happens only once).
cand=''
candidate_updating() {
  cand=$(candidate "$1")
  if [ -z "$cand" ] && can_root; then
    apt_update || true
    cand=$(candidate "$1")
  fi
}
# linux-image-amd64's dependency: the generic-flavour kernel package.
kernel_package() {
  if [ -n "${DEVFUSE_VM_KERNEL_PKG:-}" ]; then echo "$DEVFUSE_VM_KERNEL_PKG"; return; fi
  [ -n "$(candidate linux-image-amd64)" ] || return 0
  apt-cache depends linux-image-amd64 2>/dev/null |
    awk '$1 ~ /Depends:$/ && $2 ~ /^linux-image-[0-9].*-amd64$/ { print $2; exit }'
}
# apt-get download PACKAGE into DIR; prints the .deb's path.
download() {
  local pkg=$1 dir=$2 f
  [ -n "$(candidate "$pkg")" ] || die "apt knows no package $pkg"
  # (as root apt warns that the download is unsandboxed: expected, not shown)
  (cd "$dir" && { apt-get download -qq "$pkg" 2>&1 | grep -v 'unsandboxed as root' >&2 || true; })
  f=$(ls "$dir/${pkg}_"*.deb 2>/dev/null | head -n1)
  [ -n "$f" ] || die "apt-get download $pkg failed"
  echo "$f"
}

# ---------------------------------------------------------------------- qemu
QEMU=qemu-system-x86_64
ensure_qemu() {
  command -v "$QEMU" >/dev/null 2>&1 && return 0
  can_root || die "$QEMU is missing and cannot be installed without root: apt-get install qemu-system-x86"
  log "installing qemu-system-x86 with apt-get"
  apt_update
  mkdir -p "$cache/tmp"
  if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-system-x86 \
    </dev/null >"$cache/tmp/apt.log" 2>&1; then
    cat "$cache/tmp/apt.log" >&2
    die "apt-get install qemu-system-x86 failed"
  fi
  command -v "$QEMU" >/dev/null 2>&1 || die "$QEMU still missing after installing qemu-system-x86"
}

# -------------------------------------------------------------------- kernel
# The uncompressed ELF kernel inside a bzImage. qemu boots it directly through
# its PVH entry point (Debian has CONFIG_PVH=y), which saves the ~3 s the
# kernel's own xz decompression takes under TCG. No output if not found.
extract_vmlinux() {
  local in=$1 out=$2 magic off tool
  for magic in 'fd377a585a00:xz' '28b52ffd:zstd' '1f8b0800:gzip'; do
    tool=${magic#*:}
    command -v "$tool" >/dev/null 2>&1 || continue
    # every offset of the magic (a stray one can come first)
    while IFS=: read -r off _; do
      case $tool in
        xz) tail -c +"$((off + 1))" "$in" | xz -dc --single-stream >"$out" 2>/dev/null || true ;;
        zstd) tail -c +"$((off + 1))" "$in" | zstd -qdc >"$out" 2>/dev/null || true ;;
        gzip) tail -c +"$((off + 1))" "$in" | gzip -dc >"$out" 2>/dev/null || true ;;
      esac
      if elf_complete "$out"; then return 0; fi
    done < <(LC_ALL=C grep -obUaP "$(echo "${magic%%:*}" | sed 's/../\\x&/g')" "$in" 2>/dev/null | head -n 5)
  done
  rm -f "$out"
  log "note: could not extract vmlinux from the bzImage (is xz-utils installed?): booting the compressed kernel, ~3 s slower under TCG"
}
# An ELF file whose section headers (at its end) are all there: not cut short.
elf_complete() {
  local f=$1 shoff shentsize shnum
  [ "$(head -c 4 "$f" 2>/dev/null | od -An -tx1 | tr -d ' ')" = 7f454c46 ] || return 1
  shoff=$(od -An -tu8 -j 40 -N 8 "$f" | tr -d ' ')
  read -r shentsize shnum < <(od -An -tu2 -j 58 -N 4 "$f")
  [ "$shoff" -gt 0 ] && [ "$((shoff + shentsize * shnum))" -le "$(stat -c %s "$f")" ]
}

# .vm/kernel/<release>/{vmlinuz,modules/*.ko,modules/order,package}; .vm/kernel/current names it.
kdir=''
prepare_kernel() {
  local rel pkg tmp deb mods m
  if [ "${DEVFUSE_VM_REFRESH:-0}" != 1 ] && [ -f "$cache/kernel/current" ]; then
    rel=$(cat "$cache/kernel/current")
    if [ -f "$cache/kernel/$rel/modules/order" ]; then kdir=$cache/kernel/$rel; return 0; fi
  fi
  candidate_updating linux-image-amd64
  pkg=$(kernel_package)
  [ -n "$pkg" ] || die "cannot find linux-image-amd64's kernel package in apt (no Debian package lists?)"
  rel=${pkg#linux-image-}
  if [ ! -f "$cache/kernel/$rel/modules/order" ]; then
    log "fetching $pkg with apt-get download (not installed on the host)"
    tmp=$cache/tmp/kernel.$$
    rm -rf "$tmp"; mkdir -p "$tmp/x" "$tmp/out/modules"
    deb=$(download "$pkg" "$tmp")
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp/x" --wildcards './boot/vmlinuz-*' './boot/config-*' './lib/modules/*'
    cp "$tmp/x/boot/vmlinuz-$rel" "$tmp/out/vmlinuz" || die "$pkg has no /boot/vmlinuz-$rel"
    # qemu boots a plain vmlinux only through the PVH entry point
    if grep -qx 'CONFIG_PVH=y' "$tmp/x/boot/config-$rel" 2>/dev/null; then
      extract_vmlinux "$tmp/out/vmlinuz" "$tmp/out/vmlinux"
    fi
    mods=$tmp/x/lib/modules/$rel
    [ -d "$mods" ] || die "$pkg has no /lib/modules/$rel"
    # index: module name (dashes as underscores) -> file
    declare -A file=() state=()
    local f n order=()
    while IFS= read -r f; do
      n=${f##*/}; n=${n%%.ko*}; n=${n//-/_}
      file[$n]=$f
    done < <(find "$mods" -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst' -o -name '*.ko.gz')
    visit() {
      local m=$1 f dst deps d
      case ${state[$m]:-} in loaded) return 0 ;; busy) die "module dependency cycle at $m" ;; esac
      f=${file[$m]:-}
      if [ -z "$f" ]; then
        grep -qE "/${m//_/[-_]}\.ko\$" "$mods/modules.builtin" 2>/dev/null && { state[$m]=loaded; return 0; }
        die "$pkg has no module $m (neither a file nor built in)"
      fi
      state[$m]=busy
      dst=$tmp/out/modules/$m.ko
      case $f in
        *.xz) xz -dc "$f" >"$dst" ;;
        *.zst) zstd -qdc "$f" >"$dst" ;;
        *.gz) gzip -dc "$f" >"$dst" ;;
        *) cp "$f" "$dst" ;;
      esac
      deps=$(tr '\0' '\n' <"$dst" | sed -n 's/^depends=//p' | head -n1)
      for d in ${deps//,/ }; do visit "${d//-/_}"; done
      state[$m]=loaded
      order+=("$m")
    }
    for m in "${ROOT_MODULES[@]}"; do visit "$m"; done
    printf '%s\n' "${order[@]}" >"$tmp/out/modules/order"
    echo "$pkg $(dpkg-deb -f "$deb" Version)" >"$tmp/out/package"
    rm -rf "$cache/kernel/$rel"
    mkdir -p "$cache/kernel"
    mv "$tmp/out" "$cache/kernel/$rel"
    rm -rf "$tmp"
    log "kernel $(cat "$cache/kernel/$rel/package"); modules: ${order[*]}"
  fi
  echo "$rel" >"$cache/kernel/current"
  kdir=$cache/kernel/$rel
}

# ------------------------------------------------------------------- busybox
prepare_busybox() {
  local tmp deb
  [ -x "$cache/busybox/busybox" ] && return 0
  tmp=$cache/tmp/busybox.$$
  rm -rf "$tmp"; mkdir -p "$tmp/x"
  if dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed' && [ -x /bin/busybox ]; then
    cp /bin/busybox "$tmp/busybox"
    dpkg-query -W -f='busybox-static ${Version} (installed)\n' busybox-static >"$tmp/package"
  else
    log "fetching busybox-static with apt-get download"
    candidate_updating busybox-static
    deb=$(download busybox-static "$tmp")
    dpkg-deb -x "$deb" "$tmp/x"
    cp "$tmp/x/bin/busybox" "$tmp/busybox" || die "busybox-static has no /bin/busybox"
    echo "busybox-static $(dpkg-deb -f "$deb" Version)" >"$tmp/package"
  fi
  rm -rf "$cache/busybox"; mkdir -p "$cache/busybox"
  mv "$tmp/busybox" "$tmp/package" "$cache/busybox/"
  rm -rf "$tmp"
}

# ----------------------------------------------------------------- initramfs
initramfs=''
prepare_initramfs() {
  local key stage bb=$cache/busybox/busybox a
  key=$( { echo "format $INITRAMFS_FORMAT"; cat "$kdir/package"; sha256sum "$here/init.sh" "$bb" "$kdir"/modules/*; } | sha256sum | cut -c1-16)
  initramfs=$cache/initramfs-$key.cpio.gz
  [ -f "$initramfs" ] && return 0
  vlog "building $initramfs"
  stage=$cache/tmp/initramfs.$$
  rm -rf "$stage"
  mkdir -p "$stage"/{bin,dev,proc,sys,tmp,newroot,lower,upper,job,modules}
  cp "$bb" "$stage/bin/busybox"
  for a in $("$bb" --list); do [ "$a" = busybox ] || ln -s busybox "$stage/bin/$a"; done
  cp "$here/init.sh" "$stage/init"
  chmod 0755 "$stage/init"
  cp "$kdir"/modules/* "$stage/modules/"
  (cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | "$bb" cpio -o -H newc -R 0:0 2>/dev/null) | gzip -1 >"$initramfs.tmp"
  rm -rf "$stage"
  mv "$initramfs.tmp" "$initramfs"
  # older builds, once no run that started before could still be about to use them
  find "$cache" -maxdepth 1 -name 'initramfs-*.cpio.gz' ! -name "${initramfs##*/}" -mmin +10 -delete 2>/dev/null || true
}

prepare() {
  mkdir -p "$cache/tmp"
  # one preparer at a time; the lock is released when this script exits
  exec {lockfd}>"$cache/.lock"
  flock "$lockfd"
  ensure_qemu
  prepare_kernel
  prepare_busybox
  prepare_initramfs
  exec {lockfd}>&-
}

# --------------------------------------------------------------------- check
check() {
  local ok=1 v pkg
  if command -v "$QEMU" >/dev/null 2>&1; then
    echo "qemu: $(command -v "$QEMU") ($("$QEMU" --version | head -n1))"
  elif ! command -v apt-get >/dev/null 2>&1; then
    echo "qemu: $QEMU missing and no apt-get to install it"; ok=0
  elif ! can_root; then
    echo "qemu: $QEMU missing and installing it needs root (apt-get install qemu-system-x86)"; ok=0
  elif candidate_updating qemu-system-x86 && [ -n "$cand" ]; then
    echo "qemu: missing, installable with apt-get (qemu-system-x86 $cand)"
  else
    echo "qemu: $QEMU missing and apt has no qemu-system-x86"; ok=0
  fi
  if [ -f "$cache/kernel/current" ] && [ -f "$cache/kernel/$(cat "$cache/kernel/current")/package" ]; then
    echo "kernel: cached in $cache ($(cat "$cache/kernel/$(cat "$cache/kernel/current")/package"))"
  elif ! command -v apt-get >/dev/null 2>&1; then
    echo "kernel: not cached and no apt-get to fetch Debian's kernel package"; ok=0
  elif candidate_updating linux-image-amd64 && pkg=$(kernel_package) && [ -n "$pkg" ] && v=$(candidate "$pkg") && [ -n "$v" ]; then
    echo "kernel: $pkg $v available from apt"
  else
    echo "kernel: apt has no ${DEVFUSE_VM_KERNEL_PKG:-linux-image-amd64} (not a Debian apt setup?)"; ok=0
  fi
  if [ -x "$cache/busybox/busybox" ]; then
    echo "busybox: cached ($(cat "$cache/busybox/package"))"
  elif v=$(candidate busybox-static) && [ -n "$v" ]; then
    echo "busybox: busybox-static $v available from apt"
  else
    echo "busybox: apt has no busybox-static"; ok=0
  fi
  echo "accel: $(choose_accel)"
  if [ "$ok" = 1 ]; then echo "devfuse VM lane: can run here"; return 0; fi
  echo "devfuse VM lane: cannot run here"
  return 1
}

# KVM only where it really is hardware virtualisation that a stock kernel can
# use (vmx/svm and kvm_intel/kvm_amd loaded): elsewhere, e.g. a kvm_pvm
# /dev/kvm, qemu with KVM fails or crawls. DEVFUSE_VM_ACCEL=kvm|tcg overrides.
choose_accel() {
  case ${DEVFUSE_VM_ACCEL:-auto} in
    kvm) echo kvm ;;
    tcg) echo tcg ;;
    auto)
      if [ -r /dev/kvm ] && [ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo &&
        { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; }; then echo kvm; else echo tcg; fi ;;
    *) log "DEVFUSE_VM_ACCEL must be auto, kvm or tcg"; exit 2 ;;
  esac
}

case $mode in
  check) check; exit $? ;;
  prepare) prepare; vlog "cache ready: $kdir, $initramfs"; exit 0 ;;
esac

# ----------------------------------------------------------------------- run
cwd=$PWD
[ "$cwd" != / ] || { log "refusing to share / read-write: run from a directory"; exit 2; }
prepare
vlog "cache ready"

job=$(mktemp -d "${TMPDIR:-/tmp}/devfuse-vm.XXXXXX")
qpid='' readers=()
cleanup() {
  local p
  if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then kill "$qpid" 2>/dev/null || true; wait "$qpid" 2>/dev/null || true; fi
  for p in "${readers[@]}"; do kill "$p" 2>/dev/null || true; done
  cp "$job/console.log" "$cache/last-console.log" 2>/dev/null || true
  rm -rf "$job"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The job: cwd for init, job.sh for the host's bash inside the guest.
printf '%s\n' "$cwd" >"$job/cwd"
guest_path=$PATH
for d in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
  case ":$guest_path:" in *":$d:"*) ;; *) guest_path=$guest_path:$d ;; esac
done
{
  printf 'cd -- %q || exit 125\n' "$cwd"
  printf 'export PATH=%q\n' "$guest_path"
  echo 'export HOME=/root USER=root LOGNAME=root DEVFUSE_IN_VM=1'
  # a few of the host's variables that tests look at
  while IFS= read -r v; do
    case $v in
      CI|FORCE_COLOR|NO_COLOR|LANG|LC_*|TZ|NODE_OPTIONS|NODE_DEBUG|NODE_V8_COVERAGE|DEBUG|DEVFUSE_*) printf 'export %s=%q\n' "$v" "${!v}" ;;
    esac
  done < <(compgen -e)
  printf 'exec'
  printf ' %q' "$@"
  printf '\n'
} >"$job/job.sh"

# Output channels: fifos that qemu's pipe chardevs write (name.out) and read (name.in).
for c in stdout stderr status; do mkfifo "$job/$c.in" "$job/$c.out"; done
cat "$job/stdout.out" & readers+=($!)
cat "$job/stderr.out" >&2 & readers+=($!)
cat "$job/status.out" >"$job/status" & readers+=($!)

accel=$(choose_accel)
kernel=$kdir/vmlinuz
[ -f "$kdir/vmlinux" ] && kernel=$kdir/vmlinux
if [ "$accel" = kvm ]; then accel_args=(-accel kvm -accel tcg,thread=multi); else accel_args=(-accel tcg,thread=multi); fi
fsdev() { echo "local,id=$1,path=$2,security_model=none,multidevs=remap${3:+,$3}"; }
qemu_args=(
  -nodefaults -no-user-config -display none -no-reboot
  -machine q35 "${accel_args[@]}" -cpu "${DEVFUSE_VM_CPU:-max}" -smp "$smp" -m "$mem"
  -kernel "$kernel" -initrd "$initramfs"
  -append "console=ttyS0 panic=-1 rdinit=/init loglevel=4 tsc=reliable mitigations=off cryptomgr.notests ${DEVFUSE_VM_APPEND:-}"
  -serial "file:$job/console.log"
  -device virtio-serial-pci,id=vser
  -chardev "pipe,id=out,path=$job/stdout" -device virtserialport,bus=vser.0,nr=1,chardev=out,name=devfuse.stdout
  -chardev "pipe,id=err,path=$job/stderr" -device virtserialport,bus=vser.0,nr=2,chardev=err,name=devfuse.stderr
  -chardev "pipe,id=st,path=$job/status" -device virtserialport,bus=vser.0,nr=3,chardev=st,name=devfuse.status
  -fsdev "$(fsdev hostroot / readonly=on)" -device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot
  -fsdev "$(fsdev work "$cwd")" -device virtio-9p-pci,fsdev=work,mount_tag=work
  -fsdev "$(fsdev job "$job" readonly=on)" -device virtio-9p-pci,fsdev=job,mount_tag=job
)
vlog "starting qemu ($accel, $smp CPUs, $mem MiB)"
timeout -k 5 "$timeout_s" "$QEMU" "${qemu_args[@]}" </dev/null 2>"$job/qemu.err" &
qpid=$!
qrc=0
wait "$qpid" || qrc=$?
qpid=''
vlog "qemu exited ($qrc)"

# Readers still blocked opening a fifo qemu never opened: open and close it.
for c in stdout stderr status; do
  exec {fd}<>"$job/$c.out"
  exec {fd}>&-
done
for p in "${readers[@]}"; do wait "$p" || true; done
readers=()

show_console() {
  log "---- qemu ----"
  cat "$job/qemu.err" >&2 2>/dev/null || true
  log "---- guest console ----"
  cat "$job/console.log" >&2 2>/dev/null || true
  log "---- end of guest console ----"
}
status=$(tr -dc '0-9' <"$job/status" 2>/dev/null || true)
if [ -n "$status" ] && { [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; }; then
  # the command finished; only the power-off was cut short
  log "warning: the VM did not power off within ${timeout_s}s after the command ended"
elif [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
  show_console
  log "error: timed out after ${timeout_s}s (raise it with --timeout)"
  exit "$EXIT_TIMEOUT"
fi
if [ -z "$status" ]; then
  show_console
  log "error: the VM ended without reporting the command's exit status (qemu exit status $qrc)"
  exit "$EXIT_BOOT"
fi
if [ "$verbose" = 1 ]; then
  grep 'devfuse-vm-init' "$job/console.log" >&2 || true
  vlog "command exited with status $status"
fi
exit "$status"
