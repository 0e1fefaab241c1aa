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
 * - dirents are 8-byte aligned with zeroed padding, within the size asked;
 * - attributes are sane: a file type in the mode, nsec fields below 1e9,
 *   entry/attr timeouts well formed, a nonzero nlink on live entries.
 *
 * Each problem is recorded in `violations` with the request it concerns.
 */
import {
  CuseInitFlags, Errno, INT_REQ_BIT, InitFlags, IoctlFlags, decodeCuseInfo, KERNEL_MINOR_VERSION, NotifyCode, OPS, Opcode, ProtocolError, ROOT_ID, decodeNotification,
  decodeReply, encodeRequest, errnoName, opcodeName,
  type Attr, type CuseInitOut, type DecodedReply, type EntryOut, type Extensions, type InitOut, type Notification, type RequestInput,
} from '../protocol';
import type { Filesystem } from '../api/filesystem';
import { MemoryChannel, Session, type SessionOptions } from '../server/index';

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

/** A request sent and not yet answered. */
export interface Pending {
  readonly unique: number;
  readonly opcode: Opcode;
  /** Settles with the decoded reply (or rejects when the reply breaks the protocol). */
  readonly reply: Promise<DecodedReply>;
  readonly answered: boolean;
}

interface PendingInternal extends Pending {
  answered: boolean;
  size: number | undefined;
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
  readonly channel: MemoryChannel;
  readonly session: Session;
  /** Every protocol problem seen in the server's output. */
  readonly violations: string[] = [];
  /** Notifications the server sent, in order. */
  readonly notifications: Notification[] = [];
  /** The negotiated state after init(). */
  minor = KERNEL_MINOR_VERSION;
  init_out: InitOut | null = null;
  caller: Caller;

  private nextUnique = 2;
  private readonly pending = new Map<number, PendingInternal>();
  /** Uniques of INTERRUPTs sent, to accept their (EAGAIN/ENOSYS) answers. */
  private readonly interrupts = new Map<number, number>();
  /** The emulator's own lookup ledger: what the kernel side holds. */
  readonly lookups = new Map<number, number>([[ROOT_ID, 1]]);
  private retrieveHandler: ((n: Extract<Notification, { code: NotifyCode.RETRIEVE }>) => Buffer | null) | null = null;
  private autoRetrieve = true;
  private readonly cache = new Map<number, Buffer>();

  constructor(
    readonly fs: Filesystem,
    opts: EmulatorOptions = {},
  ) {
    this.channel = new MemoryChannel((msg) => this.onWrite(msg));
    const sessionOptions: SessionOptions = { log: (l) => this.log.push(l), ...opts.session };
    this.session = opts.makeSession ? opts.makeSession(fs, this.channel, sessionOptions) : new Session(fs, this.channel, sessionOptions);
    this.session.start();
    this.caller = { uid: 0, gid: 0, pid: 4242, ...opts.caller };
  }

  /** What the server logged (handler crashes, invalid values...). */
  readonly log: string[] = [];

  // ---- raw protocol ---------------------------------------------------------

  /** Sends INIT as a kernel of the given minor/flags would; resolves with fuse_init_out. */
  async init(p: InitParams = {}): Promise<InitOut> {
    const flags = p.flags ?? KERNEL_OFFER;
    const minor = p.minor ?? KERNEL_MINOR_VERSION;
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
  send<O extends Opcode>(opcode: O, nodeid: number, body: Body<O>, opts: { caller?: Partial<Caller>; ext?: Extensions; unique?: number } = {}): Pending {
    const unique = opts.unique ?? this.allocUnique();
    const c = { ...this.caller, ...opts.caller };
    const input = { opcode, header: { unique, nodeid, uid: c.uid, gid: c.gid, pid: c.pid }, ext: opts.ext ?? null, ...body } as unknown as RequestInput;
    const bytes = encodeRequest(input, { minor: this.minor, setxattrExt: (this.session.flags & InitFlags.SETXATTR_EXT) !== 0n });
    const noReply = OPS.get(opcode)?.reply === 'none';
    const p = pendingRequest(unique, opcode, sizeAsked(opcode, body));
    if (noReply) {
      p.answered = true;
      p.resolve({ unique, error: 0 });
    } else {
      this.pending.set(unique, p);
    }
    this.channel.deliver(bytes);
    return p;
  }

  /** Sends a request and waits for its reply. */
  async request<O extends Opcode>(opcode: O, nodeid: number, body: Body<O>, opts?: { caller?: Partial<Caller>; ext?: Extensions }): Promise<DecodedReply> {
    return this.send(opcode, nodeid, body, opts).reply;
  }

  /** Delivers arbitrary bytes as a request (malformed-input tests). The reply, if any, is matched by `unique`. */
  sendRaw(bytes: Buffer, expectReplyTo?: { unique: number; opcode: Opcode }): Pending | null {
    let p: PendingInternal | null = null;
    if (expectReplyTo) {
      p = pendingRequest(expectReplyTo.unique, expectReplyTo.opcode, undefined);
      this.pending.set(expectReplyTo.unique, p);
    }
    this.channel.deliver(bytes);
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
    this.channel.deliver(
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

  /** Lookups the emulator holds that the server's ledger disagrees with, and over-forgets the session saw. */
  ledgerProblems(): string[] {
    const out = [...this.session.ledgerErrors];
    for (const [id, n] of this.lookups) {
      const s = this.session.lookups.get(id) ?? 0;
      if (s !== n) out.push(`node ${id}: kernel side holds ${n} lookups, the session counted ${s}`);
    }
    for (const [id, s] of this.session.lookups) if (!this.lookups.has(id)) out.push(`node ${id}: the session counts ${s} lookups the kernel side does not hold`);
    return out;
  }

  /** The kernel unmounts: the session sees ENODEV. */
  unmount(): void {
    this.channel.unmount();
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

  // ---- the server's output --------------------------------------------------

  private violation(msg: string): void {
    this.violations.push(msg);
  }

  private onWrite(msg: Buffer): number {
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
        queueMicrotask(() => this.interrupt(target));
      }
      return 0;
    }
    const p = this.pending.get(unique);
    if (!p) {
      this.violation(`reply to unique ${unique}, which is not in flight (already answered, never sent, or takes no reply)`);
      return Errno.ENOENT;
    }
    this.pending.delete(unique);
    p.answered = true;
    const kind = OPS.get(p.opcode)?.reply ?? 'empty';
    const r = decodeReply(kind, msg, { minor: this.minor, size: p.size });
    if (r instanceof ProtocolError) {
      const v = `${opcodeName(p.opcode)} unique=${unique}: ${r.message}`;
      this.violation(v);
      p.reject(new ProtocolViolation(v));
      return Errno.EINVAL;
    }
    this.checkReply(p, r);
    p.resolve(r);
    return 0;
  }

  private checkReply(p: PendingInternal, r: DecodedReply): void {
    const where = `${opcodeName(p.opcode)} unique=${p.unique}`;
    const b = r.body;
    if (!b) return;
    const entry = (e: EntryOut, what: string): void => {
      if (e.entry_valid_nsec >= 1e9 || e.attr_valid_nsec >= 1e9) this.violation(`${where}: ${what} timeout nsec ≥ 1e9`);
      if (e.nodeid !== 0) {
        this.checkAttr(e.attr, `${where}: ${what}`);
        // A name points to it, so it has a link (GETATTR of an unlinked, still-open file may say 0).
        if (e.attr.nlink === 0) this.violation(`${where}: ${what} with nlink 0`);
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
    if (n.code === NotifyCode.STORE) {
      const cur = this.cache.get(n.nodeid) ?? Buffer.alloc(0);
      const next = Buffer.alloc(Math.max(cur.length, n.offset + n.data.length));
      cur.copy(next);
      n.data.copy(next, n.offset);
      this.cache.set(n.nodeid, next);
    }
    if (n.code === NotifyCode.RETRIEVE) {
      const data = this.retrieveHandler ? this.retrieveHandler(n) : this.autoRetrieve ? (this.cache.get(n.nodeid) ?? Buffer.alloc(0)).subarray(n.offset, n.offset + n.size) : null;
      if (data) {
        queueMicrotask(() =>
          this.send(Opcode.NOTIFY_REPLY, n.nodeid, { arg: { offset: n.offset, size: data.length }, data }, { unique: n.notify_unique }),
        );
      }
    }
    return 0;
  }
}

/** A request waiting for its reply: the promise and its settle functions. */
function pendingRequest(unique: number, opcode: Opcode, size: number | undefined): PendingInternal {
  let resolve!: (r: DecodedReply) => void;
  let reject!: (e: Error) => void;
  const reply = new Promise<DecodedReply>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Rejections are also recorded in `violations`; callers that await still see them.
  reply.catch(() => undefined);
  return { unique, opcode, reply, answered: false, size, resolve, reject };
}

/** The `size` a request asks for, for the length checks of variable replies. */
function sizeAsked(opcode: Opcode, body: object): number | undefined {
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
