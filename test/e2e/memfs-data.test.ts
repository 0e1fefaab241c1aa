/**
 * memfs through a real mount, file data: sparse files at 1 TiB, short reads
 * at EOF, SEEK_DATA/SEEK_HOLE, fallocate modes, copy_file_range, truncate,
 * O_APPEND from several processes (with and without the writeback cache),
 * mmap, O_DIRECT, a large file's integrity, and ENOSPC.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { py, pyAsync } from '../helpers/syscalls';
import { assertNothingMounted, skip, withMemfs } from '../helpers/mounted';

after(assertNothingMounted);

const TiB = 2 ** 40;

test('memfs e2e: sparse files, EOF, SEEK_DATA/SEEK_HOLE, fallocate, copy_file_range, truncate', { skip }, async () => {
  await withMemfs('memfs', {}, async ({ dir }) => {
    const p = (n: string): string => path.join(dir, n);
    // One byte at 1 TiB: one block allocated.
    const fd = fs.openSync(p('sparse'), 'w+');
    fs.writeSync(fd, 'x', TiB);
    const st = fs.fstatSync(fd);
    assert.equal(st.size, TiB + 1);
    assert.equal(st.blocks, 8);
    const buf = Buffer.alloc(16, 0xee);
    assert.equal(fs.readSync(fd, buf, 0, 16, TiB - 8), 9, 'short read at EOF');
    assert.equal(buf.subarray(0, 9).toString('latin1'), '\0'.repeat(8) + 'x');
    assert.equal(fs.readSync(fd, buf, 0, 16, TiB + 100), 0, 'nothing past EOF');
    fs.closeSync(fd);

    const r = py<Record<string, unknown>>(
      `d = ARGS[0]
r = {}
fd = os.open(d + '/sparse', os.O_RDONLY)
r['data0'] = os.lseek(fd, 0, os.SEEK_DATA)
r['hole0'] = os.lseek(fd, 0, os.SEEK_HOLE)
r['enxio'] = tryErr(os.lseek, fd, 2**40 + 1, os.SEEK_DATA)
os.close(fd)
fd = os.open(d + '/fa', os.O_RDWR | os.O_CREAT, 0o644)
fallocate(fd, 0, 0, 3 * 4096)
st = os.fstat(fd); r['alloc'] = [st.st_size, st.st_blocks]
fallocate(fd, FALLOC_FL_KEEP_SIZE, 3 * 4096, 4096)
st = os.fstat(fd); r['keep'] = [st.st_size, st.st_blocks]
os.pwrite(fd, b'A' * (3 * 4096), 0)
fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096, 4096)
st = os.fstat(fd); r['punch'] = [st.st_size, st.st_blocks, os.pread(fd, 3, 4095).decode('latin1'), os.lseek(fd, 0, os.SEEK_HOLE)]
r['punch_nokeep'] = tryErr(fallocate, fd, FALLOC_FL_PUNCH_HOLE, 0, 10)
fallocate(fd, FALLOC_FL_ZERO_RANGE, 10, 20)
r['zero'] = os.pread(fd, 40, 0).decode('latin1')
fallocate(fd, FALLOC_FL_ZERO_RANGE, 5 * 4096, 10)
r['zero_extend'] = os.fstat(fd).st_size
r['collapse'] = tryErr(fallocate, fd, 0x08, 0, 4096)
r['posix_fallocate'] = tryErr(os.posix_fallocate, fd, 0, 100)
# copy_file_range: data and holes
src = os.open(d + '/src', os.O_RDWR | os.O_CREAT, 0o644)
os.pwrite(src, b'head', 0); os.pwrite(src, b'tail', 1 << 20)
dst = os.open(d + '/dst', os.O_RDWR | os.O_CREAT, 0o644)
n = 0
while True:
    c = os.copy_file_range(src, dst, (1 << 21) - n, n, n)
    if c == 0: break
    n += c
st = os.fstat(dst)
r['copy'] = [n, st.st_size, st.st_blocks, os.pread(dst, 4, 0).decode(), os.pread(dst, 4, 1 << 20).decode()]
os.truncate(d + '/dst', 2)
r['truncate'] = [os.stat(d + '/dst').st_size, open(d + '/dst').read()]
os.truncate(d + '/dst', 10000)
r['extend'] = [os.stat(d + '/dst').st_size, os.stat(d + '/dst').st_blocks, open(d + '/dst', 'rb').read()[:4].hex()]
out(r)`,
      [dir],
    );
    assert.deepEqual(r, {
      data0: TiB, hole0: 0, enxio: 'ENXIO',
      alloc: [12288, 24], keep: [12288, 32],
      punch: [12288, 24, 'A\0\0', 4096], punch_nokeep: 'EOPNOTSUPP',
      zero: 'A'.repeat(10) + '\0'.repeat(20) + 'A'.repeat(10), zero_extend: 5 * 4096 + 10, collapse: 'EOPNOTSUPP', posix_fallocate: null,
      copy: [(1 << 20) + 4, (1 << 20) + 4, 16, 'head', 'tail'],
      truncate: [2, 'he'], extend: [10000, 8, '68650000'],
    });
  });
});

test('memfs e2e: O_APPEND from several processes, mmap, O_DIRECT, a large file intact', { skip }, async () => {
  await withMemfs('memfs', {}, async ({ dir }) => {
    await appendFromProcesses(dir);
    const r = py<Record<string, unknown>>(
      `d = ARGS[0]
r = {}
fd = os.open(d + '/mm', os.O_RDWR | os.O_CREAT, 0o644)
os.ftruncate(fd, 3 * 4096)
m = mmap.mmap(fd, 3 * 4096, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
m[4096:4101] = b'mmap!'
m.flush(); m.close(); os.close(fd)
r['mmap'] = open(d + '/mm', 'rb').read()[4096:4101].decode()
# O_DIRECT needs aligned buffers: an anonymous mapping is page-aligned.
fd = os.open(d + '/direct', os.O_RDWR | os.O_CREAT | os.O_DIRECT, 0o644)
buf = mmap.mmap(-1, 8192); buf.write(b'D' * 8192)
r['dwrite'] = os.write(fd, buf)
back = mmap.mmap(-1, 8192)
r['dread'] = os.preadv(fd, [back], 0)
r['dsame'] = back[:] == b'D' * 8192
os.close(fd)
out(r)`,
      [dir],
    );
    assert.deepEqual(r, { mmap: 'mmap!', dwrite: 8192, dread: 8192, dsame: true });
    // A large file in uneven pieces, read back by another process.
    const big = crypto.randomBytes(24 * 1024 * 1024 + 123);
    const fd = fs.openSync(path.join(dir, 'big'), 'w');
    for (let off = 0, n = 1; off < big.length; n = (n * 7919) % 300_001 + 1) {
      const len = Math.min(n, big.length - off);
      fs.writeSync(fd, big, off, len, off);
      off += len;
    }
    fs.closeSync(fd);
    const digest = py<string>(`import hashlib\nout(hashlib.sha256(open(ARGS[0] + '/big', 'rb').read()).hexdigest())`, [dir]);
    assert.equal(digest, crypto.createHash('sha256').update(big).digest('hex'));
  });
});

test('memfs e2e: the same with the writeback cache (O_APPEND resolved by the kernel, data and sizes right), and atomic_o_trunc', { skip }, async () => {
  await withMemfs('memfs', { writebackCache: true, atomicOTrunc: true }, async ({ dir }) => {
    await appendFromProcesses(dir);
    // With atomic_o_trunc, O_TRUNC reaches memfs in OPEN rather than as a SETATTR.
    const t = path.join(dir, 'trunc');
    fs.writeFileSync(t, 'a long first version');
    fs.writeFileSync(t, 'short');
    assert.equal(fs.readFileSync(t, 'utf8'), 'short');
    const f = path.join(dir, 'wb');
    fs.writeFileSync(f, 'a'.repeat(10000));
    fs.appendFileSync(f, 'tail');
    fs.truncateSync(f, 5000);
    fs.appendFileSync(f, 'end');
    const got = fs.readFileSync(f, 'latin1');
    assert.equal(got.length, 5003);
    assert.equal(got.slice(4998), 'aaend');
    const mtime = fs.statSync(f).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    fs.appendFileSync(f, '!');
    assert.ok(fs.statSync(f).mtimeMs > mtime, 'mtime moves');
  });
});

test('memfs e2e: ENOSPC when the space or the inodes run out; statfs shows the budget', { skip }, async () => {
  await withMemfs('tinyMemfs', {}, async ({ dir }) => {
    const r = py<Record<string, unknown>>(
      `d = ARGS[0]
r = {}
v = os.statvfs(d); r['statfs'] = [v.f_blocks, v.f_bfree, v.f_files, v.f_ffree]
fd = os.open(d + '/fill', os.O_WRONLY | os.O_CREAT, 0o644)
n = 0
try:
    while True:
        n += os.write(fd, b'z' * 10000)
except OSError as e:
    r['err'] = errno.errorcode[e.errno]
r['written'] = n
os.close(fd)
v = os.statvfs(d); r['full'] = [v.f_bfree, v.f_bavail]
os.unlink(d + '/fill')
made = 0
try:
    while True:
        os.mkdir(d + '/d%d' % made); made += 1
except OSError as e:
    r['ierr'] = errno.errorcode[e.errno]
r['made'] = made
out(r)`,
      [dir],
    );
    assert.deepEqual(r, { statfs: [16, 16, 16, 15], err: 'ENOSPC', written: 16 * 4096, full: [0, 0], ierr: 'ENOSPC', made: 15 });
  });
});

/** Four processes append 200 records each with O_APPEND: nothing lost, nothing overwritten. */
async function appendFromProcesses(dir: string): Promise<void> {
  const file = path.join(dir, 'log');
  await Promise.all(
    [0, 1, 2, 3].map((id) =>
      pyAsync(
        `fd = os.open(ARGS[0], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
for i in range(200):
    os.write(fd, ('%s:%03d\\n' % (ARGS[1], i)).encode())
os.close(fd)`,
        [file, String(id)],
      ),
    ),
  );
  const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
  assert.equal(lines.length, 800);
  for (const id of [0, 1, 2, 3]) {
    const mine = lines.filter((l) => l.startsWith(`${id}:`));
    assert.deepEqual(mine, Array.from({ length: 200 }, (_, i) => `${id}:${String(i).padStart(3, '0')}`), `process ${id}'s records, in order`);
  }
}
