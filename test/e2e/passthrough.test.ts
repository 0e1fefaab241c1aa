/**
 * The passthrough on a real mount, served by a child process, in both I/O
 * modes: a tree copied in with cp -a and compared with diff -r, the
 * syscalls Node lacks (through python3), files made by a non-root caller
 * (owned by them in the source), and paths deeper than PATH_MAX.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { canMount, withPassthrough, type IoMode } from '../helpers/mounted';
import { py, pyAsync, sh } from '../helpers/syscalls';

const OPTIONS = 'allow_other,default_permissions';
const TREE = path.join(__dirname, '..', '..', '..', 'src');
const ALICE = { uid: 1000, gid: 1000 };

/** Every entry of a tree: type, mode, size, mtime (ns), link target. */
function manifest(dir: string): string {
  return sh('find', ['.', '-printf', '%P %y %m %s %T@ %l\\n'], { cwd: dir }).split('\n').sort().join('\n');
}

for (const io of ['async', 'sync'] as IoMode[]) {
  describe(`passthrough e2e (${io})`, { skip: !canMount() && 'needs root and /dev/fuse' }, () => {
    test('files, trees, syscalls and a non-root caller through one mount', async () => {
      await withPassthrough(io, OPTIONS, async ({ dir, src, stderr }) => {
        // ---- a tree in with cp -a, out identical
        sh('cp', ['-a', TREE, path.join(dir, 'tree')]);
        sh('diff', ['-r', TREE, path.join(dir, 'tree')]);
        sh('diff', ['-r', TREE, path.join(src, 'tree')]);
        assert.equal(manifest(path.join(dir, 'tree')), manifest(TREE));
        assert.equal(manifest(path.join(src, 'tree')), manifest(TREE));

        // ---- plain fs calls
        const f = path.join(dir, 'f');
        fs.writeFileSync(f, 'hello');
        fs.appendFileSync(f, ' world');
        assert.equal(fs.readFileSync(path.join(src, 'f'), 'utf8'), 'hello world');
        fs.truncateSync(f, 5);
        assert.equal(fs.readFileSync(f, 'utf8'), 'hello');
        fs.linkSync(f, path.join(dir, 'hard'));
        assert.equal(fs.statSync(path.join(dir, 'hard')).ino, fs.statSync(f).ino);
        assert.equal(fs.statSync(f).nlink, 2);
        assert.equal(fs.statSync(f).ino, fs.statSync(path.join(src, 'f')).ino, 'st_ino is the source inode number');
        fs.symlinkSync('f', path.join(dir, 'ln'));
        assert.equal(fs.readlinkSync(path.join(dir, 'ln')), 'f');
        fs.mkdirSync(path.join(dir, 'd'));
        fs.renameSync(f, path.join(dir, 'd', 'g'));
        assert.ok(fs.existsSync(path.join(src, 'd', 'g')));
        fs.chmodSync(path.join(dir, 'd', 'g'), 0o4751);
        assert.equal(fs.statSync(path.join(src, 'd', 'g')).mode, 0o104751);
        py(`import os; os.utime('d/g', ns=(1234567890123456789, 987654321987654321))`, [], { cwd: dir });
        const st = fs.statSync(path.join(dir, 'd', 'g'), { bigint: true });
        assert.deepEqual([st.atimeNs, st.mtimeNs], [1234567890123456789n, 987654321987654321n]);
        assert.throws(() => fs.rmdirSync(path.join(dir, 'd')), { code: 'ENOTEMPTY' });

        // ---- xattrs
        assert.equal(
          py(`import os
os.setxattr('hard', 'user.k', b'v1')
os.setxattr('hard', 'user.big', b'x' * 3000)
try:
    os.setxattr('hard', 'user.k', b'v2', os.XATTR_CREATE); say('no error')
except FileExistsError: pass
say(os.getxattr('hard', 'user.k').decode(), len(os.getxattr('hard', 'user.big')), sorted(os.listxattr('hard')))
os.removexattr('hard', 'user.big')
say(sorted(os.listxattr('hard')))
out(said())`, [], { cwd: dir }),
          "v1 3000 ['user.big', 'user.k']\n['user.k']",
        );
        assert.equal(String(fs.readFileSync(path.join(src, 'hard'))), 'hello');
        assert.equal(py(`import os; out(os.getxattr('hard', 'user.k').decode())`, [], { cwd: src }), 'v1');

        // ---- renameat2: NOREPLACE, EXCHANGE
        fs.writeFileSync(path.join(dir, 'x'), 'X');
        fs.writeFileSync(path.join(dir, 'y'), 'Y');
        assert.equal(
          py(`try:
    renameat2('x', 'y', 1); say('replaced!')
except FileExistsError: say('EEXIST')
renameat2('x', 'y', 2)
say(open('x').read(), open('y').read())
out(said())`, [], { cwd: dir }),
          'EEXIST\nY X',
        );
        assert.equal(fs.readFileSync(path.join(src, 'x'), 'utf8'), 'Y');

        // ---- fallocate, SEEK_DATA/SEEK_HOLE, copy_file_range
        assert.equal(
          py(`import os, ctypes
fd = os.open('sparse', os.O_RDWR | os.O_CREAT, 0o644)
os.pwrite(fd, b'a' * 8192, 0)
os.pwrite(fd, b'b' * 4096, 1 << 20)
fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096)
say(os.lseek(fd, 0, os.SEEK_DATA), os.lseek(fd, 4096, os.SEEK_HOLE), os.lseek(fd, 8192, os.SEEK_DATA))
os.posix_fallocate(fd, 0, 2 << 20)
say(os.fstat(fd).st_size)
dst = os.open('copy', os.O_RDWR | os.O_CREAT, 0o644)
say(os.copy_file_range(fd, dst, 100, 1 << 20, 10))
say(os.pread(dst, 200, 0)[:20])
out(said())`, [], { cwd: dir }),
          `4096 8192 ${1 << 20}\n${2 << 20}\n100\nb'\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00bbbbbbbbbb'`,
        );

        // ---- flock between processes; POSIX locks (the kernel's) too
        const holder = pyAsync(`import fcntl, time, os
fd = os.open('lockfile', os.O_RDWR | os.O_CREAT, 0o666)
fcntl.flock(fd, fcntl.LOCK_EX)
fcntl.lockf(fd, fcntl.LOCK_EX)
out('locked')
open('held', 'w').close()
# Hold both locks until the other process has seen them busy (not for a time: a loaded machine outruns any).
for _ in range(6000):
    if os.path.exists('release'): break
    time.sleep(0.01)`, [], { cwd: dir });
        for (let i = 0; i < 100 && !fs.existsSync(path.join(dir, 'held')); i++) await new Promise((r) => setTimeout(r, 20));
        assert.equal(
          py(`import fcntl, os, time
fd = os.open('lockfile', os.O_RDWR)
try:
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB); say('got flock!')
except BlockingIOError: say('flock busy')
try:
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB); say('got lockf!')
except OSError: say('lockf busy')
open('release', 'w').close()
fcntl.flock(fd, fcntl.LOCK_EX); say('flock granted once the holder let go')
out(said())`, [], { cwd: dir }),
          'flock busy\nlockf busy\nflock granted once the holder let go',
        );
        assert.equal(await holder, 'locked');

        // ---- mknod
        py(`import os; os.mkfifo('fifo', 0o640); os.mknod('null', 0o20600, os.makedev(1, 3))`, [], { cwd: dir });
        assert.ok(fs.statSync(path.join(src, 'fifo')).isFIFO());
        assert.equal(fs.statSync(path.join(src, 'null')).rdev, fs.statSync('/dev/null').rdev);
        assert.equal(fs.statSync(path.join(dir, 'null')).rdev, fs.statSync('/dev/null').rdev);

        // ---- a non-root caller: what they make is theirs, in the source too
        fs.mkdirSync(path.join(dir, 'shared'), { mode: 0o777 });
        fs.chmodSync(path.join(dir, 'shared'), 0o1777);
        py(`import os
os.umask(0o022)
open('file', 'w').write('mine')
os.mkdir('dir', 0o777)
os.symlink('file', 'link')
os.mkfifo('pipe', 0o666)
os.link('file', 'hard')`, [], { cwd: path.join(dir, 'shared'), as: ALICE });
        for (const [name, mode] of [['file', 0o100644], ['dir', 0o040755], ['pipe', 0o010644]] as const) {
          const s = fs.lstatSync(path.join(src, 'shared', name));
          assert.deepEqual([s.uid, s.gid, s.mode], [1000, 1000, mode], name);
        }
        assert.equal(fs.lstatSync(path.join(src, 'shared', 'link')).uid, 1000);
        assert.equal(fs.statSync(path.join(src, 'shared', 'hard')).nlink, 2);
        // default_permissions: the kernel checks the caller against the modes we report.
        assert.equal(
          py(`import os
for f in [lambda: open('hard', 'a'), lambda: os.chmod('hard', 0o777), lambda: os.mkdir('d/nope'), lambda: os.unlink('shared/../x')]:
    try: f(); say('allowed')
    except PermissionError: say('denied')
out(said())`, [], { cwd: dir, as: ALICE }),
          'denied\ndenied\ndenied\ndenied',
        );

        // ---- deeper than PATH_MAX, walking with dir_fd on the mount
        assert.equal(
          py(`import os
seg = 'p' * 200
fd = os.open('.', os.O_RDONLY)
for i in range(25):
    os.mkdir(seg, dir_fd=fd)
    fd = os.open(seg, os.O_RDONLY, dir_fd=fd)
w = os.open('leaf', os.O_WRONLY | os.O_CREAT, 0o600, dir_fd=fd)
os.write(w, b'deep')
os.close(w)
os.setxattr(f'/proc/self/fd/{fd}', 'user.deep', b'1')
say(sorted(os.listdir(fd)), os.stat('leaf', dir_fd=fd).st_size)
out(said())`, [], { cwd: dir }),
          "['leaf'] 4",
        );
        assert.equal(
          py(`import os
fd = os.open('.', os.O_RDONLY)
for i in range(25): fd = os.open('p' * 200, os.O_RDONLY, dir_fd=fd)
say(open(os.open('leaf', os.O_RDONLY, dir_fd=fd)).read())
out(said())`, [], { cwd: src }),
          'deep',
        );

        // ---- an open file survives a rename of its directory in the source
        const fd = fs.openSync(path.join(dir, 'd', 'g'), 'r+');
        fs.renameSync(path.join(src, 'd'), path.join(src, 'd2'));
        fs.writeSync(fd, 'HELLO', 0);
        fs.closeSync(fd);
        assert.equal(fs.readFileSync(path.join(src, 'd2', 'g'), 'utf8'), 'HELLO');

        sh('rm', ['-rf', path.join(dir, 'tree'), path.join(dir, 'shared')]);
        assert.ok(!fs.existsSync(path.join(src, 'tree')));
        assert.doesNotMatch(stderr(), /devfuse:/, 'the server logged no problem');
      });
    });
  });
}

describe('passthrough e2e with writeback_cache', { skip: !canMount() && 'needs root and /dev/fuse' }, () => {
  test('write-only opens and O_APPEND still work when the kernel caches writes', async () => {
    await withPassthrough('async', `${OPTIONS},writeback_cache`, async ({ dir, src, stderr }) => {
      assert.equal(
        py(`import os
fd = os.open('w', os.O_WRONLY | os.O_CREAT, 0o200); os.write(fd, b'hello world'); os.close(fd)
fd = os.open('w', os.O_WRONLY); os.pwrite(fd, b'J', 6); os.close(fd)
fd = os.open('w', os.O_WRONLY | os.O_APPEND); os.write(fd, b'!'); os.write(fd, b'?'); os.fsync(fd); os.close(fd)
os.chmod('w', 0o600)
say(open('w').read())
out(said())`, [], { cwd: dir }),
        'hello Jorld!?',
      );
      assert.equal(fs.readFileSync(path.join(src, 'w'), 'utf8'), 'hello Jorld!?');
      assert.equal(fs.statSync(path.join(src, 'w')).mode, 0o100600);
      assert.doesNotMatch(stderr(), /devfuse:/);
    });
  });
});

/**
 * The splice pipe must hold a whole 1 MiB WRITE plus its headers: past the default pipe-max-size
 * (1 MiB) that takes CAP_SYS_RESOURCE, which this sandbox's root lacks; raising the sysctl for the
 * test does it (restored after). Returns the restore, or null when it cannot be raised.
 */
function roomyPipes(): (() => void) | null {
  const knob = '/proc/sys/fs/pipe-max-size';
  try {
    const old = fs.readFileSync(knob, 'utf8').trim();
    if (Number(old) < 4 << 20) fs.writeFileSync(knob, String(4 << 20));
    return () => fs.writeFileSync(knob, old);
  } catch {
    return null;
  }
}

describe('passthrough e2e: big WRITEs by splice', { skip: !canMount() && 'needs root and /dev/fuse' }, () => {
  test('1 MiB buffered, O_DIRECT and O_APPEND writes arrive through the pipe with every byte in place', async (t) => {
    const restore = roomyPipes();
    if (!restore) return t.skip('cannot raise /proc/sys/fs/pipe-max-size for a 1 MiB WRITE pipe');
    t.after(restore);
    let log = (): string => '';
    await withPassthrough('sync', OPTIONS, async ({ dir, src, stderr }) => {
      log = stderr;
      const out = py<string>(`import hashlib, mmap, os, random
rnd = random.Random(7)
blocks = [bytes(rnd.getrandbits(8) for _ in range(4096)) * 256 for _ in range(3)]
h = hashlib.sha256()
fd = os.open('big', os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
for i in range(24):
    os.write(fd, blocks[i % 3]); h.update(blocks[i % 3])
os.pwrite(fd, blocks[1], 5 * 1048576)          # over the middle
os.close(fd)
expect = bytearray(b''.join(blocks[i % 3] for i in range(24))); expect[5 * 1048576:6 * 1048576] = blocks[1]
buf = mmap.mmap(-1, 1048576); buf.write(blocks[2])
fd = os.open('direct', os.O_WRONLY | os.O_CREAT | os.O_DIRECT, 0o644)
for i in range(8): os.pwrite(fd, buf, i * 1048576)
os.close(fd)
fd = os.open('append', os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
for i in range(4): os.write(fd, blocks[i % 3])
os.close(fd)
say(hashlib.sha256(bytes(expect)).hexdigest(), hashlib.sha256(blocks[2] * 8).hexdigest(), hashlib.sha256(b''.join(blocks[i % 3] for i in range(4))).hexdigest())
out(said())`, [], { cwd: dir });
      const [big, direct, append] = out.trim().split(' ');
      const sha = (f: string): string => crypto.createHash('sha256').update(fs.readFileSync(path.join(src, f))).digest('hex');
      assert.equal(sha('big'), big);
      assert.equal(sha('direct'), direct);
      assert.equal(sha('append'), append);
      assert.doesNotMatch(stderr(), /devfuse:/, 'the server logged no problem');
    });
    assert.match(log(), /spliced [1-9]\d* WRITEs/, 'the big WRITEs came through the pipe');
  });
});
