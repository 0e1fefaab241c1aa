/**
 * Names through the passthrough: ownership and modes of what it creates,
 * rename flags, links, tmpfiles, byte-exact names, and paths far longer
 * than PATH_MAX built below the source with relative calls only.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, test } from 'node:test';
import { py } from '../helpers/syscalls';
import { ROOT, alice, failsWith, me } from '../helpers/fs-calls';
import { Fx, withFx, MODES, isRoot } from './passthrough-helpers';

const REL = { flags: 0, flush: false, flockUnlock: false, lockOwner: 0n };
const O_WRONLY = 1;
const O_RDWR = 2;
const O_EXCL = 0o200;
const RENAME_NOREPLACE = 1;
const RENAME_EXCHANGE = 2;

for (const mode of MODES) {
  describe(`passthrough names (${mode})`, () => {
    test('as root, what a caller creates is theirs, with exactly the mode asked', { skip: !isRoot && 'needs root' }, async () => {
      await withFx(new Fx(mode), async (x) => {
        const d = await x.fs.mkdir(alice, ROOT, 'dir', 0o040777);
        const f = await x.fs.create(alice, ROOT, 'file', 0o100666, O_WRONLY, { killSuidgid: false });
        const s = await x.fs.symlink(alice, ROOT, 'link', 'file');
        const p = await x.fs.mknod(alice, ROOT, 'fifo', 0o010666, 0);
        const u = await x.fs.create(alice, ROOT, 'suid', 0o104755, O_WRONLY, { killSuidgid: false });
        for (const [name, e, want] of [['dir', d, 0o040777], ['file', f.entry, 0o100666], ['fifo', p, 0o010666], ['suid', u.entry, 0o104755]] as const) {
          const st = fs.lstatSync(x.p(name));
          assert.equal(st.uid, 1000, `${name} uid`);
          assert.equal(st.gid, 1000, `${name} gid`);
          assert.equal(st.mode, want, `${name} mode ${st.mode.toString(8)}`);
          assert.equal(e.attr.uid, 1000, `${name}: the entry shows the final owner`);
          assert.equal(e.attr.mode, want);
        }
        const ls = fs.lstatSync(x.p('link'));
        assert.equal(ls.uid, 1000, 'the symlink itself is chowned');
        assert.equal(fs.statSync(x.p('link')).uid, 1000);
        assert.equal(s.attr.mode & 0o170000, 0o120000);
        await x.fs.release(alice, f.entry.ino, f.open.fh!, REL);
        await x.fs.release(alice, u.entry.ino, u.open.fh!, REL);
        for (const e of [d, f.entry, s, p, u.entry]) x.fs.forget(e.ino, 1);
      });
    });

    test('as root, a setgid directory gives its group to what is created in it', { skip: !isRoot && 'needs root' }, async () => {
      await withFx(new Fx(mode), async (x) => {
        fs.mkdirSync(x.p('shared'));
        fs.chownSync(x.p('shared'), 0, 4321);
        fs.chmodSync(x.p('shared'), 0o2777);
        const sh = await x.lookup('shared');
        const f = await x.fs.create(alice, sh.ino, 'f', 0o100640, O_WRONLY, { killSuidgid: false });
        const d = await x.fs.mkdir(alice, sh.ino, 'd', 0o040750);
        assert.equal(fs.statSync(x.p('shared', 'f')).gid, 4321);
        assert.equal(fs.statSync(x.p('shared', 'f')).uid, 1000);
        const ds = fs.statSync(x.p('shared', 'd'));
        assert.equal(ds.gid, 4321);
        assert.equal(ds.mode, 0o042750, 'a directory keeps the setgid bit it inherited');
        await x.fs.release(alice, f.entry.ino, f.open.fh!, REL);
        for (const e of [sh, f.entry, d]) x.fs.forget(e.ino, 1);
      });
    });

    test('the process umask does not apply: modes are as the kernel sent them', async () => {
      const old = process.umask(0o077);
      const x = new Fx(mode);
      try {
        const d = await x.fs.mkdir(me, ROOT, 'd', 0o040775);
        const f = await x.fs.create(me, ROOT, 'f', 0o100664, O_RDWR, { killSuidgid: false });
        assert.equal(fs.statSync(x.p('d')).mode, 0o040775);
        assert.equal(fs.statSync(x.p('f')).mode, 0o100664);
        assert.equal(fs.statSync(x.p('d')).uid, process.getuid!());
        await x.fs.release(me, f.entry.ino, f.open.fh!, REL);
        x.fs.forget(d.ino, 1);
        x.fs.forget(f.entry.ino, 1);
      } finally {
        process.umask(old);
        x.cleanup();
      }
    });

    test('create on an existing file opens it, keeping its owner and mode; O_EXCL fails', async () => {
      await withFx(new Fx(mode), async (x) => {
        fs.writeFileSync(x.p('f'), 'old', { mode: 0o600 });
        const c = await x.fs.create(alice, ROOT, 'f', 0o100666, O_RDWR, { killSuidgid: false });
        const st = fs.statSync(x.p('f'));
        assert.equal(st.uid, process.getuid!());
        assert.equal(st.mode, 0o100600);
        assert.equal(String(await x.fs.read(me, c.entry.ino, c.open.fh!, 0, 10, { flags: 0, lockOwner: undefined })), 'old');
        await x.fs.release(me, c.entry.ino, c.open.fh!, REL);
        await failsWith(() => x.fs.create(alice, ROOT, 'f', 0o100666, O_RDWR | O_EXCL, { killSuidgid: false }), 'EEXIST');
        x.fs.forget(c.entry.ino, 1);
        assert.equal(x.fs.inodeCount, 0);
      });
    });

    test('mknod of a character device as root: type, mode and rdev', { skip: !isRoot && 'needs root' }, async () => {
      await withFx(new Fx(mode), async (x) => {
        const rdev = (1 << 8) | 3; // 1:3, /dev/null, in FUSE's encoding
        const e = await x.fs.mknod(alice, ROOT, 'null', 0o020620, rdev);
        const st = fs.lstatSync(x.p('null'));
        assert.ok(st.isCharacterDevice());
        assert.equal(st.mode, 0o020620);
        assert.equal(st.rdev, fs.statSync('/dev/null').rdev);
        assert.equal(e.attr.rdev, rdev);
        assert.equal(st.uid, 1000);
        x.fs.forget(e.ino, 1);
      });
    });

    test('rename: plain, NOREPLACE, EXCHANGE; unlink and rmdir', async () => {
      await withFx(new Fx(mode), async (x) => {
        fs.writeFileSync(x.p('a'), 'A');
        fs.writeFileSync(x.p('b'), 'B');
        fs.mkdirSync(x.p('d'));
        fs.writeFileSync(x.p('d', 'inner'), 'I');
        const d = await x.lookup('d');
        await failsWith(() => x.fs.rename(me, ROOT, 'a', ROOT, 'b', RENAME_NOREPLACE), 'EEXIST');
        await x.fs.rename(me, ROOT, 'a', ROOT, 'b', RENAME_EXCHANGE);
        assert.equal(fs.readFileSync(x.p('a'), 'utf8'), 'B');
        assert.equal(fs.readFileSync(x.p('b'), 'utf8'), 'A');
        await x.fs.rename(me, ROOT, 'a', d.ino, 'moved', RENAME_NOREPLACE);
        assert.equal(fs.readFileSync(x.p('d', 'moved'), 'utf8'), 'B');
        await x.fs.rename(me, ROOT, 'b', d.ino, 'moved', 0);
        assert.equal(fs.readFileSync(x.p('d', 'moved'), 'utf8'), 'A');
        await failsWith(() => x.fs.rename(me, ROOT, 'nope', ROOT, 'x', 0), 'ENOENT');
        await failsWith(() => x.fs.rmdir(me, ROOT, 'd'), 'ENOTEMPTY');
        await x.fs.unlink(me, d.ino, 'moved');
        await x.fs.unlink(me, d.ino, 'inner');
        await failsWith(() => x.fs.unlink(me, ROOT, 'd'), 'EISDIR');
        await x.fs.rmdir(me, ROOT, 'd');
        assert.deepEqual(fs.readdirSync(x.src), []);
        // The inode of the removed directory is still usable until forgotten (getattr through its descriptor).
        assert.equal((await x.attr(d.ino)).nlink, 0);
        x.fs.forget(d.ino, 1);
      });
    });

    test('symlink and readlink keep the target byte for byte', async () => {
      await withFx(new Fx(mode), async (x) => {
        const target = 'some/where/\udcff\udcfe-é';
        const s = await x.fs.symlink(me, ROOT, 'l', target);
        assert.equal(await x.fs.readlink(me, s.ino), target);
        assert.deepEqual(fs.readlinkSync(x.p('l'), { encoding: 'buffer' }), Buffer.concat([Buffer.from('some/where/'), Buffer.from([0xff, 0xfe]), Buffer.from('-é')]));
        x.fs.forget(s.ino, 1);
      });
    });

    test('names that are not UTF-8 round-trip through create, lookup and readdir', async () => {
      await withFx(new Fx(mode), async (x) => {
        const name = 'bad-\udcff\udc80';
        const c = await x.fs.create(me, ROOT, name, 0o100644, O_WRONLY, { killSuidgid: false });
        await x.fs.release(me, c.entry.ino, c.open.fh!, REL);
        const raw = fs.readdirSync(x.src, { encoding: 'buffer' });
        assert.deepEqual(raw, [Buffer.from([0x62, 0x61, 0x64, 0x2d, 0xff, 0x80])]);
        assert.equal((await x.lookup(name)).ino, c.entry.ino);
        assert.ok((await x.list()).some((l) => l.name === name));
        x.fs.forget(c.entry.ino, 2);
      });
    });

    test('tmpfile makes an unnamed file that link can name', async () => {
      await withFx(new Fx(mode), async (x) => {
        const t = await x.fs.tmpfile(me, ROOT, 0o100600, O_RDWR);
        assert.equal(t.entry.attr.nlink, 0);
        assert.deepEqual(fs.readdirSync(x.src), []);
        assert.equal(await x.fs.write(me, t.entry.ino, t.open.fh!, 0, Buffer.from('tmp'), { flags: O_RDWR, lockOwner: undefined, writeback: false, killSuidgid: false }), 3);
        const l = await x.fs.link(me, t.entry.ino, ROOT, 'named');
        assert.equal(l.ino, t.entry.ino);
        assert.equal(fs.readFileSync(x.p('named'), 'utf8'), 'tmp');
        await x.fs.release(me, t.entry.ino, t.open.fh!, REL);
        x.fs.forget(t.entry.ino, 2);
      });
    });

    test('paths far beyond PATH_MAX below the source: every call is relative', async () => {
      await withFx(new Fx(mode), async (x) => {
        const seg = 'd'.repeat(250);
        let parent = ROOT;
        const chain: number[] = [];
        for (let i = 0; i < 20; i++) {
          const e = await x.fs.mkdir(me, parent, seg, 0o040755);
          chain.push(e.ino);
          parent = e.ino;
        }
        const deep = x.p(...Array<string>(20).fill(seg));
        assert.ok(deep.length > 4096 + 500);
        assert.throws(() => fs.statSync(deep), { code: 'ENAMETOOLONG' }, 'an absolute path this long cannot be used');
        const f = await x.fs.create(me, parent, 'leaf', 0o100644, O_RDWR, { killSuidgid: false });
        const w = { flags: O_RDWR, lockOwner: undefined, writeback: false, killSuidgid: false };
        assert.equal(await x.fs.write(me, f.entry.ino, f.open.fh!, 0, Buffer.from('deep'), w), 4);
        await x.fs.release(me, f.entry.ino, f.open.fh!, REL);
        await x.fs.setattr(me, f.entry.ino, { mode: 0o600, mtime: { sec: 1_000_000_000, nsec: 123_456_789 } }, undefined);
        await x.fs.setxattr(me, f.entry.ino, 'user.deep', Buffer.from('v'), 0);
        assert.equal(String(await x.fs.getxattr(me, f.entry.ino, 'user.deep')), 'v');
        const s = await x.fs.symlink(me, parent, 'ln', 'leaf');
        await x.fs.rename(me, parent, 'leaf', parent, 'leaf2', 0);
        assert.deepEqual((await x.list(parent)).map((l) => l.name).sort(), ['.', '..', 'leaf2', 'ln']);
        const a = await x.attr(f.entry.ino);
        assert.equal(a.mode, 0o100600);
        assert.equal(a.mtime, 1_000_000_000);
        assert.equal(a.mtimensec, 123_456_789);
        // Checked from outside, walking down with dir_fd as well.
        const walk = `fd = os.open(ARGS[0], os.O_RDONLY)\nfor i in range(20): fd = os.open(ARGS[1], os.O_RDONLY, dir_fd=fd)\nf = os.open('leaf2', os.O_RDONLY, dir_fd=fd)\nout('%s %s' % (os.read(f, 10).decode(), oct(os.fstat(f).st_mode)))`;
        assert.equal(py(walk, [x.src, seg]), 'deep 0o100600');
        await x.fs.unlink(me, parent, 'ln');
        x.fs.forget(s.ino, 1);
        x.fs.forget(f.entry.ino, 1);
        for (const ino of chain.reverse()) x.fs.forget(ino, 1);
        assert.equal(x.fs.inodeCount, 0);
      });
    });
  });
}
