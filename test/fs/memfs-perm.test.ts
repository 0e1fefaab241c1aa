/**
 * memfs permission checks (done by memfs itself, since mounts without
 * default_permissions have the kernel check nothing): the owner/group/other
 * matrix, root's bypass, search and write permission on directories, the
 * sticky bit, open flags, access(), chmod/chown/utimens rules, setgid
 * directories and the setuid/setgid kill rules.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ROOT, alice, bob, carol, ctx, root, throwsErrno } from '../helpers/fs-calls';
import { Fx } from './memfs-helpers';

const R = 4;
const W = 2;
const X = 1;
const O_RDONLY = 0;
const O_WRONLY = 1;
const O_RDWR = 2;
const O_TRUNC = 0o1000;
const O_NOATIME = 0o1000000;
const FMODE_EXEC = 0o40;

/** A world-writable scratch directory so unprivileged callers can create. */
function scratch(f: Fx): number {
  return f.mkdir(root, ROOT, 'tmp', 0o777).ino;
}

test('the permission matrix: the owner, group and other classes, each with only its own bits', () => {
  const f = new Fx();
  const t = scratch(f);
  const ino = f.file(alice, t, 'f');
  // For each mode, which of alice (owner), carol (group) and bob (other) may read, write, execute.
  const cases: [number, string, string, string][] = [
    [0o700, 'rwx', '---', '---'],
    [0o070, '---', 'rwx', '---'],
    [0o007, '---', '---', 'rwx'],
    [0o640, 'rw-', 'r--', '---'],
    [0o604, 'rw-', '---', 'r--'],
    [0o000, '---', '---', '---'],
  ];
  for (const [mode, owner, group, other] of cases) {
    f.setattr(alice, ino, { mode });
    for (const [who, expect] of [[alice, owner], [carol, group], [bob, other]] as const) {
      const got = [R, W, X].map((m, i) => {
        try {
          f.access(who, ino, m);
          return 'rwx'[i];
        } catch {
          return '-';
        }
      }).join('');
      assert.equal(got, expect, `mode 0${mode.toString(8)} uid ${who.uid}`);
    }
  }
});

test('root reads and writes anything, but executes only what has some x bit; directories are always searchable', () => {
  const f = new Fx();
  const t = scratch(f);
  const ino = f.file(alice, t, 'f');
  f.setattr(alice, ino, { mode: 0o000 });
  f.access(root, ino, R | W);
  throwsErrno(() => f.access(root, ino, X), 'EACCES');
  f.setattr(alice, ino, { mode: 0o001 });
  f.access(root, ino, X);
  const d = f.mkdir(alice, t, 'd', 0o000);
  f.access(root, d.ino, R | W | X);
  f.access(bob, ino, 0); // F_OK
});

test('lookup needs search (x) permission on the directory; readdir (opendir) needs read', () => {
  const f = new Fx();
  const t = scratch(f);
  const d = f.mkdir(alice, t, 'd', 0o700);
  f.file(alice, d.ino, 'secret');
  throwsErrno(() => f.lookup(bob, d.ino, 'secret'), 'EACCES');
  throwsErrno(() => f.opendir(bob, d.ino), 'EACCES');
  f.setattr(alice, d.ino, { mode: 0o711 });
  f.lookup(bob, d.ino, 'secret');
  throwsErrno(() => f.opendir(bob, d.ino), 'EACCES');
  f.setattr(alice, d.ino, { mode: 0o744 });
  f.opendir(bob, d.ino);
  throwsErrno(() => f.lookup(bob, d.ino, 'secret'), 'EACCES');
});

test('creating and removing names needs write and search permission on the directory', () => {
  const f = new Fx();
  const t = scratch(f);
  const d = f.mkdir(alice, t, 'd', 0o755);
  const ino = f.file(alice, d.ino, 'f');
  throwsErrno(() => f.file(bob, d.ino, 'g'), 'EACCES');
  throwsErrno(() => f.mkdir(bob, d.ino, 'g'), 'EACCES');
  throwsErrno(() => f.symlink(bob, d.ino, 'g', 'x'), 'EACCES');
  throwsErrno(() => f.mknod(bob, d.ino, 'g', 0o010644), 'EACCES');
  throwsErrno(() => f.link(bob, ino, d.ino, 'g'), 'EACCES');
  throwsErrno(() => f.unlink(bob, d.ino, 'f'), 'EACCES');
  throwsErrno(() => f.rename(bob, d.ino, 'f', t, 'f'), 'EACCES');
  // Renaming alice's directory within the world-writable parent needs nothing of the directory itself.
  f.rename(bob, t, 'd', t, 'd2');
});

test('a directory moved to another parent needs write permission on itself (its ".." changes)', () => {
  const f = new Fx();
  const a = f.mkdir(root, ROOT, 'a', 0o777);
  const b = f.mkdir(root, ROOT, 'b', 0o777);
  f.mkdir(alice, a.ino, 'd', 0o555);
  throwsErrno(() => f.rename(bob, a.ino, 'd', b.ino, 'd'), 'EACCES');
  f.rename(bob, a.ino, 'd', a.ino, 'e'); // same parent: fine
  throwsErrno(() => f.rename(alice, a.ino, 'e', b.ino, 'e'), 'EACCES', 'even the owner needs w on it');
  f.setattr(alice, f.lookup(alice, a.ino, 'e').ino, { mode: 0o755 });
  f.rename(alice, a.ino, 'e', b.ino, 'e');
});

test('sticky directories: only the file owner, the directory owner or root unlink and rename', () => {
  const f = new Fx();
  const t = f.mkdir(root, ROOT, 'sticky', 0o1777).ino;
  f.file(alice, t, 'a');
  f.file(bob, t, 'b');
  throwsErrno(() => f.unlink(bob, t, 'a'), 'EPERM');
  throwsErrno(() => f.rename(bob, t, 'a', t, 'x'), 'EPERM');
  throwsErrno(() => f.rename(bob, t, 'b', t, 'a'), 'EPERM', 'replacing another user\'s file');
  f.rename(bob, t, 'b', t, 'b2');
  f.unlink(alice, t, 'a');
  f.file(alice, t, 'a2');
  f.unlink(root, t, 'a2');
  // The directory's owner may remove anything in it.
  const own = f.mkdir(alice, t, 'mine', 0o1777).ino;
  f.file(bob, own, 'x');
  f.unlink(alice, own, 'x');
});

test('open checks the access mode; O_TRUNC needs write; execve opens need x, not r; O_NOATIME needs ownership', () => {
  const f = new Fx();
  const t = scratch(f);
  const ino = f.file(alice, t, 'f', 'data', 0o644);
  f.open(bob, ino, O_RDONLY);
  throwsErrno(() => f.open(bob, ino, O_WRONLY), 'EACCES');
  throwsErrno(() => f.open(bob, ino, O_RDWR), 'EACCES');
  throwsErrno(() => f.open(bob, ino, 3), 'EACCES');
  throwsErrno(() => f.open(bob, ino, O_RDONLY | O_TRUNC), 'EACCES');
  throwsErrno(() => f.open(bob, ino, O_RDONLY | FMODE_EXEC), 'EACCES');
  f.setattr(alice, ino, { mode: 0o711 });
  f.open(bob, ino, O_RDONLY | FMODE_EXEC);
  throwsErrno(() => f.open(bob, ino, O_RDONLY), 'EACCES');
  throwsErrno(() => f.open(bob, ino, O_RDONLY | O_NOATIME), 'EACCES');
  f.setattr(alice, ino, { mode: 0o644 });
  throwsErrno(() => f.open(bob, ino, O_RDONLY | O_NOATIME), 'EPERM');
  f.open(alice, ino, O_RDONLY | O_NOATIME);
  // With atomic_o_trunc the kernel leaves O_TRUNC to open.
  f.open(alice, ino, O_WRONLY | O_TRUNC);
  assert.equal(f.getattr(ino).size, 0);
});

test('truncate(2) needs write permission; ftruncate through a handle opened for writing does not ask again', () => {
  const f = new Fx();
  const t = scratch(f);
  const ino = f.file(alice, t, 'f', 'data', 0o666);
  const fh = f.open(bob, ino, O_WRONLY);
  f.setattr(alice, ino, { mode: 0o644 });
  throwsErrno(() => f.setattr(bob, ino, { size: 0 }), 'EACCES');
  const ro = f.open(bob, ino, O_RDONLY);
  throwsErrno(() => f.setattr(bob, ino, { size: 0 }, ro), 'EACCES', 'open(O_RDONLY|O_TRUNC): the kernel sends the truncate with the read-only handle');
  f.setattr(bob, ino, { size: 1 }, fh);
  assert.equal(f.getattr(ino).size, 1);
});

test('chmod: owner or root only (EPERM); setgid dropped when the owner is not in the group', () => {
  const f = new Fx();
  const t = scratch(f);
  const ino = f.file(alice, t, 'f');
  throwsErrno(() => f.setattr(bob, ino, { mode: 0o777 }), 'EPERM');
  f.setattr(root, ino, { gid: 50 });
  assert.equal(f.setattr(alice, ino, { mode: 0o2755 }).mode & 0o7777, 0o0755, 'alice is not in group 50');
  assert.equal(f.setattr(root, ino, { mode: 0o2755 }).mode & 0o7777, 0o2755);
  f.setattr(root, ino, { gid: 1000 });
  assert.equal(f.setattr(alice, ino, { mode: 0o6755 }).mode & 0o7777, 0o6755);
});

test('chmod by a non-owner is allowed only as the kernel\'s own suid/sgid kill', () => {
  const f = new Fx();
  const t = scratch(f);
  const ino = f.file(alice, t, 'f', '', 0o666);
  f.setattr(alice, ino, { mode: 0o6777 });
  // What the kernel sends before bob's write (no handle_killpriv): the mode minus the bits.
  assert.equal(f.setattr(bob, ino, { mode: 0o0777 }).mode & 0o7777, 0o0777);
  throwsErrno(() => f.setattr(bob, ino, { mode: 0o0776 }), 'EPERM');
  throwsErrno(() => f.setattr(bob, ino, { mode: 0o4777 }), 'EPERM');
});

test('chown: only root changes the owner; the owner may change the group to its own; setuid/setgid go', () => {
  const f = new Fx();
  const t = scratch(f);
  const ino = f.file(alice, t, 'f');
  throwsErrno(() => f.setattr(alice, ino, { uid: 1001 }), 'EPERM');
  throwsErrno(() => f.setattr(bob, ino, { uid: 1000 }), 'EPERM', 'non-owner, even to the same uid');
  f.setattr(alice, ino, { uid: 1000 }); // no-op chown by the owner
  throwsErrno(() => f.setattr(alice, ino, { gid: 50 }), 'EPERM');
  throwsErrno(() => f.setattr(bob, ino, { gid: 1000 }), 'EPERM');
  f.setattr(root, ino, { gid: 50 });
  f.setattr(alice, ino, { gid: 1000 }); // back to her own group
  f.setattr(ctx({ uid: 1000, gid: 7, groups: [1000, 60] }), ino, { gid: 60 }); // a group the kernel told us she is in
  f.setattr(root, ino, { mode: 0o6755 });
  const after = f.setattr(root, ino, { uid: 1001, gid: 1001 });
  assert.deepEqual([after.uid, after.gid, after.mode & 0o7777], [1001, 1001, 0o0755], 'chown clears setuid and group-exec setgid, even by root');
  f.setattr(root, ino, { mode: 0o6745 });
  assert.equal(f.setattr(root, ino, { gid: 5 }).mode & 0o7777, 0o2745, 'setgid without group-exec is kept');
  const d = f.mkdir(root, t, 'd', 0o775);
  f.setattr(root, d.ino, { mode: 0o2775 });
  assert.equal(f.setattr(root, d.ino, { uid: 5 }).mode & 0o7777, 0o2775, 'directories keep setgid');
});

test('truncate by a non-root caller drops setuid; by root only with killSuidgid', () => {
  const f = new Fx();
  const t = scratch(f);
  const ino = f.file(alice, t, 'f', 'abc');
  f.setattr(alice, ino, { mode: 0o4755 });
  f.setattr(root, ino, { size: 1 });
  assert.equal(f.getattr(ino).mode & 0o7777, 0o4755);
  f.setattr(root, ino, { size: 2, killSuidgid: true });
  assert.equal(f.getattr(ino).mode & 0o7777, 0o0755);
  f.setattr(alice, ino, { mode: 0o4755 });
  f.setattr(alice, ino, { size: 0 });
  assert.equal(f.getattr(ino).mode & 0o7777, 0o0755);
});

test('security.capability goes on every write, truncate, chown, fallocate and copy into the file, root\'s too (handle_killpriv_v2)', () => {
  const f = new Fx();
  assert.equal(f.fs.handleKillprivV2, true);
  const t = scratch(f);
  const ino = f.file(root, t, 'f', 'abc');
  const src = f.file(root, t, 'src', 'xyz');
  const fh = f.open(root, ino);
  const has = (): boolean => f.fs.listxattr!(root, ino).toString().includes('security.capability');
  const steps: [string, () => unknown][] = [
    ['write', () => f.write(root, ino, fh, 0, 'x')],
    ['writeback flush', () => f.write(root, ino, fh, 0, 'x', { writeback: true })],
    ['truncate', () => f.setattr(root, ino, { size: 1 })],
    ['chown', () => f.setattr(root, ino, { uid: 5 })],
    ['fallocate', () => f.fallocate(ino, 0, 0, 8192)],
    ['copy_file_range', () => f.copy(src, 0, ino, 0, 2)],
  ];
  for (const [what, step] of steps) {
    f.setxattr(root, ino, 'security.capability', Buffer.alloc(20, 1));
    f.setxattr(root, ino, 'security.other', 'kept');
    step();
    assert.equal(has(), false, `${what} drops security.capability`);
    assert.equal(f.getxattr(root, ino, 'security.other').toString(), 'kept', `${what} keeps other attributes`);
  }
  // Its space is given back: as many set/drop rounds as you like within a small xattr budget.
  const g = new Fx({ size: 16384 });
  const gi = g.file(root, ROOT, 'g', 'abc');
  const gfh = g.open(root, gi);
  for (let i = 0; i < 1000; i++) {
    g.setxattr(root, gi, 'security.capability', Buffer.alloc(20, 1));
    g.write(root, gi, gfh, 0, 'x');
  }
});

test('utimens: explicit times need ownership (EPERM); "now" needs ownership or write permission (EACCES)', () => {
  const f = new Fx();
  const t = scratch(f);
  const ino = f.file(alice, t, 'f', '', 0o644);
  const ts = { sec: 1000, nsec: 5 };
  throwsErrno(() => f.setattr(bob, ino, { atime: ts, mtime: ts }), 'EPERM');
  throwsErrno(() => f.setattr(bob, ino, { atime: 'now', mtime: 'now' }), 'EACCES');
  throwsErrno(() => f.setattr(bob, ino, { atime: 'now' }), 'EPERM', 'one "now" and one omitted is not a touch');
  const a = f.setattr(alice, ino, { atime: ts, mtime: { sec: 2000, nsec: 7 } });
  assert.deepEqual([a.atime, a.atimensec, a.mtime, a.mtimensec], [1000, 5, 2000, 7]);
  f.setattr(alice, ino, { mode: 0o666 });
  f.clock.advance(3);
  const b = f.setattr(bob, ino, { atime: 'now', mtime: 'now' });
  assert.deepEqual([b.atime, b.atimensec, b.mtime, b.mtimensec, b.ctimensec], [f.clock.t.sec, f.clock.t.nsec, f.clock.t.sec, f.clock.t.nsec, f.clock.t.nsec]);
  // writeback_cache's time flush (mtime + ctime) by a writer who does not own the file.
  const c = f.setattr(bob, ino, { mtime: ts, ctime: { sec: 1500, nsec: 1 } });
  assert.deepEqual([c.mtime, c.ctime, c.ctimensec], [1000, 1500, 1]);
  // Negative times (before 1970) are kept.
  assert.equal(f.setattr(alice, ino, { mtime: { sec: -100, nsec: 0 } }).mtime, -100);
});

test('ctime moves on chmod, chown, link, unlink of another name, rename, xattr changes', () => {
  const f = new Fx();
  const ino = f.file(root, ROOT, 'f');
  const stamp = (): number => f.getattr(ino).ctimensec;
  const steps: [string, () => void][] = [
    ['chmod', () => f.setattr(root, ino, { mode: 0o600 })],
    ['chown', () => f.setattr(root, ino, { uid: 3 })],
    ['link', () => f.link(root, ino, ROOT, 'g')],
    ['unlink', () => f.unlink(root, ROOT, 'g')],
    ['rename', () => f.rename(root, ROOT, 'f', ROOT, 'h')],
    ['setxattr', () => f.setxattr(root, ino, 'user.a', 'v')],
    ['removexattr', () => f.removexattr(root, ino, 'user.a')],
  ];
  for (const [what, step] of steps) {
    f.clock.advance(11);
    step();
    assert.equal(stamp(), f.clock.t.nsec, what);
  }
});

test('new files take the caller\'s uid and gid, or the directory\'s gid when it is setgid (and subdirectories inherit setgid)', () => {
  const f = new Fx();
  const t = scratch(f);
  const a = f.create(alice, t, 'a').entry.attr;
  assert.deepEqual([a.uid, a.gid], [1000, 1000]);
  const sg = f.mkdir(root, ROOT, 'sg', 0o777);
  f.setattr(root, sg.ino, { gid: 50, mode: 0o2777 });
  const b = f.create(bob, sg.ino, 'b').entry.attr;
  assert.deepEqual([b.uid, b.gid], [1001, 50]);
  const sub = f.mkdir(bob, sg.ino, 'sub', 0o755).attr;
  assert.deepEqual([sub.gid, sub.mode & 0o7777], [50, 0o2755]);
  // A group-executable setgid file made by a non-member loses setgid; a member's keeps it.
  assert.equal(f.create(bob, sg.ino, 'c', 0o2755).entry.attr.mode & 0o7777, 0o0755);
  assert.equal(f.create(ctx({ uid: 1001, gid: 1001, groups: [50] }), sg.ino, 'd', 0o2755).entry.attr.mode & 0o7777, 0o2755);
  assert.equal(f.create(bob, t, 'e', 0o2755).entry.attr.mode & 0o7777, 0o2755, 'outside setgid directories the mode is as asked');
  assert.equal(f.mkdir(bob, t, 'nosg', 0o6777).attr.mode & 0o7777, 0o0777, 'mkdir never sets setuid/setgid from the mode');
});

test('xattr permissions: user.* needs r/w on the file and only on files and directories; trusted.* is root\'s; security.* written by root', () => {
  const f = new Fx();
  const t = scratch(f);
  const ino = f.file(alice, t, 'f', '', 0o644);
  f.setxattr(alice, ino, 'user.k', 'v');
  assert.equal(f.getxattr(bob, ino, 'user.k').toString(), 'v');
  throwsErrno(() => f.setxattr(bob, ino, 'user.k', 'w'), 'EACCES');
  throwsErrno(() => f.removexattr(bob, ino, 'user.k'), 'EACCES');
  f.setattr(alice, ino, { mode: 0o600 });
  throwsErrno(() => f.getxattr(bob, ino, 'user.k'), 'EACCES');
  const l = f.symlink(alice, t, 'l', 'f').ino;
  throwsErrno(() => f.setxattr(alice, l, 'user.k', 'v'), 'EPERM');
  throwsErrno(() => f.getxattr(alice, l, 'user.k'), 'ENODATA');
  throwsErrno(() => f.setxattr(alice, ino, 'trusted.k', 'v'), 'EPERM');
  f.setxattr(root, ino, 'trusted.k', 'v');
  throwsErrno(() => f.getxattr(alice, ino, 'trusted.k'), 'ENODATA');
  assert.deepEqual(f.listxattr(alice, ino), ['user.k']);
  assert.deepEqual(f.listxattr(root, ino).sort(), ['trusted.k', 'user.k']);
  throwsErrno(() => f.setxattr(alice, ino, 'security.k', 'v'), 'EPERM');
  f.setxattr(root, ino, 'security.k', 'v');
  assert.equal(f.getxattr(bob, ino, 'security.k').toString(), 'v');
  // Sticky directories: only the owner writes user.* attributes.
  const st = f.mkdir(alice, t, 'st', 0o1777).ino;
  throwsErrno(() => f.setxattr(bob, st, 'user.k', 'v'), 'EPERM');
  f.setxattr(alice, st, 'user.k', 'v');
});

test('under writeback_cache, a touch arrives as atime "now" plus the kernel\'s mtime and ctime: write permission suffices', () => {
  const f = new Fx();
  const t = scratch(f);
  const ino = f.file(alice, t, 'f', '', 0o666);
  const kernelNow = { sec: 1234, nsec: 5 };
  f.setattr(bob, ino, { atime: 'now', mtime: kernelNow, ctime: kernelNow });
  assert.equal(f.getattr(ino).mtime, 1234);
  f.setattr(alice, ino, { mode: 0o644 });
  throwsErrno(() => f.setattr(bob, ino, { atime: 'now', mtime: kernelNow, ctime: kernelNow }), 'EACCES');
  throwsErrno(() => f.setattr(bob, ino, { atime: kernelNow, mtime: kernelNow, ctime: kernelNow }), 'EPERM');
});

test('defaultPermissions: the kernel has checked (with every group), so memfs does not check again', () => {
  const f = new Fx({ defaultPermissions: true });
  const d = f.mkdir(alice, ROOT, 'd', 0o700);
  const ino = f.file(alice, d.ino, 'f', 'x', 0o600);
  // bob, say, in one of alice's supplementary groups, which memfs cannot see: the kernel let him through.
  assert.equal(f.lookup(bob, d.ino, 'f').ino, ino);
  f.open(bob, ino, O_RDWR);
  f.setxattr(bob, ino, 'trusted.k', 'v');
  f.setattr(alice, ino, { gid: 50 });
  assert.equal(f.setattr(alice, ino, { mode: 0o2755 }).mode & 0o7777, 0o2755, 'setgid kept: the kernel already stripped it if it had to');
  const sg = f.mkdir(root, ROOT, 'sg', 0o777);
  f.setattr(root, sg.ino, { gid: 50, mode: 0o2777 });
  assert.equal(f.create(bob, sg.ino, 'g', 0o2755).entry.attr.mode & 0o7777, 0o2755);
  // What is not a permission check still happens: setuid dropped on write by a non-root caller, gid inheritance.
  f.setattr(alice, ino, { mode: 0o4755 });
  f.write(bob, ino, f.open(bob, ino, O_RDWR), 0, 'y');
  assert.equal(f.getattr(ino).mode & 0o7777, 0o0755);
  assert.equal(f.getattr(f.lookup(bob, sg.ino, 'g').ino).gid, 50);
});
