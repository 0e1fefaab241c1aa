/**
 * memfs file data: sparse storage, reads past EOF, st_blocks, truncate,
 * SEEK_DATA/SEEK_HOLE, fallocate modes, copy_file_range, and that written
 * data is copied out of the request buffer.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ROOT, alice, root, throwsErrno } from '../helpers/fs-calls';
import { Fx } from './memfs-helpers';

const TiB = 2 ** 40;
const KEEP_SIZE = 1;
const PUNCH_HOLE = 2;
const ZERO_RANGE = 0x10;
const SEEK_DATA = 3;
const SEEK_HOLE = 4;

function newFile(f: Fx, name = 'f'): { ino: number; fh: number } {
  const { entry, open } = f.create(root, ROOT, name);
  return { ino: entry.ino, fh: open.fh! };
}

test('write copies the data: the caller may reuse its buffer at once', () => {
  const f = new Fx();
  const { ino, fh } = newFile(f);
  const buf = Buffer.from('hello');
  f.write(root, ino, fh, 0, buf);
  buf.fill(0);
  assert.equal(f.read(root, ino, fh, 0, 5).toString(), 'hello');
});

test('reads past EOF are short or empty; holes read as zeros', () => {
  const f = new Fx();
  const { ino, fh } = newFile(f);
  f.write(root, ino, fh, 10000, 'end');
  assert.equal(f.getattr(ino).size, 10003);
  assert.equal(f.read(root, ino, fh, 10000, 100).toString(), 'end');
  assert.equal(f.read(root, ino, fh, 20000, 100).length, 0);
  const head = f.read(root, ino, fh, 0, 10000);
  assert.equal(head.length, 10000);
  assert.ok(head.every((b) => b === 0));
});

test('a write at 1 TiB allocates one block: st_blocks counts blocks, the size is 1 TiB + 1', () => {
  const f = new Fx();
  const { ino, fh } = newFile(f);
  f.write(root, ino, fh, TiB, 'x');
  const a = f.getattr(ino);
  assert.equal(a.size, TiB + 1);
  assert.equal(a.blocks, 8, 'one 4 KiB block = 8 sectors');
  assert.equal(f.st.usedBytes, 4096);
  assert.equal(f.read(root, ino, fh, TiB - 2, 10).toString('hex'), '000078');
  // A large read across the hole comes back whole, as one buffer.
  assert.equal(f.read(root, ino, fh, TiB - 1024 * 1024, 4 * 1024 * 1024).length, 1024 * 1024 + 1);
});

test('writes spanning blocks, unaligned, and overwrites', () => {
  const f = new Fx();
  const { ino, fh } = newFile(f);
  const big = Buffer.alloc(3 * 4096 + 17);
  for (let i = 0; i < big.length; i++) big[i] = i % 251;
  assert.equal(f.write(root, ino, fh, 4000, big), big.length);
  assert.deepEqual(f.read(root, ino, fh, 4000, big.length), big);
  f.write(root, ino, fh, 4096, 'ABC');
  const back = f.read(root, ino, fh, 4090, 12);
  assert.deepEqual([...back], [...big.subarray(90, 96), 65, 66, 67, ...big.subarray(99, 102)]);
  assert.equal(f.getattr(ino).blocks, 4 * 8, 'blocks 0..3 (4000 + 12305 bytes ends in block 3)');
});

test('truncate: shrinking frees blocks and zeroes the cut tail; growing reads zeros', () => {
  const f = new Fx();
  const { ino, fh } = newFile(f);
  f.write(root, ino, fh, 0, Buffer.alloc(10000, 0x61));
  f.setattr(root, ino, { size: 5000 });
  assert.equal(f.getattr(ino).blocks, 16);
  f.setattr(root, ino, { size: 9000 });
  const r = f.read(root, ino, fh, 4990, 20);
  assert.equal(r.toString('latin1'), 'a'.repeat(10) + '\0'.repeat(10), 'old bytes past the cut are gone');
  f.setattr(root, ino, { size: 0 });
  assert.equal(f.getattr(ino).blocks, 0);
  f.setattr(root, ino, { size: TiB });
  assert.equal(f.getattr(ino).size, TiB);
  assert.equal(f.getattr(ino).blocks, 0, 'extending is sparse');
  throwsErrno(() => f.setattr(root, ino, { size: 2 ** 60 }), 'EFBIG');
  throwsErrno(() => f.setattr(root, ROOT, { size: 0 }), 'EISDIR');
});

test('truncate and write stamp mtime and ctime; read stamps atime', () => {
  const f = new Fx();
  const { ino, fh } = newFile(f);
  f.clock.advance(1000);
  f.write(root, ino, fh, 0, 'abc');
  let a = f.getattr(ino);
  assert.deepEqual([a.mtime, a.mtimensec, a.ctime, a.ctimensec], [f.clock.t.sec, f.clock.t.nsec, f.clock.t.sec, f.clock.t.nsec]);
  f.clock.advance(1000);
  f.read(root, ino, fh, 0, 3);
  a = f.getattr(ino);
  assert.deepEqual([a.atime, a.atimensec], [f.clock.t.sec, f.clock.t.nsec]);
  assert.notEqual(a.mtimensec, f.clock.t.nsec);
  f.clock.advance(1000);
  f.setattr(root, ino, { size: 1 });
  a = f.getattr(ino);
  assert.deepEqual([a.mtimensec, a.ctimensec], [f.clock.t.nsec, f.clock.t.nsec]);
});

test('SEEK_DATA and SEEK_HOLE walk the allocated blocks; ENXIO at or past EOF', () => {
  const f = new Fx();
  const { ino, fh } = newFile(f);
  f.write(root, ino, fh, 8192, Buffer.alloc(4096, 1)); // block 2
  f.write(root, ino, fh, 5 * 4096 + 100, 'x'); // block 5, size 5*4096+101
  assert.equal(f.lseek(ino, 0, SEEK_DATA), 8192);
  assert.equal(f.lseek(ino, 9000, SEEK_DATA), 9000);
  assert.equal(f.lseek(ino, 3 * 4096, SEEK_DATA), 5 * 4096);
  assert.equal(f.lseek(ino, 0, SEEK_HOLE), 0);
  assert.equal(f.lseek(ino, 8192, SEEK_HOLE), 3 * 4096);
  assert.equal(f.lseek(ino, 5 * 4096, SEEK_HOLE), 5 * 4096 + 101, 'EOF is a hole');
  throwsErrno(() => f.lseek(ino, 5 * 4096 + 101, SEEK_DATA), 'ENXIO');
  throwsErrno(() => f.lseek(ino, 5 * 4096 + 101, SEEK_HOLE), 'ENXIO');
  f.setattr(root, ino, { size: 10 * 4096 });
  throwsErrno(() => f.lseek(ino, 6 * 4096, SEEK_DATA), 'ENXIO', 'a trailing hole has no data');
  throwsErrno(() => f.lseek(ino, 0, 0), 'EINVAL');
  // A sparse 1 TiB file: SEEK_DATA jumps straight to the data.
  const g = newFile(f, 'g');
  f.write(root, g.ino, g.fh, TiB, 'z');
  assert.equal(f.lseek(g.ino, 0, SEEK_DATA), TiB);
});

test('fallocate mode 0 allocates and extends; KEEP_SIZE allocates past EOF without extending', () => {
  const f = new Fx();
  const { ino, fh } = newFile(f);
  f.fallocate(ino, 0, 0, 10000);
  assert.equal(f.getattr(ino).size, 10000);
  assert.equal(f.getattr(ino).blocks, 24);
  assert.equal(f.lseek(ino, 0, SEEK_HOLE), 10000);
  f.fallocate(ino, KEEP_SIZE, 10000, 20000);
  assert.equal(f.getattr(ino).size, 10000);
  assert.equal(f.getattr(ino).blocks, 64, 'blocks 0..7');
  assert.equal(f.read(root, ino, fh, 9990, 100).length, 10);
  // Growing later exposes zeros from the preallocated blocks.
  f.setattr(root, ino, { size: 30000 });
  assert.ok(f.read(root, ino, fh, 0, 30000).every((b) => b === 0));
  throwsErrno(() => f.fallocate(ino, 0, 0, 0), 'EINVAL');
});

test('fallocate PUNCH_HOLE|KEEP_SIZE frees whole blocks, zeroes partial ones, keeps the size', () => {
  const f = new Fx();
  const { ino, fh } = newFile(f);
  f.write(root, ino, fh, 0, Buffer.alloc(5 * 4096, 0x41));
  f.fallocate(ino, PUNCH_HOLE | KEEP_SIZE, 100, 3 * 4096);
  const a = f.getattr(ino);
  assert.equal(a.size, 5 * 4096);
  assert.equal(a.blocks, 3 * 8, 'blocks 1 and 2 freed; 0 and 3 partly zeroed');
  const data = f.read(root, ino, fh, 0, 5 * 4096);
  for (let i = 0; i < data.length; i++) assert.equal(data[i], i >= 100 && i < 100 + 3 * 4096 ? 0 : 0x41, `byte ${i}`);
  assert.equal(f.lseek(ino, 0, SEEK_HOLE), 4096);
  throwsErrno(() => f.fallocate(ino, PUNCH_HOLE, 0, 10), 'EOPNOTSUPP');
  // A huge punch over a sparse file costs nothing.
  f.write(root, ino, fh, TiB, 'x');
  f.fallocate(ino, PUNCH_HOLE | KEEP_SIZE, 0, TiB + 4096);
  assert.equal(f.getattr(ino).blocks, 0);
});

test('fallocate ZERO_RANGE zeroes and allocates, extends unless KEEP_SIZE; other modes EOPNOTSUPP', () => {
  const f = new Fx();
  const { ino, fh } = newFile(f);
  f.write(root, ino, fh, 0, Buffer.alloc(3 * 4096, 0x42));
  f.fallocate(ino, ZERO_RANGE, 4000, 200);
  assert.ok(f.read(root, ino, fh, 4000, 200).every((b) => b === 0));
  assert.equal(f.read(root, ino, fh, 3999, 1)[0], 0x42);
  f.fallocate(ino, ZERO_RANGE, 3 * 4096, 4096);
  assert.equal(f.getattr(ino).size, 4 * 4096);
  assert.equal(f.getattr(ino).blocks, 32);
  f.fallocate(ino, ZERO_RANGE | KEEP_SIZE, 4 * 4096, 4096);
  assert.equal(f.getattr(ino).size, 4 * 4096);
  for (const mode of [0x04, 0x08, 0x20, 0x40]) throwsErrno(() => f.fallocate(ino, mode, 0, 1), 'EOPNOTSUPP');
});

test('fallocate is all or nothing against the space budget', () => {
  const f = new Fx({ size: 4 * 4096 });
  const { ino } = newFile(f);
  throwsErrno(() => f.fallocate(ino, 0, 0, 5 * 4096), 'ENOSPC');
  assert.equal(f.getattr(ino).blocks, 0);
  assert.equal(f.getattr(ino).size, 0);
  f.fallocate(ino, 0, 0, 4 * 4096);
});

test('copy_file_range copies data, keeps holes, stops at the source EOF', () => {
  const f = new Fx();
  const src = newFile(f, 'src');
  const dst = newFile(f, 'dst');
  f.write(root, src.ino, src.fh, 0, 'head');
  f.write(root, src.ino, src.fh, 3 * 4096, 'tail');
  f.write(root, dst.ino, dst.fh, 0, Buffer.alloc(5 * 4096, 0x5a));
  const n = f.copy(src.ino, 0, dst.ino, 10, 1e9);
  assert.equal(n, 3 * 4096 + 4);
  const got = f.read(root, dst.ino, dst.fh, 0, 5 * 4096);
  assert.equal(got.subarray(10, 14).toString(), 'head');
  assert.ok(got.subarray(14, 10 + 3 * 4096).every((b) => b === 0), 'the hole was copied as zeros');
  assert.equal(got.subarray(10 + 3 * 4096, 14 + 3 * 4096).toString(), 'tail');
  assert.equal(got[9], 0x5a);
  assert.equal(got[14 + 3 * 4096], 0x5a);
  // Past the source's EOF: nothing.
  assert.equal(f.copy(src.ino, 1e6, dst.ino, 0, 10), 0);
  // Sparse stays sparse: copying a 1 TiB-sparse file allocates only the data.
  const s2 = newFile(f, 's2');
  f.write(root, s2.ino, s2.fh, TiB, 'z');
  const d2 = newFile(f, 'd2');
  assert.equal(f.copy(s2.ino, 0, d2.ino, 0, TiB + 1), TiB + 1);
  assert.equal(f.getattr(d2.ino).size, TiB + 1);
  assert.equal(f.getattr(d2.ino).blocks, 8);
});

test('copy_file_range within one file: EINVAL when the ranges overlap, works when they do not', () => {
  const f = new Fx();
  const { ino, fh } = newFile(f);
  f.write(root, ino, fh, 0, '0123456789');
  throwsErrno(() => f.copy(ino, 0, ino, 5, 10), 'EINVAL');
  assert.equal(f.copy(ino, 0, ino, 10, 10), 10);
  assert.equal(f.read(root, ino, fh, 0, 20).toString(), '01234567890123456789');
  throwsErrno(() => f.copy(ROOT, 0, ino, 0, 1), 'EISDIR');
});

test('writes by a non-root caller drop setuid and group-exec setgid; root and writeback flushes do not', () => {
  const f = new Fx();
  const { ino, fh } = newFile(f);
  f.setattr(root, ino, { mode: 0o6777 });
  f.write(root, ino, fh, 0, 'x');
  assert.equal(f.getattr(ino).mode & 0o7777, 0o6777, 'root keeps them');
  f.write(alice, ino, fh, 0, 'x', { writeback: true });
  assert.equal(f.getattr(ino).mode & 0o7777, 0o6777, 'writeback flush');
  f.write(alice, ino, fh, 0, 'x');
  assert.equal(f.getattr(ino).mode & 0o7777, 0o0777);
  f.setattr(root, ino, { mode: 0o6767 });
  f.write(root, ino, fh, 0, 'x', { killSuidgid: true });
  assert.equal(f.getattr(ino).mode & 0o7777, 0o2767, 'setgid without group exec stays');
});

test('read and write on directories and special files fail as the syscalls would', () => {
  const f = new Fx();
  throwsErrno(() => f.read(root, ROOT, 0, 0, 1), 'EISDIR');
  throwsErrno(() => f.open(root, ROOT), 'EISDIR');
  const fifo = f.mknod(root, ROOT, 'p', 0o010644);
  throwsErrno(() => f.write(root, fifo.ino, 0, 0, 'x'), 'EINVAL');
});

test('truncating (even to the same size) frees blocks fallocate\'d past EOF; growing keeps them', () => {
  const f = new Fx();
  const { ino } = newFile(f);
  f.fallocate(ino, 0, 0, 4096);
  f.fallocate(ino, KEEP_SIZE, 4096, 3 * 4096);
  assert.equal(f.getattr(ino).blocks, 32);
  f.setattr(root, ino, { size: 8192 });
  assert.equal(f.getattr(ino).blocks, 32, 'growing: the preallocation stays');
  f.setattr(root, ino, { size: 8192 });
  assert.equal(f.getattr(ino).blocks, 16, 'same size: blocks past EOF go');
});

test('copy_file_range stops short when the space runs out part way', () => {
  const f = new Fx({ size: 6 * 4096 });
  const src = newFile(f, 'src');
  f.write(root, src.ino, src.fh, 0, Buffer.alloc(4 * 4096, 7));
  const dst = newFile(f, 'dst');
  assert.equal(f.copy(src.ino, 0, dst.ino, 0, 4 * 4096), 2 * 4096);
  assert.equal(f.getattr(dst.ino).size, 2 * 4096);
  throwsErrno(() => f.copy(src.ino, 0, dst.ino, 2 * 4096, 4096), 'ENOSPC');
});

test('blocks allocated together for one large write stay independent blocks', () => {
  const f = new Fx({ size: 40 * 4096 });
  const { ino, fh } = newFile(f);
  const big = Buffer.alloc(20 * 4096);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31) % 256;
  assert.equal(f.write(root, ino, fh, 0, big), big.length);
  assert.equal(f.getattr(ino).blocks, 20 * 8);
  assert.equal(f.st.usedBytes, 20 * 4096);
  f.fallocate(ino, PUNCH_HOLE | KEEP_SIZE, 5 * 4096, 4096);
  f.write(root, ino, fh, 6 * 4096 + 10, 'Z');
  const back = f.read(root, ino, fh, 0, big.length);
  for (let i = 0; i < big.length; i++) {
    const want = i >= 5 * 4096 && i < 6 * 4096 ? 0 : i === 6 * 4096 + 10 ? 0x5a : big[i];
    if (back[i] !== want) assert.fail(`byte ${i}: ${back[i]} != ${want}`);
  }
  assert.equal(f.getattr(ino).blocks, 19 * 8);
  assert.equal(f.lseek(ino, 0, SEEK_HOLE), 5 * 4096);
  // The space budget is per block: 21 free blocks, so a 21-block write fits, a 22nd block does not.
  const g = newFile(f, 'g');
  assert.equal(f.write(root, g.ino, g.fh, 0, Buffer.alloc(22 * 4096, 1)), 21 * 4096);
});
