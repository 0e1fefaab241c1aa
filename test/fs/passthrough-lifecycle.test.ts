/**
 * The inode table: lookups counted, descriptors closed when the kernel
 * forgets, hard links sharing one node id, stable ids, readdirplus
 * references, and the sync mode answering without promises.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, test } from 'node:test';
import { passthrough } from '../../src/fs/passthrough';
import { ROOT, failsWith, me, plusSink } from '../helpers/fs-calls';
import { Fx, withFx, MODES, fdsUnder, isPromiseLike } from './passthrough-helpers';

/** Waits (up to a second) for `cond`. */
async function eventually(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
}

for (const mode of MODES) {
  describe(`passthrough lifecycle (${mode})`, () => {
    test('lookup keeps one O_PATH descriptor per inode; forget closes it at zero', async () => {
      await withFx(new Fx(mode), async (x) => {
        fs.writeFileSync(x.p('a'), 'A');
        const base = fdsUnder(x.src).length; // the root
        assert.equal(base, 1);
        const e1 = await x.lookup('a');
        const e2 = await x.lookup('a');
        assert.equal(e1.ino, e2.ino, 'the same file keeps its node id');
        assert.notEqual(e1.ino, ROOT);
        assert.equal(e1.attr.size, 1);
        assert.equal(fdsUnder(x.src).length, 2, 'one descriptor, however many lookups');
        assert.equal(x.fs.inodeCount, 1);
        x.fs.forget(e1.ino, 1);
        assert.equal(fdsUnder(x.src).length, 2, 'still referenced once');
        await x.fs.getattr(me, e1.ino, undefined);
        x.fs.forget(e1.ino, 1);
        assert.equal(fdsUnder(x.src).length, 1, 'closed at zero');
        assert.equal(x.fs.inodeCount, 0);
        await failsWith(() => x.fs.getattr(me, e1.ino, undefined), 'ESTALE');
        // A new lookup gets a new node id: an id is never reused for another file.
        const e3 = await x.lookup('a');
        assert.notEqual(e3.ino, e1.ino);
        x.fs.forget(e3.ino, 1);
      });
    });

    test('hard links share one inode; batch forget by n', async () => {
      await withFx(new Fx(mode), async (x) => {
        fs.writeFileSync(x.p('a'), 'A');
        fs.linkSync(x.p('a'), x.p('b'));
        const a = await x.lookup('a');
        const b = await x.lookup('b');
        assert.equal(a.ino, b.ino);
        assert.equal(b.attr.nlink, 2);
        assert.equal(x.fs.inodeCount, 1);
        // link through the passthrough: same node, one more reference
        const c = await x.fs.link(me, a.ino, ROOT, 'c');
        assert.equal(c.ino, a.ino);
        assert.equal(c.attr.nlink, 3);
        assert.equal(fs.statSync(x.p('c')).ino, fs.statSync(x.p('a')).ino);
        x.fs.forget(a.ino, 3);
        assert.equal(x.fs.inodeCount, 0);
        assert.equal(fdsUnder(x.src).length, 1);
      });
    });

    test('the root is never closed, and a lookup that leads back to it is node 1', async () => {
      await withFx(new Fx(mode), async (x) => {
        fs.mkdirSync(x.p('d'));
        const d = await x.lookup('d');
        const up = await x.fs.lookup(me, d.ino, '..');
        assert.equal(up.ino, ROOT);
        assert.equal((await x.fs.lookup(me, ROOT, '..')).ino, ROOT, 'not out of the source');
        assert.equal((await x.fs.lookup(me, ROOT, '.')).ino, ROOT);
        x.fs.forget(ROOT, 100);
        assert.equal((await x.attr(ROOT)).mode & 0o170000, 0o040000);
        assert.equal(fdsUnder(x.src).length, 2);
        x.fs.forget(d.ino, 1);
      });
    });

    test('an inode survives a rename of its parent done outside', async () => {
      await withFx(new Fx(mode), async (x) => {
        fs.mkdirSync(x.p('d1'));
        fs.writeFileSync(x.p('d1', 'f'), 'data');
        const d = await x.lookup('d1');
        const f = await x.lookup('f', d.ino);
        fs.renameSync(x.p('d1'), x.p('d2'));
        const fh = await x.open(f.ino, 0);
        assert.equal(String(await x.fs.read(me, f.ino, fh, 0, 100, { flags: 0, lockOwner: undefined })), 'data');
        await x.fs.release(me, f.ino, fh, { flags: 0, flush: false, flockUnlock: false, lockOwner: 0n });
        const g = await x.fs.create(me, d.ino, 'g', 0o100644, 1, { killSuidgid: false });
        assert.ok(fs.existsSync(x.p('d2', 'g')), 'created in the renamed directory');
        await x.fs.release(me, g.entry.ino, g.open.fh!, { flags: 0, flush: false, flockUnlock: false, lockOwner: 0n });
        x.fs.forget(g.entry.ino, 1);
        x.fs.forget(f.ino, 1);
        x.fs.forget(d.ino, 1);
      });
    });

    test('readdirplus counts one lookup per entry added, and gives back the one that did not fit', async () => {
      await withFx(new Fx(mode), async (x) => {
        for (const n of ['a', 'b', 'c', 'd']) fs.writeFileSync(x.p(n), n);
        const fh = (await x.fs.opendir(me, ROOT, 0)).fh!;
        const sink = plusSink(3);
        await x.fs.readdirplus(me, ROOT, fh, 0, sink);
        const real = sink.items.filter((i) => i.name !== '.' && i.name !== '..');
        for (const i of sink.items) if (i.name === '.' || i.name === '..') assert.equal(i.ino, 0, 'dot entries carry no reference');
        // Lookups started ahead (async mode) are given back as they complete.
        await eventually(() => x.fs.inodeCount === real.length);
        assert.equal(x.fs.inodeCount, real.length, 'the refused entry was forgotten');
        for (const i of real) {
          assert.equal(i.entry!.attr.size, 1);
          x.fs.forget(i.ino, 1);
        }
        // The rest, from where it stopped.
        const rest = plusSink();
        await x.fs.readdirplus(me, ROOT, fh, sink.items[2]!.off, rest);
        assert.deepEqual([...sink.items, ...rest.items].map((i) => i.name).sort(), ['.', '..', 'a', 'b', 'c', 'd']);
        for (const i of rest.items) if (i.ino !== 0) x.fs.forget(i.ino, 1);
        await x.fs.releasedir(me, ROOT, fh);
        await eventually(() => x.fs.inodeCount === 0);
        assert.equal(x.fs.inodeCount, 0);
        assert.equal(fdsUnder(x.src).length, 1);
      });
    });

    test('readdirplus in small replies over a larger directory: every lookup accounted for', async () => {
      await withFx(new Fx(mode), async (x) => {
        for (let i = 0; i < 120; i++) fs.writeFileSync(x.p(`f${i}`), '');
        const listed = await x.list(ROOT, 10, true);
        assert.equal(listed.length, 122);
        const held = listed.filter((l) => l.ino !== 0);
        assert.equal(new Set(held.map((l) => l.name)).size, 120);
        await eventually(() => x.fs.inodeCount === 120);
        assert.equal(x.fs.inodeCount, 120, 'one reference per entry handed out, none for those refused');
        for (const l of held) x.fs.forget(l.ino, 1);
        assert.equal(x.fs.inodeCount, 0);
        assert.equal(fdsUnder(x.src).length, 1);
      });
    });

    test('destroy closes everything but the root; close closes the root', async () => {
      const x = new Fx(mode);
      try {
        fs.writeFileSync(x.p('a'), 'A');
        const a = await x.lookup('a');
        await x.open(a.ino);
        await x.fs.opendir(me, ROOT, 0);
        assert.equal(x.fs.handleCount, 2);
        assert.equal(fdsUnder(x.src).length, 4);
        await x.fs.destroy();
        assert.equal(x.fs.handleCount, 0);
        assert.equal(fdsUnder(x.src).length, 1);
      } finally {
        x.cleanup();
      }
      assert.equal(fdsUnder(x.src).length, 0);
    });
  });
}

test('sync mode answers with plain values, no promises', () => {
  const x = new Fx('sync');
  try {
    fs.writeFileSync(x.p('a'), 'hello');
    const e = x.fs.lookup(me, ROOT, 'a');
    assert.ok(!isPromiseLike(e));
    const ino = (e as { ino: number }).ino;
    assert.ok(!isPromiseLike(x.fs.getattr(me, ino, undefined)));
    const o = x.fs.open(me, ino, 2, { killSuidgid: false });
    assert.ok(!isPromiseLike(o));
    const fh = (o as { fh: number }).fh;
    const r = x.fs.read(me, ino, fh, 0, 10, { flags: 2, lockOwner: undefined });
    assert.ok(!isPromiseLike(r));
    assert.equal(String(r), 'hello');
    assert.equal(x.fs.write(me, ino, fh, 5, Buffer.from('!'), { flags: 2, lockOwner: undefined, writeback: false, killSuidgid: false }), 1);
    assert.equal(fs.readFileSync(x.p('a'), 'utf8'), 'hello!');
    x.fs.forget(ino, 1);
  } finally {
    x.cleanup();
  }
});

test('the source must be a directory', () => {
  assert.throws(() => passthrough('/nonexistent-devfuse-source'), /ENOENT/);
  assert.throws(() => passthrough('/etc/hostname'), /ENOTDIR|not a directory/);
});
