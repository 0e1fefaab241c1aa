/**
 * memfs's memory: the buffers it holds are exactly the blocks it counts
 * against `size` (runs of blocks are compacted when partly freed), deleted
 * data is no longer referenced (a garbage collection takes it), and
 * releaseMemory is called once after a large deletion. Accounting and
 * references only; RSS is measured by scripts/memfs-memory.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { releaseFreedMemory } from '../../src/server';
import { ROOT, root } from '../helpers/fs-calls';
import { Fx } from './memfs-helpers';

const KEEP_SIZE = 1;
const PUNCH_HOLE = 2;
const ZERO_RANGE = 0x10;
const B = 4096;
const MiB = 1 << 20;

/** Every buffer memfs holds is a block it counts: dataBytes = blocks × 4 KiB = the budget used (no xattrs or symlinks here). */
function assertHeldIsCounted(f: Fx, inos: number[]): void {
  const blocks = inos.reduce((n, ino) => n + f.getattr(ino).blocks / 8, 0);
  const held = inos.reduce((n, ino) => n + f.st.get(ino).data!.heldBytes, 0);
  assert.equal(held, blocks * B, 'buffers held by the files = their blocks');
  assert.equal(f.st.dataBytes, held, 'memfs-wide count = the files\' buffers');
  assert.equal(f.st.usedBytes, held, 'the size budget counts what is held');
}

test('the memory held is the blocks counted: after writes, punches and truncations inside runs, fallocate, copies', () => {
  const f = new Fx();
  const { entry, open } = f.create(root, ROOT, 'a');
  const a = entry.ino;
  // One 40-block write: runs of 16, 16 and 8 blocks in one buffer each.
  f.write(root, a, open.fh!, 0, Buffer.alloc(40 * B, 1));
  assertHeldIsCounted(f, [a]);
  // A hole in the middle of the first run: the run's other 15 blocks must not keep its 64 KiB.
  f.fallocate(a, PUNCH_HOLE | KEEP_SIZE, 3 * B, B);
  assertHeldIsCounted(f, [a]);
  assert.equal(f.st.dataBytes, 39 * B);
  // Truncation into the second run; then growing again.
  f.setattr(root, a, { size: 20 * B + 100 });
  assertHeldIsCounted(f, [a]);
  assert.equal(f.st.dataBytes, 20 * B);
  f.setattr(root, a, { size: 64 * B });
  // Unaligned writes, fallocate, zero range, a copy into another file.
  f.write(root, a, open.fh!, 30 * B + 7, Buffer.alloc(5 * B, 2));
  f.fallocate(a, 0, 50 * B, 4 * B);
  f.fallocate(a, ZERO_RANGE, 10 * B, 8 * B);
  const b = f.create(root, ROOT, 'b');
  f.copy(a, 0, b.entry.ino, 0, 40 * B);
  assertHeldIsCounted(f, [a, b.entry.ino]);
  // The data is what it should be after all that, compaction included.
  const back = f.read(root, a, open.fh!, 0, 20 * B);
  assert.equal(back.subarray(0, 3 * B).every((x) => x === 1), true);
  assert.equal(back.subarray(3 * B, 4 * B).every((x) => x === 0), true, 'the punched block');
  assert.equal(back.subarray(4 * B, 10 * B).every((x) => x === 1), true);
  assert.equal(back.subarray(10 * B, 18 * B).every((x) => x === 0), true, 'the zeroed range');
  // Deleting frees everything.
  f.release(a, open.fh!);
  f.release(b.entry.ino, b.open.fh!);
  f.unlink(root, ROOT, 'a');
  f.unlink(root, ROOT, 'b');
  f.forget(a, 1);
  f.forget(b.entry.ino, 1);
  assert.equal(f.st.dataBytes, 0);
  assert.equal(f.st.usedBytes, 0);
});

test('-o size bounds the memory held: a full filesystem holds size bytes of buffers, no more', () => {
  const f = new Fx({ size: 64 * B });
  const { entry, open } = f.create(root, ROOT, 'f');
  assert.equal(f.write(root, entry.ino, open.fh!, 0, Buffer.alloc(100 * B, 3)), 64 * B);
  // Holes punched in runs, then refilled: compaction must not leave dead blocks that fill the budget.
  for (let i = 0; i < 64; i += 4) f.fallocate(entry.ino, PUNCH_HOLE | KEEP_SIZE, i * B, B);
  assert.equal(f.st.dataBytes, 48 * B);
  for (let i = 0; i < 64; i += 4) assert.equal(f.write(root, entry.ino, open.fh!, i * B, Buffer.alloc(B, 4)), B);
  assert.equal(f.st.dataBytes, 64 * B);
  assertHeldIsCounted(f, [entry.ino]);
});

/** WeakRefs to the buffers behind a file's data, taken in a scope of their own so that no strong reference survives. */
function weakRefsToData(f: Fx, ino: number, fh: number, size: number): WeakRef<ArrayBufferLike>[] {
  const refs = new Set<ArrayBufferLike>();
  // 64 KiB at a time: reads of more than 64 blocks come back copied, not as views of the file's buffers.
  for (let off = 0; off < size; off += 16 * B) {
    const r = f.fs.read!(root, ino, fh, off, 16 * B, { flags: 0, lockOwner: undefined }) as Buffer | Buffer[];
    for (const v of Array.isArray(r) ? r : [r]) refs.add(v.buffer);
  }
  return [...refs].map((ab) => new WeakRef(ab));
}

test('deleted data is dropped: after unlink, release and forget, a collection frees every buffer the file had', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let releases = 0;
  const f = new Fx({ releaseMemory: () => releases++ });
  const { entry, open } = f.create(root, ROOT, 'big');
  for (let off = 0; off < 16 * MiB; off += MiB) f.write(root, entry.ino, open.fh!, off, Buffer.alloc(MiB, 5));
  const refs = weakRefsToData(f, entry.ino, open.fh!, 16 * MiB);
  assert.ok(refs.length >= 16 * MiB / (16 * B), `${refs.length} buffers`);
  // Still open after unlink: still held.
  f.unlink(root, ROOT, 'big');
  assert.equal(f.st.dataBytes, 16 * MiB);
  f.release(entry.ino, open.fh!);
  f.forget(entry.ino, 1);
  assert.equal(f.st.dataBytes, 0);
  assert.equal(releases, 0, 'not at once: after a short delay, so that an rm -rf is one release');
  t.mock.timers.tick(100);
  assert.equal(releases, 1);
  // WeakRefs hold their targets until the end of the job that made them.
  await new Promise((r) => setImmediate(r));
  releaseFreedMemory();
  const alive = refs.filter((r) => r.deref() !== undefined).length;
  assert.equal(alive, 0, `${alive} of ${refs.length} buffers of the deleted file are still referenced`);
});

test('releaseMemory: once per burst of deletions, at most once a second, only after 4 MiB', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let releases = 0;
  const f = new Fx({ releaseMemory: () => releases++ });
  const make = (name: string, bytes: number): void => {
    f.file(root, ROOT, name, Buffer.alloc(bytes, 1));
  };
  const drop = (name: string): void => {
    const ino = f.lookup(root, ROOT, name).ino;
    f.unlink(root, ROOT, name);
    f.forget(ino, 2);
  };
  // 3 MiB dropped: below the threshold, nothing.
  for (let i = 0; i < 3; i++) make(`s${i}`, MiB);
  for (let i = 0; i < 3; i++) drop(`s${i}`);
  t.mock.timers.tick(5000);
  assert.equal(releases, 0);
  // 20 files of 1 MiB removed in a row: one release.
  for (let i = 0; i < 20; i++) make(`f${i}`, MiB);
  for (let i = 0; i < 20; i++) drop(`f${i}`);
  t.mock.timers.tick(100);
  assert.equal(releases, 1);
  // More right after: held back until a second has passed since the last one.
  for (let i = 0; i < 8; i++) make(`g${i}`, MiB);
  for (let i = 0; i < 8; i++) drop(`g${i}`);
  t.mock.timers.tick(800);
  assert.equal(releases, 1);
  t.mock.timers.tick(100);
  assert.equal(releases, 2);
  t.mock.timers.tick(5000);
  assert.equal(releases, 2);
});
