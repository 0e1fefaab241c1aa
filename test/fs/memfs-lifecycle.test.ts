/**
 * memfs inode lifecycle: lookup counting, forget, when unlinked inodes are
 * freed (no name, no open handle, no kernel reference), node id reuse with
 * new generations, the inode and space budgets, statfs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ROOT, root, throwsErrno } from '../helpers/fs-calls';
import { Fx } from './memfs-helpers';

test('each Entry returned is one reference; forget(n) gives n back', () => {
  const f = new Fx();
  const ino = f.file(root, ROOT, 'a');
  assert.equal(f.st.get(ino).nlookup, 1, 'create');
  f.lookup(root, ROOT, 'a');
  f.lookup(root, ROOT, 'a');
  f.link(root, ino, ROOT, 'b');
  assert.equal(f.st.get(ino).nlookup, 4);
  f.forget(ino, 3);
  assert.equal(f.st.get(ino).nlookup, 1);
  f.forget(ino, 1);
  assert.ok(f.st.has(ino), 'still linked: kept');
});

test('an unlinked inode is freed only once it has no name, no open handle and no kernel reference', () => {
  const f = new Fx();
  const ino = f.file(root, ROOT, 'a', 'x'.repeat(10000));
  const used = f.st.usedBytes;
  assert.equal(used, 3 * 4096);
  const fh = f.open(root, ino);
  f.unlink(root, ROOT, 'a');
  assert.ok(f.st.has(ino), 'open and referenced');
  f.forget(ino, 1);
  assert.ok(f.st.has(ino), 'still open');
  assert.equal(f.read(root, ino, fh, 9998, 10).toString(), 'xx', 'an unlinked open file stays readable');
  f.write(root, ino, fh, 0, 'y');
  f.release(ino, fh);
  assert.ok(!f.st.has(ino), 'freed');
  assert.equal(f.st.usedBytes, 0, 'space given back');

  // Other order: released first, forgotten last.
  const j = f.file(root, ROOT, 'b', 'data');
  f.unlink(root, ROOT, 'b');
  assert.ok(f.st.has(j));
  f.forget(j, 1);
  assert.ok(!f.st.has(j));
});

test('rename over a file and rmdir free the victims the same way', () => {
  const f = new Fx();
  f.file(root, ROOT, 'a');
  const b = f.file(root, ROOT, 'b', 'bbb');
  f.rename(root, ROOT, 'a', ROOT, 'b');
  assert.ok(f.st.has(b));
  f.forget(b, 1);
  assert.ok(!f.st.has(b));
  const d = f.mkdir(root, ROOT, 'd');
  f.rmdir(root, ROOT, 'd');
  assert.ok(f.st.has(d.ino));
  f.forget(d.ino, 1);
  assert.ok(!f.st.has(d.ino));
});

test('freed node ids are reused with a new generation; forgets of unknown ids are ignored', () => {
  const f = new Fx();
  const e1 = f.create(root, ROOT, 'a');
  f.release(e1.entry.ino, e1.open.fh!);
  f.unlink(root, ROOT, 'a');
  f.forget(e1.entry.ino, 1);
  const e2 = f.create(root, ROOT, 'b');
  assert.equal(e2.entry.ino, e1.entry.ino);
  assert.notEqual(e2.entry.generation, e1.entry.generation);
  f.forget(12345, 1);
  f.forget(ROOT, 100);
  assert.ok(f.st.has(ROOT));
  throwsErrno(() => f.getattr(99999), 'ESTALE');
});

test('maxInodes: ENOSPC past the budget, room again after a free; statfs counts files', () => {
  const f = new Fx({ maxInodes: 4 }); // root + 3
  f.file(root, ROOT, 'a');
  f.mkdir(root, ROOT, 'b');
  f.symlink(root, ROOT, 'c', 'a');
  throwsErrno(() => f.file(root, ROOT, 'd'), 'ENOSPC');
  throwsErrno(() => f.mkdir(root, ROOT, 'd'), 'ENOSPC');
  const st = f.fs.statfs!(root, ROOT) as { files: number; ffree: number };
  assert.equal(st.files, 4);
  assert.equal(st.ffree, 0);
  const c = f.lookup(root, ROOT, 'c');
  f.unlink(root, ROOT, 'c');
  f.forget(c.ino, 2);
  f.file(root, ROOT, 'd');
});

test('size: ENOSPC when blocks run out, short writes at the edge, statfs block counts', () => {
  const f = new Fx({ size: 10 * 4096 });
  const st0 = f.fs.statfs!(root, ROOT) as { blocks: number; bfree: number; bavail: number; bsize: number; namelen: number };
  assert.deepEqual([st0.blocks, st0.bfree, st0.bavail, st0.bsize, st0.namelen], [10, 10, 10, 4096, 255]);
  const { entry, open } = f.create(root, ROOT, 'a');
  assert.equal(f.write(root, entry.ino, open.fh!, 0, Buffer.alloc(8 * 4096, 1)), 8 * 4096);
  // 3 blocks asked, 2 left: a short write, then ENOSPC.
  assert.equal(f.write(root, entry.ino, open.fh!, 8 * 4096, Buffer.alloc(3 * 4096, 2)), 2 * 4096);
  throwsErrno(() => f.write(root, entry.ino, open.fh!, 20 * 4096, Buffer.alloc(1)), 'ENOSPC');
  // Overwriting allocated blocks needs no space.
  assert.equal(f.write(root, entry.ino, open.fh!, 0, Buffer.alloc(4096, 3)), 4096);
  const st1 = f.fs.statfs!(root, ROOT) as { bfree: number };
  assert.equal(st1.bfree, 0);
  // xattrs and symlink targets come out of the same budget.
  throwsErrno(() => f.setxattr(root, entry.ino, 'user.big', Buffer.alloc(100)), 'ENOSPC');
  throwsErrno(() => f.symlink(root, ROOT, 'l', 'target'), 'ENOSPC');
  f.setattr(root, entry.ino, { size: 4096 });
  assert.equal((f.fs.statfs!(root, ROOT) as { bfree: number }).bfree, 9);
  f.setxattr(root, entry.ino, 'user.big', Buffer.alloc(100));
  f.symlink(root, ROOT, 'l', 'target');
});

test('the root directory takes uid, gid and mode from the options', () => {
  const f = new Fx({ uid: 1000, gid: 100, mode: 0o1777 });
  const a = f.getattr(ROOT);
  assert.deepEqual([a.uid, a.gid, a.mode], [1000, 100, 0o041777]);
  assert.throws(() => new Fx({ mode: 0o10000 }), TypeError);
  assert.throws(() => new Fx({ size: -1 }), TypeError);
});
