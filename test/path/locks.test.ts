/**
 * Concurrent requests on paths being renamed, through the emulator, with a
 * filesystem that holds chosen calls until the test lets them go: a rename
 * waits for the requests that hold a path through the node it moves;
 * requests that come while it is with the filesystem wait for it and then
 * get the new path; renames never deadlock; an interrupted waiter leaves.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Errno, Opcode } from '../../src/protocol';
import { pathMemfs } from '../../src/examples/path-memfs';
import { recorded, settle, start } from './helpers';

const lookup = (name: string) => ({ name });
const rename2 = (newdir: number, oldname: string, newname: string) => ({ arg: { newdir, flags: 0 }, oldname, newname });

describe('path locks', { timeout: 60_000 }, () => {
  test('a rename waits for a lookup below the directory it moves; the lookup finished on the old path', async () => {
    const fs = recorded(pathMemfs());
    const { v } = await start(fs);
    await v.mkdir('/d');
    await v.writeFile('/d/x', 'x');
    const d = await v.nodeid('/d');
    fs.rec.log.length = 0;
    fs.rec.hold('getattr', '/d/x');
    const l = v.k.send(Opcode.LOOKUP, d, lookup('x'));
    await settle();
    const r = v.k.send(Opcode.RENAME2, 1, rename2(1, 'd', 'e'));
    await settle();
    assert.deepEqual(fs.rec.log, ['getattr /d/x'], 'the rename has not reached the filesystem while the lookup holds /d');
    fs.rec.release('getattr');
    assert.equal((await l.reply).error, 0);
    assert.equal((await r.reply).error, 0);
    assert.deepEqual(fs.rec.log, ['getattr /d/x', 'rename /d /e']);
    assert.deepEqual(v.k.violations, []);
  });

  test('requests on paths below a rename in progress wait for it, then get the new path', async () => {
    const fs = recorded(pathMemfs());
    const { v } = await start(fs);
    await v.mkdir('/d');
    await v.mkdir('/d/sub');
    await v.writeFile('/d/sub/f', 'data');
    const d = await v.nodeid('/d');
    const sub = await v.nodeid('/d/sub');
    const f = await v.nodeid('/d/sub/f');
    fs.rec.log.length = 0;
    fs.rec.hold('rename');
    const r = v.k.send(Opcode.RENAME2, 1, rename2(1, 'd', 'moved'));
    await settle();
    const ga = v.k.send(Opcode.GETATTR, f, { arg: { getattr_flags: 0, fh: 0 } });
    const lk = v.k.send(Opcode.LOOKUP, sub, lookup('f'));
    const other = v.k.send(Opcode.LOOKUP, d, lookup('nope'));
    await settle();
    assert.deepEqual(fs.rec.log, ['rename /d /moved'], 'nothing below /d reaches the filesystem during the rename');
    fs.rec.release('rename');
    assert.equal((await r.reply).error, 0);
    assert.equal((await ga.reply).error, 0);
    assert.equal((await lk.reply).error, 0);
    const neg = await other.reply;
    assert.equal(neg.body?.kind === 'entry' && neg.body.entry.nodeid, 0, 'a negative entry for /moved/nope');
    assert.deepEqual(fs.rec.log.slice(1).sort(), ['getattr /moved/nope', 'getattr /moved/sub/f', 'getattr /moved/sub/f']);
  });

  test('requests elsewhere in the tree do not wait for a rename', async () => {
    const fs = recorded(pathMemfs());
    const { v } = await start(fs);
    await v.mkdir('/d');
    await v.writeFile('/other', 'o');
    fs.rec.hold('rename');
    const r = v.k.send(Opcode.RENAME2, 1, rename2(1, 'd', 'e'));
    await settle();
    assert.equal((await v.readFile('/other')).toString(), 'o');
    assert.equal(r.answered, false);
    fs.rec.release('rename');
    assert.equal((await r.reply).error, 0);
  });

  test('a queued rename is not starved by lookups that keep coming', async () => {
    const fs = recorded(pathMemfs());
    const { v } = await start(fs);
    await v.mkdir('/d');
    await v.writeFile('/d/x', '');
    const d = await v.nodeid('/d');
    fs.rec.hold('getattr', '/d/x');
    const first = v.k.send(Opcode.LOOKUP, d, lookup('x'));
    await settle();
    const r = v.k.send(Opcode.RENAME2, 1, rename2(1, 'd', 'e'));
    await settle();
    const later = v.k.send(Opcode.LOOKUP, d, lookup('x'));
    await settle();
    assert.equal(fs.rec.waiting('getattr'), 1, 'the later lookup waits behind the queued rename, not beside the first lookup');
    fs.rec.release('getattr');
    for (const p of [first, r, later]) assert.equal((await p.reply).error, 0);
    assert.deepEqual(fs.rec.log.slice(-3), ['getattr /d/x', 'rename /d /e', 'getattr /e/x']);
  });

  test('crossing renames of two directories into each other never deadlock', async () => {
    const fs = recorded(pathMemfs());
    const { v } = await start(fs);
    await v.mkdir('/a');
    await v.mkdir('/b');
    const a = await v.nodeid('/a');
    const b = await v.nodeid('/b');
    fs.rec.hold('rename');
    const ps = [
      v.k.send(Opcode.RENAME2, 1, rename2(b, 'a', 'a')),
      v.k.send(Opcode.RENAME2, 1, rename2(a, 'b', 'b')),
      v.k.send(Opcode.RENAME2, 1, rename2(1, 'a', 'c')),
    ];
    await settle();
    fs.rec.release('rename');
    const errors = (await Promise.all(ps.map((p) => p.reply))).map((r) => r.error);
    // The first moves /a into /b; the second would move /b into its own subtree; the third finds no /a.
    assert.deepEqual(errors, [0, -Errno.EINVAL, -Errno.ENOENT]);
    assert.equal(v.k.inFlight, 0);
  });

  test('an interrupted request waiting for a path is answered EINTR and leaves the queue', async () => {
    const fs = recorded(pathMemfs());
    const { v } = await start(fs);
    await v.mkdir('/d');
    await v.writeFile('/d/x', '');
    const d = await v.nodeid('/d');
    fs.rec.hold('rename');
    const r = v.k.send(Opcode.RENAME2, 1, rename2(1, 'd', 'e'));
    await settle();
    const waiting = v.k.send(Opcode.LOOKUP, d, lookup('x'));
    await settle();
    v.k.interrupt(waiting);
    assert.equal((await waiting.reply).error, -Errno.EINTR);
    fs.rec.release('rename');
    assert.equal((await r.reply).error, 0);
    assert.equal((await v.readFile('/e/x')).length, 0);
    assert.deepEqual(v.k.violations, []);
  });

  test('many concurrent renames and lookups end with a consistent table and balanced lookups', async () => {
    const fs = recorded(pathMemfs());
    const { v, a } = await start(fs);
    for (const n of ['p', 'q', 'r']) {
      await v.mkdir(`/${n}`);
      await v.writeFile(`/${n}/f`, n);
    }
    const ids = new Map<string, number>();
    for (const n of ['p', 'q', 'r']) ids.set(n, await v.nodeid(`/${n}`));
    // Rotate the three names round 30 times while looking up f below each of them.
    const names = ['p', 'q', 'r'];
    const sent = [];
    for (let i = 0; i < 30; i++) {
      sent.push(v.k.send(Opcode.RENAME2, 1, rename2(1, names[i % 3]!, `tmp${i}`)));
      for (const n of names) sent.push(v.k.send(Opcode.LOOKUP, ids.get(n)!, lookup('f')));
      sent.push(v.k.send(Opcode.RENAME2, 1, rename2(1, `tmp${i}`, names[i % 3]!)));
    }
    const replies = await Promise.all(sent.map((p) => p.reply));
    assert.ok(replies.every((r) => r.error === 0), JSON.stringify(replies.filter((r) => r.error).slice(0, 3)));
    for (const n of names) assert.equal((await v.readFile(`/${n}/f`)).toString(), n);
    v.k.forgetAll();
    await settle();
    assert.deepEqual(v.k.ledgerProblems(), []);
    assert.equal(a.nodeCount, 1);
  });
});
