/**
 * memfs names: lookup, creates, hard links, symlinks, device nodes, unlink,
 * rmdir and rename with its flags, link counts, name lengths and the
 * timestamps each of them touches. Called directly, with fake contexts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ROOT, alice, root, throwsErrno } from '../helpers/fs-calls';
import { Fx } from './memfs-helpers';

const RENAME_NOREPLACE = 1;
const RENAME_EXCHANGE = 2;
const RENAME_WHITEOUT = 4;

test('lookup finds what create made; ENOENT, ENOTDIR otherwise', () => {
  const f = new Fx();
  const ino = f.file(root, ROOT, 'a', 'hi');
  const e = f.lookup(root, ROOT, 'a');
  assert.equal(e.ino, ino);
  assert.equal(e.attr.size, 2);
  assert.ok((e.generation ?? 0) > 0);
  throwsErrno(() => f.lookup(root, ROOT, 'b'), 'ENOENT');
  throwsErrno(() => f.lookup(root, ino, 'x'), 'ENOTDIR');
});

test('directories: nlink is 2 + subdirectories, parent mtime/ctime move on create and remove', () => {
  const f = new Fx();
  assert.equal(f.getattr(ROOT).nlink, 2);
  const before = f.getattr(ROOT);
  f.clock.advance(10);
  const d = f.mkdir(root, ROOT, 'd');
  assert.equal(d.attr.nlink, 2);
  assert.equal(f.getattr(ROOT).nlink, 3);
  assert.ok(f.getattr(ROOT).mtimensec !== before.mtimensec || f.getattr(ROOT).mtime !== before.mtime);
  f.mkdir(root, d.ino, 'e');
  f.file(root, d.ino, 'file');
  assert.equal(f.getattr(d.ino).nlink, 3, 'files do not count');
  throwsErrno(() => f.rmdir(root, ROOT, 'd'), 'ENOTEMPTY');
  f.rmdir(root, d.ino, 'e');
  f.unlink(root, d.ino, 'file');
  f.clock.advance(10);
  f.rmdir(root, ROOT, 'd');
  assert.equal(f.getattr(ROOT).nlink, 2);
  assert.deepEqual([f.getattr(ROOT).mtime, f.getattr(ROOT).mtimensec], [f.clock.t.sec, f.clock.t.nsec]);
  assert.deepEqual([f.getattr(ROOT).ctime, f.getattr(ROOT).ctimensec], [f.clock.t.sec, f.clock.t.nsec]);
});

test('EEXIST for every create over an existing name; ENOENT in a removed directory', () => {
  const f = new Fx();
  f.file(root, ROOT, 'a');
  throwsErrno(() => f.mkdir(root, ROOT, 'a'), 'EEXIST');
  throwsErrno(() => f.mknod(root, ROOT, 'a', 0o010644), 'EEXIST');
  throwsErrno(() => f.symlink(root, ROOT, 'a', 'x'), 'EEXIST');
  throwsErrno(() => f.create(root, ROOT, 'a', 0o644, 0o300 /* O_CREAT|O_EXCL */), 'EEXIST');
  const d = f.mkdir(root, ROOT, 'd');
  f.rmdir(root, ROOT, 'd');
  throwsErrno(() => f.file(root, d.ino, 'x'), 'ENOENT');
  throwsErrno(() => f.mkdir(root, d.ino, 'x'), 'ENOENT');
});

test('create without O_EXCL on a name that appeared meanwhile opens the existing file', () => {
  const f = new Fx();
  const ino = f.file(root, ROOT, 'a', 'data');
  const r = f.create(root, ROOT, 'a', 0o600, 2);
  assert.equal(r.entry.ino, ino);
  assert.equal(f.read(root, ino, r.open.fh!, 0, 10).toString(), 'data');
});

test('names: 255 bytes is the limit, counted in bytes (UTF-8, and lone surrogates as single bytes)', () => {
  const f = new Fx();
  f.file(root, ROOT, 'x'.repeat(255));
  throwsErrno(() => f.file(root, ROOT, 'x'.repeat(256)), 'ENAMETOOLONG');
  throwsErrno(() => f.lookup(root, ROOT, 'x'.repeat(256)), 'ENAMETOOLONG');
  // 'é' is 2 bytes: 128 of them are 256 bytes although only 128 UTF-16 units.
  throwsErrno(() => f.mkdir(root, ROOT, 'é'.repeat(128)), 'ENAMETOOLONG');
  f.mkdir(root, ROOT, 'é'.repeat(127));
  // A name of 255 raw non-UTF-8 bytes (0xff) decodes to 255 lone surrogates: exactly at the limit.
  const raw = String.fromCharCode(0xdcff).repeat(255);
  f.file(root, ROOT, raw);
  assert.equal(f.lookup(root, ROOT, raw).attr.size, 0);
  throwsErrno(() => f.file(root, ROOT, raw + String.fromCharCode(0xdcfe)), 'ENAMETOOLONG');
});

test('hard links: nlink counts names, ctime moves, data shared; directories cannot be linked', () => {
  const f = new Fx();
  const ino = f.file(root, ROOT, 'a', 'shared');
  f.clock.advance(5);
  const e = f.link(root, ino, ROOT, 'b');
  assert.equal(e.ino, ino);
  assert.equal(e.attr.nlink, 2);
  assert.deepEqual([e.attr.ctime, e.attr.ctimensec], [f.clock.t.sec, f.clock.t.nsec]);
  f.unlink(root, ROOT, 'a');
  assert.equal(f.getattr(ino).nlink, 1);
  const fh = f.open(root, f.lookup(root, ROOT, 'b').ino);
  assert.equal(f.read(root, ino, fh, 0, 100).toString(), 'shared');
  const d = f.mkdir(root, ROOT, 'd');
  throwsErrno(() => f.link(root, d.ino, ROOT, 'd2'), 'EPERM');
  throwsErrno(() => f.link(root, ino, ROOT, 'b'), 'EEXIST');
});

test('symlinks: mode 0777 whatever the umask, size is the target length, readlink returns it', () => {
  const f = new Fx();
  const e = f.symlink({ ...root, umask: 0o077 }, ROOT, 'l', '../some/where');
  assert.equal(e.attr.mode, 0o120777);
  assert.equal(e.attr.size, 13);
  assert.equal(f.fs.readlink!(root, e.ino), '../some/where');
  throwsErrno(() => f.fs.readlink!(root, ROOT), 'EINVAL');
  throwsErrno(() => f.symlink(root, ROOT, 'm', 'x'.repeat(4096)), 'ENAMETOOLONG');
  f.symlink(root, ROOT, 'm', 'x'.repeat(4095));
  // Non-UTF-8 target bytes round-trip and count as one byte each.
  const t = 'a' + String.fromCharCode(0xdcff);
  assert.equal(f.symlink(root, ROOT, 'n', t).attr.size, 2);
  assert.equal(f.fs.readlink!(root, f.lookup(root, ROOT, 'n').ino), t);
});

test('mknod: FIFOs, sockets, character and block devices keep type and rdev; regular files too', () => {
  const f = new Fx();
  assert.equal(f.mknod(root, ROOT, 'fifo', 0o010640).attr.mode, 0o010640);
  assert.equal(f.mknod(root, ROOT, 'sock', 0o140755).attr.mode, 0o140755);
  const c = f.mknod(root, ROOT, 'null', 0o020666, 0x0103);
  assert.equal(c.attr.rdev, 0x0103);
  assert.equal(f.mknod(root, ROOT, 'blk', 0o060660, 0x0800).attr.rdev, 0x0800);
  const r = f.mknod(root, ROOT, 'reg', 0o100600);
  const fh = f.open(root, r.ino);
  f.write(root, r.ino, fh, 0, 'ok');
  assert.equal(f.getattr(r.ino).size, 2);
  throwsErrno(() => f.mknod(root, ROOT, 'dir', 0o040755), 'EPERM');
  const cfh = f.open(root, c.ino);
  throwsErrno(() => f.read(root, c.ino, cfh, 0, 1), 'EINVAL');
});

test('mode: the umask applies (idempotent when the kernel already applied it)', () => {
  const f = new Fx();
  const c = { ...alice, umask: 0o027 };
  const d = f.mkdir(root, ROOT, 'pub', 0o777);
  assert.equal(f.create(c, d.ino, 'f', 0o666).entry.attr.mode, 0o100640);
  assert.equal(f.create(c, d.ino, 'g', 0o640).entry.attr.mode, 0o100640);
  assert.equal(f.mkdir(c, d.ino, 'sub', 0o777).attr.mode, 0o040750);
});

test('unlink: EISDIR for directories, ENOENT for missing names; rmdir: ENOTDIR for files', () => {
  const f = new Fx();
  f.mkdir(root, ROOT, 'd');
  f.file(root, ROOT, 'f');
  throwsErrno(() => f.unlink(root, ROOT, 'd'), 'EISDIR');
  throwsErrno(() => f.unlink(root, ROOT, 'nope'), 'ENOENT');
  throwsErrno(() => f.rmdir(root, ROOT, 'f'), 'ENOTDIR');
  throwsErrno(() => f.rmdir(root, ROOT, '.'), 'EINVAL');
  throwsErrno(() => f.rmdir(root, ROOT, '..'), 'ENOTEMPTY');
});

test('rename: plain move, replacing a file, ctime of the moved inode and both parents', () => {
  const f = new Fx();
  const a = f.file(root, ROOT, 'a', 'A');
  const b = f.file(root, ROOT, 'b', 'B');
  const d = f.mkdir(root, ROOT, 'd');
  f.clock.advance(7);
  f.rename(root, ROOT, 'a', d.ino, 'x');
  throwsErrno(() => f.lookup(root, ROOT, 'a'), 'ENOENT');
  assert.equal(f.lookup(root, d.ino, 'x').ino, a);
  for (const ino of [a, ROOT, d.ino]) assert.deepEqual([f.getattr(ino).ctime, f.getattr(ino).ctimensec], [f.clock.t.sec, f.clock.t.nsec]);
  // Replacing: b loses its only name, and is freed once the kernel forgets it.
  f.rename(root, d.ino, 'x', ROOT, 'b');
  assert.equal(f.lookup(root, ROOT, 'b').ino, a);
  assert.equal(f.st.get(b).nlink, 0);
});

test('rename of two names of one file does nothing', () => {
  const f = new Fx();
  const a = f.file(root, ROOT, 'a');
  f.link(root, a, ROOT, 'b');
  f.rename(root, ROOT, 'a', ROOT, 'b');
  assert.equal(f.lookup(root, ROOT, 'a').ino, a);
  assert.equal(f.lookup(root, ROOT, 'b').ino, a);
  assert.equal(f.getattr(a).nlink, 2);
});

test('rename type rules: EISDIR, ENOTDIR, ENOTEMPTY; an empty directory can be replaced', () => {
  const f = new Fx();
  f.file(root, ROOT, 'f');
  const d1 = f.mkdir(root, ROOT, 'd1');
  const d2 = f.mkdir(root, ROOT, 'd2');
  throwsErrno(() => f.rename(root, ROOT, 'f', ROOT, 'd1'), 'EISDIR');
  throwsErrno(() => f.rename(root, ROOT, 'd1', ROOT, 'f'), 'ENOTDIR');
  f.file(root, d2.ino, 'inside');
  throwsErrno(() => f.rename(root, ROOT, 'd1', ROOT, 'd2'), 'ENOTEMPTY');
  f.unlink(root, d2.ino, 'inside');
  f.mkdir(root, d1.ino, 'sub');
  f.rename(root, ROOT, 'd1', ROOT, 'd2');
  assert.equal(f.lookup(root, ROOT, 'd2').ino, d1.ino);
  assert.equal(f.getattr(ROOT).nlink, 3, 'root: . .. and d2');
  assert.equal(f.st.get(d2.ino).nlink, 0);
  throwsErrno(() => f.rename(root, ROOT, 'nope', ROOT, 'x'), 'ENOENT');
});

test('rename of a directory into its own subtree is EINVAL; moving it elsewhere fixes ".." and nlinks', () => {
  const f = new Fx();
  const a = f.mkdir(root, ROOT, 'a');
  const b = f.mkdir(root, a.ino, 'b');
  const c = f.mkdir(root, b.ino, 'c');
  throwsErrno(() => f.rename(root, ROOT, 'a', c.ino, 'a'), 'EINVAL');
  throwsErrno(() => f.rename(root, ROOT, 'a', a.ino, 'x'), 'EINVAL');
  f.rename(root, b.ino, 'c', ROOT, 'c');
  assert.equal(f.getattr(b.ino).nlink, 2);
  assert.equal(f.getattr(ROOT).nlink, 4);
  const dotdot = f.readdir(c.ino, 0).find((e) => e.name === '..');
  assert.equal(dotdot?.ino, ROOT);
  // The target an ancestor of the source: not empty.
  throwsErrno(() => f.rename(root, a.ino, 'b', ROOT, 'a'), 'ENOTEMPTY');
});

test('RENAME_NOREPLACE: EEXIST over an existing name, a plain rename otherwise', () => {
  const f = new Fx();
  f.file(root, ROOT, 'a', 'A');
  f.file(root, ROOT, 'b', 'B');
  throwsErrno(() => f.rename(root, ROOT, 'a', ROOT, 'b', RENAME_NOREPLACE), 'EEXIST');
  f.rename(root, ROOT, 'a', ROOT, 'c', RENAME_NOREPLACE);
  assert.equal(f.list(ROOT).sort().join(), '.,..,b,c');
});

test('RENAME_EXCHANGE swaps two names atomically, across directories and types', () => {
  const f = new Fx();
  const file = f.file(root, ROOT, 'file', 'F');
  const d = f.mkdir(root, ROOT, 'dir');
  const other = f.mkdir(root, ROOT, 'other');
  f.rename(root, ROOT, 'file', ROOT, 'dir', RENAME_EXCHANGE);
  assert.equal(f.lookup(root, ROOT, 'dir').ino, file);
  assert.equal(f.lookup(root, ROOT, 'file').ino, d.ino);
  // Across directories: the directory's ".." and both parents' nlink follow.
  f.rename(root, ROOT, 'file', other.ino, 'x', 0);
  const x = f.file(root, ROOT, 'y');
  f.rename(root, other.ino, 'x', ROOT, 'y', RENAME_EXCHANGE);
  assert.equal(f.lookup(root, ROOT, 'y').ino, d.ino);
  assert.equal(f.lookup(root, other.ino, 'x').ino, x);
  assert.equal(f.getattr(other.ino).nlink, 2);
  assert.equal(f.getattr(ROOT).nlink, 4, '. .. other y(dir) — dir counts in root again');
  assert.equal(f.readdir(d.ino, 0).find((e) => e.name === '..')?.ino, ROOT);
  throwsErrno(() => f.rename(root, ROOT, 'y', ROOT, 'missing', RENAME_EXCHANGE), 'ENOENT');
  throwsErrno(() => f.rename(root, ROOT, 'y', ROOT, 'other', RENAME_EXCHANGE | RENAME_NOREPLACE), 'EINVAL');
  throwsErrno(() => f.rename(root, ROOT, 'y', ROOT, 'other', 8), 'EINVAL');
  // A directory exchanged with one of its own descendants would detach both.
  const inner = f.mkdir(root, d.ino, 'inner');
  throwsErrno(() => f.rename(root, ROOT, 'y', d.ino, 'inner', RENAME_EXCHANGE), 'EINVAL');
  assert.ok(inner.ino > 0);
});

test('RENAME_WHITEOUT leaves a 0:0 character device at the old name', () => {
  const f = new Fx();
  const a = f.file(root, ROOT, 'a');
  f.rename(root, ROOT, 'a', ROOT, 'b', RENAME_WHITEOUT);
  assert.equal(f.lookup(root, ROOT, 'b').ino, a);
  const w = f.lookup(root, ROOT, 'a');
  assert.equal(w.attr.mode & 0o170000, 0o020000);
  assert.equal(w.attr.rdev, 0);
});

test('O_TMPFILE: a nameless open file that linkat can name once, unless O_EXCL', () => {
  const f = new Fx();
  const t = f.tmpfile(root, ROOT);
  assert.equal(t.entry.attr.nlink, 0);
  f.write(root, t.entry.ino, t.open.fh!, 0, 'tmp');
  assert.deepEqual(f.list(ROOT), ['.', '..']);
  f.link(root, t.entry.ino, ROOT, 'named');
  assert.equal(f.getattr(t.entry.ino).nlink, 1);
  const x = f.tmpfile(root, ROOT, 0o600, 2 | 0o200 /* O_EXCL */);
  throwsErrno(() => f.link(root, x.entry.ino, ROOT, 'nope'), 'ENOENT');
  // An ordinary file, once unlinked, cannot be linked again either.
  const g = f.file(root, ROOT, 'g');
  const fh = f.open(root, g);
  f.unlink(root, ROOT, 'g');
  throwsErrno(() => f.link(root, g, ROOT, 'g2'), 'ENOENT');
  f.release(g, fh);
});
