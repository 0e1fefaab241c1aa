/**
 * Property-based tests: whatever bytes arrive, the decoders return a value
 * or a ProtocolError and never throw; they read nothing past the message
 * (the same message at the front of a larger buffer full of garbage decodes
 * exactly as an exact-size copy); and an error carries the unique to answer
 * to whenever 16 bytes were there. Inputs are random buffers and valid
 * messages mutated: bit flips, truncation, a longer `len`, random
 * total_extlen, lying counts and sizes, names robbed of their NUL.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  decodeNotification, decodeReply, decodeRequest, DirentBuffer, encodeRequest, IN_HEADER_SIZE, notifyDelete, notifyInvalEntry,
  notifyInvalInode, notifyPoll, notifyPrune, notifyResend, notifyStore, notifyRetrieve, Opcode, OPS, ProtocolError, readUnique,
  replyAttr, replyCreate, replyCuseInit, replyData, replyEmpty, replyEntry, replyError, replyInit, replyIoctl, replyIoctlRetry,
  replyLk, replyStatfs, replyStatx, replyWrite, replyXattrSize, type DecodeContext, type ReplyExpectation, type ReplyKind,
  type Request,
} from '../../src/protocol';
import { attrOut, entryOut, joined, kstatfs, openOut, statxOut } from './fixtures';
import { encodedSamples } from './samples';

const RUNS = 4000;

// ---------------------------------------------------------------------------
// Mutations

type Mutation =
  | { kind: 'flip'; bits: number[] }
  | { kind: 'truncate'; keep: number; fixLen: boolean }
  | { kind: 'extend'; extra: Uint8Array; fixLen: boolean }
  | { kind: 'len'; delta: number }
  | { kind: 'extlen'; value: number }
  | { kind: 'u32'; at: number; value: number }
  | { kind: 'count'; value: number }
  | { kind: 'unterminate'; fill: number };

const edgeU32 = fc.oneof(fc.constantFrom(0, 1, 2, 7, 8, 15, 16, 0xff, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff), fc.nat({ max: 0xffffffff }));

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), bits: fc.array(fc.nat(), { minLength: 1, maxLength: 4 }) }),
  fc.record({ kind: fc.constant('truncate' as const), keep: fc.nat(), fixLen: fc.boolean() }),
  fc.record({ kind: fc.constant('extend' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 40 }), fixLen: fc.boolean() }),
  fc.record({ kind: fc.constant('len' as const), delta: fc.integer({ min: -8, max: 8 }) }),
  fc.record({ kind: fc.constant('extlen' as const), value: fc.oneof(fc.nat({ max: 8 }), fc.nat({ max: 0xffff })) }),
  fc.record({ kind: fc.constant('u32' as const), at: fc.nat(), value: edgeU32 }),
  fc.record({ kind: fc.constant('count' as const), value: edgeU32 }),
  fc.record({ kind: fc.constant('unterminate' as const), fill: fc.integer({ min: 1, max: 255 }) }),
);

function mutate(src: Buffer, m: Mutation, headerSize: number): Buffer {
  let b = Buffer.from(src);
  switch (m.kind) {
    case 'flip':
      if (b.length > 0) for (const bit of m.bits) b[(bit >> 3) % b.length]! ^= 1 << (bit & 7);
      break;
    case 'truncate':
      b = b.subarray(0, m.keep % (b.length + 1));
      if (m.fixLen && b.length >= 4) b.writeUInt32LE(b.length, 0);
      break;
    case 'extend':
      b = Buffer.concat([b, m.extra]);
      if (m.fixLen && b.length >= 4) b.writeUInt32LE(b.length, 0);
      break;
    case 'len':
      if (b.length >= 4) b.writeUInt32LE((b.readUInt32LE(0) + m.delta) >>> 0, 0);
      break;
    case 'extlen':
      if (b.length >= 40 && headerSize === IN_HEADER_SIZE) b.writeUInt16LE(m.value, 36);
      break;
    case 'u32':
      if (b.length >= 4) b.writeUInt32LE(m.value >>> 0, (m.at % (b.length - 3)) & ~3);
      break;
    case 'count': // the first u32 of the body: a count, a size, a namelen, a mode...
      if (b.length >= headerSize + 4) b.writeUInt32LE(m.value >>> 0, headerSize);
      break;
    case 'unterminate':
      for (let i = headerSize; i < b.length; i++) if (b[i] === 0) b[i] = m.fill;
      break;
  }
  return b;
}

/** Garbage to put after a message: zeros (NULs a decoder must not find), 0xff, or random bytes. */
const garbage = fc.oneof(
  fc.nat({ max: 64 }).map((n) => Buffer.alloc(n)),
  fc.nat({ max: 64 }).map((n) => Buffer.alloc(n, 0xff)),
  fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
);

const ctxArb: fc.Arbitrary<DecodeContext> = fc.record({ minor: fc.integer({ min: 12, max: 45 }), setxattrExt: fc.boolean() });

// ---------------------------------------------------------------------------

/** Every number in `x` (walking objects and arrays, not Buffers) has a magnitude below `limit`. */
function numbersBelow(x: unknown, limit: number): boolean {
  if (typeof x === 'number') return Math.abs(x) < limit;
  if (x === null || typeof x !== 'object' || Buffer.isBuffer(x)) return true;
  return Object.values(x).every((v) => numbersBelow(v, limit));
}

function checkRequest(msg: Buffer, length: number, ctx: DecodeContext, pad: Buffer): void {
  let r: Request | ProtocolError;
  try {
    r = decodeRequest(msg, length, ctx);
  } catch (e) {
    assert.fail(`decodeRequest threw ${String(e)} on ${msg.subarray(0, length).toString('hex')}`);
  }
  if (r instanceof ProtocolError) {
    assert.ok(r.errno > 0, 'errno');
    if (length >= 16) assert.equal(r.unique, readUnique(msg, 8), 'the unique to answer to');
    else assert.equal(r.unique, undefined);
    if (length >= IN_HEADER_SIZE) assert.equal(r.opcode, msg.readUInt32LE(4));
  } else {
    assert.ok(OPS.has(r.opcode));
    assert.equal(r.header.len, length);
  }
  // Nothing past `length` is read: the message in front of garbage decodes the same.
  const exact = Buffer.from(msg.subarray(0, length));
  const big = Buffer.concat([exact, pad]);
  assert.deepEqual(decodeRequest(big, length, ctx), r);
  assert.deepEqual(decodeRequest(exact, length, ctx), r);
  // A request that decoded re-encodes to bytes that decode the same, within the codec's number contract
  // (u64 numbers and the folded unique are exact below 2^52) and INIT aside (a prefix re-encodes by its minor).
  if (!(r instanceof ProtocolError) && r.opcode !== Opcode.INIT && numbersBelow(r, 2 ** 52)) {
    const again = encodeRequest(r, ctx);
    const norm = (x: Request | ProtocolError): unknown => (x instanceof ProtocolError ? x : { ...x, header: { ...x.header, len: 0, total_extlen: 0 }, ext: x.ext && Object.keys(x.ext).length ? x.ext : null });
    assert.deepEqual(norm(decodeRequest(again, again.length, ctx)), norm(r));
  }
}

describe('decodeRequest never throws and never reads past length', () => {
  const samples = encodedSamples().filter((s) => s.bytes.length <= 4096);

  test('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), ctxArb, garbage, (a, n, ctx, pad) => {
        const b = Buffer.from(a);
        checkRequest(b, n % (b.length + 1), ctx, pad);
      }),
      { numRuns: RUNS },
    );
  });

  test('random bodies behind a valid header of a known opcode', () => {
    const opcodes = [...OPS.keys()];
    fc.assert(
      fc.property(fc.constantFrom(...opcodes), fc.uint8Array({ maxLength: 160 }), fc.nat({ max: 24 }), ctxArb, garbage, (opcode, body, extlen, ctx, pad) => {
        const b = Buffer.concat([Buffer.alloc(IN_HEADER_SIZE), body]);
        b.writeUInt32LE(b.length, 0);
        b.writeUInt32LE(opcode, 4);
        b.writeUInt32LE(0x1234, 8);
        b.writeUInt16LE(extlen % 4 === 0 ? 0 : extlen, 36);
        checkRequest(b, b.length, ctx, pad);
      }),
      { numRuns: RUNS },
    );
  });

  test('valid requests of every opcode, mutated', () => {
    fc.assert(
      fc.property(fc.constantFrom(...samples), fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.boolean(), ctxArb, garbage, (s, ms, ownCtx, ctx, pad) => {
        const b = ms.reduce((acc, m) => mutate(acc, m, IN_HEADER_SIZE), s.bytes);
        checkRequest(b, b.length, ownCtx ? s.ctx : ctx, pad);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  test('BATCH_FORGET with lying counts never allocates for the lie', () => {
    const s = samples.find((x) => x.op === 'BATCH_FORGET' && x.note === '')!;
    fc.assert(
      fc.property(edgeU32, (count) => {
        const b = Buffer.from(s.bytes);
        b.writeUInt32LE(count, IN_HEADER_SIZE);
        const r = decodeRequest(b, b.length, s.ctx);
        if (count <= 3) assert.ok(!(r instanceof ProtocolError) && r.opcode === Opcode.BATCH_FORGET && r.nodes.length === count);
        else assert.ok(r instanceof ProtocolError && r.code === 'TRUNCATED');
      }),
      { numRuns: 500 },
    );
  });
});

// ---------------------------------------------------------------------------
// Replies and notifications

const KINDS: ReplyKind[] = [...new Set([...OPS.values()].map((d) => d.reply))];
const dirents = new DirentBuffer(512);
dirents.add({ ino: 1, off: 1, type: 8, name: 'a' });
dirents.add({ ino: 2, off: 2, type: 4, name: 'bb' });
const plus = new DirentBuffer(512);
plus.addPlus(entryOut(), { ino: 1, off: 1, type: 8, name: 'a' });

const REPLIES: Buffer[] = [
  replyError(2, 2), replyEmpty(2), replyEntry(2, entryOut()), replyAttr(2, attrOut()), replyCreate(2, entryOut(), openOut()),
  joined(replyData(2, Buffer.from('data'))), replyWrite(2, 4), replyStatfs(2, kstatfs()), replyXattrSize(2, 9),
  replyLk(2, { start: 0, end: 1, type: 1, pid: 1 }), replyInit(2, { major: 7, minor: 45, max_readahead: 0, flags: 0, max_background: 0, congestion_threshold: 0, max_write: 4096, time_gran: 1, max_pages: 1, map_alignment: 0, flags2: 0, max_stack_depth: 0, request_timeout: 0 }, 45),
  joined(replyIoctl(2, 0, Buffer.from('out'))), replyIoctlRetry(2, [{ base: 1n, len: 2 }], [{ base: 3n, len: 4 }]), replyStatx(2, statxOut()),
  joined(replyData(2, dirents.finish())), joined(replyData(2, plus.finish())),
  joined(replyCuseInit(2, { major: 7, minor: 45, flags: 0, max_read: 4096, max_write: 4096, dev_major: 0, dev_minor: 0 }, Buffer.from('DEVNAME=x\0'))),
];
const NOTIFICATIONS: Buffer[] = [
  notifyPoll(1), notifyInvalInode(1, -1, 0), notifyInvalEntry(1, 'name'), notifyDelete(1, 2, 'n'), notifyStore(1, 0, Buffer.from('abc')),
  notifyRetrieve(1, 2, 3, 4), notifyResend(), notifyPrune([1, 2]),
].map(joined);

const expectation: fc.Arbitrary<ReplyExpectation> = fc.record(
  { minor: fc.integer({ min: 0, max: 45 }), size: fc.oneof(fc.constant(0), fc.nat({ max: 300 }), fc.constant(4096)) },
  { requiredKeys: ['minor'] },
);

function checkDecoder<T>(decode: (b: Buffer) => T, msg: Buffer, pad: Buffer): void {
  let r: T;
  try {
    r = decode(msg);
  } catch (e) {
    assert.fail(`threw ${String(e)} on ${msg.toString('hex')}`);
  }
  if (r instanceof ProtocolError) assert.ok(r.errno > 0);
  const big = Buffer.concat([msg, pad]);
  assert.deepEqual(decode(big.subarray(0, msg.length)), r, 'the same bytes inside a larger buffer decode the same');
}

describe('decodeReply and decodeNotification never throw', () => {
  test('decodeReply: random bytes, every reply kind', () => {
    fc.assert(
      fc.property(fc.constantFrom(...KINDS), fc.uint8Array({ maxLength: 400 }), fc.boolean(), expectation, garbage, (kind, a, fixLen, x, pad) => {
        const b = Buffer.from(a);
        if (fixLen && b.length >= 16) {
          b.writeUInt32LE(b.length, 0);
          b.writeInt32LE(0, 4);
        }
        checkDecoder((m) => decodeReply(kind, m, x), b, pad);
      }),
      { numRuns: RUNS },
    );
  });

  test('decodeReply: valid replies, mutated, under every reply kind', () => {
    fc.assert(
      fc.property(fc.constantFrom(...KINDS), fc.constantFrom(...REPLIES), fc.array(mutation, { maxLength: 3 }), expectation, garbage, (kind, reply, ms, x, pad) => {
        const b = ms.reduce((acc, m) => mutate(acc, m, 16), reply);
        checkDecoder((m) => decodeReply(kind, m, x), b, pad);
      }),
      { numRuns: RUNS },
    );
  });

  test('decodeNotification: random bytes and valid notifications mutated', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)), fc.constantFrom(...NOTIFICATIONS)),
        fc.array(mutation, { maxLength: 3 }),
        garbage,
        (src, ms, pad) => {
          const b = ms.reduce((acc, m) => mutate(acc, m, 16), src);
          checkDecoder(decodeNotification, b, pad);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
