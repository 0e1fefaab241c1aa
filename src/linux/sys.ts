/**
 * The syscalls Node lacks, as wrappers that throw: each returns its result
 * or throws a SysError carrying `code` ('EPERM'), `errno` (1) and
 * `syscall`, with a message that names the call and its arguments. The
 * bindings are libc.ts's; the hot paths call those directly and read errno.
 *
 * Every fd created here is O_CLOEXEC: Node's child_process (libuv) does not
 * close inherited fds in the child, it relies on CLOEXEC, and a /dev/fuse fd
 * or a watchdog pipe leaked into an unrelated child would keep a dead
 * server's mount alive (or its watchdog asleep) for as long as that child
 * lives.
 *
 * Re-exports the constants (constants.ts), so `import * as sys` has both.
 */
import { getSystemErrorMap } from 'node:util';
import { MSG_CMSG_CLOEXEC, SCM_RIGHTS, SOL_SOCKET } from './constants';
import { errno, libc, type MsgHdr } from './libc';

export * from './constants';

// ------------------------------------------------------------------- errors

export class SysError extends Error {
  override readonly name = 'SysError';
  /** The errno name, e.g. 'EPERM'. */
  readonly code: string;
  /** The positive errno number. */
  readonly errno: number;
  /** The libc function that failed, e.g. 'mount'. */
  readonly syscall: string;

  constructor(syscall: string, args: string, errno: number) {
    const [code, text] = errnoInfo(errno);
    super(`${syscall}(${args}) failed: ${code} (${text})`);
    this.code = code;
    this.errno = errno;
    this.syscall = syscall;
  }
}

let errnoMap: Map<number, [string, string]> | undefined;

/** [name, description] of a positive errno, e.g. [ 'EPERM', 'operation not permitted' ]. */
export function errnoInfo(errno: number): [string, string] {
  errnoMap ??= getSystemErrorMap();
  return errnoMap.get(-errno) ?? [`E${errno}`, `errno ${errno}`];
}

const q = (s: string | null): string => (s === null ? 'NULL' : JSON.stringify(s));
const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

function check(r: number, syscall: string, args: () => string): number {
  if (r < 0) throw new SysError(syscall, args(), errno());
  return r;
}

// ----------------------------------------------------------------- wrappers

/** mount(2). `data` is the filesystem's option string (for fuse: "fd=N,rootmode=...,..."). */
export function mount(source: string, target: string, fstype: string, flags: number, data: string | null): void {
  check(libc().mount(source, target, fstype, flags, data), 'mount', () => `${q(source)}, ${q(target)}, ${q(fstype)}, ${hex(flags)}, ${q(data)}`);
}

/** umount2(2); flags: MNT_DETACH (lazy), MNT_FORCE, UMOUNT_NOFOLLOW. */
export function umount2(target: string, flags: number): void {
  check(libc().umount2(target, flags), 'umount2', () => `${q(target)}, ${flags}`);
}

/** ioctl(2) whose argument is a number (or none); returns ioctl's non-negative result. */
export function ioctl(fd: number, request: number, arg = 0): number {
  return check(libc().ioctlInt(fd, request, arg), 'ioctl', () => `${fd}, ${hex(request)}, ${arg}`);
}

/** ioctl(2) whose argument points to `buf` (in, out or both: the kernel reads and writes it in place). */
export function ioctlBuffer(fd: number, request: number, buf: Buffer): number {
  return check(libc().ioctlPtr(fd, request, buf), 'ioctl', () => `${fd}, ${hex(request)}, <${buf.length} bytes>`);
}

/** fcntl(2) with an integer argument (F_GETFL, F_SETFL, F_SETOWN, F_SETSIG, F_SETFD...). */
export function fcntl(fd: number, cmd: number, arg = 0): number {
  return check(libc().fcntl(fd, cmd, arg), 'fcntl', () => `${fd}, ${cmd}, ${arg}`);
}

/** socketpair(2); OR SOCK_CLOEXEC (and SOCK_NONBLOCK) into `type` as wanted. */
export function socketpair(domain: number, type: number, protocol = 0): [number, number] {
  const sv = new Int32Array(2);
  check(libc().socketpair(domain, type, protocol, sv), 'socketpair', () => `${domain}, ${hex(type)}, ${protocol}`);
  return [sv[0]!, sv[1]!];
}

/** pipe2(2): [read end, write end]. */
export function pipe2(flags: number): [number, number] {
  const fds = new Int32Array(2);
  check(libc().pipe2(fds, flags), 'pipe2', () => `${hex(flags)}`);
  return [fds[0]!, fds[1]!];
}

export interface RecvResult {
  /** Bytes of ordinary data received; 0 at end of stream. */
  bytes: number;
  /** File descriptors received as SCM_RIGHTS ancillary data, in order. */
  fds: number[];
  /** msg_flags as the kernel returned them (MSG_CTRUNC: some fds were dropped). */
  flags: number;
}

/** A struct msghdr of one data buffer and `control` (ancillary data) as its whole control buffer. */
function message(data: Buffer, control: Buffer | null): MsgHdr {
  return {
    msg_name: null,
    msg_namelen: 0,
    msg_iov: [{ iov_base: data, iov_len: data.length }],
    msg_iovlen: 1,
    msg_control: control,
    msg_controllen: control ? control.length : 0,
    msg_flags: 0,
  };
}

/**
 * recvmsg(2) into `data` (at least one byte: a stream socket carries
 * SCM_RIGHTS only alongside data), accepting up to `maxFds` descriptors.
 * Pass MSG_CMSG_CLOEXEC in `flags` so the received fds are close-on-exec.
 */
export function recvmsg(sock: number, data: Buffer, maxFds = 1, flags = MSG_CMSG_CLOEXEC): RecvResult {
  const L = libc();
  const word = L.koffi.sizeof('size_t');
  const hdr = 2 * word; // struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; }, data word-aligned
  const space = hdr + align(4 * maxFds, word); // CMSG_SPACE(sizeof(int) * maxFds)
  const control = Buffer.alloc(space);
  const msg = message(data, control);
  const bytes = check(L.recvmsg(sock, msg, flags), 'recvmsg', () => `${sock}, <${data.length} bytes, ${maxFds} fds>, ${hex(flags)}`);
  const fds: number[] = [];
  // Walk the control messages (CMSG_FIRSTHDR/CMSG_NXTHDR).
  for (let off = 0; off + hdr <= msg.msg_controllen; ) {
    const len = Number(word === 8 ? control.readBigUInt64LE(off) : control.readUInt32LE(off));
    if (len < hdr || off + len > msg.msg_controllen) break;
    const level = control.readInt32LE(off + word);
    const type = control.readInt32LE(off + word + 4);
    if (level === SOL_SOCKET && type === SCM_RIGHTS) {
      for (let p = off + hdr; p + 4 <= off + len; p += 4) fds.push(control.readInt32LE(p));
    }
    off += align(len, word);
  }
  return { bytes, fds, flags: msg.msg_flags };
}

/** sendmsg(2) of `data` with `fds` as SCM_RIGHTS (the other half of recvmsg; tests use it). */
export function sendmsg(sock: number, data: Buffer, fds: readonly number[] = [], flags = 0): number {
  const L = libc();
  const word = L.koffi.sizeof('size_t');
  const hdr = 2 * word;
  let control: Buffer | null = null;
  if (fds.length > 0) {
    control = Buffer.alloc(hdr + align(4 * fds.length, word));
    const len = hdr + 4 * fds.length; // CMSG_LEN
    if (word === 8) control.writeBigUInt64LE(BigInt(len), 0);
    else control.writeUInt32LE(len, 0);
    control.writeInt32LE(SOL_SOCKET, word);
    control.writeInt32LE(SCM_RIGHTS, word + 4);
    fds.forEach((fd, i) => control!.writeInt32LE(fd, hdr + 4 * i));
  }
  return check(L.sendmsg(sock, message(data, control), flags), 'sendmsg', () => `${sock}, <${data.length} bytes, fds [${fds.join(', ')}]>, ${hex(flags)}`);
}

export interface PollFd {
  fd: number;
  /** POLLIN, POLLOUT... */
  events: number;
}

/** poll(2): the revents of each entry, in order (all 0 on timeout). `timeout` in ms, -1 = forever. */
export function poll(fds: readonly PollFd[], timeout: number): number[] {
  const buf = Buffer.alloc(8 * fds.length); // struct pollfd { int fd; short events; short revents; }
  fds.forEach((p, i) => {
    buf.writeInt32LE(p.fd, 8 * i);
    buf.writeInt16LE(p.events, 8 * i + 4);
  });
  check(libc().poll(buf, fds.length, timeout), 'poll', () => `[${fds.map((p) => `${p.fd}:${hex(p.events)}`).join(', ')}], ${timeout}`);
  return fds.map((_, i) => buf.readUInt16LE(8 * i + 6));
}

/** close(2). Prefer fs.closeSync for fds Node knows; this one is for fds made here. */
export function close(fd: number): void {
  check(libc().close(fd), 'close', () => `${fd}`);
}

// Credentials need no FFI: Node has them (and so they do not load koffi).
export const getuid = (): number => process.getuid!();
export const geteuid = (): number => process.geteuid!();
export const getgid = (): number => process.getgid!();
export const getegid = (): number => process.getegid!();

function align(n: number, to: number): number {
  return (n + to - 1) & ~(to - 1);
}
