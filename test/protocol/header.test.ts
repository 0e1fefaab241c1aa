/**
 * The raw header peeks (header.ts) that channel code uses before a request
 * is decoded: each must read what the decoder reads, for any header.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  decodeRequest, encodeRequest, IN_HEADER_SIZE, Opcode, peekExtlen, peekLength, peekNodeid, peekOpcode, peekPid, peekUnique,
  peekWriteOpenFlags, readInHeader, UNIQUE_RESEND_FOLDED, writeInHeader, type RequestInput,
} from '../../src/protocol';
import { MAX_SAFE } from './fixtures';

test('every peek reads the field that was written, as readInHeader does', () => {
  const u32 = fc.integer({ min: 0, max: 0xffffffff });
  fc.assert(
    fc.property(
      fc.record({
        len: u32, opcode: u32, nodeid: fc.integer({ min: 0, max: MAX_SAFE }), uid: u32, gid: u32, pid: u32,
        total_extlen: fc.integer({ min: 0, max: 0xffff }), resend: fc.boolean(), unique: fc.integer({ min: 0, max: 2 ** 52 - 1 }),
      }),
      (h) => {
        const buf = Buffer.alloc(IN_HEADER_SIZE);
        const unique = h.unique + (h.resend ? UNIQUE_RESEND_FOLDED : 0);
        writeInHeader(buf, 0, { ...h, unique, padding: 0 } as Parameters<typeof writeInHeader>[2]);
        const r = readInHeader(buf);
        const peeked = [peekLength(buf), peekOpcode(buf), peekUnique(buf), peekNodeid(buf), peekPid(buf), peekExtlen(buf)];
        assert.deepEqual(peeked, [h.len, h.opcode, unique, h.nodeid, h.pid, h.total_extlen]);
        assert.deepEqual(peeked, [r.len, r.opcode, r.unique, r.nodeid, r.pid, r.total_extlen]);
      },
    ),
    { numRuns: 500 },
  );
});

test("peekWriteOpenFlags reads a WRITE's fuse_write_in.flags", () => {
  for (const flags of [0, 0o40000, 0o2, 0xffffffff]) {
    const buf = encodeRequest({
      opcode: Opcode.WRITE, header: { unique: 8, nodeid: 3, uid: 0, gid: 0, pid: 1, padding: 0 },
      arg: { fh: 1, offset: 0, size: 4, write_flags: 0, lock_owner: 0n, flags, padding: 0 }, data: Buffer.alloc(4),
    } as unknown as RequestInput);
    const req = decodeRequest(buf);
    assert.ok(!(req instanceof Error) && req.opcode === Opcode.WRITE);
    assert.equal(peekWriteOpenFlags(buf), req.arg.flags);
  }
});
