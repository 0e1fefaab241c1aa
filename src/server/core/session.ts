/**
 * A FUSE session: one connection's life, from INIT to unmount.
 *
 * It reads requests from a Channel, decodes them (src/protocol), answers the
 * session-level ones itself (INIT, INTERRUPT, FORGET, BATCH_FORGET, DESTROY,
 * NOTIFY_REPLY) and hands the rest to the dispatch table (dispatch.ts),
 * which calls the Filesystem. It owns:
 *
 * - the requests in flight, keyed by unique: each is answered exactly once
 *   (a second answer is a bug, logged, never written);
 * - interrupts: INTERRUPT aborts the request's ctx.signal; a request the
 *   session has not seen yet gets EAGAIN so the kernel queues the interrupt
 *   again; one already answered is ignored;
 * - the lookup ledger: every entry the kernel receives counts one lookup,
 *   every FORGET takes some back; an entry reply the kernel refused (the
 *   request was gone) is forgotten right away so the filesystem does not
 *   leak it;
 * - the writeback/direct-IO ordering rule (write-order.ts);
 * - errors: a handler's FuseError or errno-coded error becomes that errno;
 *   anything else thrown, and any value the protocol cannot carry, is logged
 *   with the request and answered EIO, and the session goes on.
 */
// From the defining modules, not '../protocol': the index's CommonJS re-exports are
// getters, and one per Opcode/Errno/reply access on the request path showed up as 3-4% of
// the server's CPU under fio at queue depth 16 (perf: KeyedLoadIC_Megamorphic in the getter).
import { Errno, errnoName } from '../../protocol/errno';
import { InitFlags, KERNEL_MINOR_VERSION, Opcode, ROOT_ID, opcodeName } from '../../protocol/constants';
import { InvalidReplyError, ProtocolError } from '../../protocol/errors';
import { decodeRequest, describeHeader } from '../../protocol/request';
import { initFlagNames, negotiateInit } from '../../protocol/init';
import { notifyDelete, notifyInvalEntry, notifyInvalInode, notifyPoll, notifyRetrieve, notifyStore } from '../../protocol/notify';
import { replyEntry, replyError, replyInit, type ReplyBytes } from '../../protocol/replies';
import { BackingMap, type EntryOut } from '../../protocol/structs';
import { type DecodeContext } from '../../protocol/body';
import { type Request } from '../../protocol/ops';
import type { Timeouts } from './attr';
import { readBufferSize, type Channel, type ChannelCloseReason } from './channel';
import { BufferPool } from './buffer-pool';
import { Context } from './context';
import { formatReply, formatRequest } from './debug';
import { DISPATCH, isDirectFlags, type DispatchHost, type Handled } from './dispatch';
import { errnoOf, FuseError } from '../../api/errors';
import { FUSE_DEV_IOC_BACKING_CLOSE, FUSE_DEV_IOC_BACKING_OPEN } from '../../linux/constants';
import { ioctlBuffer } from '../../linux/sys';
import type { Filesystem, PollHandle, SessionApi } from '../../api/filesystem';
import { resolveOptions, type ResolvedOptions, type SessionOptions } from '../options/session';
import { wantedInitFlags } from '../options/init-policy';
import { WriteOrder, type WriteOrdering } from './write-order';
import { SharedWriteOrder } from '../accel/workers/shared-write-order';
import { DataWorkers } from '../accel/workers/data-workers';
import type { SplicedData } from '../../api/spliced';

interface InFlight {
  readonly unique: number;
  readonly opcode: number;
  readonly ctx: Context;
  /** The request buffer, when the request holds views into it (WRITE, SETXATTR, IOCTL). */
  buf: Buffer | null;
  /** The fd to answer on: -1 for the channel's own, else the data worker's that read it. */
  readonly out: number;
  /** Node ids this reply hands to the kernel (entry replies, readdirplus). */
  lookups: number[] | null;
  readonly started: bigint;
  /** In `inflight` (its handler went asynchronous). */
  registered: boolean;
  /** Answered. */
  done: boolean;
}

/** How a session ended. */
export type SessionEnd = ChannelCloseReason;

/**
 * Requests allowed from any uid under allow_root (as libfuse's deny_others):
 * they act on files already open, and writeback or release may come from
 * another context than the opener.
 */
const ANY_UID = new Set<number>([Opcode.READ, Opcode.WRITE, Opcode.FSYNC, Opcode.RELEASE, Opcode.READDIR, Opcode.READDIRPLUS, Opcode.FSYNCDIR, Opcode.RELEASEDIR, Opcode.IOCTL, Opcode.POLL, Opcode.FLUSH]);

/** Opcodes whose decoded request holds views into the read buffer. */
const HOLDS_BUFFER = new Set<number>([Opcode.WRITE, Opcode.SETXATTR, Opcode.IOCTL]);

export class Session implements SessionApi, DispatchHost {
  readonly options: ResolvedOptions;
  readonly timeouts: Timeouts;
  readonly writeOrder: WriteOrdering | null;
  /** Negotiated at INIT. */
  minor: number = KERNEL_MINOR_VERSION;
  flags = 0n;
  maxWrite = 0;
  initialized = false;
  /** The kernel's lookup count of each node id, as far as this session has seen. */
  readonly lookups = new Map<number, number>([[ROOT_ID, 1]]);
  /** Problems seen by the ledger (over-forgets), for tests and the emulator's report. */
  readonly ledgerErrors: string[] = [];

  private decodeCtx: DecodeContext = { minor: KERNEL_MINOR_VERSION, setxattrExt: false };
  /**
   * Requests whose handler went asynchronous. One answered synchronously
   * never enters it: nothing else runs while it is served, and a Map that
   * gained and lost an entry per request spent ~5% of the server's CPU at
   * fio QD16 growing and shrinking its table.
   */
  private readonly inflight = new Map<number, InFlight>();
  /** The request whose handler is running synchronously right now. */
  private current: InFlight | null = null;
  private readonly pool = new BufferPool();
  private highestUnique = 0;
  private readonly directOpens = new Map<number, Set<number>>();
  private readonly retrieves = new Map<number, { resolve: (b: Buffer) => void }>();
  private nextRetrieve = 1;
  private endResolve!: (r: SessionEnd) => void;
  /** Resolves when the channel closes (unmount, abort, or close()). */
  readonly ended: Promise<SessionEnd>;
  private initWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private destroyed = false;
  /** READ/WRITE on other threads (option workers), once INIT is done. */
  private workers: DataWorkers | null = null;
  /** While a WRITE read through the channel's pipe is dispatched: its data (dispatch.ts takes it). */
  spliced: SplicedData | null = null;
  /** While a forwarded request is being handled synchronously: the fd its answer goes to. */
  private replyFd = -1;

  constructor(
    readonly fs: Filesystem,
    readonly channel: Channel,
    options: SessionOptions = {},
    /** CUSE sessions flag every request (FUSE_DIO_CUSE) so the ordering check skips them. */
    readonly cuse = false,
  ) {
    this.options = resolveOptions(options);
    const o = this.options;
    this.timeouts = { entry: o.entryTimeout, attr: o.attrTimeout, negative: o.negativeTimeout };
    this.writeOrder = o.writeOrdering ? (this.wantsWorkers() ? SharedWriteOrder.create() : new WriteOrder()) : null;
    this.ended = new Promise((resolve) => (this.endResolve = resolve));
  }

  /** Data workers apply: asked for, a filesystem with a data path, and nothing that needs one thread (debug, CUSE). */
  private wantsWorkers(): boolean {
    return this.options.workers > 0 && this.fs.dataPath !== undefined && !this.cuse && !this.options.debug;
  }

  /** The channel's splice counters (splice.ts), or null when it cannot splice. */
  get spliceStats(): { reads: number; writes: number } | null {
    const s = this.channel.spliceStats;
    return s ? { reads: s.reads, writes: s.writes } : null;
  }

  /** -o colocate's counters: moves to a client's CPU, stalls that turned it off for a while, rescues from a starved SCHED_IDLE; null when off. */
  get colocateStats(): { moves: number; stalls: number; rescues: number } | null {
    const s = this.channel.colocateStats;
    return s ? { moves: s.moves, stalls: s.stalls, rescues: s.rescues } : null;
  }

  /** The data workers' counters, or null when this session has none. */
  get dataWorkers(): { started: boolean; served: number; forwarded: number } | null {
    return this.workers?.stats() ?? null;
  }

  private startWorkers(): void {
    const spec = this.fs.dataPath;
    if (!spec || !this.wantsWorkers() || !this.channel.attachWorkers || !this.channel.writeTo || this.channel.fd < 0) return;
    const order = this.writeOrder instanceof SharedWriteOrder ? this.writeOrder : null;
    const workers = new DataWorkers({
      count: this.options.workers, spec, device: this.channel.fd, order, minor: this.minor, setxattrExt: this.decodeCtx.setxattrExt,
      bufferSize: readBufferSize(this.maxWrite), idle: this.options.busyPoll > 0 ? this.options.busyPoll : 50,
      forward: (buf, fd) => this.injectForwarded(buf, fd), log: this.options.log,
    });
    if (this.channel.attachWorkers(() => workers.wake(), order)) this.workers = workers;
  }

  /**
   * Big WRITEs by splice (splice.ts) for a filesystem that can take pipe
   * data: not with data workers (their own reads), debug (whose trace
   * shows the data), CUSE, or the layouts before 7.9.
   */
  private startSplice(): void {
    const fs = this.fs;
    if (!fs.writeSpliced || !fs.write || this.workers || this.cuse || this.options.debug || this.minor < 9 || !this.options.splice) return;
    this.channel.enableSplice?.();
  }

  /** A request a data worker read and cannot serve: handled here, answered on the worker's fd. */
  private injectForwarded(buf: Buffer, fd: number): void {
    this.replyFd = fd;
    try {
      // Forwarded requests are never READ/WRITE, so nothing keeps `buf`.
      this.onRequest(buf, buf.length);
    } finally {
      this.replyFd = -1;
    }
  }

  get forceDirectIo(): boolean {
    return this.options.directIo;
  }

  /** Starts reading requests. */
  start(): this {
    this.channel.start(
      (buf, len, spliced) => this.onRequest(buf, len, spliced),
      (reason) => this.onClosed(reason),
      () => this.inflight.size > 0,
    );
    return this;
  }

  /** Resolves once INIT has been answered (the mount is usable), rejects if the session ends first. */
  whenInitialized(): Promise<void> {
    if (this.initialized) return Promise.resolve();
    return new Promise((resolve, reject) => this.initWaiters.push({ resolve, reject }));
  }

  private onClosed(reason: ChannelCloseReason): void {
    // The channel refuses writes from now on, so the workers' fds may close.
    void this.workers?.stop();
    for (const f of this.inflight.values()) f.ctx.interrupt();
    for (const w of this.initWaiters) w.reject(new Error(`session ended before INIT (${reason.kind})`));
    this.initWaiters = [];
    for (const r of this.retrieves.values()) r.resolve(Buffer.alloc(0));
    this.retrieves.clear();
    const finish = (): void => this.endResolve(reason);
    if (this.fs.destroy && this.initialized && !this.destroyed) {
      this.destroyed = true;
      Promise.resolve()
        .then(() => this.fs.destroy!())
        .catch((e: unknown) => this.options.log(`destroy failed: ${String(e)}`))
        .finally(finish);
    } else {
      finish();
    }
  }

  // ---- requests -------------------------------------------------------------

  /** The channel's sink: one request in buf[0, len). Returns true to keep the buffer. */
  private onRequest(buf: Buffer, len: number, spliced?: SplicedData): boolean {
    const req = decodeRequest(buf, len, spliced ? { ...this.decodeCtx, payloadOutside: spliced.size } : this.decodeCtx);
    if (req instanceof ProtocolError) {
      this.protocolError(req);
      return false;
    }
    // An INTERRUPT's own unique is its target's plus one: it says nothing about which requests were sent.
    if (req.opcode !== Opcode.INTERRUPT && req.header.unique > this.highestUnique) this.highestUnique = req.header.unique;
    switch (req.opcode) {
      case Opcode.INIT:
        this.init(req);
        return false;
      case Opcode.FORGET:
        this.forget(req.header.nodeid, req.arg.nlookup);
        return false;
      case Opcode.BATCH_FORGET:
        for (const n of req.nodes) this.forget(n.nodeid, n.nlookup);
        return false;
      case Opcode.INTERRUPT:
        this.interrupt(req.header.unique, req.arg.unique);
        return false;
      case Opcode.NOTIFY_REPLY:
        this.retrieved(req.header.unique, req.data);
        return false;
      case Opcode.DESTROY:
        this.destroy(req.header.unique);
        return false;
      case Opcode.CUSE_INIT:
        this.cuseInit(req);
        return false;
    }
    if (!this.initialized) {
      this.write(req.header.unique, replyError(req.header.unique, Errno.EIO));
      this.options.log(`${describeHeader(req.header)} arrived before INIT; answered EIO`);
      return false;
    }
    const allow = this.options.allowUids;
    if (allow && !allow.has(req.header.uid) && !ANY_UID.has(req.opcode)) {
      this.write(req.header.unique, replyError(req.header.unique, Errno.EACCES));
      return false;
    }
    if (!spliced) return this.dispatch(req, buf);
    this.spliced = spliced;
    try {
      return this.dispatch(req, buf);
    } finally {
      this.spliced = null;
    }
  }

  private dispatch(req: Request, buf: Buffer): boolean {
    const h = req.header;
    const ext = req.ext;
    const umask = 'arg' in req && typeof req.arg === 'object' && req.arg !== null && 'umask' in req.arg ? (req.arg.umask as number) : 0;
    const ctx = new Context(h, umask, ext?.groups, this.cuse, this.pool);
    if (req.opcode === Opcode.READ || req.opcode === Opcode.WRITE) ctx.directIo = this.isDirect(h.nodeid, req.arg.fh, req.arg.flags);
    const f: InFlight = {
      unique: h.unique, opcode: h.opcode, ctx, buf: null, out: this.replyFd, lookups: null,
      started: this.options.debug ? process.hrtime.bigint() : 0n, registered: false, done: false,
    };
    if (this.inflight.has(h.unique)) {
      this.options.log(`${describeHeader(h)}: a request with this unique is already in flight; answered EIO`);
      this.write(h.unique, replyError(h.unique, Errno.EIO));
      return false;
    }
    this.options.debug?.(formatRequest(req, { direct: ctx.directIo, cuse: this.cuse }));
    const handler = DISPATCH[req.opcode as Opcode] as ((h: DispatchHost, r: Request, c: Context) => Handled) | undefined;
    let result: Handled;
    this.current = f;
    try {
      if (!handler) throw new FuseError(Errno.ENOSYS);
      result = handler(this, req, ctx);
    } catch (e) {
      this.current = null;
      this.fail(f, e);
      return false;
    }
    this.current = null;
    if (typeof (result as Promise<ReplyBytes | FuseError>).then === 'function') {
      f.registered = true;
      this.inflight.set(h.unique, f);
      (result as Promise<ReplyBytes | FuseError>).then(
        (bytes) => (bytes instanceof FuseError ? this.fail(f, bytes) : this.finish(f, bytes)),
        (e: unknown) => this.fail(f, e),
      );
      if (HOLDS_BUFFER.has(req.opcode)) {
        f.buf = buf;
        return true;
      }
      return false;
    }
    if (result instanceof FuseError) this.fail(f, result);
    else this.finish(f, result as ReplyBytes);
    return false;
  }

  /** Answers a request once; later answers are bugs and are dropped. */
  private finish(f: InFlight, bytes: ReplyBytes): void {
    if (f.done) {
      this.options.log(`${opcodeName(f.opcode)} unique=${f.unique}: answered twice; the second answer was dropped`);
      return;
    }
    f.done = true;
    if (f.registered) {
      this.inflight.delete(f.unique);
      if (this.inflight.size === 0) this.channel.idle?.();
    }
    if (f.buf) {
      this.channel.release(f.buf);
      f.buf = null;
    }
    let err = this.write(f.unique, bytes, f.out);
    // Written (or refused): the reply's buffers may serve the next request.
    f.ctx.returnBuffers();
    if (this.options.debug) this.options.debug(formatReply(f.unique, f.opcode, bytes, f.started) + (err ? ` [write: ${errnoName(err)}]` : ''));
    if (err !== 0 && err !== Errno.ENOENT && err !== Errno.ENODEV) {
      // The kernel refused the reply (logged by write()): answer EIO so the caller is not left waiting forever.
      err = this.write(f.unique, replyError(f.unique, Errno.EIO), f.out);
    }
    if (f.lookups) {
      if (err === 0) for (const id of f.lookups) this.lookups.set(id, (this.lookups.get(id) ?? 0) + 1);
      // The kernel never saw these entries (the request was interrupted and is gone): give them back.
      else for (const id of f.lookups) this.fs.forget?.(id, 1);
    }
  }

  private fail(f: InFlight, e: unknown): void {
    let errno = errnoOf(e);
    if (errno === undefined || errno <= 0 || errno > 511) {
      const what = e instanceof InvalidReplyError ? 'returned a value the protocol cannot carry' : 'threw';
      this.options.log(`${opcodeName(f.opcode)} unique=${f.unique} nodeid=${f.ctx.nodeid}: handler ${what}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)} — answered EIO`);
      errno = Errno.EIO;
    }
    f.lookups = null;
    this.finish(f, replyError(f.unique, errno));
  }

  /** Writes a reply; returns 0 or the errno of the write (ENOENT: the kernel no longer waits for it). */
  protected write(unique: number, bytes: ReplyBytes, fd = this.replyFd): number {
    const err = fd >= 0 && this.channel.writeTo ? this.channel.writeTo(fd, bytes) : this.channel.write(bytes);
    if (err !== 0 && err !== Errno.ENOENT && err !== Errno.ENODEV) {
      this.options.log(`writing the reply to unique=${unique} failed: ${errnoName(err)} — a malformed reply (a devfuse bug)`);
    }
    return err;
  }

  private protocolError(e: ProtocolError): void {
    const what = e.opcode === undefined ? 'request' : opcodeName(e.opcode);
    this.options.log(`malformed ${what} from the kernel: ${e.message} (${e.code})`);
    // Requests that take no answer get none; others are answered with the error's errno so the caller is not left waiting.
    const silent = e.opcode === Opcode.FORGET || e.opcode === Opcode.BATCH_FORGET || e.opcode === Opcode.NOTIFY_REPLY || e.opcode === Opcode.INTERRUPT;
    if (e.unique !== undefined && e.unique !== 0 && !silent) this.write(e.unique, replyError(e.unique, e.errno));
  }

  // ---- session-level opcodes -----------------------------------------------

  private init(req: Extract<Request, { opcode: Opcode.INIT }>): void {
    const o = this.options;
    const outcome = negotiateInit(req.arg, {
      want: wantedInitFlags(o, this.fs),
      maxWrite: o.maxWrite,
      maxReadahead: o.maxReadahead,
      maxBackground: o.maxBackground,
      congestionThreshold: o.congestionThreshold,
      timeGran: 1,
      // Backing files live on ordinary filesystems (stack depth 0): one level for us.
      maxStackDepth: 1,
      requestTimeout: o.requestTimeout,
    });
    const u = req.header.unique;
    if (outcome.kind === 'error') {
      o.log(outcome.message);
      this.write(u, replyError(u, outcome.errno));
      return;
    }
    if (outcome.kind === 'major') {
      this.write(u, replyInit(u, outcome.out, req.arg.minor));
      return;
    }
    this.negotiated(outcome.minor, outcome.flags, outcome.maxWrite);
    o.debug?.(`INIT: kernel ${req.arg.major}.${req.arg.minor} offers ${initFlagNames(outcome.offered)}; agreed 7.${outcome.minor} ${initFlagNames(outcome.flags)} max_write=${outcome.maxWrite}`);
    this.initFilesystem(u, () => replyInit(u, outcome.out, req.arg.minor));
  }

  /** Records what INIT (or CUSE_INIT) agreed. */
  protected negotiated(minor: number, flags: bigint, maxWrite: number): void {
    this.minor = minor;
    this.flags = flags;
    this.maxWrite = maxWrite;
    this.decodeCtx = { minor, setxattrExt: (flags & InitFlags.SETXATTR_EXT) !== 0n };
    this.channel.setBufferSize(readBufferSize(maxWrite));
  }

  /** Runs fs.init, then answers the INIT with `reply()`: the mount is usable from then on. */
  protected initFilesystem(u: number, reply: () => ReplyBytes): void {
    const o = this.options;
    const done = (): void => {
      this.initialized = true;
      this.write(u, reply());
      this.startWorkers();
      this.startSplice();
      for (const w of this.initWaiters) w.resolve();
      this.initWaiters = [];
    };
    const refuse = (e: unknown): void => {
      o.log(`init failed: ${e instanceof Error ? e.message : String(e)}; refusing the mount`);
      this.write(u, replyError(u, Errno.EIO));
      // Whoever waits for the mount learns why, and the connection ends (the mount layer then unmounts).
      const err = new Error(`the filesystem's init failed: ${e instanceof Error ? e.message : String(e)}`);
      for (const w of this.initWaiters) w.reject(err);
      this.initWaiters = [];
      this.channel.close();
    };
    let r: void | Promise<void>;
    try {
      r = this.fs.init?.(this);
    } catch (e) {
      refuse(e);
      return;
    }
    if (r && typeof r.then === 'function') r.then(done, refuse);
    else done();
  }

  /** CUSE sessions override this; on /dev/fuse a CUSE_INIT is a protocol error. */
  protected cuseInit(req: Extract<Request, { opcode: Opcode.CUSE_INIT }>): void {
    this.write(req.header.unique, replyError(req.header.unique, Errno.ENOSYS));
  }

  private forget(nodeid: number, nlookup: number): void {
    const have = this.lookups.get(nodeid) ?? 0;
    if (nlookup > have) this.ledgerErrors.push(`FORGET of node ${nodeid} by ${nlookup}, but only ${have} lookups were handed out`);
    const left = have - nlookup;
    if (left > 0) this.lookups.set(nodeid, left);
    else this.lookups.delete(nodeid);
    try {
      this.fs.forget?.(nodeid, nlookup);
    } catch (e) {
      this.options.log(`forget(${nodeid}, ${nlookup}) threw: ${String(e)}`);
    }
  }

  private interrupt(ownUnique: number, target: number): void {
    const f = this.inflight.get(target);
    if (f) {
      this.options.debug?.(`INTERRUPT ${target} (${opcodeName(f.opcode)})`);
      f.ctx.interrupt();
      return;
    }
    // Not seen yet: the kernel sends INTERRUPT ahead of the request it names. EAGAIN makes it try again later.
    // Requests a data worker holds are not in `inflight`: it answers them without interruption.
    const seen = this.workers ? Math.max(this.highestUnique, this.workers.highestUnique()) : this.highestUnique;
    if (target > seen) this.write(ownUnique, replyError(ownUnique, Errno.EAGAIN));
  }

  private destroy(unique: number): void {
    this.options.debug?.('DESTROY');
    const fd = this.replyFd;
    const done = (): void => void this.write(unique, replyError(unique, 0), fd);
    if (this.fs.destroy && !this.destroyed) {
      this.destroyed = true;
      Promise.resolve()
        .then(() => this.fs.destroy!())
        .catch((e: unknown) => this.options.log(`destroy failed: ${String(e)}`))
        .finally(done);
    } else done();
  }

  // ---- dispatch host --------------------------------------------------------

  entryReply(unique: number, entry: EntryOut): Buffer {
    if (entry.nodeid !== 0) this.countLookups(unique, [entry.nodeid]);
    return replyEntry(unique, entry, this.minor);
  }

  countLookups(unique: number, nodeids: number[]): void {
    if (nodeids.length === 0) return;
    const f = this.current !== null && this.current.unique === unique ? this.current : this.inflight.get(unique);
    if (!f) return;
    (f.lookups ??= []).push(...nodeids);
  }

  openedDirect(ino: number, fh: number, direct: boolean): void {
    if (!direct) return;
    let s = this.directOpens.get(ino);
    if (!s) this.directOpens.set(ino, (s = new Set()));
    s.add(fh);
  }

  isDirect(ino: number, fh: number, openFlags: number): boolean {
    if (this.options.directIo || isDirectFlags(openFlags)) return true;
    return this.directOpens.size !== 0 && this.directOpens.get(ino)?.has(fh) === true;
  }

  closed(ino: number, fh: number): void {
    const s = this.directOpens.get(ino);
    if (s && s.delete(fh) && s.size === 0) this.directOpens.delete(ino);
  }

  pollHandle(kh: number): PollHandle {
    return {
      kh,
      notify: () => {
        this.notify(notifyPoll(kh), 'notify poll').catch((e: unknown) => this.options.log(String(e)));
      },
    };
  }

  // ---- notifications --------------------------------------------------------

  /**
   * Notifications go out through the channel's asynchronous write, so that
   * the kernel, if it must wait for a reply while taking one, can get it.
   * ENOENT means the kernel has nothing cached to act on: not an error.
   */
  private async notify(bytes: Buffer[], what: string): Promise<void> {
    const err = this.channel.writeAsync ? await this.channel.writeAsync(bytes) : this.channel.write(bytes);
    if (err !== 0 && err !== Errno.ENOENT) throw new FuseError(err, `${what}: ${errnoName(err)}`);
  }

  notifyInvalInode(ino: number, off = 0, len = 0): Promise<void> {
    return this.notify(notifyInvalInode(ino, off, len), 'notify inval_inode');
  }

  notifyInvalEntry(parent: number, name: string, expireOnly = false): Promise<void> {
    return this.notify(notifyInvalEntry(parent, name, expireOnly ? 1 : 0), 'notify inval_entry');
  }

  notifyDelete(parent: number, child: number, name: string): Promise<void> {
    return this.notify(notifyDelete(parent, child, name), 'notify delete');
  }

  notifyStore(ino: number, offset: number, data: Buffer): Promise<void> {
    return this.notify(notifyStore(ino, offset, data), 'notify store');
  }

  notifyRetrieve(ino: number, offset: number, size: number): Promise<Buffer> {
    const id = this.nextRetrieve++;
    return new Promise((resolve, reject) => {
      this.retrieves.set(id, { resolve });
      this.notify(notifyRetrieve(id, ino, offset, size), 'notify retrieve').catch((e: unknown) => {
        this.retrieves.delete(id);
        reject(e);
      });
    });
  }

  private retrieved(notifyUnique: number, data: Buffer): void {
    const r = this.retrieves.get(notifyUnique);
    if (!r) return;
    this.retrieves.delete(notifyUnique);
    r.resolve(Buffer.from(data));
  }

  get passthrough(): boolean {
    return (this.flags & InitFlags.PASSTHROUGH) !== 0n;
  }

  openBacking(fd: number): number {
    if (!this.passthrough) throw new FuseError(Errno.EOPNOTSUPP, 'FUSE_PASSTHROUGH was not negotiated');
    const map = BackingMap.encode({ fd, flags: 0 });
    try {
      return ioctlBuffer(this.channel.fd, FUSE_DEV_IOC_BACKING_OPEN, map);
    } catch (e) {
      throw new FuseError(errnoOf(e) ?? Errno.EIO, `FUSE_DEV_IOC_BACKING_OPEN of fd ${fd}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  closeBacking(id: number): void {
    const arg = Buffer.alloc(4);
    arg.writeUInt32LE(id);
    try {
      ioctlBuffer(this.channel.fd, FUSE_DEV_IOC_BACKING_CLOSE, arg);
    } catch (e) {
      this.options.log(`FUSE_DEV_IOC_BACKING_CLOSE of backing id ${id}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Requests being served right now (for tests and debug). */
  get inFlightCount(): number {
    return this.inflight.size;
  }

  /** Ends the session from our side: closes the device (the kernel aborts the connection). */
  close(): void {
    this.channel.close();
  }
}
