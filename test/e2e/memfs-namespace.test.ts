/**
 * memfs through a real mount, names: files, directories and their link
 * counts, hard links, symlinks, device nodes and FIFOs, rename and
 * renameat2 flags, long and non-UTF-8 names, timestamps, O_TMPFILE, statx
 * birth time, statfs, and inodes freed once the kernel forgets them.
 * The test process makes the syscalls; a child process serves the mount.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { py } from '../helpers/syscalls';
import { assertNothingMounted, skip, withMemfs } from '../helpers/mounted';

after(assertNothingMounted);

function code(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code;
  }
}

test('memfs e2e: files, directories, links, special files, renames', { skip }, async () => {
  await withMemfs('memfs', {}, async ({ dir }) => {
    const p = (...s: string[]): string => path.join(dir, ...s);

    // files and directories
    fs.writeFileSync(p('a'), 'hello');
    assert.equal(fs.readFileSync(p('a'), 'utf8'), 'hello');
    fs.mkdirSync(p('d/e/f'), { recursive: true });
    assert.equal(fs.statSync(p('d')).nlink, 3);
    assert.equal(fs.statSync(dir).nlink, 3);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['a', 'd']);
    assert.equal(code(() => fs.mkdirSync(p('a'))), 'EEXIST');
    assert.equal(code(() => fs.rmdirSync(p('d'))), 'ENOTEMPTY');
    assert.equal(code(() => fs.unlinkSync(p('d'))), 'EISDIR');
    assert.equal(code(() => fs.readFileSync(p('nope'))), 'ENOENT');
    assert.equal(code(() => fs.writeFileSync(p('a', 'x'), '')), 'ENOTDIR');
    assert.equal(code(() => fs.openSync(p('a'), 'wx')), 'EEXIST');

    // hard links
    fs.linkSync(p('a'), p('b'));
    const sa = fs.statSync(p('a'));
    assert.equal(sa.nlink, 2);
    assert.equal(sa.ino, fs.statSync(p('b')).ino);
    fs.appendFileSync(p('b'), ' world');
    assert.equal(fs.readFileSync(p('a'), 'utf8'), 'hello world');
    assert.equal(code(() => fs.linkSync(p('d'), p('dl'))), 'EPERM');

    // symlinks
    fs.symlinkSync('a', p('l'));
    assert.equal(fs.readlinkSync(p('l')), 'a');
    assert.equal(fs.lstatSync(p('l')).mode, 0o120777);
    assert.equal(fs.readFileSync(p('l'), 'utf8'), 'hello world');
    fs.symlinkSync('/nonexistent/target', p('dangling'));
    assert.equal(code(() => fs.statSync(p('dangling'))), 'ENOENT');

    // FIFOs, sockets, devices (the mount is nodev, so devices exist but do not open)
    const nodes = py<{ fifo: number; sock: number; chr: number[]; blk: number[]; fifoRoundTrip: string }>(
      `d = ARGS[0]
os.mkfifo(d + '/fifo', 0o640)
os.mknod(d + '/sock', 0o755 | stat.S_IFSOCK)
os.mknod(d + '/null', 0o666 | stat.S_IFCHR, os.makedev(1, 3))
os.mknod(d + '/blk', 0o660 | stat.S_IFBLK, os.makedev(8, 1))
c, b = os.stat(d + '/null'), os.stat(d + '/blk')
# A FIFO on the mount works as a FIFO (the kernel runs the pipe).
r = os.open(d + '/fifo', os.O_RDONLY | os.O_NONBLOCK)
w = os.open(d + '/fifo', os.O_WRONLY)
os.write(w, b'through the fifo')
data = os.read(r, 100).decode()
out({'fifo': os.stat(d + '/fifo').st_mode, 'sock': os.stat(d + '/sock').st_mode,
     'chr': [c.st_mode, os.major(c.st_rdev), os.minor(c.st_rdev)], 'blk': [b.st_mode, os.major(b.st_rdev), os.minor(b.st_rdev)],
     'fifoRoundTrip': data})`,
      [dir],
    );
    assert.equal(nodes.fifo, 0o010640);
    assert.equal(nodes.sock, 0o140755);
    assert.deepEqual(nodes.chr, [0o020644, 1, 3], 'the umask (022) applied');
    assert.deepEqual(nodes.blk, [0o060640, 8, 1]);
    assert.equal(nodes.fifoRoundTrip, 'through the fifo');
    assert.equal(code(() => fs.readFileSync(p('null'))), 'EACCES', 'nodev');

    // rename
    fs.writeFileSync(p('x'), 'X');
    fs.renameSync(p('x'), p('d/x'));
    assert.equal(fs.readFileSync(p('d/x'), 'utf8'), 'X');
    fs.writeFileSync(p('y'), 'Y');
    fs.renameSync(p('y'), p('d/x'));
    assert.equal(fs.readFileSync(p('d/x'), 'utf8'), 'Y');
    fs.mkdirSync(p('empty'));
    fs.renameSync(p('d/e'), p('empty'));
    assert.ok(fs.statSync(p('empty/f')).isDirectory());
    assert.equal(code(() => fs.renameSync(p('a'), p('empty'))), 'EISDIR');
    assert.equal(code(() => fs.renameSync(p('empty'), p('a'))), 'ENOTDIR');
    assert.equal(code(() => fs.renameSync(p('d'), p('empty'))), 'ENOTEMPTY');
    assert.equal(code(() => fs.renameSync(p('d'), p('d/sub'))), 'EINVAL');
    assert.equal(fs.statSync(p('d')).nlink, 2);
    assert.equal(fs.statSync(dir).nlink, 4, '. .. d empty');

    const flags = py<Record<string, string | null>>(
      `d = ARGS[0]
res = {}
open(d + '/r1', 'w').write('one'); open(d + '/r2', 'w').write('two')
res['noreplace'] = tryErr(renameat2, d + '/r1', d + '/r2', RENAME_NOREPLACE)
res['noreplace_ok'] = tryErr(renameat2, d + '/r1', d + '/r3', RENAME_NOREPLACE)
res['exchange'] = tryErr(renameat2, d + '/r3', d + '/r2', RENAME_EXCHANGE)
res['r2'] = open(d + '/r2').read(); res['r3'] = open(d + '/r3').read()
res['exchange_dir'] = tryErr(renameat2, d + '/r2', d + '/d', RENAME_EXCHANGE)
res['r2_is_dir'] = str(os.path.isdir(d + '/r2'))
res['exchange_missing'] = tryErr(renameat2, d + '/r3', d + '/missing', RENAME_EXCHANGE)
res['whiteout'] = tryErr(renameat2, d + '/r3', d + '/r4', RENAME_WHITEOUT)
st = os.lstat(d + '/r3')
res['whiteout_node'] = '%o %d' % (st.st_mode, st.st_rdev)
out(res)`,
      [dir],
    );
    assert.deepEqual(flags, {
      noreplace: 'EEXIST', noreplace_ok: null, exchange: null, r2: 'one', r3: 'two', exchange_dir: null, r2_is_dir: 'True',
      exchange_missing: 'ENOENT', whiteout: null, whiteout_node: '20000 0',
    });
  });
});

test('memfs e2e: names up to 255 bytes, non-UTF-8 names, readdir cookies across unlinks', { skip }, async () => {
  await withMemfs('memfs', {}, async ({ dir }) => {
    fs.writeFileSync(path.join(dir, 'n'.repeat(255)), '');
    assert.equal(code(() => fs.writeFileSync(path.join(dir, 'n'.repeat(256)), '')), 'ENAMETOOLONG');
    assert.equal(code(() => fs.statSync(path.join(dir, 'n'.repeat(256)))), 'ENAMETOOLONG');
    fs.mkdirSync(path.join(dir, 'é'.repeat(127)));
    assert.equal(code(() => fs.mkdirSync(path.join(dir, 'é'.repeat(128)))), 'ENAMETOOLONG');
    // Names are bytes: 0xff 0xfe is not UTF-8 but a valid name, listed back exactly.
    const raw = Buffer.concat([Buffer.from(dir + '/'), Buffer.from([0x66, 0xff, 0xfe])]);
    fs.writeFileSync(raw, 'raw');
    const names = fs.readdirSync(dir, { encoding: 'buffer' });
    assert.ok(names.some((n) => n.equals(Buffer.from([0x66, 0xff, 0xfe]))));
    assert.equal(fs.readFileSync(raw, 'utf8'), 'raw');

    // A listing in several getdents calls, with unlinks in between: every survivor once, no repeats.
    const r = py<{ seen: string[]; removed: string[] }>(
      `d = ARGS[0] + '/big'
os.mkdir(d)
names = ['entry-%04d-%s' % (i, 'x' * 60) for i in range(1500)]
for n in names: open(d + '/' + n, 'w').close()
seen, removed = [], []
it = os.scandir(d)
for i, e in enumerate(it):
    seen.append(e.name)
    if i % 10 == 0:
        for k in (i + 7, i + 500):
            victim = names[k % len(names)]
            if victim not in removed:
                os.unlink(d + '/' + victim); removed.append(victim)
out({'seen': seen, 'removed': removed})`,
      [dir],
    );
    const seen = new Set(r.seen);
    assert.equal(seen.size, r.seen.length, 'no entry listed twice');
    const removed = new Set(r.removed);
    for (let i = 0; i < 1500; i++) {
      const n = `entry-${String(i).padStart(4, '0')}-${'x'.repeat(60)}`;
      if (!removed.has(n)) assert.ok(seen.has(n), `${n} survived and was listed`);
    }
    assert.ok(removed.size > 200);
  });
});

test('memfs e2e: timestamps, O_TMPFILE, statx birth time, statfs, access, and inodes freed after forget', { skip }, async () => {
  await withMemfs('memfs', {}, async ({ dir }) => {
    const p = (...s: string[]): string => path.join(dir, ...s);
    fs.writeFileSync(p('f'), 'data');
    const t = py<Record<string, number | string | null>>(
      `d = ARGS[0]; f = d + '/f'
os.utime(f, ns=(1_000_000_123, 2_000_000_456))
st = os.stat(f)
r = {'atime': st.st_atime_ns, 'mtime': st.st_mtime_ns}
c0 = os.stat(f).st_ctime_ns; time.sleep(0.002); os.chmod(f, 0o600); r['chmod_ctime'] = os.stat(f).st_ctime_ns > c0
m0 = os.stat(d).st_mtime_ns; time.sleep(0.002); open(d + '/g', 'w').close(); r['dir_mtime_create'] = os.stat(d).st_mtime_ns > m0
m1 = os.stat(d).st_mtime_ns; time.sleep(0.002); os.unlink(d + '/g'); r['dir_mtime_unlink'] = os.stat(d).st_mtime_ns > m1
m2 = os.stat(f).st_mtime_ns; time.sleep(0.002)
with open(f, 'a') as fh: fh.write('more')
r['write_mtime'] = os.stat(f).st_mtime_ns > m2
os.utime(f, ns=(5, 6)); time.sleep(0.002)
with open(f) as fh: fh.read()
r['read_atime'] = os.stat(f).st_atime_ns > 5
os.utime(f)
r['touch_now'] = abs(os.stat(f).st_mtime_ns - time.time_ns()) < 5_000_000_000
# O_TMPFILE: nameless until linked
fd = os.open(d, os.O_TMPFILE | os.O_RDWR, 0o640)
os.write(fd, b'tmp data')
r['tmp_listed'] = len([n for n in os.listdir(d) if n not in ('f',)])
link_fd(fd, d + '/named')
os.close(fd)
r['tmp_content'] = open(d + '/named').read()
r['tmp_mode'] = os.stat(d + '/named').st_mode
fd = os.open(d, os.O_TMPFILE | os.O_RDWR | os.O_EXCL, 0o600)
r['tmp_excl_link'] = tryErr(link_fd, fd, d + '/nope')
os.close(fd)
v = os.statvfs(d)
r['namemax'] = v.f_namemax; r['bsize'] = v.f_bsize
r['access_x'] = tryErr(os.access, f, os.X_OK) if os.access(f, os.X_OK) else 'denied'
out(r)`,
      [dir],
    );
    assert.deepEqual(t, {
      atime: 1_000_000_123, mtime: 2_000_000_456, chmod_ctime: true, dir_mtime_create: true, dir_mtime_unlink: true, write_mtime: true,
      read_atime: true, touch_now: true, tmp_listed: 0, tmp_content: 'tmp data', tmp_mode: 0o100640, tmp_excl_link: 'ENOENT',
      namemax: 255, bsize: 4096, access_x: 'denied',
    });
    // statx: Node asks for the birth time, which only FUSE_STATX carries.
    const st = fs.statSync(p('named'), { bigint: true });
    assert.ok(st.birthtimeNs > 0n && st.birthtimeNs <= st.ctimeNs, `birth time ${st.birthtimeNs}`);

    // Unlinked files are freed once the kernel forgets them: the free inode count comes back.
    const ffree = (): number => py<number>(`out(os.statvfs(ARGS[0]).f_ffree)`, [dir]);
    const before = ffree();
    fs.mkdirSync(p('many'));
    for (let i = 0; i < 200; i++) fs.writeFileSync(p('many', `f${i}`), 'x');
    assert.equal(ffree(), before - 201);
    const fd = fs.openSync(p('many', 'f0'), 'r');
    fs.rmSync(p('many'), { recursive: true });
    let now = ffree();
    for (let i = 0; i < 50 && now !== before - 2; i++) {
      await new Promise((r) => setTimeout(r, 20));
      now = ffree();
    }
    // The open file's dentry keeps its parent's, so the kernel still holds the removed directory too.
    assert.equal(now, before - 2, 'all freed but the open file and its directory');
    assert.equal(fs.readFileSync(fd, 'utf8'), 'x', 'an open unlinked file stays readable');
    fs.closeSync(fd);
    for (let i = 0; i < 50 && now !== before; i++) {
      await new Promise((r) => setTimeout(r, 20));
      now = ffree();
    }
    assert.equal(now, before, 'closed: freed too');
  });
});
