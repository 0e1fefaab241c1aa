/**
 * Traces replay without false differences: a trace recorded through the
 * emulator with xattr size probes (GETXATTR/LISTXATTR with size 0, answered
 * with fuse_getxattr_out) replays against the same filesystem with zero
 * differences, because both replies are decoded by the request they answer;
 * a filesystem that answers differently still shows the difference.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { memfs } from '../../src/fs/memfs';
import { FuseError } from '../../src/api/errors';
import type { Filesystem } from '../../src/api/filesystem';
import { Opcode } from '../../src/protocol';
import { RecordingChannel } from '../../src/server/core/recording-channel';
import { Session } from '../../src/server/core/session';
import { KernelEmulator } from '../../src/testing/emulator';
import { readTrace, replayTrace } from '../../src/testing/trace';
import { Vfs } from '../../src/testing/vfs';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'devfuse-trace-kit-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const bin = path.join(__dirname, '..', '..', '..', 'bin', 'devfuse.js');

/** Records, through the emulator, what `cp -a` of a file with xattrs does to memfs: size probes and reads of xattrs. */
async function record(file: string): Promise<void> {
  const k = new KernelEmulator(memfs(), { makeSession: (f, ch, o) => new Session(f, new RecordingChannel(ch, file), o) });
  await k.init();
  const v = new Vfs(k);
  await v.writeFile('/f', 'content');
  await v.setxattr('/f', 'user.a', '12345');
  await v.setxattr('/f', 'user.b', Buffer.alloc(300, 7));
  await v.setxattr('/f', 'user.empty', '');
  assert.deepEqual((await v.listxattr('/f')).sort(), ['user.a', 'user.b', 'user.empty']);
  assert.equal((await v.getxattr('/f', 'user.a')).toString(), '12345');
  assert.equal((await v.getxattr('/f', 'user.b')).length, 300);
  assert.equal((await v.getxattr('/f', 'user.empty')).length, 0);
  await v.writeFile('/plain', '');
  assert.deepEqual(await v.listxattr('/plain'), []);
  await assert.rejects(v.getxattr('/plain', 'user.none'), /ENODATA/);
  k.unmount();
}

describe('trace replay', () => {
  const file = path.join(dir, 'xattrs.jsonl');

  test('a trace with xattr size probes replays against the same filesystem with zero differences', async () => {
    await record(file);
    const events = readTrace(file);
    const r = await replayTrace(events, memfs());
    assert.deepEqual(r.differences, []);
    assert.deepEqual(r.violations, []);
    // The probes were compared: 3 LISTXATTR and 5 GETXATTR requests, half of them size probes.
    const ops = events.filter((e) => e.dir === 'in').map((e) => e.data.readUInt32LE(4));
    assert.equal(ops.filter((o) => o === Opcode.LISTXATTR).length, 3);
    assert.equal(ops.filter((o) => o === Opcode.GETXATTR).length, 6);
    assert.ok(r.compared >= 25, `${r.compared} replies compared`);
  });

  test('a filesystem that answers differently is still reported, naming the request', async () => {
    const inner = memfs();
    const other: Filesystem = Object.assign(Object.create(null) as Filesystem, inner, {
      // user.a reads back one byte shorter: the size probe and the read both differ
      getxattr: (ctx: Parameters<NonNullable<Filesystem['getxattr']>>[0], ino: number, name: string) => {
        const v = inner.getxattr!(ctx, ino, name) as Buffer;
        if (name === 'user.a') return v.subarray(1);
        return v;
      },
      listxattr: () => {
        throw new FuseError('ENOTSUP');
      },
    });
    const r = await replayTrace(readTrace(file), other);
    const ops = r.differences.map((d) => d.opcode);
    assert.deepEqual([...new Set(ops)].sort(), ['GETXATTR', 'LISTXATTR']);
    const probe = r.differences.find((d) => d.opcode === 'GETXATTR' && d.recorded.includes('xattr_size'));
    assert.ok(probe, JSON.stringify(r.differences, null, 1));
    assert.match(probe.recorded, /"size":5/);
    assert.match(probe.replayed, /"size":4/);
  });

  test('a request the filesystem never answers is a difference, after its deadline', async () => {
    const inner = memfs();
    const stuck: Filesystem = Object.assign(Object.create(null) as Filesystem, inner, { listxattr: () => new Promise<never>(() => undefined) });
    const r = await replayTrace(readTrace(file), stuck, {}, { timeoutMs: 300 });
    const d = r.differences.filter((x) => x.opcode === 'LISTXATTR');
    assert.equal(d.length, 3, JSON.stringify(r.differences, null, 1));
    for (const x of d) assert.match(x.replayed, /^no reply: LISTXATTR \/(f|plain) unanswered after 300 ms$/);
  });

  test('devfuse trace replay: exit 0 with no difference, 1 with differences, 2 for a missing file or module', () => {
    const same = spawnSync(process.execPath, [bin, 'trace', 'replay', file, 'memfs'], { encoding: 'utf8' });
    assert.equal(same.status, 0, same.stdout + same.stderr);
    assert.match(same.stdout, / 0 differ, 0 protocol violations/);
    const hello = spawnSync(process.execPath, [bin, 'trace', 'replay', file, 'hello'], { encoding: 'utf8' });
    assert.equal(hello.status, 1, hello.stdout + hello.stderr);
    assert.match(hello.stdout, /✗ CREATE/);
    const missing = spawnSync(process.execPath, [bin, 'trace', 'replay', path.join(dir, 'nope.jsonl'), 'memfs'], { encoding: 'utf8' });
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /no such file/);
    const noModule = spawnSync(process.execPath, [bin, 'trace', 'replay', file, path.join(dir, 'nope.js')], { encoding: 'utf8' });
    assert.equal(noModule.status, 2);
    assert.equal(noModule.stderr.trim().split('\n').length, 1, noModule.stderr);
  });
});
