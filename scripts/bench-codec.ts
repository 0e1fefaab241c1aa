/**
 * Codec micro-benchmark: nanoseconds per request for decodeRequest plus the
 * reply bytes, for the hot opcodes, and the buffer-layout package beside
 * the codec's generated accessors on the same structs.
 *
 *   npm run build:scripts && node dist/scripts/bench-codec.js [--json]
 *
 * Each figure is the median of several timed batches after warm-up
 * batches. Payloads (READ/WRITE 128 KiB) are never copied: READ's reply is
 * an iovec list [header, the caller's buffer], WRITE's data a view into the
 * request buffer (checked, not assumed).
 */
import * as BL from 'buffer-layout';
import {
  AttrOut, decodeRequest, DEFAULT_DECODE_CONTEXT, encodeRequest, GetattrIn, InHeader, Opcode, ProtocolError, readInHeader,
  replyAttr, replyData, replyEntry, replyWrite, type AttrOut as AttrOutT, type EntryOut, type Request,
} from '../src/protocol';

const BATCHES = 15;
const WARMUP = 5;
/** Aim for batches of about this many milliseconds. */
const BATCH_MS = 40;

let sink = 0;

interface Result {
  name: string;
  ns: number;
  /** min and max batch, ns per op */
  spread: [number, number];
}

function measure(name: string, op: () => number): Result {
  // Size the batch so one takes about BATCH_MS.
  let n = 1000;
  for (;;) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) sink += op();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (ms > BATCH_MS / 4 || n > 1e8) {
      n = Math.max(1000, Math.round((n * BATCH_MS) / Math.max(ms, 0.001)));
      break;
    }
    n *= 4;
  }
  const per: number[] = [];
  for (let b = 0; b < WARMUP + BATCHES; b++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) sink += op();
    const ns = Number(process.hrtime.bigint() - t0) / n;
    if (b >= WARMUP) per.push(ns);
  }
  per.sort((a, b) => a - b);
  return { name, ns: per[per.length >> 1]!, spread: [per[0]!, per[per.length - 1]!] };
}

// ---------------------------------------------------------------------------
// Messages, as the kernel sends them

const hdr = { unique: 1000, nodeid: 42, uid: 1000, gid: 1000, pid: 4242 };
const getattrMsg = encodeRequest({ opcode: Opcode.GETATTR, header: hdr, arg: { getattr_flags: 0, fh: 0 } });
const lookupMsg = encodeRequest({ opcode: Opcode.LOOKUP, header: hdr, name: 'some-file-name.txt' });
const readMsg = encodeRequest({ opcode: Opcode.READ, header: hdr, arg: { fh: 7, offset: 1 << 20, size: 131072, read_flags: 0, lock_owner: 0n, flags: 0o100002 } });
const payload = Buffer.alloc(131072, 0x61);
const writeMsg = encodeRequest({ opcode: Opcode.WRITE, header: hdr, arg: { fh: 7, offset: 1 << 20, size: 131072, write_flags: 0, lock_owner: 0n, flags: 0o100002 }, data: payload });
// The server reads into one big buffer; the message sits at its front.
const readBuffer = Buffer.alloc(1 << 20 | 4096);
writeMsg.copy(readBuffer);

const attr = {
  ino: 42, size: 123456, blocks: 248, atime: 1_700_000_000, mtime: 1_700_000_000, ctime: 1_700_000_000, atimensec: 1,
  mtimensec: 2, ctimensec: 3, mode: 0o100644, nlink: 1, uid: 1000, gid: 1000, rdev: 0, blksize: 4096, flags: 0,
};
const attrOut: AttrOutT = { attr_valid: 1, attr_valid_nsec: 0, attr };
const entryOut: EntryOut = { nodeid: 43, generation: 1, entry_valid: 1, attr_valid: 1, entry_valid_nsec: 0, attr_valid_nsec: 0, attr };
const ctx = DEFAULT_DECODE_CONTEXT;

function decoded(msg: Buffer, length = msg.length): Request {
  const r = decodeRequest(msg, length, ctx);
  if (r instanceof ProtocolError) throw r;
  return r;
}

// The WRITE payload must be a view into the request buffer, not a copy.
{
  const w = decoded(readBuffer, writeMsg.length);
  if (w.opcode !== Opcode.WRITE || w.data.buffer !== readBuffer.buffer || w.data.length !== 131072) {
    throw new Error('WRITE payload is not a view into the request buffer');
  }
}

// ---------------------------------------------------------------------------
// buffer-layout declarations of the same structs

const blInHeader = BL.struct([
  BL.u32('len'), BL.u32('opcode'), BL.nu64('unique'), BL.nu64('nodeid'), BL.u32('uid'), BL.u32('gid'), BL.u32('pid'),
  BL.u16('total_extlen'), BL.u16('padding'),
]);
const blGetattrIn = BL.struct([BL.u32('getattr_flags'), BL.u32('dummy'), BL.nu64('fh')]);
const blAttr = BL.struct([
  BL.nu64('ino'), BL.nu64('size'), BL.nu64('blocks'), BL.ns64('atime'), BL.ns64('mtime'), BL.ns64('ctime'),
  BL.u32('atimensec'), BL.u32('mtimensec'), BL.u32('ctimensec'), BL.u32('mode'), BL.u32('nlink'), BL.u32('uid'),
  BL.u32('gid'), BL.u32('rdev'), BL.u32('blksize'), BL.u32('flags'),
], 'attr');
const blAttrOut = BL.struct([BL.nu64('attr_valid'), BL.u32('attr_valid_nsec'), BL.u32('dummy'), blAttr]);
const blAttrOutValue = { ...attrOut, dummy: 0 };

// Same bytes, both ways.
{
  const a = Buffer.alloc(AttrOut.size, 0xee);
  const b = Buffer.alloc(AttrOut.size, 0xee);
  AttrOut.write(a, 0, attrOut);
  blAttrOut.encode(blAttrOutValue, b, 0);
  if (!a.equals(b) || blAttrOut.span !== AttrOut.size || blInHeader.span !== InHeader.size) throw new Error('buffer-layout declarations disagree with the codec');
  const h = blInHeader.decode(getattrMsg, 0) as Record<string, number>;
  if (h.unique !== 1000 || h.opcode !== Opcode.GETATTR) throw new Error('buffer-layout decode');
}

// ---------------------------------------------------------------------------

const rounds: Result[] = [
  measure('GETATTR: decodeRequest + replyAttr', () => {
    const r = decoded(getattrMsg);
    return replyAttr(r.header.unique, attrOut).length;
  }),
  measure('LOOKUP: decodeRequest + replyEntry', () => {
    const r = decoded(lookupMsg);
    return replyEntry(r.header.unique, entryOut).length;
  }),
  measure('READ 128 KiB: decodeRequest + replyData (header + the data buffer)', () => {
    const r = decoded(readMsg);
    return replyData(r.header.unique, payload).length;
  }),
  measure('WRITE 128 KiB: decodeRequest (payload a view) + replyWrite', () => {
    const r = decoded(readBuffer, writeMsg.length);
    if (r.opcode !== Opcode.WRITE || r.data.buffer !== readBuffer.buffer) throw new Error('copied');
    return replyWrite(r.header.unique, r.data.length).length;
  }),
];

const parts: Result[] = [
  measure('loop and call overhead (an empty op)', () => 1),
  measure('Buffer.allocUnsafe(120): a reply buffer (pool slice)', () => Buffer.allocUnsafe(120).length),
  measure('readBigUInt64LE: one u64big field, nonzero', () => (getattrMsg.readBigUInt64LE(8) === 0n ? 0 : 1)),
  measure('decodeRequest(GETATTR) alone', () => decoded(getattrMsg).header.pid),
  measure('decodeRequest(LOOKUP) alone', () => decoded(lookupMsg).header.pid),
  measure('replyAttr alone', () => replyAttr(1000, attrOut).length),
  measure('replyEntry alone', () => replyEntry(1000, entryOut).length),
];

const tmpl = Buffer.alloc(16 + AttrOut.size);
const vs: Result[] = [
  measure('codec: InHeader.read + GetattrIn.read', () => InHeader.read(getattrMsg, 0).pid + GetattrIn.read(getattrMsg, 40).getattr_flags),
  measure('codec: readInHeader (hand-written, unique folding) + GetattrIn.read', () => readInHeader(getattrMsg).pid + GetattrIn.read(getattrMsg, 40).getattr_flags),
  measure('buffer-layout: fuse_in_header + fuse_getattr_in decode', () => {
    const h = blInHeader.decode(getattrMsg, 0) as Record<string, number>;
    const g = blGetattrIn.decode(getattrMsg, 40) as Record<string, number>;
    return h.pid! + g.getattr_flags!;
  }),
  measure('codec: AttrOut.write (fuse_attr_out encode)', () => {
    AttrOut.write(tmpl, 16, attrOut);
    return tmpl[16]!;
  }),
  measure('buffer-layout: fuse_attr_out encode', () => {
    blAttrOut.encode(blAttrOutValue, tmpl, 16);
    return tmpl[16]!;
  }),
];

const fmt = (r: Result): string => `${r.ns.toFixed(1).padStart(9)} ns  [${r.spread[0].toFixed(1)}–${r.spread[1].toFixed(1)}]  ${r.name}`;

if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ node: process.version, rounds, parts, bufferLayout: vs }, null, 2));
} else {
  console.log(`devfuse codec benchmark (node ${process.version}; median of ${BATCHES} batches after ${WARMUP} warm-up, [fastest–slowest batch])`);
  console.log('\nRound trips, per request (decode + reply bytes; payloads not copied):');
  for (const r of rounds) console.log(fmt(r));
  const worst = Math.max(...rounds.map((r) => r.ns));
  console.log(`  target < 1000 ns per request: ${worst < 1000 ? 'met' : 'NOT met'} (slowest ${worst.toFixed(0)} ns)`);
  console.log('\nParts:');
  for (const r of parts) console.log(fmt(r));
  console.log('\nbuffer-layout 1.2.2 beside the generated accessors, same structs:');
  for (const r of vs) console.log(fmt(r));
  console.log(`  decode fuse_in_header + fuse_getattr_in: buffer-layout takes ${(vs[2]!.ns / vs[0]!.ns).toFixed(1)}× the codec's time`);
  console.log(`  encode fuse_attr_out:                    buffer-layout takes ${(vs[4]!.ns / vs[3]!.ns).toFixed(1)}× the codec's time`);
}
if (sink === 42) console.log('');
