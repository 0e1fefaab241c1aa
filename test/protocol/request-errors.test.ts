/**
 * Malformed requests: each comes back as a ProtocolError (never thrown) with
 * the right code and errno, and with the unique and opcode to answer to
 * whenever the header was there to read.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRequest, Errno, ExtType, Opcode, ProtocolError, type ProtocolErrorCode } from '../../src/protocol';
import { Bytes, CTX_EXT, kernelRequest } from './fixtures';
import { encodedSamples } from './samples';

function expectError(msg: Buffer, code: ProtocolErrorCode, length = msg.length): ProtocolError {
  const r = decodeRequest(msg, length, CTX_EXT);
  assert.ok(r instanceof ProtocolError, `expected ${code}, decoded ${JSON.stringify(r, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
  assert.equal(r.code, code, r.message);
  return r;
}

/** The message with fuse_in_header.len set to its length. */
function fixLen(b: Buffer): Buffer {
  b.writeUInt32LE(b.length, 0);
  return b;
}

describe('malformed headers', () => {
  test('fewer than 16 bytes: SHORT_HEADER, no unique to answer', () => {
    for (const n of [0, 1, 8, 15]) {
      const e = expectError(Buffer.alloc(n, 0xff), 'SHORT_HEADER');
      assert.equal(e.unique, undefined);
    }
  });

  test('16 to 39 bytes: SHORT_HEADER with the unique', () => {
    const full = kernelRequest(Opcode.GETATTR, 0x1234_5678_9an, 1, Buffer.alloc(16));
    for (const n of [16, 20, 39]) {
      const e = expectError(full.subarray(0, n), 'SHORT_HEADER');
      assert.equal(e.unique, 0x1234_5678_9a);
      assert.equal(e.errno, Errno.EINVAL);
    }
  });

  test('len disagreeing with the bytes read: LENGTH_MISMATCH', () => {
    const m = kernelRequest(Opcode.GETATTR, 6, 1, Buffer.alloc(16));
    expectError(Buffer.concat([m, Buffer.alloc(8)]), 'LENGTH_MISMATCH');
    m.writeUInt32LE(55, 0);
    const e = expectError(m, 'LENGTH_MISMATCH');
    assert.deepEqual([e.unique, e.opcode], [6, Opcode.GETATTR]);
  });

  for (const opcode of [0, 7, 19, 54, 4095, 4097, Opcode.CUSE_INIT_BSWAP_RESERVED, Opcode.INIT_BSWAP_RESERVED, 0xffffffff]) {
    test(`opcode ${opcode}: UNKNOWN_OPCODE, answered ENOSYS`, () => {
      const e = expectError(kernelRequest(opcode, 8, 1, Buffer.alloc(8)), 'UNKNOWN_OPCODE');
      assert.deepEqual([e.errno, e.unique, e.opcode], [Errno.ENOSYS, 8, opcode]);
    });
  }
});

describe('malformed bodies', () => {
  const name = (s: string): Buffer => new Bytes().cstr(s).build();
  const cases: { name: string; msg: Buffer; code: ProtocolErrorCode }[] = [
    { name: 'LOOKUP name without its NUL', msg: kernelRequest(Opcode.LOOKUP, 2, 1, Buffer.from('abc')), code: 'UNTERMINATED_STRING' },
    { name: 'LOOKUP with an empty body', msg: kernelRequest(Opcode.LOOKUP, 2, 1, Buffer.alloc(0)), code: 'UNTERMINATED_STRING' },
    { name: 'SYMLINK target without its NUL', msg: kernelRequest(Opcode.SYMLINK, 2, 1, Buffer.concat([name('a'), Buffer.from('b')])), code: 'UNTERMINATED_STRING' },
    { name: 'RENAME with one name', msg: kernelRequest(Opcode.RENAME, 2, 1, Buffer.concat([new Bytes().u64(1).build(), name('a')])), code: 'UNTERMINATED_STRING' },
    { name: 'GETATTR one byte short', msg: kernelRequest(Opcode.GETATTR, 2, 1, Buffer.alloc(15)), code: 'TRUNCATED' },
    { name: 'WRITE whose size exceeds the data', msg: kernelRequest(Opcode.WRITE, 2, 1, new Bytes().u64(0).u64(0).u32(5).u32(0).u64(0).u32(0).u32(0).raw(Buffer.from('abcd')).build()), code: 'BAD_VALUE' },
    { name: 'WRITE with data beyond its size', msg: kernelRequest(Opcode.WRITE, 2, 1, new Bytes().u64(0).u64(0).u32(3).u32(0).u64(0).u32(0).u32(0).raw(Buffer.from('abcd')).build()), code: 'BAD_VALUE' },
    { name: 'SETXATTR value shorter than size', msg: kernelRequest(Opcode.SETXATTR, 2, 1, new Bytes().u32(9).u32(0).u32(0).u32(0).cstr('user.a').raw(Buffer.from('v')).build()), code: 'BAD_VALUE' },
    { name: 'IOCTL input shorter than in_size', msg: kernelRequest(Opcode.IOCTL, 2, 1, new Bytes().u64(0).u32(0).u32(1).u64(0).u32(4).u32(0).raw(Buffer.from('ab')).build()), code: 'BAD_VALUE' },
    { name: 'NOTIFY_REPLY data longer than size', msg: kernelRequest(Opcode.NOTIFY_REPLY, 2, 1, new Bytes().u64(0).u64(0).u32(1).u32(0).u64(0).u64(0).raw(Buffer.from('ab')).build()), code: 'BAD_VALUE' },
    { name: 'BATCH_FORGET counting more records than sent', msg: kernelRequest(Opcode.BATCH_FORGET, 0, 0, new Bytes().u32(3).u32(0).u64(1).u64(1).u64(2).u64(1).build()), code: 'TRUNCATED' },
    { name: 'BATCH_FORGET with a count of 2^32-1', msg: kernelRequest(Opcode.BATCH_FORGET, 0, 0, new Bytes().u32(0xffffffff).u32(0).build()), code: 'TRUNCATED' },
    { name: 'REMOVEMAPPING counting more than sent', msg: kernelRequest(Opcode.REMOVEMAPPING, 2, 1, new Bytes().u32(1).raw(Buffer.alloc(15)).build()), code: 'TRUNCATED' },
    { name: 'INIT with only the major', msg: kernelRequest(Opcode.INIT, 2, 0, new Bytes().u32(7).build()), code: 'TRUNCATED' },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const e = expectError(c.msg, c.code);
      assert.equal(e.unique, c.msg.readUInt32LE(8));
      assert.equal(e.opcode, c.msg.readUInt32LE(4));
      assert.equal(e.errno, Errno.EINVAL);
    });
  }

  test('no sample request can lose a byte unnoticed (INIT aside: older kernels send a prefix)', () => {
    let checked = 0;
    for (const s of encodedSamples()) {
      if (s.hasExt) continue; // a cut shifts the extension area into the body: covered by the fuzz tests
      // every cut near either end of the body (the middle of a 128 KiB payload adds nothing)
      const cuts = new Set<number>();
      for (let i = 0; i < 600; i++) cuts.add(40 + i).add(s.bytes.length - 1 - i);
      for (const cut of [...cuts].filter((c) => c >= 40 && c < s.bytes.length)) {
        const msg = fixLen(Buffer.from(s.bytes.subarray(0, cut)));
        const r = decodeRequest(msg, cut, s.ctx);
        if (s.op === 'INIT' && cut >= 48) {
          assert.ok(!(r instanceof ProtocolError), `INIT cut to ${cut}`);
          continue;
        }
        assert.ok(r instanceof ProtocolError, `${s.op} ${s.note} cut to ${cut} of ${s.bytes.length} bytes decoded without error`);
        assert.equal(r.unique, s.bytes.readUInt32LE(8));
        checked++;
      }
    }
    assert.ok(checked > 1000);
  });
});

describe('malformed extensions', () => {
  const body = new Bytes().u32(0o40755).u32(0).cstr('d').build(); // MKDIR
  const mk = (ext: Buffer, extlen = ext.length / 8): Buffer => kernelRequest(Opcode.MKDIR, 10, 1, Buffer.concat([body, ext]), extlen);
  const cases: { name: string; msg: Buffer; code: ProtocolErrorCode }[] = [
    { name: 'total_extlen larger than the body', msg: mk(Buffer.alloc(0), 3), code: 'BAD_EXTENSION' },
    { name: 'total_extlen 0xffff', msg: mk(Buffer.alloc(0), 0xffff), code: 'BAD_EXTENSION' },
    { name: 'an extension of size 0 (would never advance)', msg: mk(new Bytes().u32(0).u32(ExtType.GROUPS).build()), code: 'BAD_EXTENSION' },
    { name: 'an extension of size 4', msg: mk(new Bytes().u32(4).u32(ExtType.GROUPS).build()), code: 'BAD_EXTENSION' },
    { name: 'an extension size not a multiple of 8', msg: mk(new Bytes().u32(12).u32(ExtType.GROUPS).u64(0).build()), code: 'BAD_EXTENSION' },
    { name: 'an extension larger than the area', msg: mk(new Bytes().u32(24).u32(ExtType.GROUPS).u64(0).build()), code: 'BAD_EXTENSION' },
    { name: 'supplementary groups counting more than sent', msg: mk(new Bytes().u32(16).u32(ExtType.GROUPS).u32(2).u32(5).build()), code: 'BAD_EXTENSION' },
    { name: 'a security context header counting more contexts than sent', msg: mk(new Bytes().u32(8).u32(2).build()), code: 'TRUNCATED' },
    { name: 'a security context whose label overruns', msg: mk(new Bytes().u32(24).u32(1).u32(100).u32(0).cstr('s.x').align(8).build()), code: 'TRUNCATED' },
    { name: 'a security context name without its NUL', msg: mk(new Bytes().u32(24).u32(1).u32(0).u32(0).raw(Buffer.from('abcdefgh')).build()), code: 'UNTERMINATED_STRING' },
    {
      name: 'a name whose only NUL lies in the extension area',
      msg: kernelRequest(Opcode.MKDIR, 10, 1, Buffer.concat([new Bytes().u32(0).u32(0).raw(Buffer.from('dd')).build(), new Bytes().u32(16).u32(ExtType.GROUPS).u32(1).u32(0).build()]), 2),
      code: 'UNTERMINATED_STRING',
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const e = expectError(c.msg, c.code);
      assert.deepEqual([e.unique, e.opcode], [10, Opcode.MKDIR]);
    });
  }
});

describe('a WRITE whose data was left outside the buffer (spliced into a pipe)', () => {
  const ctx = (outside: number) => ({ minor: 45, setxattrExt: false, payloadOutside: outside });
  // The header says 80 + 4096 bytes; only the 80 bytes of headers are in the buffer.
  const head = kernelRequest(Opcode.WRITE, 2, 1, new Bytes().u64(7).u64(8192).u32(4096).u32(0).u64(0).u32(0).u32(0).build());
  head.writeUInt32LE(80 + 4096, 0);

  test('decodes its headers, with empty data and the size the pipe holds', () => {
    const r = decodeRequest(head, 80, ctx(4096));
    assert.ok(!(r instanceof ProtocolError) && r.opcode === Opcode.WRITE);
    assert.deepEqual([r.arg.fh, r.arg.offset, r.arg.size, r.data.length], [7, 8192, 4096, 0]);
  });

  test('a size that disagrees with what is outside is refused', () => {
    assert.equal((decodeRequest(head, 80, ctx(4095)) as ProtocolError).code, 'LENGTH_MISMATCH');
  });

  test('only a WRITE may leave bytes outside', () => {
    const getattr = kernelRequest(Opcode.GETATTR, 4, 1, new Bytes().u32(0).u32(0).u64(0).build());
    getattr.writeUInt32LE(getattr.length + 8, 0);
    assert.equal((decodeRequest(getattr, getattr.length, ctx(8)) as ProtocolError).code, 'BAD_VALUE');
  });
});
