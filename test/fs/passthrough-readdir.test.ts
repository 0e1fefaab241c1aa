/**
 * READDIR offsets: the source's own cookies, resumable and seekable on a
 * handle, on ext4 (hashed cookies past 2^53, aliased) and tmpfs (small
 * ones, passed as they are).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import { describe, test } from 'node:test';
import { ROOT, me, plainSink, type Listed } from '../helpers/fs-calls';
import { Fx, withFx, MODES } from './passthrough-helpers';

const N = 300;
const BASES: [string, string][] = [
  ['ext4 or whatever os.tmpdir() is', os.tmpdir()],
  ['tmpfs', '/dev/shm'],
];

async function chunked(x: Fx, fh: number, from: number, per: number): Promise<Listed[]> {
  const out: Listed[] = [];
  let off = from;
  for (;;) {
    const sink = plainSink(per);
    await x.fs.readdir(me, ROOT, fh, off, sink);
    if (sink.items.length === 0) return out;
    out.push(...sink.items);
    off = sink.items[sink.items.length - 1]!.off;
  }
}

for (const mode of MODES) {
  for (const [what, base] of BASES) {
    describe(`passthrough readdir offsets (${mode}, ${what})`, { skip: !fs.existsSync(base) && `no ${base}` }, () => {
      test('chunks resume where they stopped, and every name comes once with its type and inode', async () => {
        await withFx(new Fx(mode, base), async (x) => {
          for (let i = 0; i < N; i++) fs.writeFileSync(x.p(`f${i}`), '');
          fs.mkdirSync(x.p('sub'));
          fs.symlinkSync('f0', x.p('ln'));
          const fh = (await x.fs.opendir(me, ROOT, 0)).fh!;
          const all = await chunked(x, fh, 0, 7);
          const names = all.map((l) => l.name);
          assert.equal(new Set(names).size, names.length, 'no duplicates');
          assert.equal(names.length, N + 4);
          const byName = new Map(all.map((l) => [l.name, l]));
          assert.equal(byName.get('sub')!.mode, 0o040000);
          assert.equal(byName.get('ln')!.mode, 0o120000);
          assert.equal(byName.get('f5')!.mode, 0o100000);
          assert.equal(byName.get('f5')!.ino, fs.statSync(x.p('f5')).ino);
          for (const l of all) assert.ok(Number.isSafeInteger(l.off) && l.off > 0, `offset ${l.off}`);
          // Seeking back to any offset handed out gives the same tail (seekdir/telldir).
          for (const k of [0, 1, 57, N + 2]) {
            const tail = await chunked(x, fh, all[k]!.off, 50);
            assert.deepEqual(tail.map((l) => l.name), names.slice(k + 1), `from entry ${k}`);
          }
          // Offset 0 rewinds; the second pass hands out the same offsets (big cookies are not aliased again).
          const again = await chunked(x, fh, 0, 1000);
          assert.deepEqual(again, all);
          // ... and sees a name created since.
          fs.writeFileSync(x.p('late'), '');
          const third = await chunked(x, fh, 0, 1000);
          assert.equal(third.length, N + 5);
          assert.ok(third.some((l) => l.name === 'late'));
          await x.fs.fsyncdir(me, ROOT, fh, false);
          await x.fs.releasedir(me, ROOT, fh);
          assert.equal(x.fs.handleCount, 0);
        });
      });

      test('a seek reads the source afresh: a name removed meanwhile is gone, the others are there', async () => {
        await withFx(new Fx(mode, base), async (x) => {
          for (let i = 0; i < 50; i++) fs.writeFileSync(x.p(`f${i}`), '');
          const fh = (await x.fs.opendir(me, ROOT, 0)).fh!;
          const first = plainSink(10);
          await x.fs.readdir(me, ROOT, fh, 0, first);
          const seen = new Set(first.items.map((l) => l.name));
          const unseen = [...Array(50).keys()].map((i) => `f${i}`).filter((n) => !seen.has(n));
          fs.unlinkSync(x.p(unseen[0]!));
          // Back to the 5th entry: not where the stream stands, so this seeks and reads again.
          const rest = await chunked(x, fh, first.items[4]!.off, 5);
          const names = new Set(rest.map((l) => l.name));
          assert.ok(!names.has(unseen[0]!));
          for (const n of unseen.slice(1)) assert.ok(names.has(n), n);
          for (const l of first.items.slice(5)) assert.ok(names.has(l.name), l.name);
          await x.fs.releasedir(me, ROOT, fh);
        });
      });
    });
  }
}
