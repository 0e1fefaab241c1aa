/**
 * memfs directory listings: "." and "..", cookies that stay valid across
 * unlinks, renames and creates made between READDIR calls, READDIRPLUS
 * lookup counting, and listing a removed directory.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ROOT, root, throwsErrno } from '../helpers/fs-calls';
import { Fx } from './memfs-helpers';

test('readdir lists ".", ".." and the entries with their types; offsets resume', () => {
  const f = new Fx();
  const d = f.mkdir(root, ROOT, 'd');
  f.file(root, d.ino, 'f');
  f.symlink(root, d.ino, 'l', 'f');
  f.mkdir(root, d.ino, 'sub');
  const all = f.readdir(d.ino, 0);
  assert.deepEqual(all.map((e) => e.name), ['.', '..', 'f', 'l', 'sub']);
  assert.equal(all[0]!.ino, d.ino);
  assert.equal(all[1]!.ino, ROOT);
  assert.deepEqual(all.map((e) => e.mode & 0o170000), [0o040000, 0o040000, 0o100000, 0o120000, 0o040000]);
  // Resuming at each entry's offset gives exactly the rest.
  for (let i = 0; i < all.length; i++) assert.deepEqual(f.readdir(d.ino, all[i]!.off).map((e) => e.name), all.slice(i + 1).map((e) => e.name));
  // The root's ".." is itself.
  assert.equal(f.readdir(ROOT, 0)[1]!.ino, ROOT);
});

test('a listing resumed after unlinks neither skips nor repeats the entries that remain', () => {
  const f = new Fx();
  const d = f.mkdir(root, ROOT, 'd');
  const names = Array.from({ length: 500 }, (_, i) => `n${i}`);
  for (const n of names) f.file(root, d.ino, n);
  const seen: string[] = [];
  const removed = new Set<string>();
  let off = 0;
  for (let round = 0; ; round++) {
    const batch = f.readdir(d.ino, off, 7);
    if (batch.length === 0) break;
    for (const e of batch) seen.push(e.name);
    off = batch[batch.length - 1]!.off;
    // Between calls, unlink some entries already listed and some not yet listed (enough to force compactions).
    for (let k = 0; k < 3; k++) {
      const victim = names[(round * 37 + k * 101) % names.length]!;
      if (!removed.has(victim)) {
        f.unlink(root, d.ino, victim);
        removed.add(victim);
      }
    }
  }
  const entries = seen.filter((n) => n !== '.' && n !== '..');
  assert.equal(new Set(entries).size, entries.length, 'no entry listed twice');
  for (const n of names) if (!removed.has(n)) assert.ok(entries.includes(n), `${n} survived and was listed`);
  assert.ok(removed.size > 64, 'the compaction path ran');
});

test('entries created or renamed during a listing: survivors still listed once', () => {
  const f = new Fx();
  const d = f.mkdir(root, ROOT, 'd');
  for (let i = 0; i < 20; i++) f.file(root, d.ino, `f${i}`);
  const first = f.readdir(d.ino, 0, 8);
  f.file(root, d.ino, 'late');
  f.rename(root, d.ino, 'f15', d.ino, 'f1'); // replace an already listed name: it keeps its place
  const rest = f.readdir(d.ino, first[first.length - 1]!.off);
  const names = [...first, ...rest].map((e) => e.name);
  assert.equal(new Set(names).size, names.length);
  for (let i = 0; i < 20; i++) if (i !== 15) assert.ok(names.includes(`f${i}`));
  assert.ok(names.includes('late'), 'appended entries come after the resume point');
});

test('an offset past the end lists nothing; offsets of removed entries still resume correctly', () => {
  const f = new Fx();
  f.file(root, ROOT, 'a');
  f.file(root, ROOT, 'b');
  f.file(root, ROOT, 'c');
  const all = f.readdir(ROOT, 0);
  const offB = all.find((e) => e.name === 'b')!.off;
  f.unlink(root, ROOT, 'b');
  assert.deepEqual(f.readdir(ROOT, offB).map((e) => e.name), ['c']);
  assert.deepEqual(f.readdir(ROOT, 1e12), []);
});

test('readdirplus counts one lookup per entry the reply took, none for "." and ".."', () => {
  const f = new Fx();
  const a = f.file(root, ROOT, 'a');
  const b = f.file(root, ROOT, 'b');
  const c = f.file(root, ROOT, 'c');
  f.forget(a, 1);
  f.forget(b, 1);
  f.forget(c, 1);
  assert.deepEqual([a, b, c].map((i) => f.st.get(i).nlookup), [0, 0, 0]);
  const got = f.readdirplus(ROOT, 0, 4); // ., .., a, b — c does not fit
  assert.deepEqual(got.map((e) => e.name), ['.', '..', 'a', 'b']);
  assert.equal(got[0]!.entry.ino, 0, '"." carries no node id');
  assert.equal(got[0]!.entry.attr.ino, ROOT);
  assert.equal(got[2]!.entry.ino, a);
  assert.deepEqual([a, b, c].map((i) => f.st.get(i).nlookup), [1, 1, 0]);
  const more = f.readdirplus(ROOT, got[3]!.off);
  assert.deepEqual(more.map((e) => e.name), ['c']);
  assert.equal(f.st.get(c).nlookup, 1);
});

test('listing a removed directory is ENOENT; readdir of a file is ENOTDIR', () => {
  const f = new Fx();
  const d = f.mkdir(root, ROOT, 'd');
  const fh = f.opendir(root, d.ino);
  f.rmdir(root, ROOT, 'd');
  throwsErrno(() => f.readdir(d.ino, 0, Infinity, fh), 'ENOENT');
  const file = f.file(root, ROOT, 'f');
  throwsErrno(() => f.readdir(file, 0), 'ENOTDIR');
  throwsErrno(() => f.opendir(root, file), 'ENOTDIR');
});

test('directory size grows with entries (tmpfs-style), readdir updates atime under relatime', () => {
  const f = new Fx();
  const before = f.getattr(ROOT).size;
  f.file(root, ROOT, 'x');
  assert.ok(f.getattr(ROOT).size > before);
  f.clock.advance(100);
  f.readdir(ROOT, 0);
  const a1 = f.getattr(ROOT);
  assert.deepEqual([a1.atime, a1.atimensec], [f.clock.t.sec, f.clock.t.nsec], 'atime older than mtime: updated');
  f.clock.advance(100);
  f.readdir(ROOT, 0);
  assert.equal(f.getattr(ROOT).atimensec, a1.atimensec, 'atime newer than mtime and ctime: left alone');
});

test('a big directory lists in order of creation, in bounded batches', () => {
  const f = new Fx();
  for (let i = 0; i < 5000; i++) f.file(root, ROOT, `e${i}`);
  const names = f.list(ROOT, 97);
  assert.equal(names.length, 5002);
  assert.equal(names[2], 'e0');
  assert.equal(names[5001], 'e4999');
});
