/**
 * 64-bit values: u64 fields as numbers (exact up to 2^53-1), i64 fields with
 * negatives and the OFFSET_MAX saturation, u64big fields over the whole
 * range, narrower fields written from out-of-range numbers, and the unique
 * with its FUSE_UNIQUE_RESEND bit.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  FileLock, FlushIn, ForgetIn, InHeader, NotifyInvalInodeOut, OFFSET_MAX, readInHeader, readUnique, struct, UNIQUE_RESEND,
  UNIQUE_RESEND_FOLDED, writeInHeader, writeUnique,
} from '../../src/protocol';
import { MAX_SAFE, TWO32, U64_EDGES, U64BIG_EDGES } from './fixtures';

const I64 = struct('test_i64', [['v', 'i64']]);
const NARROW = struct('test_narrow', [['a', 'u8'], ['b', 'u8'], ['c', 'u16'], ['d', 'u32'], ['e', 'i32']]);

describe('64-bit fields', () => {
  test('u64 as numbers: 0, 2^32, 2^53-1 and friends, bytes and back', () => {
    for (const v of U64_EDGES) {
      const b = ForgetIn.encode({ nlookup: v });
      assert.equal(b.readBigUInt64LE(0), BigInt(v), `${v} written exactly`);
      assert.equal(ForgetIn.read(b, 0).nlookup, v);
    }
  });

  test('u64 read: every value up to 2^53-1 is exact', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: BigInt(MAX_SAFE) }), (v) => {
        const b = Buffer.alloc(8);
        b.writeBigUInt64LE(v);
        assert.equal(ForgetIn.read(b, 0).nlookup, Number(v));
        assert.ok(ForgetIn.encode({ nlookup: Number(v) }).equals(b));
      }),
      { numRuns: 2000 },
    );
  });

  test('i64: negatives in two\'s complement', () => {
    for (const v of [0, -1, 1, -(2 ** 32), -(2 ** 32) - 1, -MAX_SAFE, MAX_SAFE, -(2 ** 63)]) {
      const b = I64.encode({ v });
      assert.equal(b.readBigInt64LE(0), BigInt(v), `${v}`);
      assert.equal(I64.read(b, 0).v, v);
    }
    fc.assert(
      fc.property(fc.bigInt({ min: -BigInt(MAX_SAFE), max: BigInt(MAX_SAFE) }), (v) => {
        const b = I64.encode({ v: Number(v) });
        assert.equal(b.readBigInt64LE(0), v);
        assert.equal(I64.read(b, 0).v, Number(v));
      }),
      { numRuns: 2000 },
    );
  });

  test('i64: OFFSET_MAX (the double 2^63) is written as 2^63-1 and read back as OFFSET_MAX', () => {
    const b = I64.encode({ v: OFFSET_MAX });
    assert.equal(b.readBigInt64LE(0), (1n << 63n) - 1n);
    assert.equal(I64.read(b, 0).v, OFFSET_MAX);
    const lock = FileLock.encode({ start: 0, end: OFFSET_MAX, type: 1, pid: 2 });
    assert.equal(lock.readBigUInt64LE(8), (1n << 63n) - 1n, 'fuse_file_lock.end as the kernel sends it');
  });

  test('inval_inode off = -1 (attributes only) and len = -1', () => {
    const b = NotifyInvalInodeOut.encode({ ino: MAX_SAFE, off: -1, len: -1 });
    assert.equal(b.readBigUInt64LE(8), (1n << 64n) - 1n);
    assert.deepEqual(NotifyInvalInodeOut.read(b, 0), { ino: MAX_SAFE, off: -1, len: -1 });
  });

  test('u64big: the whole 64-bit range, exactly', () => {
    for (const v of U64BIG_EDGES) {
      const b = FlushIn.encode({ fh: 1, lock_owner: v });
      assert.equal(b.readBigUInt64LE(16), v);
      assert.equal(FlushIn.read(b, 0).lock_owner, v);
    }
    assert.equal(FlushIn.read(FlushIn.encode({ fh: 0, lock_owner: -1n }), 0).lock_owner, (1n << 64n) - 1n, 'a negative bigint wraps');
  });

  test('narrow fields keep their low bits', () => {
    const b = NARROW.encode({ a: 0x1ff, b: -1, c: 0x12345, d: -1, e: 0xffffffff });
    assert.deepEqual(NARROW.read(b, 0), { a: 0xff, b: 0xff, c: 0x2345, d: 0xffffffff, e: -1 });
  });
});

describe('unique and FUSE_UNIQUE_RESEND', () => {
  const cases: [raw: bigint, unique: number][] = [
    [0n, 0],
    [2n, 2],
    [BigInt(TWO32), TWO32],
    [(1n << 52n) - 2n, 2 ** 52 - 2],
    [UNIQUE_RESEND, UNIQUE_RESEND_FOLDED],
    [UNIQUE_RESEND | 2n, UNIQUE_RESEND_FOLDED + 2],
    [UNIQUE_RESEND | ((1n << 52n) - 2n), UNIQUE_RESEND_FOLDED + 2 ** 52 - 2],
  ];
  for (const [raw, unique] of cases) {
    test(`0x${raw.toString(16)} ↔ ${unique}`, () => {
      const b = Buffer.alloc(16);
      b.writeBigUInt64LE(raw, 8);
      assert.equal(readUnique(b, 8), unique);
      const c = Buffer.alloc(16);
      writeUnique(c, 8, unique);
      assert.equal(c.readBigUInt64LE(8), raw);
    });
  }

  test('a header with every field at its edge', () => {
    const h: InHeader = { len: 0xffffffff, opcode: 4096, unique: UNIQUE_RESEND_FOLDED + 8, nodeid: MAX_SAFE, uid: 0xffffffff, gid: 0, pid: 0x7fffffff, total_extlen: 0xffff };
    const b = Buffer.alloc(40, 0xee);
    writeInHeader(b, 0, h);
    assert.equal(b.readBigUInt64LE(8), UNIQUE_RESEND | 8n);
    assert.equal(b.readUInt16LE(38), 0, 'padding zeroed');
    assert.deepEqual(readInHeader(b), h);
  });
});
