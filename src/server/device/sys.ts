/**
 * The libc calls Node lacks, through koffi: one place for every syscall the
 * mount and device layers make (device-io.ts keeps the non-throwing hot-path
 * read). Thin and typed: each wrapper returns its result or throws a SysError
 * carrying `code` ('EPERM'), `errno` (1) and `syscall`, with a message that
 * names the call and its arguments.
 *
 * koffi and libc are loaded on first use, not at import, so that importing
 * devfuse on a machine without them fails only when a syscall is needed.
 *
 * Every fd created here is O_CLOEXEC: Node's child_process (libuv) does not
 * close inherited fds in the child, it relies on CLOEXEC, and a /dev/fuse fd
 * or a watchdog pipe leaked into an unrelated child would keep a dead
 * server's mount alive (or its watchdog asleep) for as long as that child
 * lives.
 *
 * Constants are the Linux generic values (x86-64, arm64, riscv64).
 */
import { getSystemErrorMap } from 'node:util';
import type * as Koffi from 'koffi';
import { O_CLOEXEC, O_NONBLOCK } from '../../linux';

// ---------------------------------------------------------------- constants

export const MS_RDONLY = 1;
export const MS_NOSUID = 2;
export const MS_NODEV = 4;
export const MS_NOEXEC = 8;
export const MS_SYNCHRONOUS = 16;
export const MS_DIRSYNC = 128;
export const MS_NOATIME = 1024;
export const MS_NODIRATIME = 2048;
export const MS_RELATIME = 1 << 21;
export const MS_STRICTATIME = 1 << 24;
export const MS_LAZYTIME = 1 << 25;

export const MNT_FORCE = 1;
export const MNT_DETACH = 2;
export const MNT_EXPIRE = 4;
export const UMOUNT_NOFOLLOW = 8;

// The open flags are the filesystems' too: one copy, in src/linux.ts.
export { O_ASYNC, O_CLOEXEC, O_NONBLOCK } from '../../linux';

export const F_GETFD = 1;
export const F_SETFD = 2;
export const F_GETFL = 3;
export const F_SETFL = 4;
export const F_SETOWN = 8;
export const F_GETOWN = 9;
export const F_SETSIG = 10;
export const F_GETSIG = 11;
export const FD_CLOEXEC = 1;

export const AF_UNIX = 1;
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_SEQPACKET = 5;
export const SOCK_NONBLOCK = O_NONBLOCK;
export const SOCK_CLOEXEC = O_CLOEXEC;

export const MSG_DONTWAIT = 0x40;
export const MSG_CMSG_CLOEXEC = 0x40000000;
/** In RecvResult.flags: the control buffer was too small, some fds were dropped (closed). */
export const MSG_CTRUNC = 0x8;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;

export const POLLIN = 0x1;
export const POLLPRI = 0x2;
export const POLLOUT = 0x4;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;
export const POLLNVAL = 0x20;

/** _IOR(229, 0, uint32_t): a new fd on the same FUSE connection (per-thread queues). */
export const FUSE_DEV_IOC_CLONE = 0x8004e500;
/** _IOW(229, 1, struct fuse_backing_map): register a backing file for passthrough; returns a backing id. */
export const FUSE_DEV_IOC_BACKING_OPEN = 0x4010e501;
/** _IOW(229, 2, uint32_t): drop a backing id. */
export const FUSE_DEV_IOC_BACKING_CLOSE = 0x4004e502;
/** _IO(229, 3): process INIT synchronously (before mount(2) returns); 6.18+. */
export const FUSE_DEV_IOC_SYNC_INIT = 0xe503;

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

// -------------------------------------------------------------------- libc

type Fn<A extends unknown[], R> = (...args: A) => R;

interface Libc {
  koffi: typeof Koffi;
  mount: Fn<[string, string, string, number, string | null], number>;
  umount2: Fn<[string, number], number>;
  ioctlInt: Fn<[number, number, number], number>;
  ioctlPtr: Fn<[number, number, Buffer], number>;
  fcntl: Fn<[number, number, number], number>;
  socketpair: Fn<[number, number, number, Int32Array], number>;
  pipe2: Fn<[Int32Array, number], number>;
  recvmsg: Fn<[number, MsgHdr, number], number>;
  sendmsg: Fn<[number, MsgHdr, number], number>;
  poll: Fn<[Buffer, number, number], number>;
  close: Fn<[number], number>;
}

interface MsgHdr {
  msg_name: null;
  msg_namelen: number;
  msg_iov: { iov_base: Buffer; iov_len: number }[];
  msg_iovlen: number;
  msg_control: Buffer | null;
  msg_controllen: number;
  msg_flags: number;
}

let libc: Libc | undefined;

function load(): Libc {
  if (libc) return libc;
  let koffi: typeof Koffi;
  try {
    // Lazy on purpose (see the file comment).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    koffi = require('koffi') as typeof Koffi;
  } catch (e) {
    throw new Error(`devfuse needs the koffi package for its syscalls, and it failed to load: ${(e as Error).message}`);
  }
  const lib = koffi.load('libc.so.6');
  // Anonymous struct types: named ones would collide with any other koffi user in the process.
  const iovec = koffi.struct({ iov_base: 'void *', iov_len: 'size_t' });
  const msghdr = koffi.struct({
    msg_name: 'void *',
    msg_namelen: 'uint32_t',
    msg_iov: koffi.pointer(iovec),
    msg_iovlen: 'size_t',
    msg_control: 'void *',
    msg_controllen: 'size_t',
    msg_flags: 'int',
  });
  // ioctl and fcntl are variadic; their third argument is read as a word, so
  // it is declared `long` (a sign-extended full register), never `int`, whose
  // upper half would be undefined. Calling a variadic function through a
  // fixed prototype is fine on the Linux ABIs Node runs on.
  libc = {
    koffi,
    mount: lib.func('int mount(const char *source, const char *target, const char *type, unsigned long flags, const char *data)'),
    umount2: lib.func('int umount2(const char *target, int flags)'),
    ioctlInt: lib.func('int ioctl(int fd, unsigned long request, long arg)'),
    ioctlPtr: lib.func('ioctl', 'int', ['int', 'unsigned long', 'void *']),
    fcntl: lib.func('int fcntl(int fd, int cmd, long arg)'),
    socketpair: lib.func('int socketpair(int domain, int type, int protocol, _Out_ int *sv)'),
    pipe2: lib.func('int pipe2(_Out_ int *fds, int flags)'),
    recvmsg: lib.func('recvmsg', 'long', ['int', koffi.inout(koffi.pointer(msghdr)), 'int']),
    sendmsg: lib.func('sendmsg', 'long', ['int', koffi.pointer(msghdr), 'int']),
    poll: lib.func('int poll(void *fds, unsigned long nfds, int timeout)'),
    close: lib.func('int close(int fd)'),
  };
  return libc;
}

function check(r: number, syscall: string, args: () => string): number {
  if (r < 0) throw new SysError(syscall, args(), load().koffi.errno());
  return r;
}

// ----------------------------------------------------------------- wrappers

/** mount(2). `data` is the filesystem's option string (for fuse: "fd=N,rootmode=...,..."). */
export function mount(source: string, target: string, fstype: string, flags: number, data: string | null): void {
  check(load().mount(source, target, fstype, flags, data), 'mount', () => `${q(source)}, ${q(target)}, ${q(fstype)}, ${hex(flags)}, ${q(data)}`);
}

/** umount2(2); flags: MNT_DETACH (lazy), MNT_FORCE, UMOUNT_NOFOLLOW. */
export function umount2(target: string, flags: number): void {
  check(load().umount2(target, flags), 'umount2', () => `${q(target)}, ${flags}`);
}

/** ioctl(2) whose argument is a number (or none); returns ioctl's non-negative result. */
export function ioctl(fd: number, request: number, arg = 0): number {
  return check(load().ioctlInt(fd, request, arg), 'ioctl', () => `${fd}, ${hex(request)}, ${arg}`);
}

/** ioctl(2) whose argument points to `buf` (in, out or both: the kernel reads and writes it in place). */
export function ioctlBuffer(fd: number, request: number, buf: Buffer): number {
  return check(load().ioctlPtr(fd, request, buf), 'ioctl', () => `${fd}, ${hex(request)}, <${buf.length} bytes>`);
}

/** fcntl(2) with an integer argument (F_GETFL, F_SETFL, F_SETOWN, F_SETSIG, F_SETFD...). */
export function fcntl(fd: number, cmd: number, arg = 0): number {
  return check(load().fcntl(fd, cmd, arg), 'fcntl', () => `${fd}, ${cmd}, ${arg}`);
}

/** socketpair(2); OR SOCK_CLOEXEC (and SOCK_NONBLOCK) into `type` as wanted. */
export function socketpair(domain: number, type: number, protocol = 0): [number, number] {
  const sv = new Int32Array(2);
  check(load().socketpair(domain, type, protocol, sv), 'socketpair', () => `${domain}, ${hex(type)}, ${protocol}`);
  return [sv[0]!, sv[1]!];
}

/** pipe2(2): [read end, write end]. */
export function pipe2(flags: number): [number, number] {
  const fds = new Int32Array(2);
  check(load().pipe2(fds, flags), 'pipe2', () => `${hex(flags)}`);
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

/**
 * recvmsg(2) into `data` (at least one byte: a stream socket carries
 * SCM_RIGHTS only alongside data), accepting up to `maxFds` descriptors.
 * Pass MSG_CMSG_CLOEXEC in `flags` so the received fds are close-on-exec.
 */
export function recvmsg(sock: number, data: Buffer, maxFds = 1, flags = MSG_CMSG_CLOEXEC): RecvResult {
  const L = load();
  const word = L.koffi.sizeof('size_t');
  const hdr = 2 * word; // struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; }, data word-aligned
  const space = hdr + align(4 * maxFds, word); // CMSG_SPACE(sizeof(int) * maxFds)
  const control = Buffer.alloc(space);
  const msg: MsgHdr = {
    msg_name: null,
    msg_namelen: 0,
    msg_iov: [{ iov_base: data, iov_len: data.length }],
    msg_iovlen: 1,
    msg_control: control,
    msg_controllen: space,
    msg_flags: 0,
  };
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
  const L = load();
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
  const msg: MsgHdr = {
    msg_name: null,
    msg_namelen: 0,
    msg_iov: [{ iov_base: data, iov_len: data.length }],
    msg_iovlen: 1,
    msg_control: control,
    msg_controllen: control ? control.length : 0,
    msg_flags: 0,
  };
  return check(L.sendmsg(sock, msg, flags), 'sendmsg', () => `${sock}, <${data.length} bytes, fds [${fds.join(', ')}]>, ${hex(flags)}`);
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
  check(load().poll(buf, fds.length, timeout), 'poll', () => `[${fds.map((p) => `${p.fd}:${hex(p.events)}`).join(', ')}], ${timeout}`);
  return fds.map((_, i) => buf.readUInt16LE(8 * i + 6));
}

/** close(2). Prefer fs.closeSync for fds Node knows; this one is for fds made here. */
export function close(fd: number): void {
  check(load().close(fd), 'close', () => `${fd}`);
}

// Credentials need no FFI: Node has them (and so they do not load koffi).
export const getuid = (): number => process.getuid!();
export const geteuid = (): number => process.geteuid!();
export const getgid = (): number => process.getgid!();
export const getegid = (): number => process.getegid!();

function align(n: number, to: number): number {
  return (n + to - 1) & ~(to - 1);
}
