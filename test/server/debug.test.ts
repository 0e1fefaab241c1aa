/**
 * --debug lines (src/server/core/debug.ts): requests with modes in octal
 * and flags by name, replies decoded, long lines wrapped and joined back.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decodeRequest, encodeRequest, FopenFlags, Opcode, ProtocolError, replyData, replyEntry, replyError, replyOpen, replyWrite,
  type Request, type RequestInput,
} from '../../src/protocol';
import { formatReply, formatRequest, unwrapDebug, wrapDebugLine } from '../../src/server/core/debug';
import { attr, header } from '../protocol/fixtures';

function request(input: object): Request {
  const r = decodeRequest(encodeRequest(input as RequestInput));
  if (r instanceof ProtocolError) throw r;
  return r;
}

test('requests: modes octal, open(2) flags and FUSE flag words by name, SETATTR only what valid marks', () => {
  const create = formatRequest(request({ opcode: Opcode.CREATE, header: header(6), arg: { flags: 0o100101, mode: 0o100644, umask: 0o022, open_flags: 0 }, name: 'f' }), {});
  assert.equal(create, '→ 6 CREATE nodeid=1 uid=1000 gid=1000 pid=4242 flags=O_WRONLY|O_CREAT|O_LARGEFILE mode=0100644 umask=022 open_flags=0 name="f"');
  const setattr = formatRequest(request({
    opcode: Opcode.SETATTR, header: header(8, 2),
    arg: { valid: 1 | 8, fh: 0, size: 100, lock_owner: 0n, atime: 0, mtime: 0, ctime: 0, atimensec: 0, mtimensec: 0, ctimensec: 0, mode: 0o100600, uid: 0, gid: 0 },
  }), {});
  assert.equal(setattr, '→ 8 SETATTR nodeid=2 uid=1000 gid=1000 pid=4242 valid=MODE|SIZE size=100 mode=0100600');
  const write = formatRequest(request({
    opcode: Opcode.WRITE, header: header(10, 2), arg: { fh: 1, offset: 0, size: 3, write_flags: 2, lock_owner: 7n, flags: 0o2002 }, data: Buffer.from('abc'),
  }), {});
  assert.match(write, /write_flags=LOCKOWNER lock_owner=0x7 flags=O_RDWR\|O_APPEND data=<3 bytes>$/);
  const access = formatRequest(request({ opcode: Opcode.ACCESS, header: header(12, 2), arg: { mask: 6 } }), {});
  assert.match(access, /mask=R_OK\|W_OK$/);
});

test('replies decoded: entries and attributes, handles with FOPEN flags, data, write sizes, errors', () => {
  const t = process.hrtime.bigint();
  const entry = formatReply(4, Opcode.LOOKUP, replyEntry(4, { nodeid: 2, generation: 1, entry_valid: 1, attr_valid: 2, entry_valid_nsec: 500_000_000, attr_valid_nsec: 0, attr: { ...attr(2), mode: 0o100644, atimensec: 0 } }), t);
  assert.match(entry, /^← 4 LOOKUP OK nodeid=2 generation=1 entry_valid=1\.5 attr_valid=2 attr=\{ino=2 size=1099511627783 blocks=8 atime=1700000000 mtime=-1\.\d+ .*mode=0100644 /);
  const open = formatReply(6, Opcode.OPEN, replyOpen(6, { fh: 3, open_flags: FopenFlags.KEEP_CACHE | FopenFlags.DIRECT_IO, backing_id: 0 }), t);
  assert.match(open, /^← 6 OPEN OK fh=3 open_flags=DIRECT_IO\|KEEP_CACHE backing_id=0 \(\d+ µs\)$/);
  assert.match(formatReply(8, Opcode.READ, replyData(8, Buffer.from('Hello, world!\n')), t), /^← 8 READ OK 14 bytes "Hello, world!\\n" \(\d+ µs\)$/);
  assert.match(formatReply(8, Opcode.READ, replyData(8, Buffer.from([0, 1, 2, 255])), t), /^← 8 READ OK 4 bytes <000102ff> /);
  assert.match(formatReply(10, Opcode.WRITE, replyWrite(10, 4096), t), /^← 10 WRITE OK size=4096 /);
  assert.match(formatReply(12, Opcode.GETATTR, replyError(12, 2), t), /^← 12 GETATTR ENOENT \(\d+ µs\)$/);
});

test('long lines wrap at 160 columns, lists of flags before their bars, and unwrap to the original', () => {
  const flags = Array.from({ length: 60 }, (_, i) => `FLAG_NUMBER_${i}`).join('|');
  const line = `INIT: kernel 7.45 offers ${flags}; agreed 7.45 ${flags} max_write=1048576`;
  const wrapped = wrapDebugLine(line);
  const lines = wrapped.split('\n');
  assert.ok(lines.length > 10);
  for (const l of lines) assert.ok(l.length <= 160, `${l.length} columns`);
  for (const l of lines.slice(1)) assert.ok(l.startsWith('    '));
  assert.equal(unwrapDebug(wrapped), line);
  assert.equal(wrapDebugLine('short'), 'short');
});
