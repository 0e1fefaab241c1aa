/**
 * INIT negotiation across every kernel minor devfuse serves (7.12–7.45, and
 * a future one), major mismatches, the compat sizes of fuse_init_out, and
 * CUSE_INIT with its info strings. Each negotiation runs the whole way: the
 * kernel's INIT bytes → decodeRequest → negotiateInit → replyInit →
 * decodeReply with the kernel's expectations for its minor.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CompatSize, CUSE_INIT_INFO_MAX, CuseInitFlags, decodeCuseInfo, decodeReply, decodeRequest, encodeCuseInfo, encodeRequest,
  Errno, initFlagNames, InitFlags, initOutSize, InvalidReplyError, negotiateCuseInit, negotiateInit,
  offeredFlags, Opcode, ProtocolError, replyCuseInit, replyInit, type CuseParams, type InitFlagName, type InitIn, type InitOut, type InitParams,
} from '../../src/protocol';
import { header, joined } from './fixtures';

/** The 64-bit flag set a fuse_init_out carries. */
function joinedFlags(out: InitOut): bigint {
  return BigInt(out.flags >>> 0) | (BigInt(out.flags2 >>> 0) << 32n);
}

/** The minor in which each INIT flag appeared (the header's changelog). */
const FLAG_SINCE: Record<InitFlagName, number> = {
  ASYNC_READ: 7, POSIX_LOCKS: 7, FILE_OPS: 9, ATOMIC_O_TRUNC: 9, EXPORT_SUPPORT: 10, BIG_WRITES: 9, DONT_MASK: 12,
  SPLICE_WRITE: 14, SPLICE_MOVE: 14, SPLICE_READ: 14, FLOCK_LOCKS: 17, HAS_IOCTL_DIR: 18, AUTO_INVAL_DATA: 20,
  DO_READDIRPLUS: 21, READDIRPLUS_AUTO: 21, ASYNC_DIO: 22, WRITEBACK_CACHE: 23, NO_OPEN_SUPPORT: 23, PARALLEL_DIROPS: 25,
  HANDLE_KILLPRIV: 26, POSIX_ACL: 26, ABORT_ERROR: 27, MAX_PAGES: 28, CACHE_SYMLINKS: 28, NO_OPENDIR_SUPPORT: 29,
  EXPLICIT_INVAL_DATA: 30, MAP_ALIGNMENT: 31, SUBMOUNTS: 32, HANDLE_KILLPRIV_V2: 33, SETXATTR_EXT: 33, INIT_EXT: 36,
  INIT_RESERVED: Infinity, SECURITY_CTX: 36, HAS_INODE_DAX: 36, CREATE_SUPP_GROUP: 38, HAS_EXPIRE_ONLY: 38,
  DIRECT_IO_ALLOW_MMAP: 39, PASSTHROUGH: 40, NO_EXPORT_SUPPORT: 40, HAS_RESEND: 40, ALLOW_IDMAP: 41, OVER_IO_URING: 42,
  REQUEST_TIMEOUT: 43,
};

/** What a kernel of this minor offers: every flag it knows. */
function kernelInit(minor: number, major = 7): InitIn {
  const offered = (Object.entries(FLAG_SINCE) as [InitFlagName, number][]).filter(([, since]) => since <= minor).reduce((a, [n]) => a | InitFlags[n], 0n);
  return {
    major, minor, max_readahead: 131072,
    flags: Number(offered & 0xffffffffn),
    flags2: minor >= 36 ? Number(offered >> 32n) : 0,
  };
}

const WANT = InitFlags.ASYNC_READ | InitFlags.POSIX_LOCKS | InitFlags.BIG_WRITES | InitFlags.MAX_PAGES | InitFlags.WRITEBACK_CACHE
  | InitFlags.DO_READDIRPLUS | InitFlags.PASSTHROUGH | InitFlags.HAS_RESEND | InitFlags.REQUEST_TIMEOUT | InitFlags.SECURITY_CTX
  | InitFlags.SETXATTR_EXT | InitFlags.INIT_RESERVED;
const PARAMS: InitParams = {
  want: WANT, maxWrite: 1 << 20, maxReadahead: 1 << 20, maxBackground: 100_000, congestionThreshold: 75, timeGran: 1,
  maxStackDepth: 2, requestTimeout: 30,
};

describe('INIT negotiation, kernel bytes to reply bytes', () => {
  for (const minor of [...Array.from({ length: 45 - 12 + 1 }, (_, i) => 12 + i), 46, 99]) {
    test(`a 7.${minor} kernel`, () => {
      const arg = kernelInit(minor);
      const msg = encodeRequest({ opcode: Opcode.INIT, header: header(2, 0), arg });
      assert.equal(msg.length, 40 + (minor < 36 ? 16 : 64), 'fuse_init_in is 16 bytes before 7.36, 64 since');
      const req = decodeRequest(msg, msg.length);
      if (req instanceof ProtocolError || req.opcode !== Opcode.INIT) return assert.fail(String(req));
      assert.deepEqual(req.arg, arg);

      const r = negotiateInit(req.arg, PARAMS);
      if (r.kind !== 'ok') return assert.fail(JSON.stringify(r));
      const offered = offeredFlags(req.arg);
      assert.equal(r.offered, offered);
      assert.equal(r.minor, Math.min(minor, 45), 'the session runs with the smaller minor');
      assert.equal(r.out.major, 7);
      assert.equal(r.out.minor, 45, 'the reply states our own minor');
      const granted = offered & WANT;
      const expected = granted >> 32n ? granted | (offered & InitFlags.INIT_EXT) : granted;
      assert.equal(r.flags, expected, `granted ${initFlagNames(r.flags)}`);
      assert.equal(r.flags & ~offered, 0n, 'nothing the kernel did not offer');
      assert.equal(joinedFlags(r.out), r.flags, 'the reply carries exactly the session flags');
      if (minor < 36) assert.equal(r.out.flags2, 0, 'no flags2 for a kernel without INIT_EXT');

      const hasMaxPages = minor >= 28;
      assert.equal(r.out.max_pages, hasMaxPages ? 256 : 0);
      assert.equal(r.maxWrite, hasMaxPages ? 1 << 20 : 32 * 4096);
      assert.equal(r.out.max_write, r.maxWrite);
      assert.equal(r.out.max_background, 0xffff, 'clamped to u16');
      assert.equal(r.out.max_stack_depth, minor >= 40 ? 2 : 0, 'only with PASSTHROUGH');
      assert.equal(r.out.request_timeout, minor >= 43 ? 30 : 0, 'only with REQUEST_TIMEOUT');
      assert.equal(r.out.max_readahead, 131072, 'no more than the kernel offered');

      const reply = replyInit(2, r.out, minor);
      const size = minor < 23 ? CompatSize.INIT_OUT_22 : 64;
      assert.equal(reply.length, 16 + size, 'fuse_init_out as long as this kernel knows it');
      assert.equal(initOutSize(minor), size);
      const d = decodeReply('init', reply, { minor });
      if (d instanceof ProtocolError) return assert.fail(d.message);
      assert.equal(d.body?.kind, 'init');
      if (d.body?.kind !== 'init') return;
      assert.deepEqual(d.body.init, minor < 23 ? { ...r.out, time_gran: 0, max_pages: 0, map_alignment: 0, flags2: 0, max_stack_depth: 0, request_timeout: 0 } : r.out);
    });
  }

  test('a kernel with a newer major: answer with ours and wait for another INIT', () => {
    const r = negotiateInit(kernelInit(0, 8), PARAMS);
    assert.equal(r.kind, 'major');
    if (r.kind !== 'major') return;
    assert.equal(r.out.major, 7);
    assert.equal(r.out.minor, 45);
    const d = decodeReply('init', replyInit(2, r.out, 45), { minor: 45 });
    assert.ok(!(d instanceof ProtocolError));
  });

  for (const [major, minor] of [[6, 45], [7, 11], [7, 0], [0, 0]] as const) {
    test(`${major}.${minor} is refused with EPROTO`, () => {
      const r = negotiateInit(kernelInit(minor, major), PARAMS);
      assert.equal(r.kind, 'error');
      if (r.kind === 'error') assert.equal(r.errno, Errno.EPROTO);
    });
  }

  test('flags2 counts only when the kernel offers INIT_EXT', () => {
    assert.equal(offeredFlags({ major: 7, minor: 45, max_readahead: 0, flags: 1, flags2: 0xff }), 1n);
    assert.equal(offeredFlags({ major: 7, minor: 45, max_readahead: 0, flags: 1 | (1 << 30), flags2: 0xff }), 1n | InitFlags.INIT_EXT | (0xffn << 32n));
    assert.equal(offeredFlags({ major: 7, minor: 45, max_readahead: 0, flags: 0xffffffff, flags2: 0xffffffff }), (1n << 64n) - 1n);
  });

  test('a server wanting only high flags gets INIT_EXT set for it', () => {
    const r = negotiateInit(kernelInit(45), { ...PARAMS, want: InitFlags.PASSTHROUGH });
    assert.ok(r.kind === 'ok');
    if (r.kind === 'ok') assert.equal(r.flags, InitFlags.PASSTHROUGH | InitFlags.INIT_EXT);
  });

  test('limits: max_write at least a page, at most what max_pages allows', () => {
    const small = negotiateInit(kernelInit(45), { ...PARAMS, maxWrite: 1 });
    const huge = negotiateInit(kernelInit(45), { ...PARAMS, maxWrite: 1 << 30 });
    const odd = negotiateInit(kernelInit(45), { ...PARAMS, maxWrite: 5000 });
    assert.ok(small.kind === 'ok' && huge.kind === 'ok' && odd.kind === 'ok');
    if (small.kind !== 'ok' || huge.kind !== 'ok' || odd.kind !== 'ok') return;
    assert.deepEqual([small.maxWrite, small.maxPages], [4096, 1]);
    assert.deepEqual([huge.maxWrite, huge.maxPages], [256 * 4096, 256]);
    assert.deepEqual([odd.maxWrite, odd.maxPages], [5000, 2]);
  });

  test('initOutSize: the FUSE_COMPAT_* sizes', () => {
    for (let m = 0; m <= 50; m++) assert.equal(initOutSize(m), m < 5 ? CompatSize.INIT_OUT : m < 23 ? CompatSize.INIT_OUT_22 : 64, `7.${m}`);
    assert.deepEqual([CompatSize.INIT_OUT, CompatSize.INIT_OUT_22], [8, 24]);
  });

  test('initFlagNames names every flag and shows unknown bits', () => {
    assert.equal(initFlagNames(0n), '0');
    assert.equal(initFlagNames(InitFlags.ASYNC_READ | InitFlags.REQUEST_TIMEOUT), 'ASYNC_READ|REQUEST_TIMEOUT');
    assert.equal(initFlagNames(1n << 50n), '0x4000000000000');
  });
});

describe('CUSE_INIT', () => {
  test('kernel bytes → negotiateCuseInit → replyCuseInit → the kernel reads DEVNAME and the info', () => {
    const msg = encodeRequest({ opcode: Opcode.CUSE_INIT, header: header(2, 0), arg: { major: 7, minor: 45, flags: CuseInitFlags.UNRESTRICTED_IOCTL } });
    assert.equal(msg.length, 40 + 16);
    const req = decodeRequest(msg, msg.length);
    if (req instanceof ProtocolError || req.opcode !== Opcode.CUSE_INIT) return assert.fail(String(req));
    const p = { devname: 'devfuse-ü', info: { MODALIAS: 'char:x', 'KEY WITH SPACE': 'välue=with=equals' }, unrestrictedIoctl: true, maxWrite: 100 };
    const n = negotiateCuseInit(req.arg, p);
    assert.equal(n.flags, CuseInitFlags.UNRESTRICTED_IOCTL);
    assert.equal(n.out.max_write, 4096, 'at least a page');
    assert.equal(n.minor, 45);
    const info = encodeCuseInfo(p);
    assert.ok(info.toString('utf8').startsWith('DEVNAME=devfuse-ü\0'));
    assert.equal(info[info.length - 1], 0, 'every string NUL-terminated');
    const d = decodeReply('cuse_init', joined(replyCuseInit(2, n.out, info)), { minor: 45 });
    if (d instanceof ProtocolError || d.body?.kind !== 'cuse_init') return assert.fail(String(d));
    assert.deepEqual(d.body.init, n.out);
    assert.deepEqual(decodeCuseInfo(d.body.info), { DEVNAME: 'devfuse-ü', MODALIAS: 'char:x', 'KEY WITH SPACE': 'välue=with=equals' });
  });

  test('unrestricted ioctls only when both sides want them', () => {
    const arg = { major: 7, minor: 45, flags: 1 };
    assert.equal(negotiateCuseInit(arg, { devname: 'x' }).flags, 0);
    assert.equal(negotiateCuseInit({ ...arg, flags: 0 }, { devname: 'x', unrestrictedIoctl: true }).flags, 0);
  });

  test('DEVNAME given in info does not appear twice', () => {
    assert.equal(encodeCuseInfo({ devname: 'a', info: { DEVNAME: 'b' } }).toString(), 'DEVNAME=a\0');
  });

  test('info up to CUSE_INIT_INFO_MAX bytes, and not one more', () => {
    const base = 'DEVNAME=d\0'.length + 'K='.length + 1;
    const max = encodeCuseInfo({ devname: 'd', info: { K: 'v'.repeat(CUSE_INIT_INFO_MAX - base) } });
    assert.equal(max.length, CUSE_INIT_INFO_MAX);
    const out = negotiateCuseInit({ major: 7, minor: 45, flags: 0 }, { devname: 'd' }).out;
    assert.ok(!(decodeReply('cuse_init', joined(replyCuseInit(2, out, max)), { minor: 45 }) instanceof ProtocolError), 'the kernel takes it');
    assert.throws(() => encodeCuseInfo({ devname: 'd', info: { K: 'v'.repeat(CUSE_INIT_INFO_MAX - base + 1) } }), InvalidReplyError);
  });

  const invalid: CuseParams[] = [{ devname: '' }, { devname: 'a=b' }, { devname: 'a\0b' }, { devname: 'a', info: { '': 'v' } }, { devname: 'a', info: { 'k=': 'v' } }, { devname: 'a', info: { k: 'v\0' } }];
  for (const p of invalid) {
    test(`refuses ${JSON.stringify(p)}`, () => {
      assert.throws(() => encodeCuseInfo(p), InvalidReplyError);
    });
  }
});
