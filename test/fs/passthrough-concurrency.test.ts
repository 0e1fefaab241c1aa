/**
 * Async mode under load: thousands of calls in flight at once (more than
 * koffi accepts, more than the thread pool has threads) all complete, and
 * flock waiters do not occupy the pool while they wait.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { ROOT, me } from '../helpers/fs-calls';
import { Fx, withFx } from './passthrough-helpers';

const R = { flags: 2, lockOwner: undefined };
const REL = { flags: 0, flush: false, flockUnlock: false, lockOwner: 0n };

test('async: 5000 operations in flight at once all complete', async () => {
  await withFx(new Fx('async'), async (x) => {
    for (let i = 0; i < 50; i++) fs.writeFileSync(x.p(`f${i}`), `content ${i}`);
    const entries = await Promise.all([...Array(50).keys()].map((i) => x.lookup(`f${i}`)));
    const fhs = await Promise.all(entries.map((e) => x.open(e.ino, 0)));
    const ops: Promise<unknown>[] = [];
    for (let k = 0; k < 5000; k++) {
      const i = k % 50;
      const e = entries[i]!;
      if (k % 3 === 0) ops.push(Promise.resolve(x.fs.read(me, e.ino, fhs[i]!, 0, 100, R)).then((b) => assert.equal(String(b), `content ${i}`)));
      else if (k % 3 === 1) ops.push(Promise.resolve(x.fs.getattr(me, e.ino, undefined)));
      else ops.push(Promise.resolve(x.fs.lookup(me, ROOT, `f${i}`)).then((l) => x.fs.forget(l.ino, 1)));
    }
    await Promise.all(ops);
    await Promise.all(entries.map((e, i) => x.fs.release(me, e.ino, fhs[i]!, REL)));
    for (const e of entries) x.fs.forget(e.ino, 1);
    assert.equal(x.fs.inodeCount, 0);
    assert.equal(x.fs.handleCount, 0);
  });
});

test('async: flock waiters poll instead of holding thread-pool slots', async () => {
  await withFx(new Fx('async'), async (x) => {
    fs.writeFileSync(x.p('lock'), '');
    fs.writeFileSync(x.p('data'), 'd');
    const l = await x.lookup('lock');
    const d = await x.lookup('data');
    const holder = await x.open(l.ino);
    await x.fs.flock(me, l.ino, holder, 0n, 2 | 4);
    // Far more waiters than the pool has threads.
    const waiters = await Promise.all([...Array(16).keys()].map(() => x.open(l.ino)));
    let granted = 0;
    const waits = waiters.map((fh) =>
      Promise.resolve(x.fs.flock(me, l.ino, fh, 0n, 2)).then(async () => {
        granted++;
        await x.fs.flock(me, l.ino, fh, 0n, 8);
      }),
    );
    // Meanwhile other work goes through.
    const dfh = await x.open(d.ino, 0);
    const t0 = Date.now();
    for (let i = 0; i < 200; i++) assert.equal(String(await x.fs.read(me, d.ino, dfh, 0, 10, R)), 'd');
    assert.ok(Date.now() - t0 < 2000, 'reads were not starved');
    assert.equal(granted, 0);
    await x.fs.flock(me, l.ino, holder, 0n, 8);
    await Promise.all(waits);
    assert.equal(granted, 16);
    for (const fh of [holder, ...waiters]) await x.fs.release(me, l.ino, fh, REL);
    await x.fs.release(me, d.ino, dfh, REL);
    x.fs.forget(l.ino, 1);
    x.fs.forget(d.ino, 1);
  });
});
