/**
 * Data and attributes through the passthrough: read/write, copy_file_range,
 * SEEK_DATA/SEEK_HOLE, fallocate, setattr (truncate, chmod, chown, times to
 * the nanosecond), statfs, access, xattrs and flock.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { createDataPath } from '../../src/fs/passthrough/data-path';
import type { Attr } from '../../src/protocol';
import { ROOT, alice, ctx, failsWith, me } from '../helpers/fs-calls';
import { Fx, withFx, MODES, isRoot } from './passthrough-helpers';

const R = { flags: 2, lockOwner: undefined };
const W = { flags: 2, lockOwner: undefined, writeback: false, killSuidgid: false };
const REL = { flags: 0, flush: false, flockUnlock: false, lockOwner: 0n };
const SEEK_DATA = 3;
const SEEK_HOLE = 4;
const LOCK_SH = 1;
const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;
const MIB = 1024 * 1024;

for (const mode of MODES) {
  describe(`passthrough data (${mode})`, () => {
    test('read and write at offsets; short read at the end', async () => {
      await withFx(new Fx(mode), async (x) => {
        fs.writeFileSync(x.p('f'), '0123456789');
        const f = await x.lookup('f');
        const fh = await x.open(f.ino);
        assert.equal(String(await x.fs.read(me, f.ino, fh, 3, 4, R)), '3456');
        assert.equal(String(await x.fs.read(me, f.ino, fh, 8, 100, R)), '89');
        assert.equal((await x.fs.read(me, f.ino, fh, 100, 10, R)).length, 0);
        assert.equal(await x.fs.write(me, f.ino, fh, 12, Buffer.from('xy'), W), 2);
        assert.deepEqual(fs.readFileSync(x.p('f')), Buffer.from('0123456789\0\0xy'));
        const big = Buffer.alloc(MIB, 7);
        assert.equal(await x.fs.write(me, f.ino, fh, 0, big, W), MIB);
        assert.ok(Buffer.concat([await x.fs.read(me, f.ino, fh, 0, MIB, R)].flat()).equals(big));
        await x.fs.flush(me, f.ino, fh, 0n);
        await x.fs.fsync(me, f.ino, fh, false);
        await x.fs.fsync(me, f.ino, fh, true);
        await x.fs.release(me, f.ino, fh, REL);
        assert.equal(x.fs.handleCount, 0);
        x.fs.forget(f.ino, 1);
      });
    });

    test('copy_file_range between two open files at explicit offsets', async () => {
      await withFx(new Fx(mode), async (x) => {
        fs.writeFileSync(x.p('a'), 'abcdefghij');
        fs.writeFileSync(x.p('b'), '----------');
        const a = await x.lookup('a');
        const b = await x.lookup('b');
        const fa = await x.open(a.ino, 0);
        const fb = await x.open(b.ino, 2);
        assert.equal(await x.fs.copyFileRange(me, a.ino, fa, 2, b.ino, fb, 5, 4, 0), 4);
        assert.equal(fs.readFileSync(x.p('b'), 'utf8'), '-----cdef-');
        // Past the end of the input: nothing to copy.
        assert.equal(await x.fs.copyFileRange(me, a.ino, fa, 20, b.ino, fb, 0, 4, 0), 0);
        await x.fs.release(me, a.ino, fa, REL);
        await x.fs.release(me, b.ino, fb, REL);
        x.fs.forget(a.ino, 1);
        x.fs.forget(b.ino, 1);
      });
    });

    test('SEEK_DATA and SEEK_HOLE see the source holes; fallocate makes and punches them', async () => {
      await withFx(new Fx(mode), async (x) => {
        const fd = fs.openSync(x.p('sparse'), 'w');
        fs.writeSync(fd, Buffer.alloc(4096, 1), 0, 4096, 0);
        fs.writeSync(fd, Buffer.alloc(4096, 2), 0, 4096, MIB);
        fs.closeSync(fd);
        const f = await x.lookup('sparse');
        const fh = await x.open(f.ino);
        assert.equal(await x.fs.lseek(me, f.ino, fh, 0, SEEK_DATA), 0);
        assert.equal(await x.fs.lseek(me, f.ino, fh, 0, SEEK_HOLE), 4096);
        assert.equal(await x.fs.lseek(me, f.ino, fh, 4096, SEEK_DATA), MIB);
        assert.equal(await x.fs.lseek(me, f.ino, fh, MIB, SEEK_HOLE), MIB + 4096);
        await failsWith(() => x.fs.lseek(me, f.ino, fh, MIB + 4096, SEEK_DATA), 'ENXIO');
        // FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE over the first block
        await x.fs.fallocate(me, f.ino, fh, 0x2 | 0x1, 0, 4096);
        assert.equal(await x.fs.lseek(me, f.ino, fh, 0, SEEK_DATA), MIB);
        // mode 0 extends the file
        await x.fs.fallocate(me, f.ino, fh, 0, 0, 2 * MIB);
        assert.equal(fs.statSync(x.p('sparse')).size, 2 * MIB);
        await x.fs.release(me, f.ino, fh, REL);
        x.fs.forget(f.ino, 1);
      });
    });

    test('setattr: truncate (path and fh), chmod, times to the nanosecond, UTIME_NOW and omitted', async () => {
      await withFx(new Fx(mode), async (x) => {
        fs.writeFileSync(x.p('f'), '0123456789');
        const f = await x.lookup('f');
        let a = (await x.fs.setattr(me, f.ino, { size: 4 }, undefined)) as Attr;
        assert.equal(a.size, 4);
        const fh = await x.open(f.ino);
        a = (await x.fs.setattr(me, f.ino, { size: 2, mode: 0o640 }, fh)) as Attr;
        assert.equal(a.size, 2);
        assert.equal(a.mode, 0o100640);
        assert.equal(fs.readFileSync(x.p('f'), 'utf8'), '01');
        a = (await x.fs.setattr(me, f.ino, { atime: { sec: 1_234_567_890, nsec: 987_654_321 }, mtime: { sec: -5, nsec: 1 } }, undefined)) as Attr;
        assert.deepEqual([a.atime, a.atimensec, a.mtime, a.mtimensec], [1_234_567_890, 987_654_321, -5, 1]);
        const st = fs.statSync(x.p('f'), { bigint: true });
        assert.equal(st.atimeNs, 1_234_567_890_987_654_321n);
        assert.equal(st.mtimeNs, -4_999_999_999n);
        // mtime now, atime omitted (unchanged)
        const before = Date.now() / 1000;
        a = (await x.fs.setattr(me, f.ino, { mtime: 'now' }, fh)) as Attr;
        assert.ok(a.mtime >= Math.floor(before) - 1);
        assert.deepEqual([a.atime, a.atimensec], [1_234_567_890, 987_654_321]);
        await x.fs.release(me, f.ino, fh, REL);
        x.fs.forget(f.ino, 1);
      });
    });

    test('setattr chown: lchown semantics on a symlink', { skip: !isRoot && 'needs root' }, async () => {
      await withFx(new Fx(mode), async (x) => {
        fs.writeFileSync(x.p('f'), '');
        fs.symlinkSync('f', x.p('l'));
        const l = await x.lookup('l');
        const a = (await x.fs.setattr(me, l.ino, { uid: 1000, gid: 1001 }, undefined)) as Attr;
        assert.deepEqual([a.uid, a.gid], [1000, 1001]);
        assert.deepEqual([fs.lstatSync(x.p('l')).uid, fs.lstatSync(x.p('l')).gid], [1000, 1001]);
        assert.equal(fs.statSync(x.p('f')).uid, 0, 'the target is untouched');
        await failsWith(() => x.fs.setattr(me, l.ino, { mode: 0o600 }, undefined), 'ENOTSUP');
        // gid only
        const f = await x.lookup('f');
        assert.deepEqual([((await x.fs.setattr(me, f.ino, { gid: 7 }, undefined)) as Attr).uid, fs.statSync(x.p('f')).gid], [0, 7]);
        x.fs.forget(l.ino, 1);
        x.fs.forget(f.ino, 1);
      });
    });

    test('killSuidgid (handle_killpriv_v2): flagged writes, truncates and O_TRUNC opens drop what the VFS would; unflagged keep', { skip: !isRoot && 'needs root (CAP_FSETID keeps the bits)' }, async () => {
      await withFx(new Fx(mode), async (x) => {
        assert.equal(x.fs.handleKillprivV2, true);
        const KILL = { ...W, killSuidgid: true };
        const modeOf = (name: string): number => fs.statSync(x.p(name)).mode & 0o7777;
        const file = async (name: string, m: number): Promise<number> => {
          fs.writeFileSync(x.p(name), 'data');
          fs.chmodSync(x.p(name), m);
          return (await x.lookup(name)).ino;
        };
        // write: unflagged (root's own) keeps; flagged drops setuid, and setgid only with group execute.
        const w = await file('w', 0o6755);
        const fh = await x.open(w);
        await x.fs.write(me, w, fh, 0, Buffer.from('x'), W);
        assert.equal(modeOf('w'), 0o6755);
        await x.fs.write(me, w, fh, 0, Buffer.from('x'), KILL);
        assert.equal(modeOf('w'), 0o755);
        const noexec = await file('noexec', 0o6745);
        const fh2 = await x.open(noexec);
        await x.fs.write(me, noexec, fh2, 0, Buffer.from('x'), KILL);
        assert.equal(modeOf('noexec'), 0o2745, 'setgid without group execute marks mandatory locking, and stays');
        // truncate, through a path and through an fh; not when the request also sets the mode.
        const t = await file('t', 0o6755);
        await x.fs.setattr(me, t, { size: 1, killSuidgid: true }, undefined);
        assert.equal(modeOf('t'), 0o755);
        fs.chmodSync(x.p('t'), 0o6755);
        const fht = await x.open(t);
        await x.fs.setattr(me, t, { size: 0, killSuidgid: true }, fht);
        assert.equal(modeOf('t'), 0o755);
        await x.fs.setattr(me, t, { size: 2, mode: 0o4711, killSuidgid: true }, undefined);
        assert.equal(modeOf('t'), 0o4711);
        // O_TRUNC opens: open, and create of a file that exists.
        const o = await file('o', 0o6755);
        const fh3 = (await x.fs.open(me, o, 0o1001, { killSuidgid: true })).fh!;
        assert.deepEqual([modeOf('o'), fs.statSync(x.p('o')).size], [0o755, 0]);
        await file('c', 0o6755);
        const c = await x.fs.create(me, ROOT, 'c', 0o100644, 0o1001, { killSuidgid: true });
        assert.equal(modeOf('c'), 0o755);
        assert.equal((c.entry.attr as Attr).mode & 0o7777, 0o755, 'the entry shows the mode after the kill');
        for (const [ino, h] of [[w, fh], [noexec, fh2], [t, fht], [o, fh3], [c.entry.ino, c.open.fh!]] as const) await x.fs.release(me, ino, h, REL);
        for (const ino of [w, noexec, t, o, c.entry.ino]) x.fs.forget(ino, 1);
      });
    });

    test('statfs is the source filesystem', async () => {
      await withFx(new Fx(mode), async (x) => {
        const s = await x.fs.statfs(me, ROOT);
        const n = fs.statfsSync(x.src);
        assert.equal(s.bsize, n.bsize);
        assert.equal(s.blocks, n.blocks);
        assert.equal(s.namelen, 255);
        await x.fs.syncfs(me, ROOT);
      });
    });

    test('access: as ourselves through faccessat; for another caller, by their uid and gid', async () => {
      await withFx(new Fx(mode), async (x) => {
        fs.writeFileSync(x.p('mine'), '', { mode: 0o600 });
        fs.writeFileSync(x.p('pub'), '', { mode: 0o644 });
        const mine = await x.lookup('mine');
        const pub = await x.lookup('pub');
        await x.fs.access(me, mine.ino, 4 | 2);
        await failsWith(() => x.fs.access(me, pub.ino, 1), 'EACCES');
        if (isRoot) {
          await failsWith(() => x.fs.access(alice, mine.ino, 4), 'EACCES');
          await x.fs.access(alice, pub.ino, 4);
          await x.fs.access(alice, pub.ino, 0);
          await failsWith(() => x.fs.access(alice, pub.ino, 2), 'EACCES');
          fs.chownSync(x.p('mine'), 1000, 1000);
          await x.fs.access(alice, mine.ino, 4 | 2);
          fs.chmodSync(x.src, 0o710);
          fs.chownSync(x.src, 0, 1000);
          await x.fs.access(ctx({ uid: 1001, gid: 1000 }), ROOT, 1);
          await failsWith(() => x.fs.access(ctx({ uid: 1001, gid: 1001 }), ROOT, 1), 'EACCES');
          await x.fs.access(ctx({ uid: 1001, gid: 1001, groups: [1000] }), ROOT, 1);
        }
        x.fs.forget(mine.ino, 1);
        x.fs.forget(pub.ino, 1);
      });
    });

    test('xattr: false answers every xattr request ENOSYS (the kernel then stops asking)', async () => {
      await withFx(new Fx(mode, undefined, { xattr: false }), async (x) => {
        fs.writeFileSync(x.p('f'), '');
        const f = await x.lookup('f');
        await failsWith(() => x.fs.getxattr(me, f.ino, 'user.a'), 'ENOSYS');
        await failsWith(() => x.fs.listxattr(me, f.ino), 'ENOSYS');
        await failsWith(() => x.fs.setxattr(me, f.ino, 'user.a', Buffer.from('v'), 0), 'ENOSYS');
        await failsWith(() => x.fs.removexattr(me, f.ino, 'user.a'), 'ENOSYS');
        x.fs.forget(f.ino, 1);
      });
    });

    test('xattrs: set, get, list, remove, flags, and values past the probe size', async () => {
      await withFx(new Fx(mode, '/dev/shm'), async (x) => {
        fs.writeFileSync(x.p('f'), '');
        const f = await x.lookup('f');
        await x.fs.setxattr(me, f.ino, 'user.a', Buffer.from('1'), 0);
        await failsWith(() => x.fs.setxattr(me, f.ino, 'user.a', Buffer.from('2'), 1 /* XATTR_CREATE */), 'EEXIST');
        await failsWith(() => x.fs.setxattr(me, f.ino, 'user.b', Buffer.from('2'), 2 /* XATTR_REPLACE */), 'ENODATA');
        await x.fs.setxattr(me, f.ino, 'user.empty', Buffer.alloc(0), 0);
        const big = Buffer.alloc(20000, 'z');
        await x.fs.setxattr(me, f.ino, 'user.big', big, 0);
        assert.equal(String(await x.fs.getxattr(me, f.ino, 'user.a')), '1');
        assert.equal((await x.fs.getxattr(me, f.ino, 'user.empty')).length, 0);
        assert.ok((await x.fs.getxattr(me, f.ino, 'user.big')).equals(big));
        for (let i = 0; i < 400; i++) await x.fs.setxattr(me, f.ino, `user.n${String(i).padStart(4, '0')}`, Buffer.from('x'), 0);
        const names = await x.fs.listxattr(me, f.ino);
        assert.equal(names.length, 403);
        assert.ok(names.includes('user.a') && names.includes('user.n0399'));
        await x.fs.removexattr(me, f.ino, 'user.a');
        await failsWith(() => x.fs.getxattr(me, f.ino, 'user.a'), 'ENODATA');
        await failsWith(() => x.fs.removexattr(me, f.ino, 'user.a'), 'ENODATA');
        x.fs.forget(f.ino, 1);
      });
    });

    test('xattrs of a symlink are the link’s own', { skip: !isRoot && 'trusted.* needs root' }, async () => {
      await withFx(new Fx(mode), async (x) => {
        fs.writeFileSync(x.p('f'), '');
        fs.symlinkSync('f', x.p('l'));
        const l = await x.lookup('l');
        await x.fs.setxattr(me, l.ino, 'trusted.t', Buffer.from('link'), 0);
        assert.equal(String(await x.fs.getxattr(me, l.ino, 'trusted.t')), 'link');
        assert.deepEqual(await x.fs.listxattr(me, l.ino), ['trusted.t']);
        const f = await x.lookup('f');
        assert.deepEqual(await x.fs.listxattr(me, f.ino), [], 'the target has none');
        await failsWith(() => x.fs.setxattr(me, l.ino, 'user.u', Buffer.from('x'), 0), 'EPERM');
        x.fs.forget(l.ino, 1);
        x.fs.forget(f.ino, 1);
      });
    });

    test('flock between two opens: conflicts, a waiter gets the lock after unlock, an interrupt ends the wait', async () => {
      await withFx(new Fx(mode), async (x) => {
        fs.writeFileSync(x.p('f'), '');
        const f = await x.lookup('f');
        const a = await x.open(f.ino);
        const b = await x.open(f.ino);
        await x.fs.flock(me, f.ino, a, 1n, LOCK_EX | LOCK_NB);
        await failsWith(() => x.fs.flock(me, f.ino, b, 2n, LOCK_SH | LOCK_NB), 'EAGAIN');
        let got = false;
        const waiting = Promise.resolve(x.fs.flock(me, f.ino, b, 2n, LOCK_EX)).then(() => (got = true));
        await new Promise((r) => setTimeout(r, 30));
        assert.equal(got, false);
        await x.fs.flock(me, f.ino, a, 1n, LOCK_UN);
        await waiting;
        assert.equal(got, true);
        // Now `a` waits, and is interrupted.
        const ac = new AbortController();
        const interrupted = x.fs.flock(ctx({ ...me, signal: ac.signal }), f.ino, a, 1n, LOCK_SH);
        setTimeout(() => ac.abort(), 20);
        await assert.rejects(Promise.resolve(interrupted), { name: 'AbortError' });
        // Releasing an open file drops its flock.
        await x.fs.release(me, f.ino, b, REL);
        await x.fs.flock(me, f.ino, a, 1n, LOCK_EX | LOCK_NB);
        await x.fs.release(me, f.ino, a, REL);
        x.fs.forget(f.ino, 1);
      });
    });
  });
}

test('the data path (data workers) drops setuid/setgid on a flagged WRITE as files.write does', { skip: !isRoot && 'needs root' }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'devfuse-dp-'));
  try {
    const file = path.join(dir, 'f');
    fs.writeFileSync(file, 'data');
    fs.chmodSync(file, 0o6755);
    const fd = fs.openSync(file, 'r+');
    const dp = createDataPath();
    assert.equal(dp.write(fd, 0, Buffer.from('x'), false), 1);
    assert.equal(fs.statSync(file).mode & 0o7777, 0o6755);
    assert.equal(dp.write(fd, 1, Buffer.from('y'), true), 1);
    assert.equal(fs.statSync(file).mode & 0o7777, 0o755);
    assert.equal(fs.readFileSync(file, 'utf8'), 'xyta');
    fs.closeSync(fd);
    assert.equal(dp.write(fd, 0, Buffer.from('z'), true), -9, 'a bad handle is a negative errno (EBADF), not a throw');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
