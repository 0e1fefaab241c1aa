/**
 * Requests: for every opcode in OPS, representative bodies are encoded as the
 * kernel would send them (encodeRequest), decoded (decodeRequest), compared
 * deeply, and encoded again to the same bytes. A second table states the
 * kernel's bytes by hand, without the codec's layouts, for each body shape.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeRequest, encodeRequest, ExtType, InitFlags, OFFSET_MAX, Opcode, ops, OPS, ProtocolError, UNIQUE_RESEND_FOLDED,
  type DecodeContext, type Request, type RequestInput,
} from '../../src/protocol';
import { Bytes, CTX_COMPAT, CTX_EXT, header, kernelRequest, MAX_SAFE, TWO32, bytesName } from './fixtures';
import { SAMPLES, type OpName, type Sample } from './samples';

const lockOwner = 0xdead_beef_cafe_f00dn;

describe('request round trips: encodeRequest → decodeRequest → encodeRequest', () => {
  test('the sample table covers every opcode in OPS, and nothing else', () => {
    const names = [...OPS.values()].map((d) => d.name).sort();
    assert.deepEqual(Object.keys(SAMPLES).sort(), names);
    for (const [name, def] of Object.entries(ops)) {
      if (name !== 'OPS') assert.equal(OPS.get((def as { opcode: number }).opcode), def, `${name} is in OPS under its opcode`);
    }
  });

  let unique = 2;
  for (const [name, samples] of Object.entries(SAMPLES) as [OpName, Sample<object>[]][]) {
    const def = ops[name];
    for (const s of samples) {
      test(`${name}${s.note ? `: ${s.note}` : ''}`, () => {
        unique += 2;
        const ctx = s.ctx ?? CTX_EXT;
        const hdr = header(unique, 100 + unique);
        const input = { opcode: def.opcode, header: hdr, ext: s.ext ?? null, ...s.body } as unknown as RequestInput;
        const bytes = encodeRequest(input, ctx);
        const decoded = decodeRequest(bytes, bytes.length, ctx);
        if (decoded instanceof ProtocolError) assert.fail(`${decoded.code}: ${decoded.message}`);
        const extBytes = decoded.header.total_extlen * 8;
        assert.equal(extBytes > 0, s.ext !== undefined, 'total_extlen is set exactly when there are extensions');
        assert.deepEqual(decoded, {
          opcode: def.opcode,
          header: { ...hdr, len: bytes.length, opcode: def.opcode, total_extlen: extBytes / 8 },
          ext: s.ext ?? null,
          ...s.body,
        });
        assert.ok(bytes.equals(encodeRequest(decoded, ctx)), 're-encoding the decoded request gives the same bytes');
        // The same bytes at the front of a larger buffer decode the same.
        const big = Buffer.concat([bytes, Buffer.alloc(64, 0xa5)]);
        assert.deepEqual(decodeRequest(big, bytes.length, ctx), decoded);
      });
    }
  }
});

describe('requests as the kernel lays them out, stated byte by byte', () => {
  const lookupName = Buffer.from([0x66, 0xff, 0x80, 0xf0, 0x9f, 0x98, 0x80]); // f, two stray bytes, 😀
  const secctxExt = new Bytes()
    .u32(8 + 40).u32(1) // fuse_secctx_header: size (all of it), nr_secctx
    .u32(9).u32(0) // fuse_secctx: size of the label
    .cstr('security.selinux') // 17 bytes
    .raw(Buffer.from('label:xy\0')) // 9 bytes: 8 + 17 + 9 = 34, padded to 40
    .align(8);
  const groupsExt = new Bytes().u32(16).u32(ExtType.GROUPS).u32(1).u32(1234); // fuse_ext_header, fuse_supp_groups
  const cases: { name: string; msg: Buffer; ctx?: DecodeContext; expect: Partial<Record<string, unknown>> }[] = [
    {
      name: 'LOOKUP with a non-UTF-8 name',
      msg: kernelRequest(Opcode.LOOKUP, 12, 1, new Bytes().cstr(lookupName).build()),
      expect: { name: bytesName(...lookupName) },
    },
    {
      name: 'SYMLINK: the new name first, then the target',
      msg: kernelRequest(Opcode.SYMLINK, 14, 1, new Bytes().cstr('ln').cstr('/a/b').build()),
      expect: { name: 'ln', linkname: '/a/b' },
    },
    {
      name: 'RENAME2: fuse_rename2_in, old name, new name',
      msg: kernelRequest(Opcode.RENAME2, 16, 5, new Bytes().u64(6).u32(1).u32(0).cstr('old').cstr('new').build()),
      expect: { arg: { newdir: 6, flags: 1 }, oldname: 'old', newname: 'new' },
    },
    {
      name: 'SETXATTR with FUSE_SETXATTR_EXT: 16-byte fuse_setxattr_in',
      msg: kernelRequest(Opcode.SETXATTR, 18, 5, new Bytes().u32(2).u32(1).u32(1).u32(0).cstr('user.k').raw(Buffer.from('v\0')).build()),
      ctx: CTX_EXT,
      expect: { arg: { size: 2, flags: 1, setxattr_flags: 1 }, name: 'user.k', value: Buffer.from('v\0') },
    },
    {
      name: 'SETXATTR without it: the 8-byte compat form',
      msg: kernelRequest(Opcode.SETXATTR, 20, 5, new Bytes().u32(2).u32(1).cstr('user.k').raw(Buffer.from('v\0')).build()),
      ctx: CTX_COMPAT,
      expect: { arg: { size: 2, flags: 1, setxattr_flags: 0 }, name: 'user.k', value: Buffer.from('v\0') },
    },
    {
      name: 'WRITE: fuse_write_in then the data',
      msg: kernelRequest(Opcode.WRITE, 22, 5, new Bytes().u64(3).u64(TWO32).u32(3).u32(1).u64(0).u32(2).u32(0).raw(Buffer.from('abc')).build()),
      expect: { arg: { fh: 3, offset: TWO32, size: 3, write_flags: 1, lock_owner: 0n, flags: 2 }, data: Buffer.from('abc') },
    },
    {
      name: 'BATCH_FORGET: count then fuse_forget_one records',
      msg: kernelRequest(Opcode.BATCH_FORGET, 0, 0, new Bytes().u32(2).u32(0).u64(5).u64(1).u64(MAX_SAFE).u64(TWO32).build()),
      expect: { arg: { count: 2 }, nodes: [{ nodeid: 5, nlookup: 1 }, { nodeid: MAX_SAFE, nlookup: TWO32 }] },
    },
    {
      name: 'INIT from a kernel before 7.36: 16-byte fuse_init_in, flags2 reads as 0',
      msg: kernelRequest(Opcode.INIT, 2, 0, new Bytes().u32(7).u32(31).u32(131072).u32(0x3ffffff).build()),
      expect: { arg: { major: 7, minor: 31, max_readahead: 131072, flags: 0x3ffffff, flags2: 0 } },
    },
    {
      name: 'INIT from 7.45: 64 bytes with flags2',
      msg: kernelRequest(Opcode.INIT, 2, 0, new Bytes().u32(7).u32(45).u32(0).u32(Number(InitFlags.INIT_EXT)).u32(0x7ff).zeros(44).build()),
      expect: { arg: { major: 7, minor: 45, max_readahead: 0, flags: Number(InitFlags.INIT_EXT), flags2: 0x7ff } },
    },
    {
      name: 'GETLK with a lock to OFFSET_MAX (0x7fff_ffff_ffff_ffff)',
      msg: kernelRequest(Opcode.GETLK, 24, 5, new Bytes().u64(1).u64(lockOwner).u64(0).u64((1n << 63n) - 1n).u32(1).u32(77).u32(0).u32(0).build()),
      expect: { arg: { fh: 1, owner: lockOwner, lk: { start: 0, end: OFFSET_MAX, type: 1, pid: 77 }, lk_flags: 0 } },
    },
    {
      name: 'INTERRUPT of a resent request: arg.unique carries FUSE_UNIQUE_RESEND like the header',
      msg: kernelRequest(Opcode.INTERRUPT, (1n << 63n) | 7n, 0, new Bytes().u64((1n << 63n) | 6n).build()),
      expect: { header: { unique: UNIQUE_RESEND_FOLDED + 7 }, arg: { unique: UNIQUE_RESEND_FOLDED + 6 } },
    },
    {
      name: 'CREATE with a security context and a supplementary group, as the kernel appends them',
      msg: kernelRequest(
        Opcode.CREATE, 26, 1,
        Buffer.concat([new Bytes().u32(0o101).u32(0o100600).u32(0o22).u32(0).cstr('f').build(), secctxExt.build(), groupsExt.build()]),
        (48 + 16) / 8,
      ),
      expect: {
        arg: { flags: 0o101, mode: 0o100600, umask: 0o22, open_flags: 0 },
        name: 'f',
        ext: { secctx: [{ name: 'security.selinux', value: Buffer.from('label:xy\0') }], groups: [1234] },
      },
    },
    {
      name: 'MKDIR with an extension type this codec does not know: skipped',
      msg: kernelRequest(Opcode.MKDIR, 28, 1, Buffer.concat([new Bytes().u32(0o40755).u32(0).cstr('d').build(), new Bytes().u32(16).u32(99).u64(123).build()]), 2),
      expect: { name: 'd', ext: {} },
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const r = decodeRequest(c.msg, c.msg.length, c.ctx ?? CTX_EXT);
      if (r instanceof ProtocolError) assert.fail(`${r.code}: ${r.message}`);
      const { header: hdr, ...rest } = c.expect;
      assert.deepEqual(pick(r as unknown as Record<string, unknown>, Object.keys(rest)), rest);
      if (hdr) assert.deepEqual(pick(r.header as unknown as Record<string, unknown>, Object.keys(hdr)), hdr);
      // And the codec's encoder produces these very bytes.
      if (Object.keys(c.expect).includes('ext') && (r.ext === null || Object.keys(r.ext).length === 0)) return; // unknown extensions are not re-encoded
      assert.ok(encodeRequest(r, c.ctx ?? CTX_EXT).equals(c.msg), 'encodeRequest gives the kernel bytes');
    });
  }

  test('a WRITE payload is a view into the request buffer, not a copy', () => {
    const msg = kernelRequest(Opcode.WRITE, 30, 5, new Bytes().u64(3).u64(0).u32(4).u32(0).u64(0).u32(0).u32(0).raw(Buffer.from('data')).build());
    const r = decodeRequest(msg, msg.length) as Request;
    assert.equal(r.opcode, Opcode.WRITE);
    if (r.opcode !== Opcode.WRITE) return;
    assert.equal(r.data.buffer, msg.buffer);
    assert.equal(r.data.byteOffset, msg.byteOffset + 80);
    msg[80] = 0x44;
    assert.equal(r.data.toString(), 'Data');
  });
});

function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, o[k]]));
}

test('the Request union is derived from the opcode modules: one member per opcode in OPS, each with its own body', () => {
  // Compile-time: every Opcode (but the two byte-swap markers) has a member (the union is not listed by hand
  // anywhere), and members keep their fields.
  type Reserved = Opcode.CUSE_INIT_BSWAP_RESERVED | Opcode.INIT_BSWAP_RESERVED;
  const complete: [Exclude<Opcode, Request['opcode'] | Reserved>] extends [never] ? true : false = true;
  const writeData = (r: Extract<Request, { opcode: Opcode.WRITE }>): Buffer => r.data;
  assert.equal(complete, true);
  assert.equal(typeof writeData, 'function');
  // Run time: the table behind it has a codec for every opcode number.
  const numbers = Object.values(Opcode).filter((v): v is number => typeof v === 'number' && v !== Opcode.CUSE_INIT_BSWAP_RESERVED && v !== Opcode.INIT_BSWAP_RESERVED);
  assert.deepEqual([...OPS.keys()].sort((a, b) => a - b), numbers.sort((a, b) => a - b));
});
