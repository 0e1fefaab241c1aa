/**
 * A kernel emulator: it plays the kernel's half of the FUSE protocol over an
 * in-memory channel that carries the same bytes as /dev/fuse, so the server
 * under test — session, dispatcher, codec, filesystem — runs unchanged.
 *
 * What a real kernel will not do on demand, this does: requests in any
 * order and any number in flight, an INTERRUPT at an exact moment, INIT at
 * any minor from 7.26 to 7.45 with any flag set, malformed messages. And it
 * checks every byte the server writes against the protocol:
 *
 * - a reply's unique names a request in flight that has not been answered;
 * - its length matches the reply body of that opcode at the negotiated
 *   minor (reply-decode.ts applies the kernel's own checks);
 * - errors are negative errnos in range, and carry no body;
 * - no reply at all for FORGET, BATCH_FORGET and NOTIFY_REPLY;
 * - dirents are 8-byte aligned records within the size asked (their padding is not read, as by the kernel);
 * - attributes are sane: a file type in the mode, nsec fields below 1e9,
 *   entry/attr timeouts well formed, a nonzero nlink on live entries.
 *
 * Each problem is recorded in `violations` with the request it concerns.
 */
import {
  CuseInitFlags, EntryOut as EntryOutStruct, Errno, INT_REQ_BIT, InitFlags, IoctlFlags, decodeCuseInfo, KERNEL_MINOR_VERSION, NotifyCode, OPS, Opcode, ProtocolError, ROOT_ID, decodeNotification,
  decodeReply, encodeRequest, errnoName, opcodeName, readUnique,
  type Attr, type CuseInitOut, type DecodedReply, type EntryOut, type Extensions, type InitOut, type Notification, type RequestInput,
} from '../protocol';
import type { Filesystem } from '../api/filesystem';
import type { MemoryChannel, Session, SessionOptions } from '../server/index';
import { LimitExceeded, resolveLimits, type Limits } from './limits';
import { InProcessTransport, isTransport, type ServerTransport } from './transport';

export interface Caller {
  uid: number;
  gid: number;
  pid: number;
}

export interface EmulatorOptions {
  /** Session options of the server under test. */
  session?: SessionOptions;
  /** Build the session yourself (CUSE sessions, or a subclass). */
  makeSession?: (fs: Filesystem, channel: MemoryChannel, options: SessionOptions) => Session;
  /** Default caller of requests. */
  caller?: Partial<Caller>;
  /** Bounds (limits.ts): `timeoutMs` is each request's deadline, `maxRequests` caps what one emulator sends. */
  limits?: Partial<Limits>;
  /** A deadline per opcode instead of limits.timeoutMs (the kit shortens it for an opcode already seen hanging). */
  timeoutFor?: (opcode: Opcode) => number;
  /** What the requests being sent are for (a scenario's step), named in deadline messages. */
  step?: () => string | undefined;
  /** Told when a request misses its deadline, a limit is reached or the server went away; the request's caller also sees the error. */
  onProblem?: (e: RequestTimeout | LimitExceeded | ServerGone) => void;
  /** Told of each request just before the server gets it (the kit's child reports it, in case the server never returns). */
  onSend?: (p: Pending) => void;
  /**
   * Deadlines hold the event loop (the conformance kit: a process must never drain in silence with a
   * request outstanding). Off by default: a test that ends with a request unanswered ends at once.
   */
  keepAlive?: boolean;
}

/** A request the server did not answer within its deadline. */
export class RequestTimeout extends Error {
  override readonly name = 'RequestTimeout';
  constructor(
    /** "LOOKUP /d/f (step: rename into a subdirectory)" */
    readonly request: string,
    readonly opcode: Opcode,
    readonly ms: number,
  ) {
    super(`${request} unanswered after ${ms} ms`);
  }
}

/** The emulator was closed (its scenario ended or was aborted) while the request waited, or before it was sent. */
export class EmulatorClosed extends Error {
  override readonly name = 'EmulatorClosed';
}

/** A server in another process exited, crashed or closed its end before the kernel side ended the session. */
export class ServerGone extends Error {
  override readonly name = 'ServerGone';
}

export interface InitParams {
  /** Protocol minor the emulated kernel speaks (default 45). */
  minor?: number;
  major?: number;
  /** Flags the emulated kernel offers (default: everything a 7.45 kernel offers). */
  flags?: bigint;
  maxReadahead?: number;
}

/** What a 6.18 kernel offered on our machines (flags 0x73fffffb plus flags2). */
export const KERNEL_OFFER: bigint = (() => {
  let f = 0n;
  for (const [name, bit] of Object.entries(InitFlags)) {
    if (['FILE_OPS', 'MAP_ALIGNMENT', 'SUBMOUNTS', 'INIT_RESERVED', 'HAS_INODE_DAX', 'OVER_IO_URING'].includes(name)) continue;
    f |= bit;
  }
  return f;
})();

/** The minor that introduced each INIT flag after 7.26 (the kernel's fuse.h changelog); older ones are in every minor the emulator speaks. */
const FLAG_MINOR: readonly [bigint, number][] = [
  [InitFlags.ABORT_ERROR, 27], [InitFlags.MAX_PAGES, 28], [InitFlags.CACHE_SYMLINKS, 28], [InitFlags.NO_OPENDIR_SUPPORT, 29],
  [InitFlags.EXPLICIT_INVAL_DATA, 30], [InitFlags.MAP_ALIGNMENT, 31], [InitFlags.SUBMOUNTS, 32], [InitFlags.HANDLE_KILLPRIV_V2, 33],
  [InitFlags.SETXATTR_EXT, 33], [InitFlags.INIT_EXT, 36], [InitFlags.SECURITY_CTX, 36], [InitFlags.HAS_INODE_DAX, 36],
  [InitFlags.CREATE_SUPP_GROUP, 38], [InitFlags.HAS_EXPIRE_ONLY, 38], [InitFlags.DIRECT_IO_ALLOW_MMAP, 39], [InitFlags.PASSTHROUGH, 40],
  [InitFlags.NO_EXPORT_SUPPORT, 40], [InitFlags.HAS_RESEND, 40], [InitFlags.ALLOW_IDMAP, 41], [InitFlags.OVER_IO_URING, 42], [InitFlags.REQUEST_TIMEOUT, 43],
];

/** KERNEL_OFFER as a kernel speaking `minor` offers it: without the flags later minors introduced. */
export function kernelOffer(minor: number): bigint {
  let f = KERNEL_OFFER;
  for (const [bit, since] of FLAG_MINOR) if (minor < since) f &= ~bit;
  return f;
}

/** A kernel's default fs.fuse.max_pages_limit, and its page size. */
const MAX_PAGES_LIMIT = 256;
const PAGE = 4096;
/** fuse_in_header + fuse_write_in: what a WRITE carries besides its data. */
const WRITE_HEADERS = 80;

/** One message of a recording: a request ('in') or what the server wrote ('out'), `t` µs after the recording began. */
export interface RecordedMessage {
  t: number;
  dir: 'in' | 'out';
  data: Buffer;
}

/** A request sent and not yet answered. */
export interface Pending {
  readonly unique: number;
  readonly opcode: Opcode;
  /** Settles with the decoded reply (or rejects when the reply breaks the protocol). */
  readonly reply: Promise<DecodedReply>;
  readonly answered: boolean;
  /** What the request is: "LOOKUP /d/f (step: ...)", "READ /f (offset 0, 4096 bytes)". */
  what(): string;
  /** The reply's bytes as the server wrote them, once answered (traces compare these). */
  readonly replyBytes: Buffer | null;
}

interface PendingInternal extends Pending {
  answered: boolean;
  replyBytes: Buffer | null;
  size: number | undefined;
  timer: NodeJS.Timeout | null;
  nodeid: number;
  body: object;
  resolve: (r: DecodedReply) => void;
  reject: (e: Error) => void;
}

/** Emulated user memory for ioctls: a sparse byte store addressed by bigint pointers. */
export class UserMemory {
  private readonly regions: { base: bigint; buf: Buffer }[] = [];
  /** Places `buf` at address `base` (the buffer is shared, not copied: writes land in it). */
  map(base: bigint, buf: Buffer): bigint {
    this.regions.push({ base, buf });
    return base;
  }
  private find(addr: bigint, len: number): { buf: Buffer; off: number } {
    for (const r of this.regions) {
      const off = Number(addr - r.base);
      if (addr >= r.base && off + len <= r.buf.length) return { buf: r.buf, off };
    }
    throw new ProtocolViolation(`EFAULT: ${len} bytes at 0x${addr.toString(16)} are not mapped`);
  }
  read(addr: bigint, len: number): Buffer {
    const { buf, off } = this.find(addr, len);
    return Buffer.from(buf.subarray(off, off + len));
  }
  write(addr: bigint, data: Buffer): void {
    const { buf, off } = this.find(addr, data.length);
    data.copy(buf, off);
  }
}

export class ProtocolViolation extends Error {
  override readonly name = 'ProtocolViolation';
}

type Body<O extends Opcode> = Omit<Extract<RequestInput, { opcode: O }>, 'opcode' | 'header' | 'ext'>;

export class KernelEmulator {
  /** The link to the server under test (an in-process devfuse Session unless one was given). */
  readonly transport: ServerTransport;
  /** Every protocol problem seen in the server's output. */
  readonly violations: string[] = [];
  /** Notifications the server sent, in order. */
  readonly notifications: Notification[] = [];
  /** The negotiated state after init(). */
  minor = KERNEL_MINOR_VERSION;
  init_out: InitOut | null = null;
  caller: Caller;
  readonly limits: Limits;
  /** Requests sent so far. */
  sent = 0;

  private nextUnique = 2;
  private readonly pending = new Map<number, PendingInternal>();
  /** Uniques whose deadline passed: a late reply to one is no further violation. */
  private readonly expired = new Set<number>();
  private closedBy: Error | null = null;
  /** Uniques of INTERRUPTs sent, to accept their (EAGAIN/ENOSYS) answers. */
  private readonly interrupts = new Map<number, number>();
  /** The emulator's own lookup ledger: what the kernel side holds. */
  readonly lookups = new Map<number, number>([[ROOT_ID, 1]]);
  /** Where each node id was last seen (parent and name), for messages that name a path. */
  private readonly names = new Map<number, { parent: number; name: string }>();
  private readonly byName = new Map<string, number>();
  private retrieveHandler: ((n: Extract<Notification, { code: NotifyCode.RETRIEVE }>) => Buffer | null) | null = null;
  private autoRetrieve = true;
  private readonly cache = new Map<number, Buffer>();
  /**
   * Directory cookies past 2^53 (ext4 hashes its entries' d_off into 63
   * bits, and a passthrough server hands them on): the decoded `off` is a
   * rounded double, so the exact value is kept here under it and put back
   * when a READDIR sends that cookie, as a kernel sends it back unchanged.
   */
  private readonly cookies = new Map<number, bigint>();
  /** end() has begun: the server going away is expected from here on. */
  private ending = false;
  /** Handles open on the kernel side ("f" or "d", node id, fh → how many opens returned it), released at end() as a kernel releases them before the session ends. */
  private readonly handles = new Map<string, number>();

  /** Serves `target` in this process (a Filesystem), or talks to a server through a transport. */
  constructor(
    target: Filesystem | ServerTransport,
    private readonly opts: EmulatorOptions = {},
  ) {
    this.transport = isTransport(target) ? target : new InProcessTransport(target, opts);
    this.limits = resolveLimits(opts.limits);
    this.log = this.transport.log;
    this.transport.connect((msg) => this.onWrite(msg), { gone: (why) => this.gone(why), broken: (why, unique) => this.broken(why, unique) });
    this.caller = { uid: 0, gid: 0, pid: 4242, ...opts.caller };
  }

  /** The filesystem served in this process. Throws for an external server. */
  get fs(): Filesystem {
    if (this.transport instanceof InProcessTransport) return this.transport.fs;
    throw new Error('KernelEmulator.fs: the server under test is not in this process');
  }

  /** The in-process session. Throws for an external server. */
  get session(): Session {
    if (this.transport.session) return this.transport.session;
    throw new Error('KernelEmulator.session: the server under test is not in this process');
  }

  /** The in-process channel. Throws for an external server. */
  get channel(): MemoryChannel {
    if (this.transport.channel) return this.transport.channel;
    throw new Error('KernelEmulator.channel: the server under test is not in this process');
  }

  /** What the server logged (handler crashes, invalid values...). */
  readonly log: string[];

  // ---- raw protocol ---------------------------------------------------------

  /**
   * Sends INIT as a kernel of the given minor/flags would (by default what
   * a kernel of that minor offers, less what the transport cannot carry);
   * resolves with fuse_init_out.
   */
  async init(p: InitParams = {}): Promise<InitOut> {
    const minor = p.minor ?? KERNEL_MINOR_VERSION;
    const flags = (p.flags ?? kernelOffer(minor)) & ~(this.transport.withheld ?? 0n);
    this.minor = minor;
    const arg = {
      major: p.major ?? 7,
      minor,
      max_readahead: p.maxReadahead ?? 131072,
      flags: Number(flags & 0xffffffffn),
      flags2: minor >= 36 ? Number(flags >> 32n) : 0,
    };
    const r = await this.send(Opcode.INIT, ROOT_ID, { arg }).reply;
    if (r.error) throw new ProtocolViolation(`INIT answered ${errnoName(-r.error)}`);
    if (r.body?.kind !== 'init') throw new ProtocolViolation('INIT reply has no fuse_init_out');
    this.init_out = r.body.init;
    this.minor = Math.min(minor, r.body.init.minor);
    return r.body.init;
  }

  /**
   * The largest WRITE a kernel sends after this INIT: max_write (at least
   * 4096), within max_pages (32 without FUSE_MAX_PAGES) and the kernel's
   * max_pages_limit, here also what the transport carries.
   */
  get maxWrite(): number {
    const o = this.init_out;
    if (!o) return PAGE;
    const asked = (this.negotiatedFlags & InitFlags.MAX_PAGES) !== 0n ? Math.max(1, o.max_pages ?? 0) : 32;
    const carried = this.transport.maxMessage === undefined ? Infinity : Math.floor((this.transport.maxMessage - WRITE_HEADERS) / PAGE);
    return Math.max(PAGE, Math.min(Math.max(PAGE, o.max_write), Math.min(asked, MAX_PAGES_LIMIT, carried) * PAGE));
  }

  /** Sends CUSE_INIT as the kernel does when /dev/cuse is opened; resolves with the device's info strings. */
  async cuseInit(p: { minor?: number; flags?: number } = {}): Promise<{ init: CuseInitOut; info: Record<string, string> }> {
    const minor = p.minor ?? KERNEL_MINOR_VERSION;
    this.minor = minor;
    const r = await this.send(Opcode.CUSE_INIT, 0, { arg: { major: 7, minor, flags: p.flags ?? CuseInitFlags.UNRESTRICTED_IOCTL } }).reply;
    if (r.error) throw new ProtocolViolation(`CUSE_INIT answered ${errnoName(-r.error)}`);
    if (r.body?.kind !== 'cuse_init') throw new ProtocolViolation('CUSE_INIT reply has no cuse_init_out');
    const info = decodeCuseInfo(r.body.info);
    if (!info.DEVNAME) this.violation('CUSE_INIT reply has no DEVNAME');
    if (r.body.init.max_write < 4096) this.violation(`CUSE_INIT max_write ${r.body.init.max_write} < 4096`);
    this.minor = Math.min(minor, r.body.init.minor);
    return { init: r.body.init, info };
  }

  /**
   * Sends one request and returns at once: several can be in flight, and
   * their replies are accepted in any order.
   */
  send<O extends Opcode>(opcode: O, nodeid: number, body: Body<O>, opts: { caller?: Partial<Caller>; ext?: Extensions; unique?: number; deadline?: boolean } = {}): Pending {
    if (this.closedBy) throw this.closedBy;
    this.countRequest(opcode, nodeid, body);
    if (opcode === Opcode.WRITE && this.transport.maxMessage !== undefined && this.init_out) {
      // A server in another process reads into a buffer sized by its max_write: a longer WRITE would be cut there, silently.
      const n = (body as { data?: Buffer }).data?.length ?? 0;
      if (n > this.maxWrite) throw new Error(`the kit sent a WRITE of ${n} bytes, more than a kernel sends after this INIT (${this.maxWrite}): a kit bug`);
    }
    const unique = opts.unique ?? this.allocUnique();
    const c = { ...this.caller, ...opts.caller };
    const input = { opcode, header: { unique, nodeid, uid: c.uid, gid: c.gid, pid: c.pid }, ext: opts.ext ?? null, ...body } as unknown as RequestInput;
    const bytes = encodeRequest(input, { minor: this.minor, setxattrExt: (this.negotiatedFlags & InitFlags.SETXATTR_EXT) !== 0n });
    if (opcode === Opcode.READDIR || opcode === Opcode.READDIRPLUS) {
      const exact = this.cookies.get((body as { arg?: { offset?: number } }).arg?.offset ?? 0);
      // fuse_in_header (40 bytes), then fuse_read_in: fh, then offset.
      if (exact !== undefined) bytes.writeBigUInt64LE(exact, 48);
    }
    const noReply = OPS.get(opcode)?.reply === 'none';
    const step = this.opts.step?.();
    const p = pendingRequest(unique, opcode, sizeAsked(opcode, body), () => this.describe(opcode, nodeid, body, step));
    if (noReply) {
      p.answered = true;
      p.resolve({ unique, error: 0 });
    } else {
      this.track(p, nodeid, body, opts.deadline ?? true);
    }
    if (opcode === Opcode.INIT) this.initExchange = [bytes];
    if (opcode === Opcode.RELEASE || opcode === Opcode.RELEASEDIR) this.closeHandle(opcode === Opcode.RELEASEDIR ? 'd' : 'f', nodeid, (body as { arg?: { fh?: number } }).arg?.fh ?? 0);
    this.opts.onSend?.(p);
    this.deliver(bytes);
    return p;
  }

  /** Sends a request and waits for its reply. */
  async request<O extends Opcode>(opcode: O, nodeid: number, body: Body<O>, opts?: { caller?: Partial<Caller>; ext?: Extensions }): Promise<DecodedReply> {
    // A server that answers at once resolves every await in a microtask: without a turn of the event
    // loop now and then, no timer (a deadline, the filesystem's own) and no I/O would run for the whole scenario.
    if ((this.sent & 255) === 255) await new Promise((r) => setImmediate(r));
    return this.send(opcode, nodeid, body, opts).reply;
  }

  /** Delivers arbitrary bytes as a request (malformed-input tests). The reply, if any, is matched by `unique`. */
  sendRaw(bytes: Buffer, expectReplyTo?: { unique: number; opcode: Opcode; size?: number; nodeid?: number; body?: object }): Pending | null {
    if (this.closedBy) throw this.closedBy;
    this.countRequest(expectReplyTo?.opcode ?? Opcode.LOOKUP, 0, {});
    let p: PendingInternal | null = null;
    if (expectReplyTo) {
      const { unique, opcode, nodeid = 0, body = {} } = expectReplyTo;
      const step = this.opts.step?.();
      // With the decoded request (a replay has it), messages name the path and names are learned from the replies.
      const what = expectReplyTo.body ? () => this.describe(opcode, nodeid, body, step) : () => `${opcodeName(opcode)} unique=${unique}${step ? ` (step: ${step})` : ''}`;
      p = pendingRequest(unique, opcode, expectReplyTo.size, what);
      this.track(p, nodeid, body);
      this.opts.onSend?.(p);
    }
    this.transport.deliver(bytes);
    return p;
  }

  /**
   * An ioctl as the kernel's fuse_do_ioctl runs it, against an emulated user
   * memory: restricted ioctls send the input their number describes;
   * unrestricted ones start with none and follow FUSE_IOCTL_RETRY answers,
   * copying the requested regions in from `memory` and the output back out
   * to it, up to the kernel's limit of rounds.
   */
  async ioctl(nodeid: number, fh: number, cmd: number, arg: bigint, memory: UserMemory, opts: { unrestricted: boolean; flags?: number }): Promise<{ result: number; error: number }> {
    const dir = cmd >>> 30;
    const size = (cmd >>> 16) & 0x3fff;
    let inIovs: { base: bigint; len: number }[] = [];
    let outIovs: { base: bigint; len: number }[] = [];
    if (!opts.unrestricted) {
      if (dir & 1) inIovs = [{ base: arg, len: size }];
      if (dir & 2) outIovs = [{ base: arg, len: size }];
    }
    const flags = (opts.flags ?? 0) | (opts.unrestricted ? IoctlFlags.UNRESTRICTED : 0);
    for (let round = 0; round < 16; round++) {
      const data = Buffer.concat(inIovs.map((v) => memory.read(v.base, v.len)));
      const outSize = outIovs.reduce((n, v) => n + v.len, 0);
      const r = await this.request(Opcode.IOCTL, nodeid, { arg: { fh, flags, cmd, arg, in_size: data.length, out_size: outSize }, data });
      if (r.error) return { result: -1, error: r.error };
      if (r.body?.kind !== 'ioctl') throw new ProtocolViolation('IOCTL reply without fuse_ioctl_out');
      if (r.body.iovs) {
        if (!opts.unrestricted) {
          this.violation(`IOCTL retry on a restricted ioctl (cmd 0x${cmd.toString(16)})`);
          return { result: -1, error: -Errno.EIO };
        }
        inIovs = r.body.iovs.in.map((v) => ({ base: v.base, len: v.len }));
        outIovs = r.body.iovs.out.map((v) => ({ base: v.base, len: v.len }));
        continue;
      }
      let pos = 0;
      for (const v of outIovs) {
        const n = Math.min(v.len, r.body.data.length - pos);
        if (n <= 0) break;
        memory.write(v.base, r.body.data.subarray(pos, pos + n));
        pos += n;
      }
      return { result: r.body.out.result, error: 0 };
    }
    this.violation(`IOCTL 0x${cmd.toString(16)}: more than 16 retries`);
    return { result: -1, error: -Errno.EIO };
  }

  /** Sends INTERRUPT for a request in flight (or any unique). */
  interrupt(target: Pending | number): void {
    const unique = typeof target === 'number' ? target : target.unique;
    const own = unique | INT_REQ_BIT;
    this.interrupts.set(own, unique);
    if (this.closedBy) throw this.closedBy;
    this.deliver(
      encodeRequest({ opcode: Opcode.INTERRUPT, header: { unique: own, nodeid: 0, uid: 0, gid: 0, pid: 0 }, arg: { unique } } as RequestInput),
    );
  }

  /** FORGET, updating the emulator's ledger. */
  forget(nodeid: number, nlookup = 1): void {
    this.take(nodeid, nlookup);
    this.send(Opcode.FORGET, nodeid, { arg: { nlookup } });
  }

  /** BATCH_FORGET of everything the emulator holds except the root: what an unmount does. */
  forgetAll(): void {
    const nodes = [...this.lookups].filter(([id]) => id !== ROOT_ID).map(([nodeid, nlookup]) => ({ nodeid, nlookup }));
    for (const n of nodes) this.take(n.nodeid, n.nlookup);
    if (nodes.length) this.send(Opcode.BATCH_FORGET, 0, { arg: { count: nodes.length }, nodes });
  }

  /** Lookups the emulator holds that the server's ledger disagrees with, and over-forgets the session saw (in-process servers only). */
  ledgerProblems(): string[] {
    const session = this.transport.session;
    if (!session) return [];
    const out = [...session.ledgerErrors];
    for (const [id, n] of this.lookups) {
      const s = session.lookups.get(id) ?? 0;
      if (s !== n) out.push(`node ${id}${this.pathSuffix(id)}: kernel side holds ${n} lookups, the session counted ${s}`);
    }
    for (const [id, s] of session.lookups) if (!this.lookups.has(id)) out.push(`node ${id}${this.pathSuffix(id)}: the session counts ${s} lookups the kernel side does not hold`);
    return out;
  }

  /** The kernel unmounts: the session sees ENODEV. */
  unmount(): void {
    this.transport.unmount();
  }

  /**
   * Ends the conversation: every request still waiting rejects with
   * `reason`, later sends throw it, and the server sees an unmount. What a
   * scenario that is given up on (a deadline, a limit) does to its emulators.
   */
  close(reason: Error = new EmulatorClosed('the emulator was closed')): void {
    if (this.closedBy) return;
    this.closedBy = reason;
    for (const p of this.pending.values()) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(reason);
    }
    this.pending.clear();
    this.transport.unmount();
  }

  get closed(): boolean {
    return this.closedBy !== null;
  }

  /**
   * Ends the session as the kernel side does when a scenario is over: for a
   * server in another process, RELEASE of every handle still open, DESTROY
   * (each waited for up to `graceMs`: the kernel sends DESTROY only to
   * fuseblk servers, so it is not judged), then the close, and the wait
   * until the process is gone. Nothing for an
   * in-process session. Resolves with a crash on the way out, or null.
   */
  async end(graceMs = 1000): Promise<string | null> {
    if (!this.transport.end || this.ending) return null;
    this.ending = true;
    // A server already given up on (a deadline, a crash) was reported then.
    const open = !this.closedBy;
    if (this.init_out && !this.closedBy) {
      // As at an unmount: every handle still open is released first (its holders exited); a server need not expect DESTROY with files open. No FORGETs:
      // the kernel aborts the connection (or sends DESTROY, fuseblk) before it evicts the inodes, so a server never sees them at an unmount.
      const released = [...this.handles.entries()].flatMap(([key, n]) => {
        const [kind, node, fh] = key.split(':');
        const op = kind === 'd' ? Opcode.RELEASEDIR : Opcode.RELEASE;
        return Array.from({ length: n }, () => this.send(op, Number(node), { arg: { fh: Number(fh), flags: 0, release_flags: 0, lock_owner: 0n } }, { deadline: false }).reply.catch(() => undefined));
      });
      await within(Promise.all(released), graceMs);
      if (!this.closedBy) await within(this.send(Opcode.DESTROY, 0, {}, { deadline: false }).reply.catch(() => undefined), graceMs);
    }
    this.close(new EmulatorClosed('the session ended'));
    const crash = await this.transport.end();
    return open ? crash : null;
  }

  private openHandle(kind: 'f' | 'd', nodeid: number, fh: number): void {
    const key = `${kind}:${nodeid}:${fh}`;
    this.handles.set(key, (this.handles.get(key) ?? 0) + 1);
  }

  private closeHandle(kind: 'f' | 'd', nodeid: number, fh: number): void {
    const key = `${kind}:${nodeid}:${fh}`;
    const n = (this.handles.get(key) ?? 0) - 1;
    if (n > 0) this.handles.set(key, n);
    else this.handles.delete(key);
  }

  /** The transport says the server went away: every waiting request fails with that, and so does the scenario (unless the session was ending: end() says how it ended). */
  private gone(why: string): void {
    if (this.closedBy) return;
    if (this.ending) {
      this.close(new ServerGone(why));
      return;
    }
    const waiting = this.waiting();
    const e = new ServerGone(`${why}${waiting.length ? `, while waiting for ${waiting.slice(0, 3).join('; ')}` : ''}`);
    this.opts.onProblem?.(e);
    this.close(e);
  }

  /** The transport could not take a message whole: a violation, and the request it answers fails. */
  private broken(why: string, unique: number | null): void {
    const p = unique === null ? undefined : this.pending.get(unique);
    const v = p ? `${opcodeName(p.opcode)} unique=${p.unique}: ${why}` : why;
    this.violation(v);
    if (!p) return;
    this.pending.delete(p.unique);
    if (p.timer) clearTimeout(p.timer);
    p.timer = null;
    p.reject(new ProtocolViolation(v));
  }

  /** Settles when every request sent so far is answered, expired or rejected. */
  async settled(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending.values()].map((p) => p.reply));
  }

  /** The requests still waiting (the first `max`), described ("READ /f (offset 0, 4096 bytes)"). */
  waiting(max = Infinity): string[] {
    const out: string[] = [];
    for (const p of this.pending.values()) {
      if (out.length >= max) break;
      out.push(p.what());
    }
    return out;
  }

  /** The path the node id was last seen at ("/" for the root), or undefined. */
  pathOf(nodeid: number): string | undefined {
    const parts: string[] = [];
    for (let id = nodeid, hops = 0; id !== ROOT_ID; hops++) {
      const n = this.names.get(id);
      if (!n || hops > 4096) return undefined;
      parts.push(n.name);
      id = n.parent;
    }
    return '/' + parts.reverse().join('/');
  }

  /** How to answer NOTIFY_RETRIEVE: by default from the emulator's page cache (filled by NOTIFY_STORE). */
  onRetrieve(handler: ((n: Extract<Notification, { code: NotifyCode.RETRIEVE }>) => Buffer | null) | null, auto = true): void {
    this.retrieveHandler = handler;
    this.autoRetrieve = auto;
  }

  /** Requests still waiting for a reply. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Counts a lookup handed to the kernel side. */
  hold(nodeid: number, n = 1): void {
    if (nodeid === 0) return;
    this.lookups.set(nodeid, (this.lookups.get(nodeid) ?? 0) + n);
  }

  private take(nodeid: number, n: number): void {
    const left = (this.lookups.get(nodeid) ?? 0) - n;
    if (left > 0) this.lookups.set(nodeid, left);
    else this.lookups.delete(nodeid);
  }

  private allocUnique(): number {
    const u = this.nextUnique;
    this.nextUnique += 2; // like the kernel: odd uniques are interrupts
    return u;
  }

  // ---- recording --------------------------------------------------------------

  private initExchange: Buffer[] = [];
  private recording: RecordedMessage[] | null = null;
  private recordStart = 0;

  /**
   * Records every message from now on (the INIT exchange first, so that
   * the record replays on its own): the events a trace file holds.
   */
  record(): RecordedMessage[] {
    this.recordStart = performance.now();
    this.recording = this.initExchange.map((data, i) => ({ t: 0, dir: i === 0 ? ('in' as const) : ('out' as const), data }));
    return this.recording;
  }

  private deliver(bytes: Buffer): void {
    this.recording?.push({ t: Math.round((performance.now() - this.recordStart) * 1000), dir: 'in', data: Buffer.from(bytes) });
    this.transport.deliver(bytes);
  }

  private get negotiatedFlags(): bigint {
    const o = this.init_out;
    return o ? BigInt(o.flags >>> 0) | (BigInt((o.flags2 ?? 0) >>> 0) << 32n) : 0n;
  }

  /** The request limit, and (every 4096 requests) the memory limit. */
  private countRequest(opcode: Opcode, nodeid: number, body: object): void {
    this.sent++;
    let e: LimitExceeded | null = null;
    if (this.sent > this.limits.maxRequests) {
      e = new LimitExceeded('maxRequests', `${this.describe(opcode, nodeid, body, this.opts.step?.())}: more than ${this.limits.maxRequests} requests from one emulator (a loop driven by the filesystem's answers?)`);
    } else if ((this.sent & 4095) === 0) {
      const rss = process.memoryUsage.rss();
      if (rss > this.limits.memoryBytes) e = new LimitExceeded('memoryBytes', `resident memory ${mib(rss)} MiB passed the limit of ${mib(this.limits.memoryBytes)} MiB`);
    }
    if (!e) return;
    this.opts.onProblem?.(e);
    throw e;
  }

  /** Registers a request awaiting its reply, with its deadline. */
  private track(p: PendingInternal, nodeid: number, body: object, deadline = true): void {
    this.pending.set(p.unique, p);
    const ms = this.opts.timeoutFor?.(p.opcode) ?? this.limits.timeoutMs;
    if (deadline) {
      p.timer = setTimeout(() => this.expire(p, ms), ms);
      if (!this.opts.keepAlive) p.timer.unref();
    }
    p.nodeid = nodeid;
    p.body = body;
  }

  private expire(p: PendingInternal, ms: number): void {
    if (this.pending.get(p.unique) !== p) return;
    this.pending.delete(p.unique);
    this.expired.add(p.unique);
    p.timer = null;
    const e = new RequestTimeout(p.what(), p.opcode, ms);
    p.reject(e);
    this.opts.onProblem?.(e);
  }

  private pathSuffix(nodeid: number): string {
    const path = this.pathOf(nodeid);
    return path === undefined ? '' : ` (${path})`;
  }

  private where(nodeid: number, name?: string): string {
    const base = nodeid === ROOT_ID ? '/' : this.pathOf(nodeid);
    if (name === undefined) return base ?? `node ${nodeid}`;
    if (base === undefined) return `${JSON.stringify(name)} in node ${nodeid}`;
    return base === '/' ? `/${name}` : `${base}/${name}`;
  }

  /** "LOOKUP /d/f (step: ...)", "RENAME2 /a → /d/b", "READ /f (offset 0, 4096 bytes)". */
  private describe(opcode: Opcode, nodeid: number, body: object, step: string | undefined): string {
    const b = body as { name?: unknown; oldname?: unknown; newname?: unknown; arg?: { newdir?: number; oldnodeid?: number; offset?: number; size?: number } };
    const op = opcodeName(opcode);
    let what: string;
    if (typeof b.oldname === 'string' && typeof b.newname === 'string') {
      what = `${op} ${this.where(nodeid, b.oldname)} → ${this.where(b.arg?.newdir ?? nodeid, b.newname)}`;
    } else if (opcode === Opcode.LINK && typeof b.name === 'string') {
      what = `${op} ${this.where(b.arg?.oldnodeid ?? 0)} → ${this.where(nodeid, b.name)}`;
    } else if (typeof b.name === 'string' && opcode !== Opcode.GETXATTR && opcode !== Opcode.SETXATTR && opcode !== Opcode.REMOVEXATTR) {
      what = `${op} ${this.where(nodeid, b.name)}`;
    } else {
      what = `${op} ${this.where(nodeid)}`;
      if (typeof b.name === 'string') what += ` ${b.name}`;
      if (typeof b.arg?.offset === 'number' && typeof b.arg.size === 'number') what += ` (offset ${b.arg.offset}, ${b.arg.size} bytes)`;
    }
    return step ? `${what} (step: ${step})` : what;
  }

  /** Learns names from entry replies and namespace changes, for the paths in messages. */
  private learn(p: PendingInternal, r: DecodedReply): void {
    if (r.error) return;
    const b = p.body as { name?: string; oldname?: string; newname?: string; arg?: { newdir?: number; flags?: number } };
    const name = (parent: number, n: string, id: number): void => {
      if (id === 0 || id === ROOT_ID) return;
      this.names.set(id, { parent, name: n });
      this.byName.set(`${parent}/${n}`, id);
    };
    if (r.body?.kind === 'open') this.openHandle(p.opcode === Opcode.OPENDIR ? 'd' : 'f', p.nodeid, r.body.open.fh);
    if (r.body?.kind === 'create' && r.body.entry.nodeid !== 0) this.openHandle('f', r.body.entry.nodeid, r.body.open.fh);
    switch (r.body?.kind) {
      case 'entry':
      case 'create':
        if (typeof b.name === 'string') name(p.nodeid, b.name, r.body.entry.nodeid);
        return;
      case 'dirents':
        for (const d of r.body.entries) if (d.entry && d.name !== '.' && d.name !== '..') name(p.nodeid, d.name, d.entry.nodeid);
        return;
      default:
        break;
    }
    if (p.opcode === Opcode.UNLINK || p.opcode === Opcode.RMDIR) {
      this.byName.delete(`${p.nodeid}/${b.name}`);
    } else if ((p.opcode === Opcode.RENAME || p.opcode === Opcode.RENAME2) && b.oldname !== undefined && b.newname !== undefined) {
      const from = `${p.nodeid}/${b.oldname}`;
      const to = `${b.arg?.newdir ?? p.nodeid}/${b.newname}`;
      const moved = this.byName.get(from);
      const other = this.byName.get(to);
      this.byName.delete(from);
      this.byName.delete(to);
      if (moved !== undefined) name(b.arg?.newdir ?? p.nodeid, b.newname, moved);
      if (other !== undefined && ((b.arg?.flags ?? 0) & 2) !== 0) name(p.nodeid, b.oldname, other); // RENAME_EXCHANGE
    }
  }

  // ---- the server's output --------------------------------------------------

  private violation(msg: string): void {
    this.violations.push(msg);
  }

  private onWrite(msg: Buffer): number {
    this.recording?.push({ t: Math.round((performance.now() - this.recordStart) * 1000), dir: 'out', data: Buffer.from(msg) });
    if (this.initExchange.length === 1 && msg.length >= 16 && readUnique(msg, 8) === readUnique(this.initExchange[0]!, 8)) this.initExchange.push(Buffer.from(msg));
    if (msg.length < 16) {
      this.violation(`write of ${msg.length} bytes: shorter than fuse_out_header`);
      return Errno.EINVAL;
    }
    const unique = msg.readUInt32LE(8) + msg.readUInt32LE(12) * 4294967296;
    if (unique === 0) return this.onNotification(msg);
    const target = this.interrupts.get(unique);
    if (target !== undefined) {
      this.interrupts.delete(unique);
      const error = msg.readInt32LE(4);
      if (msg.length !== 16 || (error !== -Errno.EAGAIN && error !== -Errno.ENOSYS)) {
        this.violation(`reply to INTERRUPT of ${target}: only a bare EAGAIN or ENOSYS is meaningful, got error ${error} with ${msg.length - 16} bytes`);
      } else if (error === -Errno.EAGAIN && this.pending.has(target)) {
        // the kernel requeues the interrupt
        queueMicrotask(() => {
          if (!this.closedBy && this.pending.has(target)) this.interrupt(target);
        });
      }
      return 0;
    }
    const p = this.pending.get(unique);
    if (!p) {
      if (this.closedBy) return Errno.ENODEV;
      if (this.expired.delete(unique)) {
        this.log.push(`reply to unique ${unique} after its deadline`);
        return Errno.ENOENT;
      }
      this.violation(`reply to unique ${unique}, which is not in flight (already answered, never sent, or takes no reply)`);
      return Errno.ENOENT;
    }
    this.pending.delete(unique);
    if (p.timer) clearTimeout(p.timer);
    p.timer = null;
    p.answered = true;
    p.replyBytes = msg;
    const kind = OPS.get(p.opcode)?.reply ?? 'empty';
    const r = decodeReply(kind, msg, { minor: this.minor, size: p.size });
    if (r instanceof ProtocolError) {
      const v = `${opcodeName(p.opcode)} unique=${unique}: ${r.message}`;
      this.violation(v);
      p.reject(new ProtocolViolation(v));
      return Errno.EINVAL;
    }
    this.checkReply(p, r);
    this.learn(p, r);
    if (r.body?.kind === 'dirents') this.keepCookies(msg, p.opcode === Opcode.READDIRPLUS);
    p.resolve(r);
    return 0;
  }

  /** Notes the cookies of a READDIR(PLUS) reply that a double cannot hold (see `cookies`). */
  private keepCookies(msg: Buffer, plus: boolean): void {
    // Each record: [fuse_entry_out (READDIRPLUS)] fuse_dirent { ino, off, namelen, type } name, padded to 8 bytes.
    const before = plus ? EntryOutStruct.size : 0;
    for (let pos = 16; pos + before + 24 <= msg.length; ) {
      const at = pos + before;
      const off = msg.readBigUInt64LE(at + 8);
      if (off > BigInt(Number.MAX_SAFE_INTEGER)) this.cookies.set(Number(off), off);
      pos = at + ((24 + msg.readUInt32LE(at + 16) + 7) & ~7);
    }
  }

  private checkReply(p: PendingInternal, r: DecodedReply): void {
    const where = `${opcodeName(p.opcode)} unique=${p.unique}`;
    const b = r.body;
    if (!b) return;
    const entry = (e: EntryOut, what: string): void => {
      if (e.entry_valid_nsec >= 1e9 || e.attr_valid_nsec >= 1e9) this.violation(`${where}: ${what} timeout nsec ≥ 1e9`);
      if (e.nodeid !== 0) {
        this.checkAttr(e.attr, `${where}: ${what}`);
        // A name points to it, so it has a link (GETATTR of an unlinked, still-open file may say 0; an O_TMPFILE has none).
        if (e.attr.nlink === 0 && p.opcode !== Opcode.TMPFILE) this.violation(`${where}: ${what} with nlink 0`);
        this.hold(e.nodeid);
      }
    };
    switch (b.kind) {
      case 'entry':
        entry(b.entry, 'entry');
        break;
      case 'create':
        if (b.entry.nodeid === 0) this.violation(`${where}: create answered with node id 0`);
        entry(b.entry, 'entry');
        break;
      case 'attr':
        if (b.attr.attr_valid_nsec >= 1e9) this.violation(`${where}: attr timeout nsec ≥ 1e9`);
        this.checkAttr(b.attr.attr, where);
        break;
      case 'dirents':
        for (const d of b.entries) if (d.entry) entry(d.entry, `direntplus "${d.name}"`);
        break;
      default:
        break;
    }
  }

  private checkAttr(a: Attr, where: string): void {
    const type = a.mode & 0o170000;
    if (![0o140000, 0o120000, 0o100000, 0o060000, 0o040000, 0o020000, 0o010000].includes(type)) this.violation(`${where}: mode 0${a.mode.toString(8)} has no valid file type`);
    if (a.atimensec >= 1e9 || a.mtimensec >= 1e9 || a.ctimensec >= 1e9) this.violation(`${where}: a timestamp's nsec is ≥ 1e9`);
  }

  private onNotification(msg: Buffer): number {
    const n = decodeNotification(msg);
    if (n instanceof ProtocolError) {
      this.violation(`notification: ${n.message}`);
      return Errno.EINVAL;
    }
    this.notifications.push(n);
    if (n.code === NotifyCode.STORE && n.offset + n.data.length > this.limits.maxFileBytes) {
      this.violation(`NOTIFY_STORE of node ${n.nodeid} at offset ${n.offset}: past the emulated page cache's ${this.limits.maxFileBytes} bytes (limits.maxFileBytes)`);
    } else if (n.code === NotifyCode.STORE) {
      const cur = this.cache.get(n.nodeid) ?? Buffer.alloc(0);
      const next = Buffer.alloc(Math.max(cur.length, n.offset + n.data.length));
      cur.copy(next);
      n.data.copy(next, n.offset);
      this.cache.set(n.nodeid, next);
    }
    if (n.code === NotifyCode.RETRIEVE) {
      const data = this.retrieveHandler ? this.retrieveHandler(n) : this.autoRetrieve ? (this.cache.get(n.nodeid) ?? Buffer.alloc(0)).subarray(n.offset, n.offset + n.size) : null;
      if (data) {
        queueMicrotask(() => {
          if (!this.closedBy) this.send(Opcode.NOTIFY_REPLY, n.nodeid, { arg: { offset: n.offset, size: data.length }, data }, { unique: n.notify_unique });
        });
      }
    }
    return 0;
  }
}

/** A request waiting for its reply: the promise and its settle functions. */
function pendingRequest(unique: number, opcode: Opcode, size: number | undefined, what: () => string): PendingInternal {
  let resolve!: (r: DecodedReply) => void;
  let reject!: (e: Error) => void;
  const reply = new Promise<DecodedReply>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Rejections are also recorded in `violations` (or told to onProblem); callers that await still see them.
  reply.catch(() => undefined);
  return { unique, opcode, reply, answered: false, replyBytes: null, size, resolve, reject, what, timer: null, nodeid: 0, body: {} };
}

/** Waits for `p`, or `ms`, whichever comes first. */
async function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

function mib(n: number): number {
  return Math.round(n / 1048576);
}

/** The `size` a request asks for, for the length checks of variable replies (and how its reply decodes: GETXATTR/LISTXATTR size 0 is a size probe). */
export function sizeAsked(opcode: Opcode, body: object): number | undefined {
  const arg = (body as { arg?: { size?: number; out_size?: number } }).arg;
  switch (opcode) {
    case Opcode.READ:
    case Opcode.READDIR:
    case Opcode.READDIRPLUS:
    case Opcode.GETXATTR:
    case Opcode.LISTXATTR:
      return arg?.size;
    case Opcode.IOCTL:
      return arg?.out_size;
    case Opcode.READLINK:
      return 4096;
    default:
      return undefined;
  }
}
