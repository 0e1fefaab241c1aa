/**
 * Notifications: every encoder of notify.ts, decoded by decodeNotification
 * (the kernel's fuse_notify() with its checks), byte layouts stated by hand,
 * and the kernel's rejections.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as protocol from '../../src/protocol';
import {
  decodeNotification, Errno, NotifyCode, NotifyInvalEntryFlags, notifyDelete, notifyIncEpoch, notifyInvalEntry,
  notifyInvalInode, notifyPoll, notifyPrune, notifyResend, notifyRetrieve, notifyStore, ProtocolError,
  type Notification,
} from '../../src/protocol';
import { Bytes, joined, MAX_SAFE, ODD_NAMES, sameOnDirtyMemory, TWO32 } from './fixtures';

const data = Buffer.from(Array.from({ length: 131072 }, (_, i) => i & 0xff));

interface Case {
  encoder: string;
  note?: string;
  make: () => Buffer[];
  expect: Notification;
  /** The body as the kernel reads it, stated by hand. */
  body: Buffer;
}

const CASES: Case[] = [
  { encoder: 'notifyPoll', make: () => notifyPoll(MAX_SAFE), expect: { code: NotifyCode.POLL, kh: MAX_SAFE }, body: new Bytes().u64(MAX_SAFE).build() },
  {
    encoder: 'notifyInvalInode', note: 'off -1: attributes only', make: () => notifyInvalInode(7, -1, 0),
    expect: { code: NotifyCode.INVAL_INODE, ino: 7, off: -1, len: 0 }, body: new Bytes().u64(7).u64(-1n).u64(0).build(),
  },
  {
    encoder: 'notifyInvalInode', note: 'a range, len -1', make: () => notifyInvalInode(MAX_SAFE, TWO32, -1),
    expect: { code: NotifyCode.INVAL_INODE, ino: MAX_SAFE, off: TWO32, len: -1 }, body: new Bytes().u64(MAX_SAFE).u64(TWO32).u64(-1n).build(),
  },
  ...ODD_NAMES.map((name, i): Case => {
    const bytes = protocol.encodeName(name);
    return {
      encoder: 'notifyInvalEntry', note: `name ${i}`, make: () => notifyInvalEntry(1, name, i % 2 ? NotifyInvalEntryFlags.EXPIRE_ONLY : 0),
      expect: { code: NotifyCode.INVAL_ENTRY, parent: 1, name, flags: i % 2 },
      body: new Bytes().u64(1).u32(bytes.length).u32(i % 2).cstr(bytes).build(),
    };
  }),
  {
    encoder: 'notifyDelete', make: () => notifyDelete(TWO32, MAX_SAFE, '😀'),
    expect: { code: NotifyCode.DELETE, parent: TWO32, child: MAX_SAFE, name: '😀' },
    body: new Bytes().u64(TWO32).u64(MAX_SAFE).u32(4).u32(0).cstr('😀').build(),
  },
  {
    encoder: 'notifyStore', note: '128 KiB', make: () => notifyStore(9, TWO32, data),
    expect: { code: NotifyCode.STORE, nodeid: 9, offset: TWO32, data }, body: new Bytes().u64(9).u64(TWO32).u32(data.length).u32(0).raw(data).build(),
  },
  {
    encoder: 'notifyStore', note: 'empty', make: () => notifyStore(9, 0, Buffer.alloc(0)),
    expect: { code: NotifyCode.STORE, nodeid: 9, offset: 0, data: Buffer.alloc(0) }, body: new Bytes().u64(9).u64(0).u32(0).u32(0).build(),
  },
  {
    encoder: 'notifyRetrieve', make: () => notifyRetrieve(77, 9, 4096, 65536),
    expect: { code: NotifyCode.RETRIEVE, notify_unique: 77, nodeid: 9, offset: 4096, size: 65536 },
    body: new Bytes().u64(77).u64(9).u64(4096).u32(65536).u32(0).build(),
  },
  { encoder: 'notifyResend', make: () => notifyResend(), expect: { code: NotifyCode.RESEND }, body: Buffer.alloc(0) },
  { encoder: 'notifyIncEpoch', make: () => notifyIncEpoch(), expect: { code: NotifyCode.INC_EPOCH }, body: Buffer.alloc(0) },
  {
    encoder: 'notifyPrune', make: () => notifyPrune([1, MAX_SAFE, TWO32]),
    expect: { code: NotifyCode.PRUNE, nodeids: [1, MAX_SAFE, TWO32] }, body: new Bytes().u32(3).u32(0).u64(0).u64(1).u64(MAX_SAFE).u64(TWO32).build(),
  },
  { encoder: 'notifyPrune', note: 'none', make: () => notifyPrune([]), expect: { code: NotifyCode.PRUNE, nodeids: [] }, body: new Bytes().u32(0).u32(0).u64(0).build() },
];

describe('notification encoders → decodeNotification', () => {
  test('the table covers every notification encoder notify.ts exports', () => {
    const encoders = Object.keys(protocol).filter((k) => /^notify[A-Z]/.test(k)).sort();
    assert.deepEqual([...new Set(CASES.map((c) => c.encoder))].sort(), encoders);
  });

  for (const c of CASES) {
    test(`${c.encoder}${c.note ? `: ${c.note}` : ''}`, () => {
      const { dirty, clean } = sameOnDirtyMemory(c.make);
      assert.ok(dirty.equals(clean), 'no byte depends on the memory the encoder was given');
      const expected = Buffer.concat([new Bytes().u32(16 + c.body.length).i32(c.expect.code).u64(0).build(), c.body]);
      assert.ok(clean.equals(expected), `the bytes the kernel reads:\n${clean.toString('hex')}\n${expected.toString('hex')}`);
      const r = decodeNotification(clean);
      if (r instanceof ProtocolError) assert.fail(`${r.code}: ${r.message}`);
      assert.deepEqual(r, c.expect);
    });
  }

  test('STORE data travels uncopied', () => {
    assert.equal(notifyStore(1, 0, data)[1], data);
  });
});

describe('decodeNotification rejects what the kernel rejects', () => {
  const msg = (code: number, body: Buffer): Buffer => Buffer.concat([new Bytes().u32(16 + body.length).i32(code).u64(0).build(), body]);
  const cases: { name: string; msg: Buffer; code: string; errno?: number }[] = [
    { name: 'shorter than fuse_out_header', msg: Buffer.alloc(8), code: 'SHORT_HEADER' },
    { name: 'len disagreeing with the bytes', msg: joined(notifyPoll(1)).subarray(0, 20), code: 'LENGTH_MISMATCH' },
    { name: 'POLL with a byte more', msg: msg(NotifyCode.POLL, Buffer.alloc(9)), code: 'BAD_VALUE' },
    { name: 'POLL short', msg: msg(NotifyCode.POLL, Buffer.alloc(7)), code: 'TRUNCATED' },
    { name: 'INVAL_INODE with a byte more', msg: msg(NotifyCode.INVAL_INODE, Buffer.alloc(25)), code: 'BAD_VALUE' },
    { name: 'INVAL_ENTRY whose namelen overruns the body', msg: msg(NotifyCode.INVAL_ENTRY, new Bytes().u64(1).u32(5).u32(0).cstr('abc').build()), code: 'BAD_VALUE' },
    { name: 'INVAL_ENTRY with bytes after the name', msg: msg(NotifyCode.INVAL_ENTRY, new Bytes().u64(1).u32(3).u32(0).cstr('abc').u8(0).build()), code: 'BAD_VALUE' },
    { name: 'INVAL_ENTRY without the NUL', msg: msg(NotifyCode.INVAL_ENTRY, new Bytes().u64(1).u32(3).u32(0).raw(Buffer.from('abcd')).build()), code: 'UNTERMINATED_STRING' },
    {
      name: 'INVAL_ENTRY with namelen over FUSE_NAME_MAX', msg: msg(NotifyCode.INVAL_ENTRY, new Bytes().u64(1).u32(1025).u32(0).cstr('x'.repeat(1025)).build()),
      code: 'BAD_VALUE', errno: Errno.ENAMETOOLONG,
    },
    { name: 'DELETE with namelen over FUSE_NAME_MAX', msg: msg(NotifyCode.DELETE, new Bytes().u64(1).u64(2).u32(2000).u32(0).cstr('x'.repeat(2000)).build()), code: 'BAD_VALUE', errno: Errno.ENAMETOOLONG },
    { name: 'STORE whose size disagrees with the data', msg: msg(NotifyCode.STORE, new Bytes().u64(1).u64(0).u32(4).u32(0).raw(Buffer.from('abc')).build()), code: 'BAD_VALUE' },
    { name: 'RETRIEVE with a byte more', msg: msg(NotifyCode.RETRIEVE, Buffer.alloc(33)), code: 'BAD_VALUE' },
    { name: 'PRUNE whose count lies', msg: msg(NotifyCode.PRUNE, new Bytes().u32(2).u32(0).u64(0).u64(1).build()), code: 'BAD_VALUE' },
    { name: 'PRUNE with a huge count', msg: msg(NotifyCode.PRUNE, new Bytes().u32(0xffffffff).u32(0).u64(0).build()), code: 'BAD_VALUE' },
    { name: 'RESEND with a body', msg: msg(NotifyCode.RESEND, Buffer.alloc(8)), code: 'BAD_VALUE' },
    { name: 'an unknown code', msg: msg(10, Buffer.alloc(0)), code: 'UNKNOWN_OPCODE' },
    { name: 'code 0', msg: msg(0, Buffer.alloc(0)), code: 'UNKNOWN_OPCODE' },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const r = decodeNotification(c.msg);
      assert.ok(r instanceof ProtocolError, 'rejected');
      assert.equal(r.code, c.code, r.message);
      if (c.errno !== undefined) assert.equal(r.errno, c.errno);
    });
  }
});
