/**
 * Replies: every encoder of replies.ts, decoded with decodeReply (the
 * kernel's side, with its checks) under the matching reply kind; the
 * FUSE_COMPAT_* sizes; the unique echoed bit for bit; no byte left to
 * whatever memory the encoder was given; and the kernel's rejections.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as protocol from '../../src/protocol';
import {
  decodeReply, encodeCuseInfo, encodeName, Errno, InitFlags, IoctlFlags, negotiateInit, OFFSET_MAX, OPS, OUT_HEADER_SIZE,
  ProtocolError, replyAttr, replyBmap, replyCopy, replyCreate, replyCuseInit, replyData, replyEmpty, replyEntry,
  replyError, replyInit, replyIoctl, replyIoctlRetry, replyLk, replyLseek, replyOpen, replyPoll, replyReadlink,
  replyStatfs, replyStatx, replyWrite, replyXattrSize, UNIQUE_RESEND_FOLDED, DirentBuffer,
  type DecodedReply, type ReplyBody, type ReplyExpectation, type ReplyKind,
} from '../../src/protocol';
import { attr, attrOut, bytesName, entryOut, joined, kstatfs, MAX_SAFE, openOut, sameOnDirtyMemory, statxOut, TWO32 } from './fixtures';

const U = 1234;
const data128k = Buffer.alloc(131072, 0x5a);
const init = negotiateInit(
  { major: 7, minor: 45, max_readahead: 131072, flags: 0xffffffff, flags2: 0xffffffff },
  { want: InitFlags.ASYNC_READ | InitFlags.MAX_PAGES | InitFlags.PASSTHROUGH | InitFlags.INIT_EXT, maxWrite: 1 << 20, maxReadahead: 1 << 20, maxBackground: 64, congestionThreshold: 48, timeGran: 1 },
);
if (init.kind !== 'ok') throw new Error('negotiateInit');
const cuseInfo = encodeCuseInfo({ devname: 'devfuse-test', info: { MODALIAS: 'x' } });
const cuseOut = { major: 7, minor: 45, flags: 1, max_read: 4096, max_write: 131072, dev_major: 0, dev_minor: 0 };
const dirents = new DirentBuffer(4096);
dirents.add({ ino: 5, off: 1, type: 8, name: 'a' });
dirents.add({ ino: MAX_SAFE, off: 2, type: 4, name: bytesName(0xff) });

interface Case {
  /** The encoder exercised (a function exported by replies.ts). */
  encoder: string;
  note?: string;
  make: () => Buffer | Buffer[];
  kind: ReplyKind;
  x?: ReplyExpectation;
  /** Body bytes after the out header. */
  bodySize: number;
  expect: Omit<DecodedReply, 'unique'>;
}

const ok = (body: ReplyBody): Omit<DecodedReply, 'unique'> => ({ error: 0, body });

const CASES: Case[] = [
  { encoder: 'replyError', make: () => replyError(U, Errno.ENOENT), kind: 'entry', bodySize: 0, expect: { error: -Errno.ENOENT } },
  { encoder: 'replyError', note: 'EAGAIN to an INTERRUPT', make: () => replyError(U, Errno.EAGAIN), kind: 'interrupt', bodySize: 0, expect: { error: -Errno.EAGAIN } },
  { encoder: 'replyError', note: 'largest errno the kernel takes (511)', make: () => replyError(U, 511), kind: 'empty', bodySize: 0, expect: { error: -511 } },
  { encoder: 'replyEmpty', make: () => replyEmpty(U), kind: 'empty', bodySize: 0, expect: ok({ kind: 'empty' }) },
  { encoder: 'replyEntry', make: () => replyEntry(U, entryOut()), kind: 'entry', bodySize: 128, expect: ok({ kind: 'entry', entry: entryOut() }) },
  {
    encoder: 'replyEntry', note: 'minor 8: FUSE_COMPAT_ENTRY_OUT_SIZE', make: () => replyEntry(U, entryOut(), 8), kind: 'entry', x: { minor: 8 }, bodySize: 120,
    expect: ok({ kind: 'entry', entry: { ...entryOut(), attr: { ...attr(), blksize: 0, flags: 0 } } }),
  },
  { encoder: 'replyAttr', make: () => replyAttr(U, attrOut()), kind: 'attr', bodySize: 104, expect: ok({ kind: 'attr', attr: attrOut() }) },
  {
    encoder: 'replyAttr', note: 'minor 8: FUSE_COMPAT_ATTR_OUT_SIZE', make: () => replyAttr(U, attrOut(), 8), kind: 'attr', x: { minor: 8 }, bodySize: 96,
    expect: ok({ kind: 'attr', attr: { ...attrOut(), attr: { ...attr(), blksize: 0, flags: 0 } } }),
  },
  { encoder: 'replyOpen', make: () => replyOpen(U, openOut()), kind: 'open', bodySize: 16, expect: ok({ kind: 'open', open: openOut() }) },
  { encoder: 'replyCreate', make: () => replyCreate(U, entryOut(), openOut()), kind: 'create', bodySize: 144, expect: ok({ kind: 'create', entry: entryOut(), open: openOut() }) },
  { encoder: 'replyData', make: () => replyData(U, data128k), kind: 'data', x: { minor: 45, size: 131072 }, bodySize: 131072, expect: ok({ kind: 'data', data: data128k }) },
  {
    encoder: 'replyData', note: 'several parts, short read', make: () => replyData(U, [Buffer.from('ab'), Buffer.alloc(0), Buffer.from('c')]), kind: 'data', x: { minor: 45, size: 4096 }, bodySize: 3,
    expect: ok({ kind: 'data', data: Buffer.from('abc') }),
  },
  { encoder: 'replyData', note: 'end of file', make: () => replyData(U, []), kind: 'data', x: { minor: 45, size: 4096 }, bodySize: 0, expect: ok({ kind: 'data', data: Buffer.alloc(0) }) },
  {
    encoder: 'replyData', note: 'READDIR records', make: () => replyData(U, dirents.finish()), kind: 'dirents', x: { minor: 45, size: 4096 }, bodySize: 64,
    expect: ok({ kind: 'dirents', raw: dirents.finish(), entries: [{ ino: 5, off: 1, type: 8, name: 'a' }, { ino: MAX_SAFE, off: 2, type: 4, name: bytesName(0xff) }] }),
  },
  {
    encoder: 'replyReadlink', note: 'odd bytes in the target', make: () => replyReadlink(U, '../' + bytesName(0xfe) + '😀'), kind: 'data', x: { minor: 45, size: 4095 }, bodySize: 3 + 1 + 4,
    expect: ok({ kind: 'data', data: Buffer.from([0x2e, 0x2e, 0x2f, 0xfe, 0xf0, 0x9f, 0x98, 0x80]) }),
  },
  { encoder: 'replyWrite', make: () => replyWrite(U, 0xffffffff), kind: 'write', bodySize: 8, expect: ok({ kind: 'write', size: 0xffffffff }) },
  { encoder: 'replyStatfs', make: () => replyStatfs(U, kstatfs()), kind: 'statfs', bodySize: 80, expect: ok({ kind: 'statfs', statfs: { st: kstatfs() } }) },
  {
    encoder: 'replyStatfs', note: 'minor 3: FUSE_COMPAT_STATFS_SIZE', make: () => replyStatfs(U, kstatfs(), 3), kind: 'statfs', x: { minor: 3 }, bodySize: 48,
    expect: ok({ kind: 'statfs', statfs: { st: { ...kstatfs(), frsize: 0 } } }),
  },
  { encoder: 'replyXattrSize', make: () => replyXattrSize(U, 70000), kind: 'xattr', x: { minor: 45, size: 0 }, bodySize: 8, expect: ok({ kind: 'xattr_size', size: 70000 }) },
  {
    encoder: 'replyData', note: 'xattr value', make: () => replyData(U, Buffer.from('value\0')), kind: 'xattr', x: { minor: 45, size: 6 }, bodySize: 6,
    expect: ok({ kind: 'data', data: Buffer.from('value\0') }),
  },
  {
    encoder: 'replyLk', note: 'lock to OFFSET_MAX', make: () => replyLk(U, { start: TWO32, end: OFFSET_MAX, type: 1, pid: 99 }), kind: 'lk', bodySize: 24,
    expect: ok({ kind: 'lk', lk: { lk: { start: TWO32, end: OFFSET_MAX, type: 1, pid: 99 } } }),
  },
  { encoder: 'replyInit', make: () => replyInit(U, init.out, 45), kind: 'init', x: { minor: 45 }, bodySize: 64, expect: ok({ kind: 'init', init: init.out }) },
  {
    encoder: 'replyInit', note: 'to a 7.22 kernel: FUSE_COMPAT_22_INIT_OUT_SIZE', make: () => replyInit(U, init.out, 22), kind: 'init', x: { minor: 22 }, bodySize: 24,
    expect: ok({ kind: 'init', init: { ...init.out, time_gran: 0, max_pages: 0, map_alignment: 0, flags2: 0, max_stack_depth: 0, request_timeout: 0 } }),
  },
  { encoder: 'replyBmap', make: () => replyBmap(U, MAX_SAFE), kind: 'bmap', bodySize: 8, expect: ok({ kind: 'bmap', block: MAX_SAFE }) },
  {
    encoder: 'replyIoctl', make: () => replyIoctl(U, -5, Buffer.from('out')), kind: 'ioctl', x: { minor: 45, size: 64 }, bodySize: 19,
    expect: ok({ kind: 'ioctl', out: { result: -5, flags: 0, in_iovs: 0, out_iovs: 0 }, data: Buffer.from('out') }),
  },
  {
    encoder: 'replyIoctl', note: 'no output', make: () => replyIoctl(U, 0), kind: 'ioctl', x: { minor: 45, size: 0 }, bodySize: 16,
    expect: ok({ kind: 'ioctl', out: { result: 0, flags: 0, in_iovs: 0, out_iovs: 0 }, data: Buffer.alloc(0) }),
  },
  {
    encoder: 'replyIoctlRetry',
    make: () => replyIoctlRetry(U, [{ base: 0x7ffd_0000_1000n, len: 16 }], [{ base: (1n << 64n) - 4096n, len: 4096 }, { base: 0n, len: 0 }]),
    kind: 'ioctl', bodySize: 16 + 3 * 16,
    expect: ok({
      kind: 'ioctl', out: { result: 0, flags: IoctlFlags.RETRY, in_iovs: 1, out_iovs: 2 }, data: Buffer.alloc(0),
      iovs: { in: [{ base: 0x7ffd_0000_1000n, len: 16 }], out: [{ base: (1n << 64n) - 4096n, len: 4096 }, { base: 0n, len: 0 }] },
    }),
  },
  { encoder: 'replyPoll', make: () => replyPoll(U, 0x41), kind: 'poll', bodySize: 8, expect: ok({ kind: 'poll', revents: 0x41 }) },
  { encoder: 'replyLseek', make: () => replyLseek(U, MAX_SAFE), kind: 'lseek', bodySize: 8, expect: ok({ kind: 'lseek', offset: MAX_SAFE }) },
  { encoder: 'replyStatx', make: () => replyStatx(U, statxOut()), kind: 'statx', bodySize: 288, expect: ok({ kind: 'statx', statx: statxOut() }) },
  { encoder: 'replyCopy', make: () => replyCopy(U, 2 ** 40), kind: 'copy', bodySize: 8, expect: ok({ kind: 'copy', bytes: 2 ** 40 }) },
  { encoder: 'replyWrite', note: 'COPY_FILE_RANGE', make: () => replyWrite(U, 65536), kind: 'write', bodySize: 8, expect: ok({ kind: 'write', size: 65536 }) },
  {
    encoder: 'replyCuseInit', make: () => replyCuseInit(U, cuseOut, cuseInfo), kind: 'cuse_init', bodySize: 72 + cuseInfo.length,
    expect: ok({ kind: 'cuse_init', init: cuseOut, info: cuseInfo }),
  },
];

describe('reply encoders → decodeReply', () => {
  test('the table covers every reply encoder replies.ts exports', () => {
    const encoders = Object.keys(protocol).filter((k) => /^reply[A-Z]/.test(k)).sort();
    assert.deepEqual([...new Set(CASES.map((c) => c.encoder))].sort(), encoders);
  });

  for (const c of CASES) {
    test(`${c.encoder}${c.note ? `: ${c.note}` : ''}`, () => {
      const { dirty, clean } = sameOnDirtyMemory(c.make);
      assert.ok(dirty.equals(clean), 'no byte depends on the memory the encoder was given (padding zeroed)');
      assert.equal(clean.length, OUT_HEADER_SIZE + c.bodySize, 'reply length');
      assert.equal(clean.readUInt32LE(0), clean.length, 'fuse_out_header.len');
      const r = decodeReply(c.kind, clean, c.x ?? { minor: 45 });
      if (r instanceof ProtocolError) assert.fail(`${r.code}: ${r.message}`);
      assert.deepEqual(r, { unique: U, ...c.expect });
    });
  }

  test('every opcode\'s reply kind decodes a reply made by an encoder of that kind', () => {
    const byKind = new Map<ReplyKind, Case>(CASES.filter((c) => c.expect.error === 0).map((c) => [c.kind, c]));
    for (const op of OPS.values()) {
      if (op.reply === 'none' || op.reply === 'interrupt') {
        const r = decodeReply(op.reply, replyEmpty(U), { minor: 45 });
        assert.ok(r instanceof ProtocolError, `${op.name} takes no successful reply`);
        continue;
      }
      const c = byKind.get(op.reply === 'direntsplus' ? 'dirents' : op.reply);
      assert.ok(c, `no sample for reply kind ${op.reply} of ${op.name}`);
      if (op.reply === 'direntsplus') continue; // READDIRPLUS records: dirent.test.ts
      const r = decodeReply(op.reply, joined(c.make()), c.x ?? { minor: 45 });
      assert.ok(!(r instanceof ProtocolError), `${op.name}: ${r instanceof ProtocolError ? r.message : ''}`);
    }
  });

  test('the unique is echoed bit for bit, FUSE_UNIQUE_RESEND included', () => {
    for (const unique of [0, 2, TWO32 - 2, TWO32, 2 ** 52 - 2, UNIQUE_RESEND_FOLDED, UNIQUE_RESEND_FOLDED + 2, UNIQUE_RESEND_FOLDED + 2 ** 40]) {
      const b = replyEmpty(unique);
      const raw = b.readBigUInt64LE(8);
      const expected = unique >= UNIQUE_RESEND_FOLDED ? (1n << 63n) | BigInt(unique - UNIQUE_RESEND_FOLDED) : BigInt(unique);
      assert.equal(raw, expected, `unique ${unique}`);
      const r = decodeReply('empty', b, { minor: 45 });
      assert.ok(!(r instanceof ProtocolError));
      assert.equal(r.unique, unique);
    }
  });

  test('lock offsets: OFFSET_MAX goes out as 0x7fff_ffff_ffff_ffff', () => {
    const b = replyLk(U, { start: OFFSET_MAX, end: OFFSET_MAX, type: 2, pid: 1 });
    assert.equal(b.readBigUInt64LE(16), (1n << 63n) - 1n);
    assert.equal(b.readBigUInt64LE(24), (1n << 63n) - 1n);
  });

  test('READ data and ioctl output travel uncopied (the caller\'s Buffer is an iovec)', () => {
    const parts = replyData(U, data128k);
    assert.equal(parts.length, 2);
    assert.equal(parts[1], data128k);
    const out = Buffer.from('x');
    assert.equal(replyIoctl(U, 0, out)[1], out);
    assert.equal(replyReadlink(U, 't').length, 2);
    assert.deepEqual(replyReadlink(U, bytesName(0x80))[1], encodeName(bytesName(0x80)));
  });
});

describe('decodeReply rejects what the kernel rejects', () => {
  const hdr = (len: number, error: number, unique = U): Buffer => {
    const b = Buffer.alloc(16);
    b.writeUInt32LE(len, 0);
    b.writeInt32LE(error, 4);
    b.writeBigUInt64LE(BigInt(unique), 8);
    return b;
  };
  const withBody = (h: Buffer, body: Buffer): Buffer => {
    const b = Buffer.concat([h, body]);
    b.writeUInt32LE(b.length, 0);
    return b;
  };
  const cases: { name: string; kind: ReplyKind; msg: Buffer; x?: ReplyExpectation; code: string }[] = [
    { name: 'shorter than fuse_out_header', kind: 'empty', msg: Buffer.alloc(15), code: 'SHORT_HEADER' },
    { name: 'len larger than the bytes written', kind: 'empty', msg: hdr(17, 0), code: 'LENGTH_MISMATCH' },
    { name: 'len smaller than the bytes written', kind: 'empty', msg: Buffer.concat([hdr(16, 0), Buffer.alloc(8)]), code: 'LENGTH_MISMATCH' },
    { name: 'a positive error', kind: 'empty', msg: hdr(16, 1), code: 'BAD_VALUE' },
    { name: 'error -512 (ERESTARTSYS)', kind: 'empty', msg: hdr(16, -512), code: 'BAD_VALUE' },
    { name: 'an error reply with a body', kind: 'entry', msg: withBody(hdr(0, -2), Buffer.alloc(8)), code: 'BAD_VALUE' },
    { name: 'a bare header where fuse_entry_out is due', kind: 'entry', msg: hdr(16, 0), code: 'BAD_VALUE' },
    { name: 'fuse_entry_out one byte short', kind: 'entry', msg: joined(replyEntry(U, entryOut())).subarray(0, 143), code: 'LENGTH_MISMATCH' },
    { name: 'fuse_entry_out one byte short, len agreeing', kind: 'entry', msg: withBody(hdr(0, 0), Buffer.alloc(127)), code: 'BAD_VALUE' },
    { name: 'fuse_entry_out with a byte more', kind: 'entry', msg: withBody(hdr(0, 0), Buffer.alloc(129)), code: 'BAD_VALUE' },
    { name: 'a full fuse_attr_out to a 7.8 kernel', kind: 'attr', msg: replyAttr(U, attrOut()), x: { minor: 8 }, code: 'BAD_VALUE' },
    { name: 'a 64-byte fuse_init_out to a 7.22 kernel', kind: 'init', msg: replyInit(U, init.out, 45), x: { minor: 22 }, code: 'BAD_VALUE' },
    { name: 'a body on an empty reply', kind: 'empty', msg: withBody(hdr(0, 0), Buffer.alloc(8)), code: 'BAD_VALUE' },
    { name: 'more data than READ asked for', kind: 'data', msg: joined(replyData(U, Buffer.alloc(4097))), x: { minor: 45, size: 4096 }, code: 'BAD_VALUE' },
    { name: 'an xattr value longer than the size asked', kind: 'xattr', msg: joined(replyData(U, Buffer.alloc(9))), x: { minor: 45, size: 8 }, code: 'BAD_VALUE' },
    { name: 'raw bytes where GETXATTR with size 0 wants fuse_getxattr_out', kind: 'xattr', msg: joined(replyData(U, Buffer.alloc(4))), x: { minor: 45, size: 0 }, code: 'BAD_VALUE' },
    { name: 'success to a FORGET', kind: 'none', msg: replyEmpty(U), code: 'BAD_VALUE' },
    { name: 'success to an INTERRUPT', kind: 'interrupt', msg: replyEmpty(U), code: 'BAD_VALUE' },
    { name: 'an ioctl reply shorter than fuse_ioctl_out', kind: 'ioctl', msg: withBody(hdr(0, 0), Buffer.alloc(15)), code: 'BAD_VALUE' },
    { name: 'ioctl output longer than out_size', kind: 'ioctl', msg: joined(replyIoctl(U, 0, Buffer.alloc(5))), x: { minor: 45, size: 4 }, code: 'BAD_VALUE' },
    {
      name: 'FUSE_IOCTL_RETRY with fewer iovecs than it counts', kind: 'ioctl',
      msg: (() => { const b = replyIoctlRetry(U, [{ base: 1n, len: 1 }], []); b.writeUInt32LE(2, 16 + 8); return b; })(), code: 'BAD_VALUE',
    },
    { name: 'malformed READDIR records', kind: 'dirents', msg: withBody(hdr(0, 0), Buffer.alloc(24)), x: { minor: 45, size: 4096 }, code: 'BAD_VALUE' },
    { name: 'READDIR records beyond the size asked', kind: 'dirents', msg: joined(replyData(U, dirents.finish())), x: { minor: 45, size: 63 }, code: 'BAD_VALUE' },
    { name: 'a cuse_init reply shorter than cuse_init_out', kind: 'cuse_init', msg: withBody(hdr(0, 0), Buffer.alloc(71)), code: 'BAD_VALUE' },
    { name: 'CUSE info strings over CUSE_INIT_INFO_MAX', kind: 'cuse_init', msg: withBody(hdr(0, 0), Buffer.alloc(72 + 4097)), code: 'BAD_VALUE' },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const r = decodeReply(c.kind, c.msg, c.x ?? { minor: 45 });
      assert.ok(r instanceof ProtocolError, 'rejected');
      assert.equal(r.code, c.code, r.message);
    });
  }
});
