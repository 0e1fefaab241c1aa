/**
 * An experiment, for bench-channel.ts: FUSE over io_uring (kernel 6.14+,
 * fuse.enable_uring=1) driven from Node through koffi, to answer the
 * performance issue's "if it can be driven from Node" with figures.
 *
 * What the kernel wants (fs/fuse/dev_uring.c; libfuse's lib/fuse_uring.c
 * is the userspace reference): INIT answered with FUSE_OVER_IO_URING, then
 * one IORING_OP_URING_CMD per ring entry (SQE128: fuse_uring_cmd_req lives
 * in the SQE's 80-byte command area) registering two buffers, a
 * fuse_uring_req_header and a payload of max_write, for a queue per
 * possible CPU. A request then arrives as that entry's CQE, with
 * fuse_in_header in `in_out`, the opcode's first argument in `op_in` and
 * the rest in the payload; the reply goes back into the same buffers and
 * one COMMIT_AND_FETCH SQE both delivers it and hands the entry back for
 * the next request: one syscall per request instead of a read and a write.
 * FORGET and INTERRUPT still come through /dev/fuse.
 *
 * How this channel does it: the Session is unchanged. INIT is read from
 * /dev/fuse; its reply gets FUSE_OVER_IO_URING added on the way out (the
 * session itself refuses the flag, options.ts); then the ring is set up
 * and the Session's requests are rebuilt contiguous (header, op_in,
 * payload) for the ordinary decoder, and its replies copied into the
 * entry's buffers. Two ways to wait, both holding the main thread for
 * good (ceilings, as the blocking read loop is):
 *
 *   block  io_uring_enter(submit the commits, wait for one completion)
 *   spin   read the completion ring's tail from its mapped memory; submit
 *          commits with io_uring_enter without waiting
 *
 * Not a design devfuse uses: see device-channel.ts "Measured and not kept".
 */
import fs from 'node:fs';
import koffi from 'koffi';
import { InitFlags, InitOut, Opcode } from '../../src/protocol';
import type { ChannelCloseReason, RequestSink } from '../../src';
import { F_GETFL, F_SETFL, O_NONBLOCK, deviceRead, errno, fcntl } from '../../src/internal';
import { BaseChannel } from './channel-designs';

const SYS_io_uring_setup = 425;
const SYS_io_uring_enter = 426;
const IORING_SETUP_SQE128 = 1 << 10;
const IORING_SETUP_CQSIZE = 1 << 3;
const IORING_SETUP_COOP_TASKRUN = 1 << 8;
const IORING_SETUP_TASKRUN_FLAG = 1 << 9;
const IORING_SETUP_SINGLE_ISSUER = 1 << 12;
const IORING_SETUP_DEFER_TASKRUN = 1 << 13;
/** In the SQ ring's flags: task work is pending, an io_uring_enter(GETEVENTS) runs it. */
const IORING_SQ_TASKRUN = 1 << 2;
const IORING_FEAT_SINGLE_MMAP = 1;
const IORING_ENTER_GETEVENTS = 1;
const IORING_OFF_SQES = 0x10000000;
const IORING_OP_URING_CMD = 46;
const FUSE_IO_URING_CMD_REGISTER = 1;
const FUSE_IO_URING_CMD_COMMIT_AND_FETCH = 2;
const SQE_SIZE = 128;
const CQE_SIZE = 16;
const PROT_RW = 3;
const MAP_SHARED_POPULATE = 0x01 | 0x8000;
const MAP_PRIVATE_ANON = 0x02 | 0x20;
/** fuse_uring_req_header: in_out[128], op_in[128], fuse_uring_ent_in_out. */
const HDR_OP_IN = 128;
const HDR_ENT = 256;
const HDR_SIZE = 4096; // page-aligned, as libfuse allocates it
const IN_HEADER = 40;
const OUT_HEADER = 16;

/** A u64 at `at` as a Number (uniques and indexes stay far below 2^53): no BigInt on the hot path. */
const u64 = (b: Buffer, at: number): number => b.readUInt32LE(at) + b.readUInt32LE(at + 4) * 0x1_0000_0000;

const ENOTCONN = 107;
const EAGAIN = 11;
const EINTR = 4;

type Ptr = bigint;
interface Libc {
  syscall: (n: number, a: number | bigint, b: number | bigint, c: number | bigint, d: number | bigint, e: number | bigint, f: number | bigint) => number;
  mmap: (addr: null, len: number, prot: number, flags: number, fd: number, off: number) => Ptr;
}
let libc: Libc | null = null;
function lib(): Libc {
  if (libc) return libc;
  const l = koffi.load('libc.so.6');
  libc = {
    syscall: l.func('long syscall(long n, long a, long b, long c, long d, long e, long f)') as Libc['syscall'],
    mmap: l.func('void *mmap(void *addr, size_t len, int prot, int flags, int fd, int64_t off)') as Libc['mmap'],
  };
  return libc;
}

/** A mapping as a Buffer over the kernel-shared memory (koffi.view: no copy). */
function mapped(p: Ptr, len: number): Buffer {
  // MAP_FAILED is (void *)-1, which koffi hands back as an unsigned 64-bit value.
  if (p === 0xffffffffffffffffn || p === -1n) throw new Error(`mmap failed: errno ${errno()}`);
  return Buffer.from(koffi.view(p, len));
}

interface Entry {
  index: number;
  qid: number;
  hdr: Buffer;
  payload: Buffer;
  /** The request rebuilt contiguous for the Session's decoder. */
  req: Buffer;
  /** ring_ent_in_out.commit_id of the request being served, as its 8 raw bytes (all zero before the first). */
  commitId: Buffer;
  /** The entry's SQE, prepared once; only the command and commit id change. */
  sqe: Buffer;
  iov: Buffer;
}

export class UringChannel extends BaseChannel {
  private initUnique = -1;
  private ringFd = -1;
  private ring!: Buffer;
  private ring32!: Int32Array;
  private sqes!: Buffer;
  private sq = { head: 0, tail: 0, mask: 0, array: 0, flags: 0 };
  private cq = { head: 0, tail: 0, mask: 0, cqes: 0 };
  private readonly entries: Entry[] = [];
  private readonly pending = new Map<number, Entry>();
  private toSubmit = 0;

  constructor(
    fd: number,
    private readonly wait: 'block' | 'spin',
    /**
     * How the kernel runs the task work that copies a request into an
     * entry's buffers: 'signal' (default: an IPI to the server's CPU),
     * 'coop' (no IPI; IORING_SQ_TASKRUN says it waits), 'defer' (only
     * inside io_uring_enter(GETEVENTS), single issuer).
     */
    private readonly taskrun: 'signal' | 'coop' | 'defer' = 'signal',
    private readonly depth = 2,
  ) {
    super(fd);
  }

  start(sink: RequestSink, onClose: (reason: ChannelCloseReason) => void): void {
    this.attachBlocking(sink, onClose);
    setImmediate(() => this.readInit());
  }

  /** The INIT (and whatever else /dev/fuse holds before the ring is up), by plain reads. */
  private readInit(): void {
    const buf = Buffer.allocUnsafe(this.size);
    const n = deviceRead(this.fd, buf);
    if (n < 0) return this.finish({ kind: 'error', error: new Error(`read INIT: errno ${errno()}`) });
    if (buf.readUInt32LE(4) === Opcode.INIT) this.initUnique = Number(buf.readBigUInt64LE(8));
    this.sink!(buf, n);
    if (this.ringFd < 0) return this.finish({ kind: 'error', error: new Error('INIT was not answered') });
    // Requests that came between the INIT reply and the ring being ready went to /dev/fuse.
    fcntl(this.fd, F_SETFL, fcntl(this.fd, F_GETFL) | O_NONBLOCK);
    for (;;) {
      const m = deviceRead(this.fd, buf);
      if (m < 0) break;
      this.sink!(buf, m);
    }
    if (this.wait === 'block') this.blockLoop();
    else this.spinLoop();
  }

  override write(data: Buffer | readonly Buffer[]): number {
    const parts = Buffer.isBuffer(data) ? [data] : data;
    const unique = u64(parts[0]!, 8);
    const ent = this.pending.get(unique);
    if (ent) return this.commit(ent, parts);
    if (unique === this.initUnique && this.initUnique >= 0) return this.answerInit(Buffer.concat(parts));
    return super.write(data);
  }

  private answerInit(reply: Buffer): number {
    const errorField = reply.readInt32LE(4);
    if (errorField === 0 && reply.length >= OUT_HEADER + InitOut.size) {
      const at = OUT_HEADER + InitOut.offsetOf('flags2');
      reply.writeUInt32LE((reply.readUInt32LE(at) | Number(InitFlags.OVER_IO_URING >> 32n)) >>> 0, at);
    }
    const r = super.write(reply);
    if (r === 0 && errorField === 0) this.setupRing();
    return r;
  }

  private enter(toSubmit: number, minComplete: number, flags: number): number {
    return lib().syscall(SYS_io_uring_enter, this.ringFd, toSubmit, minComplete, flags, 0, 0);
  }

  private setupRing(): void {
    const L = lib();
    const queues = fs.readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim().split(',')
      .reduce((n, r) => { const [a, b] = r.split('-').map(Number); return Math.max(n, (b ?? a!) + 1); }, 0);
    const nEnt = queues * this.depth;
    const params = Buffer.alloc(120);
    params.writeUInt32LE(nEnt * 2, 4); // cq_entries
    const tr = { signal: 0, coop: IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG, defer: IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_TASKRUN_FLAG }[this.taskrun];
    params.writeUInt32LE(IORING_SETUP_SQE128 | IORING_SETUP_CQSIZE | tr, 8);
    const rfd = L.syscall(SYS_io_uring_setup, nEnt, koffi.address(params), 0, 0, 0, 0);
    if (rfd < 0) throw new Error(`io_uring_setup: errno ${errno()}`);
    this.ringFd = rfd;
    const sqEntries = params.readUInt32LE(0);
    const cqEntries = params.readUInt32LE(4);
    if (!(params.readUInt32LE(20) & IORING_FEAT_SINGLE_MMAP)) throw new Error('io_uring without IORING_FEAT_SINGLE_MMAP');
    const so = 40;
    const co = 80;
    this.sq = { head: params.readUInt32LE(so), tail: params.readUInt32LE(so + 4), mask: params.readUInt32LE(so + 8), array: params.readUInt32LE(so + 24), flags: params.readUInt32LE(so + 16) };
    this.cq = { head: params.readUInt32LE(co), tail: params.readUInt32LE(co + 4), mask: params.readUInt32LE(co + 8), cqes: params.readUInt32LE(co + 20) };
    const ringSize = Math.max(this.sq.array + sqEntries * 4, this.cq.cqes + cqEntries * CQE_SIZE);
    this.ring = mapped(L.mmap(null, ringSize, PROT_RW, MAP_SHARED_POPULATE, rfd, 0), ringSize);
    this.ring32 = new Int32Array(this.ring.buffer, this.ring.byteOffset, ringSize >> 2);
    this.sqes = mapped(L.mmap(null, sqEntries * SQE_SIZE, PROT_RW, MAP_SHARED_POPULATE, rfd, IORING_OFF_SQES), sqEntries * SQE_SIZE);
    // The offsets of ring_mask in the mapping become the masks themselves.
    this.sq.mask = this.ring.readUInt32LE(this.sq.mask);
    this.cq.mask = this.ring.readUInt32LE(this.cq.mask);
    for (let i = 0; i < sqEntries; i++) this.ring.writeUInt32LE(i, this.sq.array + i * 4);

    // Page-aligned buffers for every entry, in one anonymous mapping.
    // The read buffer size (max_write and headers, set at INIT) covers the kernel's max payload.
    const payloadSize = Math.ceil(this.size / 4096) * 4096;
    const per = HDR_SIZE + payloadSize;
    const mem = mapped(L.mmap(null, per * nEnt, PROT_RW, MAP_PRIVATE_ANON, -1, 0), per * nEnt);
    for (let i = 0; i < nEnt; i++) {
      const hdr = mem.subarray(i * per, i * per + HDR_SIZE);
      const payload = mem.subarray(i * per + HDR_SIZE, (i + 1) * per);
      const iov = Buffer.alloc(32);
      iov.writeBigUInt64LE(BigInt(koffi.address(hdr)), 0);
      iov.writeBigUInt64LE(BigInt(HDR_SIZE), 8);
      iov.writeBigUInt64LE(BigInt(koffi.address(payload)), 16);
      iov.writeBigUInt64LE(BigInt(payloadSize), 24);
      const sqe = Buffer.alloc(SQE_SIZE);
      sqe[0] = IORING_OP_URING_CMD;
      sqe.writeInt32LE(this.fd, 4);
      sqe.writeUInt32LE(i, 32); // user_data
      sqe.writeUInt16LE(Math.floor(i / this.depth), 48 + 16); // fuse_uring_cmd_req.qid (cmd[] starts at 48)
      const e: Entry = { index: i, qid: Math.floor(i / this.depth), hdr, payload, req: Buffer.allocUnsafe(IN_HEADER + 128 + payloadSize), commitId: Buffer.alloc(8), sqe, iov };
      this.entries.push(e);
      this.queueSqe(e, FUSE_IO_URING_CMD_REGISTER);
    }
    const r = this.enter(this.toSubmit, 0, 0);
    if (r < 0) throw new Error(`io_uring_enter (REGISTER): errno ${errno()}`);
    this.toSubmit -= r;
  }

  private queueSqe(e: Entry, cmd: number): void {
    const tail = Atomics.load(this.ring32, this.sq.tail >> 2);
    const t = e.sqe;
    t.writeUInt32LE(cmd, 8); // cmd_op
    if (cmd === FUSE_IO_URING_CMD_REGISTER) {
      t.writeBigUInt64LE(BigInt(koffi.address(e.iov)), 16);
      t.writeUInt32LE(2, 24);
    } else {
      t.fill(0, 16, 28);
    }
    e.commitId.copy(t, 48 + 8); // fuse_uring_cmd_req.commit_id
    t.copy(this.sqes, ((tail & this.sq.mask) >>> 0) * SQE_SIZE);
    Atomics.store(this.ring32, this.sq.tail >> 2, (tail + 1) | 0);
    this.toSubmit++;
  }

  private commit(e: Entry, parts: readonly Buffer[]): number {
    this.pending.delete(u64(parts[0]!, 8));
    let first = parts[0]!;
    first.copy(e.hdr, 0, 0, OUT_HEADER);
    let off = 0;
    if (first.length > OUT_HEADER) off += first.copy(e.payload, 0, OUT_HEADER);
    for (let i = 1; i < parts.length; i++) {
      first = parts[i]!;
      if (off + first.length > e.payload.length) return 22; // EINVAL: larger than the payload buffer
      off += first.copy(e.payload, off);
    }
    e.hdr.writeUInt32LE(off, HDR_ENT + 16); // ring_ent_in_out.payload_sz
    this.queueSqe(e, FUSE_IO_URING_CMD_COMMIT_AND_FETCH);
    return 0;
  }

  /** Takes every completion there is; false once the ring is gone. */
  private reap(): boolean {
    const r32 = this.ring32;
    let head = Atomics.load(r32, this.cq.head >> 2);
    const tail = Atomics.load(r32, this.cq.tail >> 2);
    while (head !== tail) {
      const c = this.cq.cqes + ((head & this.cq.mask) >>> 0) * CQE_SIZE;
      const index = this.ring.readUInt32LE(c);
      const res = this.ring.readInt32LE(c + 8);
      head = (head + 1) | 0;
      Atomics.store(r32, this.cq.head >> 2, head);
      const e = this.entries[index]!;
      if (res < 0) {
        if (res === -EAGAIN || res === -EINTR) {
          this.queueSqe(e, e.commitId.readUInt32LE(0) === 0 && e.commitId.readUInt32LE(4) === 0 ? FUSE_IO_URING_CMD_REGISTER : FUSE_IO_URING_CMD_COMMIT_AND_FETCH);
          continue;
        }
        this.finish(res === -ENOTCONN ? { kind: 'unmounted' } : { kind: 'error', error: new Error(`ring entry ${index}: errno ${-res}`) });
        return false;
      }
      this.deliver(e);
    }
    return true;
  }

  private deliver(e: Entry): void {
    const h = e.hdr;
    h.copy(e.commitId, 0, HDR_ENT + 8, HDR_ENT + 16);
    const payloadSz = h.readUInt32LE(HDR_ENT + 16);
    const len = h.readUInt32LE(0);
    const argSize = len - IN_HEADER - payloadSz;
    const req = e.req;
    h.copy(req, 0, 0, IN_HEADER);
    if (argSize > 0) h.copy(req, IN_HEADER, HDR_OP_IN, HDR_OP_IN + argSize);
    if (payloadSz > 0) e.payload.copy(req, IN_HEADER + argSize, 0, payloadSz);
    this.pending.set(u64(h, 8), e);
    this.sink!(req, len);
  }

  private blockLoop(): void {
    while (!this.closed) {
      const r = this.enter(this.toSubmit, 1, IORING_ENTER_GETEVENTS);
      if (r < 0) {
        const e = errno();
        if (e === EINTR || e === EAGAIN) continue;
        return this.finish({ kind: 'error', error: new Error(`io_uring_enter: errno ${e}`) });
      }
      this.toSubmit -= r;
      if (!this.reap()) return;
    }
  }

  private spinLoop(): void {
    const flagsAt = this.sq.flags >> 2;
    while (!this.closed) {
      const taskrun = (Atomics.load(this.ring32, flagsAt) & IORING_SQ_TASKRUN) !== 0;
      if (this.toSubmit > 0 || taskrun) {
        const r = this.enter(this.toSubmit, 0, taskrun ? IORING_ENTER_GETEVENTS : 0);
        if (r > 0) this.toSubmit -= r;
      }
      if (!this.reap()) return;
    }
  }
}
