/**
 * devfuse/fuse-native: fuse-native 2.2's interface, without libfuse or a
 * native addon. Replace `require('fuse-native')` with
 * `require('devfuse/fuse-native')`; nothing else changes.
 *
 *   const Fuse = require('devfuse/fuse-native')
 *   const fuse = new Fuse('/mnt/x', { getattr, readdir, open, read }, { force: true })
 *   fuse.mount(err => { ... })
 *
 * The operations run on the path layer (src/path), served by devfuse's
 * session (filesystem.ts): ops.ts maps fuse-native's callbacks, options.ts its options,
 * system.ts its mountpoint checks and static helpers. The lifecycle is
 * fuse-native's (nanoresource's): mount() once, a second mount() after an
 * unmount() fails, unmount() before mount() closes for good.
 */
import path from 'node:path';
import { Errno } from '../protocol';
import { serve, type Served } from '../server/index';
import { fuseNativeFilesystem, type FuseNativeFilesystem } from './filesystem';
import { Deadlines } from './ops';
import { checkMountpoint, clearDeadMount, configure, isConfigured, nothing, unconfigure, unmountPath, type ErrorCallback } from './system';
import type * as T from './types';

type Cb = (err: Error | null) => void;
const noop: Cb = () => undefined;

class Fuse {
  readonly opts: T.Options;
  readonly mnt: string;
  readonly ops: T.Operations;
  /** The timeout option as fuse-native kept it: 0 for none, the number or object given, else 15000 (ms). */
  readonly timeout: number | T.Timeout;

  // nanoresource's state, which fuse-native exposed.
  opening = false;
  opened = false;
  closing = false;
  closed = false;
  actives = 0;

  private served: Served | null = null;
  private readonly deadlines = new Deadlines();
  private openQueue: Cb[] | null = null;
  private closeQueue: Cb[] | null = null;
  private pendingClose: Cb[] | null = null;

  constructor(mnt: string, ops: T.Operations, opts: T.Options = {}) {
    this.opts = opts ?? {};
    this.mnt = path.resolve(mnt);
    this.ops = ops ?? {};
    this.timeout = this.opts.timeout === false ? 0 : this.opts.timeout || 15_000;
  }

  mount(cb?: Cb): void {
    this.open(cb);
  }

  unmount(cb?: Cb): void {
    this.close(cb);
  }

  /** fuse-native's errno by name: fuse.errno('ENOENT') is -2; -1 for a name it does not know. */
  errno(code: string): number {
    const v = code ? (Fuse as unknown as Record<string, unknown>)[code.toUpperCase()] : undefined;
    return typeof v === 'number' ? v : -1;
  }

  open(cb: Cb = noop): void {
    if (this.closeQueue || this.closed) return void process.nextTick(cb, new Error('Resource is closed'));
    if (this.opened) return void process.nextTick(cb, null);
    if (this.openQueue) return void this.openQueue.push(cb);
    this.opening = true;
    this.openQueue = [cb];
    this.start((err) => {
      const q = this.openQueue ?? [];
      this.openQueue = null;
      this.opening = false;
      this.opened = !err;
      for (const f of q) f(err);
      const waiting = this.pendingClose;
      this.pendingClose = null;
      for (const f of waiting ?? []) this.close(f);
    });
  }

  close(allowActive?: boolean | Cb, cb: Cb = noop): void {
    if (typeof allowActive === 'function') return this.close(false, allowActive);
    if (this.closed) return void process.nextTick(cb, null);
    if (this.openQueue) return void (this.pendingClose ??= []).push(cb);
    if (!this.opened) {
      this.closed = true;
      return void process.nextTick(cb, null);
    }
    if (this.closeQueue) return void this.closeQueue.push(cb);
    this.closing = true;
    this.closeQueue = [cb];
    this.stop((err) => {
      const q = this.closeQueue ?? [];
      this.closeQueue = null;
      this.closing = false;
      this.closed = !err;
      for (const f of q) f(err);
    });
  }

  /** nanoresource's activity counting, kept for programs that used it. */
  active(cb?: Cb): boolean {
    if (this.closeQueue || this.closed) {
      if (cb) process.nextTick(cb, new Error('Resource is closed'));
      return false;
    }
    this.actives++;
    return true;
  }

  inactive<V>(cb?: (err: Error | null, val?: V) => void, err: Error | null = null, val?: V): void {
    this.actives = Math.max(0, this.actives - 1);
    if (cb) cb(err, val);
  }

  private start(done: Cb): void {
    let f: FuseNativeFilesystem;
    try {
      f = fuseNativeFilesystem(this.ops, this.opts, this.deadlines, process.env.DEBUG);
    } catch (e) {
      return void process.nextTick(done, e as Error);
    }
    const go = (): void =>
      checkMountpoint(this.mnt, !!this.opts.mkdir, (err) => {
        if (err) return done(err);
        serve(f.fs, this.mnt, f.serve).then(
          (served) => {
            this.served = served;
            done(null);
          },
          (e: unknown) => done(e instanceof Error ? e : new Error(String(e))),
        );
      });
    if (this.opts.force) clearDeadMount(this.mnt, go);
    else go();
  }

  private stop(done: Cb): void {
    const served = this.served;
    this.served = null;
    this.deadlines.stop();
    if (!served) return void process.nextTick(done, null);
    served.unmount().then(
      () => done(null),
      (e: unknown) => done(Object.assign(e instanceof Error ? e : new Error(String(e)), { unmountFailure: true })),
    );
  }

  /** Unmounts whatever is mounted at `mnt`, lazily (`umount -l`, or `fusermount3 -u -z`). */
  static unmount(mnt: string, cb: ErrorCallback = noop): void {
    unmountPath(path.resolve(mnt), cb);
  }

  /** Whether this process can mount FUSE here: /dev/fuse, and root or fusermount3. */
  static isConfigured(cb: (err: Error | null, configured?: boolean) => void): void {
    isConfigured(cb);
  }

  /** Makes FUSE usable if it can (modprobe fuse as root); an error saying what to do otherwise. */
  static configure(cb: ErrorCallback = noop): void {
    configure(cb);
  }

  /** Nothing devfuse configured needs undoing. */
  static unconfigure(cb: ErrorCallback = noop): void {
    unconfigure(cb);
  }

  static beforeMount(cb?: ErrorCallback): void {
    nothing(cb);
  }

  static beforeUnmount(cb?: ErrorCallback): void {
    nothing(cb);
  }
}

/**
 * Negative errno constants by name, as fuse-native has them (Fuse.ENOENT
 * === -2). Not enumerable, as the class's own statics are not: so that
 * import() of this CommonJS module (a default export only) and require()
 * show the same names.
 */
for (const [name, n] of Object.entries(Errno)) Object.defineProperty(Fuse, name, { value: -n, enumerable: false, writable: false });

declare namespace Fuse {
  export type Operations = T.Operations;
  export type Options = T.Options;
  export type Stat = T.Stat;
  export type StatFs = T.StatFs;
  export type Callback<V = void> = T.Callback<V>;
  export type CountCallback = T.CountCallback;
  export type Timeout = T.Timeout;
  export const EPERM: number, ENOENT: number, ESRCH: number, EINTR: number, EIO: number, ENXIO: number, E2BIG: number, ENOEXEC: number,
    EBADF: number, ECHILD: number, EAGAIN: number, ENOMEM: number, EACCES: number, EFAULT: number, ENOTBLK: number, EBUSY: number,
    EEXIST: number, EXDEV: number, ENODEV: number, ENOTDIR: number, EISDIR: number, EINVAL: number, ENFILE: number, EMFILE: number,
    ENOTTY: number, ETXTBSY: number, EFBIG: number, ENOSPC: number, ESPIPE: number, EROFS: number, EMLINK: number, EPIPE: number,
    EDOM: number, ERANGE: number, EDEADLK: number, ENAMETOOLONG: number, ENOLCK: number, ENOSYS: number, ENOTEMPTY: number,
    ELOOP: number, EWOULDBLOCK: number, ENOMSG: number, EIDRM: number, ECHRNG: number, EL2NSYNC: number, EL3HLT: number,
    EL3RST: number, ELNRNG: number, EUNATCH: number, ENOCSI: number, EL2HLT: number, EBADE: number, EBADR: number, EXFULL: number,
    ENOANO: number, EBADRQC: number, EBADSLT: number, EDEADLOCK: number, EBFONT: number, ENOSTR: number, ENODATA: number,
    ETIME: number, ENOSR: number, ENONET: number, ENOPKG: number, EREMOTE: number, ENOLINK: number, EADV: number, ESRMNT: number,
    ECOMM: number, EPROTO: number, EMULTIHOP: number, EDOTDOT: number, EBADMSG: number, EOVERFLOW: number, ENOTUNIQ: number,
    EBADFD: number, EREMCHG: number, ELIBACC: number, ELIBBAD: number, ELIBSCN: number, ELIBMAX: number, ELIBEXEC: number,
    EILSEQ: number, ERESTART: number, ESTRPIPE: number, EUSERS: number, ENOTSOCK: number, EDESTADDRREQ: number, EMSGSIZE: number,
    EPROTOTYPE: number, ENOPROTOOPT: number, EPROTONOSUPPORT: number, ESOCKTNOSUPPORT: number, EOPNOTSUPP: number,
    EPFNOSUPPORT: number, EAFNOSUPPORT: number, EADDRINUSE: number, EADDRNOTAVAIL: number, ENETDOWN: number, ENETUNREACH: number,
    ENETRESET: number, ECONNABORTED: number, ECONNRESET: number, ENOBUFS: number, EISCONN: number, ENOTCONN: number,
    ESHUTDOWN: number, ETOOMANYREFS: number, ETIMEDOUT: number, ECONNREFUSED: number, EHOSTDOWN: number, EHOSTUNREACH: number,
    EALREADY: number, EINPROGRESS: number, ESTALE: number, EUCLEAN: number, ENOTNAM: number, ENAVAIL: number, EISNAM: number,
    EREMOTEIO: number, EDQUOT: number, ENOMEDIUM: number, EMEDIUMTYPE: number;
}

export = Fuse;
