/**
 * Mounting and unmounting a FUSE filesystem without libfuse.
 *
 * Two paths, tried in this order (as libfuse does):
 *
 *  - mount(2): open /dev/fuse and mount with "fd=N,rootmode=...". Works as
 *    root, with CAP_SYS_ADMIN, and as uid 0 of a user namespace that owns its
 *    mount namespace (`unshare -Urm`), where the fuse type is allowed.
 *  - fusermount3 (setuid root, Debian package fuse3) for everyone else: it
 *    mounts and hands the /dev/fuse fd back over a unix socket as SCM_RIGHTS.
 *    The protocol: the socket's child end is passed as an inherited fd named
 *    by the environment variable _FUSE_COMMFD; fusermount3 sends one byte with
 *    the fd attached; EOF without a byte means it failed (its reason is on its
 *    stderr). With `-o auto_unmount` it stays alive, blocked reading that
 *    socket, and unmounts lazily once the socket closes while the mount is
 *    still there and dead (ENOTCONN).
 *
 * After either, the kernel has queued INIT on the fd and every access to the
 * mountpoint blocks until a server answers it: nothing here touches the
 * mountpoint after mounting; the mount table (/proc/self/mountinfo) says
 * whether it is there.
 *
 * No dead mount left behind: with auto_unmount (the default) a watchdog
 * unmounts the mountpoint when this process dies, however it dies: a /bin/sh
 * of ours (see spawnWatchdog) on both paths. On the fusermount3 path,
 * fusermount3's own auto_unmount is kept but not relied on: up to 3.14
 * (Debian 12) its watchdog runs as root, is refused the mountpoint
 * (EACCES: no allow_other) and exits leaving the dead mount (libfuse issue
 * 586, fixed in 3.15). Ours runs as the user, and whichever comes second
 * finds the mount gone and does nothing.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  AF_UNIX, F_GETFL, F_SETFL, MNT_DETACH, MSG_CMSG_CLOEXEC, O_CLOEXEC, O_NONBLOCK, POLLHUP, POLLIN, SOCK_CLOEXEC,
  SOCK_STREAM, SysError, fcntl, getgid, getuid, mount as sysMount, pipe2, poll, recvmsg, socketpair, umount2,
} from '../../linux/sys';
import {
  MountOptionError, ROOTMODE_DIR, defaultMountOptions, fsType, fusermountOptions, kernelMountData, mountFlags,
  type MountOptions,
} from '../options/mount';
import { escapeMountInfo, readMountInfo, topMountAt, type MountInfo } from './mountinfo';

export type MountMethod = 'mount' | 'fusermount3';

export interface MountControl {
  /** 'auto' (default): mount(2), then fusermount3 if mount(2) is not permitted. */
  method?: 'auto' | MountMethod;
  /** The fusermount3 to run; default: the first on PATH, /usr/bin, /bin. */
  fusermount3?: string;
  /** How long fusermount3 may take to hand over the fd, in ms (default 10000). */
  timeout?: number;
}

export interface MountAttempt {
  method: MountMethod;
  /** Why it failed, for a person: "EPERM (uid 1000 has no CAP_SYS_ADMIN)". */
  reason: string;
  /** The errno name when a syscall failed. */
  code?: string;
}

export class MountError extends Error {
  override readonly name = 'MountError';
  constructor(
    readonly mountpoint: string,
    readonly attempts: MountAttempt[],
    message = `cannot mount FUSE on ${mountpoint}: ${attempts.map((a) => `${label(a.method)}: ${a.reason}`).join('; ')}`,
  ) {
    super(message);
  }
}

export interface UnmountOptions {
  /** Detach now, clean up once the mount is no longer busy (MNT_DETACH, `fusermount3 -u -z`). */
  lazy?: boolean;
}

export interface MountedFuse {
  /** The /dev/fuse fd connected to the mount; INIT is waiting on it. */
  readonly fd: number;
  /** The absolute, symlink-free mountpoint. */
  readonly mountpoint: string;
  readonly method: MountMethod;
  /** Which path was taken, for a person: "mount(2) as root; auto_unmount by a watchdog (/bin/sh, pid 1234)". */
  readonly description: string;
  /** "fuse" or "fuse.<subtype>". */
  readonly fstype: string;
  /** The fsname, as mountinfo shows it. */
  readonly source: string;
  readonly options: Readonly<MountOptions>;
  /** The mount's ID in /proc/self/mountinfo. */
  readonly mountId: number | undefined;
  /** The FUSE connection number (the minor of the mount's device): /sys/fs/fuse/connections/N. */
  readonly connection: number | undefined;
  /** Whether a watchdog unmounts the mountpoint if this process dies. */
  readonly autoUnmount: boolean;
  /** What fusermount3 printed while mounting (e.g. "unsafe option suid ignored"). */
  readonly warnings: readonly string[];
  /** Whether this mount is still in the mount table (without touching it). */
  isMounted(): boolean;
  /**
   * Unmounts (umount2, or `fusermount3 -u` on that path) and dismisses the
   * watchdog. Idempotent, and quiet when the mount is already gone (an
   * outside `umount`); throws when the mount is there and stays (EBUSY: try
   * lazy). Leaves the fd open: reads on it now fail with ENODEV, which is how
   * a session learns to stop; then call close().
   */
  unmount(opts?: UnmountOptions): void;
  /** Closes the fd (idempotent); a mount still there is unmounted lazily first, as it is dead without its fd. */
  close(): void;
}

const DEFAULT_TIMEOUT = 10_000;

/**
 * This process's mounts not unmounted yet, by resolved mountpoint: mounting
 * there again must fail before the mountpoint check stats our own mount.
 * (Named through a symlink it is not recognized: resolving the symlink would
 * stat it.)
 */
const ownMounts = new Map<string, Mounted>();

/**
 * Mounts a FUSE filesystem at `mountpoint` and returns the connected
 * /dev/fuse fd. Synchronous: fusermount3 answers in milliseconds.
 */
export function mount(mountpoint: string, options: Partial<MountOptions> = {}, control: MountControl = {}): MountedFuse {
  const o: MountOptions = { ...defaultMountOptions(), ...options };
  const want = control.method ?? 'auto';
  const own = ownMounts.get(path.resolve(mountpoint));
  if (own && own.isMounted()) {
    // Checking the mountpoint means stat(2), which on our own mount waits for an answer only we can give.
    throw new MountError(own.mountpoint, [], `cannot mount FUSE on ${own.mountpoint}: this process has a FUSE filesystem mounted there already; unmount it first`);
  }
  const target = resolveMountpoint(mountpoint, o.rootmode);
  const top = topMountAt(target.path);
  if (top && isFuseType(top.fstype) && !o.stack) {
    throw new MountError(target.path, [], `cannot mount FUSE on ${target.path}: a FUSE filesystem (${top.fstype}, ${top.source}) is mounted there already; unmount it first, or pass -o stack to mount on top of it`);
  }
  const attempts: MountAttempt[] = [];

  if (want !== 'fusermount3') {
    try {
      return mountSys(target.path, target.rootmode, o);
    } catch (e) {
      if (e instanceof MountOptionError) throw e;
      const code = (e as { code?: string }).code;
      attempts.push({ method: 'mount', reason: explainSysFailure(e), ...(code ? { code } : {}) });
      // Like libfuse, only a refusal (not a kernel error) is worth a second path.
      if (want === 'mount' || (code !== 'EPERM' && code !== 'EACCES')) throw new MountError(target.path, attempts);
    }
  }
  const bin = control.fusermount3 ?? findFusermount3();
  if (!bin) {
    attempts.push({ method: 'fusermount3', reason: 'not installed — apt-get install fuse3' });
    throw new MountError(target.path, attempts);
  }
  try {
    return mountFusermount(target.path, o, bin, control.timeout ?? DEFAULT_TIMEOUT);
  } catch (e) {
    if (e instanceof MountOptionError) throw e;
    attempts.push({ method: 'fusermount3', reason: (e as Error).message });
    throw new MountError(target.path, attempts);
  }
}

// --------------------------------------------------------------- mountpoint

const isFuseType = (t: string): boolean => t === 'fuse' || t === 'fuseblk' || t.startsWith('fuse.') || t.startsWith('fuseblk.');

/**
 * Checks the mountpoint before anyone mounts on it, so that the usual
 * mistakes get a message that says what to do.
 */
export function resolveMountpoint(mountpoint: string, rootmode?: number): { path: string; rootmode: number } {
  const abs = path.resolve(mountpoint);
  let st: fs.Stats;
  let real: string;
  try {
    st = fs.statSync(abs);
    real = fs.realpathSync(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? `does not exist (create it first: mkdir -p ${abs})`
      : code === 'ENOTCONN' ? `is a dead FUSE mount, or lies under one: its server exited without unmounting ("Transport endpoint is not connected"). Unmount it first: umount -l ${abs} (as an ordinary user: fusermount3 -u -z ${abs})`
      : code === 'ENOTDIR' ? 'has a path component that is not a directory'
      : code === 'EACCES' ? 'cannot be reached: permission denied on a directory above it'
      : (e as Error).message;
    throw new MountError(abs, [], `cannot mount FUSE on ${abs}: the mountpoint ${why}`);
  }
  const isDir = st.isDirectory();
  if (rootmode === undefined) {
    if (!isDir) {
      throw new MountError(real, [], `cannot mount FUSE on ${real}: the mountpoint is not a directory (it is ${kind(st)}); ` +
        (st.isFile() ? 'FUSE mounts over a regular file only with -o rootmode=100000' : 'mount on a directory'));
    }
    return { path: real, rootmode: ROOTMODE_DIR };
  }
  // The kernel refuses to put a directory over a non-directory and back (ENOTDIR/EISDIR): say so first.
  if (((rootmode & 0o170000) === ROOTMODE_DIR) !== isDir) {
    throw new MountError(real, [], `cannot mount FUSE on ${real}: -o rootmode=${rootmode.toString(8)} does not match the mountpoint, which is ${kind(st)}`);
  }
  return { path: real, rootmode };
}

function kind(st: fs.Stats): string {
  return st.isDirectory() ? 'a directory' : st.isFile() ? 'a regular file' : st.isSymbolicLink() ? 'a symlink'
    : st.isCharacterDevice() ? 'a character device' : st.isBlockDevice() ? 'a block device'
    : st.isFIFO() ? 'a fifo' : st.isSocket() ? 'a socket' : 'not a directory';
}

// ------------------------------------------------------------------ mount(2)

function mountSys(target: string, rootmode: number, o: MountOptions): MountedFuse {
  const type = fsType(o);
  const data = (fd: number): string => kernelMountData(o, fd, rootmode, getuid(), getgid());
  data(0); // option errors before opening anything
  let fd: number;
  try {
    fd = fs.openSync('/dev/fuse', fs.constants.O_RDWR | O_CLOEXEC);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' || code === 'ENODEV' ? '/dev/fuse is missing (modprobe fuse; in a container, pass the device in)'
      : `cannot open /dev/fuse: ${(e as Error).message}`;
    throw Object.assign(new Error(why), { code });
  }
  try {
    sysMount(o.fsname, target, type, mountFlags(o), data(fd));
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
  const entry = findNewMount(target, type, o.fsname);
  let watchdog: Watchdog | undefined;
  if (o.auto_unmount) {
    try {
      watchdog = spawnWatchdog(target, entry, umountCommand(target));
    } catch (e) {
      // Like libfuse: a mount we promised to clean up but cannot is undone.
      try { umount2(target, MNT_DETACH); } catch { /* gone already */ }
      fs.closeSync(fd);
      throw new MountError(target, [], `mounted ${target}, but could not start its auto-unmount watchdog, so unmounted it again: ${(e as Error).message} (-o noauto_unmount mounts without one)`);
    }
  }
  const how = describeCredentials();
  return new Mounted(fd, target, 'mount', o, type, entry, [], {
    description: `mount(2) ${how}; ${watchdog ? `auto_unmount by a watchdog (/bin/sh, pid ${watchdog.pid})` : 'no auto_unmount'}`,
    unmount: (lazy) => umount2(target, lazy ? MNT_DETACH : 0),
    dismiss: () => watchdog?.dismiss(),
  });
}

function findNewMount(target: string, type: string, source: string): MountInfo | undefined {
  const top = topMountAt(target);
  return top && top.fstype === type && top.source === source ? top : undefined;
}

function explainSysFailure(e: unknown): string {
  const code = (e as { code?: string }).code;
  if (!(e instanceof SysError)) return (e as Error).message;
  switch (code) {
    case 'EPERM':
    case 'EACCES':
      return `${code} (${hasCapSysAdmin() ? 'refused although this process has CAP_SYS_ADMIN: a user namespace that does not own its mount namespace, or an LSM?' : `uid ${getuid()} is not root and has no CAP_SYS_ADMIN`})`;
    case 'EINVAL':
      return 'EINVAL (the kernel rejected the mount options; it logs why: dmesg | tail)';
    case 'ENODEV':
      return 'ENODEV (the kernel does not know the fuse filesystem type: modprobe fuse)';
    default:
      return `${code} (${e.message})`;
  }
}

// --------------------------------------------------------------- fusermount3

/** fusermount3 on PATH, else in /usr/bin or /bin; undefined when absent. */
export function findFusermount3(): string | undefined {
  const dirs = [...(process.env['PATH'] ?? '').split(':').filter(Boolean), '/usr/bin', '/bin'];
  for (const d of dirs) {
    const p = path.join(d, 'fusermount3');
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch { /* next */ }
  }
  return undefined;
}

function mountFusermount(target: string, o: MountOptions, bin: string, timeout: number): MountedFuse {
  const opts = fusermountOptions(o);
  const [ours, theirs] = socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC);
  const [errR, errW] = pipe2(O_CLOEXEC);
  let child: ChildProcess | undefined;
  try {
    child = spawn(bin, ['-o', opts, '--', target], {
      // fd 3 in the child is its end of the socket; stderr comes back to us.
      stdio: ['ignore', 'ignore', errW, theirs],
      env: { ...process.env, _FUSE_COMMFD: '3' },
      cwd: '/',
    });
    child.on('error', () => { /* reported through pid and the socket below */ });
    child.unref();
  } catch { /* reported below */ }
  // Only the child may hold its ends now: its exit must read as EOF on ours.
  fs.closeSync(theirs);
  fs.closeSync(errW);
  if (child?.pid === undefined) {
    fs.closeSync(ours);
    fs.closeSync(errR);
    throw new Error(`cannot run ${bin}`);
  }
  let fd: number | undefined;
  let failure: string | undefined;
  try {
    fd = receiveFd(ours, timeout);
    if (fd === undefined) failure = 'exited without sending the fd';
  } catch (e) {
    failure = (e as Error).message;
  }
  const stderr = readAvailable(errR, fd === undefined ? 2000 : 0);
  fs.closeSync(errR);
  const messages = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  if (fd === undefined) {
    fs.closeSync(ours);
    if (child.exitCode === null) child.kill();
    throw new Error(messages.length ? messages.join(' / ') : `${bin} ${failure}`);
  }
  // Without auto_unmount fusermount3 has exited; with it, it waits for this socket to close.
  if (!o.auto_unmount) fs.closeSync(ours);
  const type = fsType(o);
  const entry = findNewMount(target, type, o.fsname);
  const unmount = (lazy: boolean): void => {
    const r = spawnSync(bin, ['-u', ...(lazy ? ['-z'] : []), '--', target], {
      stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout, cwd: '/',
    });
    if (r.status !== 0) throw new Error(`${bin} -u${lazy ? ' -z' : ''} ${target}: ${(r.stderr || r.error?.message || `status ${r.status}`).trim()}`);
  };
  let socketOpen = o.auto_unmount;
  const closeSocket = (): void => {
    if (socketOpen) fs.closeSync(ours);
    socketOpen = false;
  };
  let watchdog: Watchdog | undefined;
  if (o.auto_unmount) {
    try {
      watchdog = spawnWatchdog(target, entry, [bin, '-u', '-z', '--', target]);
    } catch (e) {
      try { unmount(true); } catch { /* gone already */ }
      closeSocket();
      fs.closeSync(fd);
      throw new Error(`mounted, but could not start the auto-unmount watchdog, so unmounted it again: ${(e as Error).message} (-o noauto_unmount mounts without one)`);
    }
  }
  const description = `fusermount3 (${bin}) as uid ${getuid()}; ` +
    (watchdog ? `auto_unmount by a watchdog (/bin/sh, pid ${watchdog.pid}) and fusermount3 (pid ${child.pid})` : 'no auto_unmount');
  return new Mounted(fd, target, 'fusermount3', o, type, entry, messages, {
    description,
    unmount,
    // Closing the socket lets fusermount3 go: it finds the mount gone and exits.
    dismiss: () => {
      closeSocket();
      watchdog?.dismiss();
    },
  });
}

/** Waits for fusermount3's one byte with the fd; undefined at EOF (it failed). */
function receiveFd(sock: number, timeout: number): number | undefined {
  const deadline = Date.now() + timeout;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`did not answer within ${timeout} ms`);
    const [rev] = retryEintr(() => poll([{ fd: sock, events: POLLIN }], left));
    if (!rev) continue;
    const r = retryEintr(() => recvmsg(sock, Buffer.alloc(1), 1, MSG_CMSG_CLOEXEC));
    if (r.bytes === 0 && r.fds.length === 0) return undefined;
    if (r.fds.length > 0) {
      for (const extra of r.fds.slice(1)) fs.closeSync(extra);
      return r.fds[0];
    }
    if (rev & POLLHUP) return undefined;
  }
}

/** What a pipe holds now, or until EOF if `wait` ms > 0. */
function readAvailable(fd: number, wait: number): string {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(4096);
  const deadline = Date.now() + wait;
  for (;;) {
    let n: number;
    try {
      n = fs.readSync(fd, buf);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EAGAIN' && code !== 'EINTR') break;
      const left = deadline - Date.now();
      if (left <= 0) break;
      retryEintr(() => poll([{ fd, events: POLLIN }], left));
      continue;
    }
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(chunks).toString('utf8');
}

function retryEintr<T>(f: () => T): T {
  for (;;) {
    try {
      return f();
    } catch (e) {
      if ((e as { code?: string }).code !== 'EINTR') throw e;
    }
  }
}

// ----------------------------------------------------------------- watchdog

interface Watchdog {
  pid: number;
  /** Tells the watchdog to exit without unmounting (after a clean unmount). */
  dismiss(): void;
}

/*
 * The watchdog: a /bin/sh reading a pipe whose write end
 * only this process holds (CLOEXEC, so no child of ours inherits it). A clean
 * unmount writes "exit". Any death of this process, SIGKILL included, closes
 * the pipe: the shell reads EOF and unmounts lazily, but only if the mount at
 * the mountpoint is still ours (same mount ID and device, and on top), so it
 * never unmounts something mounted there later. On the mount(2) path it runs
 * umount(8); on the fusermount3 path `fusermount3 -u -z` as this user, the
 * only way an ordinary user can unmount.
 *
 * Why a shell and not a Node child: a shell costs ~1 MB and a millisecond to
 * start, where a second Node process costs ~40 MB and ~50 ms for a job of four
 * lines; and it needs no file of ours on disk. It runs in its own session
 * (detached) with the usual signals ignored, so a Ctrl-C to our process group
 * does not take it down with us, and in / so it pins no directory.
 */
const WATCHDOG_SCRIPT = `
trap '' HUP INT QUIT TERM
IFS= read -r cmd
[ "$cmd" = exit ] && exit 0
top=
while read -r id _ dev _ mp _; do
  [ "$mp" = "$2" ] && top="$id $dev"
done < /proc/self/mountinfo
[ "$top" = "$3" ] || exit 0
shift 3
exec "$@"
`;

/** The mount(2) path's lazy unmount: umount(8), which does not stat the (dead) mountpoint with -c. */
function umountCommand(target: string): string[] {
  const umount = ['/usr/bin/umount', '/bin/umount', '/usr/sbin/umount', '/sbin/umount'].find((p) => fs.existsSync(p));
  if (!umount) throw new Error('umount(8) not found (Debian package mount)');
  return [umount, '-i', '-l', '-n', '-c', '--', target];
}

/** Starts a watchdog that runs `unmount` (an argv) once this process is gone, if our mount is still on top. */
function spawnWatchdog(target: string, entry: MountInfo | undefined, unmount: readonly string[]): Watchdog {
  if (!entry) throw new Error(`the new mount at ${target} is not in /proc/self/mountinfo`);
  const [r, w] = pipe2(O_CLOEXEC);
  let child: ChildProcess;
  try {
    child = spawn('/bin/sh', ['-c', WATCHDOG_SCRIPT, 'devfuse-watchdog', target, escapeMountInfo(target), `${entry.id} ${entry.dev}`, ...unmount], {
      stdio: [r, 'ignore', 'ignore'],
      detached: true,
      cwd: '/',
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' },
    });
  } catch (e) {
    fs.closeSync(w);
    throw e;
  } finally {
    fs.closeSync(r);
  }
  child.on('error', () => { /* reported through pid below */ });
  // Neither the process nor its pipe may keep our event loop alive: the pipe is a raw fd Node does not watch.
  child.unref();
  if (child.pid === undefined) {
    fs.closeSync(w);
    throw new Error('cannot run /bin/sh');
  }
  let open = true;
  return {
    pid: child.pid,
    dismiss() {
      if (!open) return;
      open = false;
      try { fs.writeSync(w, 'exit\n'); } catch { /* it is gone already: nothing to tell */ }
      fs.closeSync(w);
    },
  };
}

// ------------------------------------------------------------------- handle

interface PathOps {
  description: string;
  unmount(lazy: boolean): void;
  dismiss(): void;
}

class Mounted implements MountedFuse {
  readonly mountId: number | undefined;
  readonly connection: number | undefined;
  readonly description: string;
  readonly autoUnmount: boolean;
  private fdOpen = true;
  private gone = false;
  private readonly dev: string | undefined;

  constructor(
    readonly fd: number,
    readonly mountpoint: string,
    readonly method: MountMethod,
    readonly options: Readonly<MountOptions>,
    readonly fstype: string,
    entry: MountInfo | undefined,
    readonly warnings: readonly string[],
    private readonly ops: PathOps,
  ) {
    this.mountId = entry?.id;
    this.dev = entry?.dev;
    const minor = entry ? Number(entry.dev.split(':')[1]) : NaN;
    this.connection = Number.isInteger(minor) ? minor : undefined;
    this.description = ops.description;
    this.autoUnmount = options.auto_unmount;
    ownMounts.set(mountpoint, this);
  }

  get source(): string {
    return this.options.fsname;
  }

  /** Our entry in the mount table, by ID and device (both are reused only after the mount is gone). */
  private entry(table: readonly MountInfo[]): MountInfo | undefined {
    return table.find((m) => m.mountpoint === this.mountpoint && (this.mountId === undefined
      ? m.fstype === this.fstype && m.source === this.source
      : m.id === this.mountId && m.dev === this.dev));
  }

  isMounted(): boolean {
    return !this.gone && this.entry(readMountInfo()) !== undefined;
  }

  unmount(opts: UnmountOptions = {}): void {
    if (this.gone) return;
    const table = readMountInfo();
    const ours = this.entry(table);
    if (ours) {
      const top = topMountAt(this.mountpoint, table);
      if (top !== ours) {
        throw new Error(`cannot unmount ${this.mountpoint}: another filesystem (${top?.fstype} ${top?.source}) is mounted on top of ours; unmount it first`);
      }
      try {
        this.ops.unmount(opts.lazy === true);
      } catch (e) {
        // Gone meanwhile (an outside umount racing ours) is what we wanted.
        if (this.entry(readMountInfo()) !== undefined) {
          const code = (e as { code?: string }).code;
          const hint = code === 'EBUSY' ? ' (files are open or a process is inside it: unmount({ lazy: true }) detaches it now)' : '';
          throw Object.assign(new Error(`cannot unmount ${this.mountpoint}: ${(e as Error).message}${hint}`), code ? { code } : {});
        }
      }
    }
    this.gone = true;
    if (ownMounts.get(this.mountpoint) === this) ownMounts.delete(this.mountpoint);
    this.ops.dismiss();
  }

  close(): void {
    if (!this.fdOpen) return;
    if (!this.gone) {
      try { this.unmount({ lazy: true }); } catch { /* the watchdog remains for this case */ }
    }
    this.fdOpen = false;
    fs.closeSync(this.fd);
  }
}

// -------------------------------------------------------------- credentials

function label(m: MountMethod): string {
  return m === 'mount' ? 'mount(2)' : 'fusermount3';
}

/** CAP_SYS_ADMIN (bit 21) in this process's effective set, in its own user namespace. */
export function hasCapSysAdmin(): boolean {
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    return m !== null && ((BigInt('0x' + m[1]) >> 21n) & 1n) === 1n;
  } catch {
    return false;
  }
}

/**
 * The host uid behind our uid when we run in a user namespace; undefined in
 * the initial namespace (whose uid_map is the identity over all 2^32 - 1 uids).
 */
export function userNamespaceHostUid(): number | undefined {
  let map: string;
  try {
    map = fs.readFileSync('/proc/self/uid_map', 'utf8');
  } catch {
    return undefined;
  }
  const lines = map.trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
  if (lines.length === 1 && lines[0]![0] === 0 && lines[0]![1] === 0 && lines[0]![2] === 4294967295) return undefined;
  const uid = getuid();
  for (const [inside, outside, count] of lines) {
    if (inside !== undefined && outside !== undefined && count !== undefined && uid >= inside && uid < inside + count) {
      return outside + (uid - inside);
    }
  }
  return -1;
}

function describeCredentials(): string {
  const uid = getuid();
  const host = userNamespaceHostUid();
  if (host !== undefined) return `as uid ${uid} in a user namespace (host uid ${host >= 0 ? host : 'unmapped'})`;
  return uid === 0 ? 'as root' : `as uid ${uid} with CAP_SYS_ADMIN`;
}
