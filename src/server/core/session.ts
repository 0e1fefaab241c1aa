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
 * - the accelerations' hooks (hooks.ts), called at INIT, when nothing is in
 *   flight any more, and for an INTERRUPT it has not seen the request of;
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
import { replyError, replyInit, type ReplyBytes } from '../../protocol/replies';
import { BackingMap } from '../../protocol/structs';
import { type DecodeContext } from '../../protocol/body';
import { type Request } from '../../protocol/ops';
import type { Timeouts } from './attr';
import { readBufferSize, type Channel, type ChannelCloseReason } from './channel';
import { BufferPool } from './buffer-pool';
import { Context, type ReplyWriter } from './context';
import { formatReply, formatRequest } from './debug';
import { DISPATCH, type DispatchHost, type Handled } from './dispatch';
import { NO_HOOKS, type Hooks } from './hooks';
import { errnoOf, FuseError } from '../../api/errors';
import { FUSE_DEV_IOC_BACKING_CLOSE, FUSE_DEV_IOC_BACKING_OPEN } from '../../linux/constants';
import { ioctlBuffer } from '../../linux/sys';
import type { Filesystem, PollHandle, SessionApi } from '../../api/filesystem';
import { resolveOptions, type ResolvedOptions, type SessionOptions } from '../options/session';
import { wantedInitFlags } from '../options/init-policy';
import { DirectIo, WriteOrder, type WriteOrdering } from './write-order';
import type { SplicedData } from '../../api/spliced';

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
  /** The ordering rule's writes in flight (null with -o no_write_ordering). */
  writeOrder: WriteOrdering | null;
  /** Which opens are direct. */
  readonly directIo: DirectIo;
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
  private readonly inflight = new Map<number, Context>();
  private readonly pool = new BufferPool();
  private highestUnique = 0;
  private hooks: Hooks = NO_HOOKS;
  private readonly retrieves = new Map<number, { resolve: (b: Buffer) => void }>();
  private nextRetrieve = 1;
  private endResolve!: (r: SessionEnd) => void;
  /** Resolves when the channel closes (unmount, abort, or close()). */
  readonly ended: Promise<SessionEnd>;
  private initWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private destroyed = false;

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
    this.writeOrder = o.writeOrdering ? new WriteOrder() : null;
    this.directIo = new DirectIo(o.directIo);
    this.ended = new Promise((resolve) => (this.endResolve = resolve));
  }

  /**
   * Plugs in accelerations (serve() does, through accel/index.ts), before
   * start(). `order` replaces where the ordering rule keeps writes in flight
   * (the table data workers share), when the rule is on.
   */
  plug(hooks: Hooks, order?: WriteOrdering): void {
    this.hooks = hooks;
    if (order && this.writeOrder) this.writeOrder = order;
  }

  /**
   * A request read on another fd of this connection (a data worker's clone)
   * and handed over: served here, its reply written with `out` (the kernel
   * takes a reply only on the fd its request was read from).
   */
  receive(buf: Buffer, out: ReplyWriter): void {
    // Handed-over requests are never READ/WRITE, so nothing keeps `buf`.
    this.onRequest(buf, buf.length, undefined, out);
  }

  /** Starts reading requests. */
  start(): this {
    this.channel.start(
      (buf, len, spliced) => this.onRequest(buf, len, spliced, null),
      (reason) => this.onClosed(reason),
    );
    return this;
  }

  /** Resolves once INIT has been answered (the mount is usable), rejects if the session ends first. */
  whenInitialized(): Promise<void> {
    if (this.initialized) return Promise.resolve();
    return new Promise((resolve, reject) => this.initWaiters.push({ resolve, reject }));
  }

  private onClosed(reason: ChannelCloseReason): void {
    for (const ctx of this.inflight.values()) ctx.interrupt();
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

  /**
   * The channel's sink: one request in buf[0, len), its WRITE data maybe
   * left outside (`spliced`), answered through `out` (null: the channel).
   * Returns true to keep the buffer.
   */
  private onRequest(buf: Buffer, len: number, spliced: SplicedData | undefined, out: ReplyWriter | null): boolean {
    const req = decodeRequest(buf, len, spliced ? { ...this.decodeCtx, payloadOutside: spliced.size } : this.decodeCtx);
    if (req instanceof ProtocolError) {
      this.protocolError(req, out);
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
        this.interrupt(req.header.unique, req.arg.unique, out);
        return false;
      case Opcode.NOTIFY_REPLY:
        this.retrieved(req.header.unique, req.data);
        return false;
      case Opcode.DESTROY:
        this.destroy(req.header.unique, out);
        return false;
      case Opcode.CUSE_INIT:
        this.cuseInit(req);
        return false;
    }
    if (!this.initialized) {
      this.write(req.header.unique, replyError(req.header.unique, Errno.EIO), out);
      this.options.log(`${describeHeader(req.header)} arrived before INIT; answered EIO`);
      return false;
    }
    const allow = this.options.allowUids;
    if (allow && !allow.has(req.header.uid) && !ANY_UID.has(req.opcode)) {
      this.write(req.header.unique, replyError(req.header.unique, Errno.EACCES), out);
      return false;
    }
    return this.dispatch(req, buf, spliced, out);
  }

  private dispatch(req: Request, buf: Buffer, spliced: SplicedData | undefined, out: ReplyWriter | null): boolean {
    const h = req.header;
    const ext = req.ext;
    const umask = 'arg' in req && typeof req.arg === 'object' && req.arg !== null && 'umask' in req.arg ? (req.arg.umask as number) : 0;
    const ctx = new Context(h, umask, ext?.groups, this.cuse, this.pool, out, spliced ?? null);
    if (req.opcode === Opcode.READ || req.opcode === Opcode.WRITE) ctx.directIo = this.directIo.isDirect(h.nodeid, req.arg.fh, req.arg.flags);
    if (this.options.debug) ctx.started = process.hrtime.bigint();
    if (this.inflight.has(h.unique)) {
      this.options.log(`${describeHeader(h)}: a request with this unique is already in flight; answered EIO`);
      this.write(h.unique, replyError(h.unique, Errno.EIO), out);
      return false;
    }
    this.options.debug?.(formatRequest(req, { direct: ctx.directIo, cuse: this.cuse }));
    const handler = DISPATCH[req.opcode as Opcode] as ((h: DispatchHost, r: Request, c: Context) => Handled) | undefined;
    let result: Handled;
    try {
      if (!handler) throw new FuseError(Errno.ENOSYS);
      result = handler(this, req, ctx);
    } catch (e) {
      this.fail(ctx, e);
      return false;
    }
    if (typeof (result as Promise<ReplyBytes | FuseError>).then === 'function') {
      ctx.registered = true;
      this.inflight.set(h.unique, ctx);
      (result as Promise<ReplyBytes | FuseError>).then(
        (bytes) => (bytes instanceof FuseError ? this.fail(ctx, bytes) : this.finish(ctx, bytes)),
        (e: unknown) => this.fail(ctx, e),
      );
      if (HOLDS_BUFFER.has(req.opcode)) {
        ctx.buf = buf;
        return true;
      }
      return false;
    }
    if (result instanceof FuseError) this.fail(ctx, result);
    else this.finish(ctx, result as ReplyBytes);
    return false;
  }

  /** Answers a request once; later answers are bugs and are dropped. */
  private finish(ctx: Context, bytes: ReplyBytes): void {
    if (ctx.done) {
      this.options.log(`${opcodeName(ctx.opcode)} unique=${ctx.unique}: answered twice; the second answer was dropped`);
      return;
    }
    ctx.done = true;
    if (!ctx.registered) return this.answer(ctx, bytes);
    this.inflight.delete(ctx.unique);
    const h = this.hooks;
    if (this.inflight.size !== 0 || h.settled === undefined) return this.answer(ctx, bytes);
    // The last one in flight: polling keeps signals off across the write and drains right after it (the
    // client's next request comes next); settled is called whatever the write does, or signals stay off.
    if (h.settling !== undefined) h.settling();
    try {
      this.answer(ctx, bytes);
    } finally {
      h.settled();
    }
  }

  /** Writes the answer, gives back its buffers, counts or returns its lookups. */
  private answer(ctx: Context, bytes: ReplyBytes): void {
    if (ctx.buf) {
      this.channel.release(ctx.buf);
      ctx.buf = null;
    }
    let err = this.write(ctx.unique, bytes, ctx.out);
    // Written (or refused): the reply's buffers may serve the next request.
    ctx.returnBuffers();
    if (this.options.debug) this.options.debug(formatReply(ctx.unique, ctx.opcode, bytes, ctx.started) + (err ? ` [write: ${errnoName(err)}]` : ''));
    if (err !== 0 && err !== Errno.ENOENT && err !== Errno.ENODEV) {
      // The kernel refused the reply (logged by write()): answer EIO so the caller is not left waiting forever.
      err = this.write(ctx.unique, replyError(ctx.unique, Errno.EIO), ctx.out);
    }
    if (ctx.lookups) {
      if (err === 0) for (const id of ctx.lookups) this.lookups.set(id, (this.lookups.get(id) ?? 0) + 1);
      // The kernel never saw these entries (the request was interrupted and is gone): give them back.
      else for (const id of ctx.lookups) this.fs.forget?.(id, 1);
    }
  }

  private fail(ctx: Context, e: unknown): void {
    let errno = errnoOf(e);
    if (errno === undefined || errno <= 0 || errno > 511) {
      const what = e instanceof InvalidReplyError ? 'returned a value the protocol cannot carry' : 'threw';
      this.options.log(`${opcodeName(ctx.opcode)} unique=${ctx.unique} nodeid=${ctx.nodeid}: handler ${what}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)} — answered EIO`);
      errno = Errno.EIO;
    }
    ctx.lookups = null;
    this.finish(ctx, replyError(ctx.unique, errno));
  }

  /** Writes a reply (through `out`, or the channel); returns 0 or the errno of the write (ENOENT: the kernel no longer waits for it). */
  protected write(unique: number, bytes: ReplyBytes, out: ReplyWriter | null = null): number {
    const err = out === null ? this.channel.write(bytes) : out(bytes);
    if (err !== 0 && err !== Errno.ENOENT && err !== Errno.ENODEV) {
      this.options.log(`writing the reply to unique=${unique} failed: ${errnoName(err)} — a malformed reply (a devfuse bug)`);
    }
    return err;
  }

  private protocolError(e: ProtocolError, out: ReplyWriter | null): void {
    const what = e.opcode === undefined ? 'request' : opcodeName(e.opcode);
    this.options.log(`malformed ${what} from the kernel: ${e.message} (${e.code})`);
    // Requests that take no answer get none; others are answered with the error's errno so the caller is not left waiting.
    const silent = e.opcode === Opcode.FORGET || e.opcode === Opcode.BATCH_FORGET || e.opcode === Opcode.NOTIFY_REPLY || e.opcode === Opcode.INTERRUPT;
    if (e.unique !== undefined && e.unique !== 0 && !silent) this.write(e.unique, replyError(e.unique, e.errno), out);
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
      this.hooks.initialized?.({ minor: this.minor, maxWrite: this.maxWrite, setxattrExt: this.decodeCtx.setxattrExt });
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

  private interrupt(ownUnique: number, target: number, out: ReplyWriter | null): void {
    const ctx = this.inflight.get(target);
    if (ctx) {
      this.options.debug?.(`INTERRUPT ${target} (${opcodeName(ctx.opcode)})`);
      ctx.interrupt();
      return;
    }
    // Not seen yet: the kernel sends INTERRUPT ahead of the request it names. EAGAIN makes it try again later.
    // Requests read on other fds (data workers) are not in `inflight`: their readers answer them without interruption.
    const elsewhere = this.hooks.highestUnique;
    const seen = elsewhere !== undefined ? Math.max(this.highestUnique, elsewhere()) : this.highestUnique;
    if (target > seen) this.write(ownUnique, replyError(ownUnique, Errno.EAGAIN), out);
  }

  private destroy(unique: number, out: ReplyWriter | null): void {
    this.options.debug?.('DESTROY');
    const done = (): void => void this.write(unique, replyError(unique, 0), out);
    if (this.fs.destroy && !this.destroyed) {
      this.destroyed = true;
      Promise.resolve()
        .then(() => this.fs.destroy!())
        .catch((e: unknown) => this.options.log(`destroy failed: ${String(e)}`))
        .finally(done);
    } else done();
  }

  // ---- dispatch host --------------------------------------------------------

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

  /** Backing files (FUSE_PASSTHROUGH) were agreed at INIT: openBacking() may be used. */
  get backingFiles(): boolean {
    return (this.flags & InitFlags.PASSTHROUGH) !== 0n;
  }

  /** SessionApi's name for backingFiles. */
  get passthrough(): boolean {
    return this.backingFiles;
  }

  openBacking(fd: number): number {
    if (!this.backingFiles) throw new FuseError(Errno.EOPNOTSUPP, 'FUSE_PASSTHROUGH was not negotiated');
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
