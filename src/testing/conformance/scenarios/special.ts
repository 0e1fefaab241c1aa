/** Nodes that are not plain files: MKNOD of FIFOs, sockets and devices; O_TMPFILE; STATX. */
import type { Scenario } from '../kit';
import { code, firstUse, O_RDWR, S_IFBLK, S_IFCHR, S_IFIFO, S_IFMT, S_IFREG, S_IFSOCK, UNSUPPORTED } from './common';

/** The kernel's new_encode_dev, as MKNOD carries rdev. */
function dev(major: number, minor: number): number {
  return (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12);
}

export const mknod: Scenario = {
  name: 'mknod',
  description: 'MKNOD of a FIFO, a socket, character and block devices (rdev kept) and a regular file: the type in the reply, GETATTR, LOOKUP and READDIR; EEXIST on a taken name',
  needs: ['write', 'mknod'],
  async run(t) {
    const v = await t.start();
    await firstUse(t, v.mknod('/probe', S_IFIFO | 0o644), 'MKNOD');
    await v.unlink('/probe');
    const nodes: [string, number, number, number][] = [
      ['/fifo', S_IFIFO | 0o644, 0, 1], ['/sock', S_IFSOCK | 0o755, 0, 12], ['/chr', S_IFCHR | 0o600, dev(1, 3), 2],
      ['/blk', S_IFBLK | 0o600, dev(8, 300), 6], ['/reg', S_IFREG | 0o640, 0, 8],
    ];
    for (const [path, mode, rdev, dtype] of nodes) {
      t.step(`MKNOD ${path} mode 0${mode.toString(8)}`);
      let e;
      try {
        e = await v.mknod(path, mode, rdev);
      } catch (err) {
        // Devices need privileges some filesystems do not have (or refuse on principle).
        if ((mode & S_IFMT) === S_IFCHR || (mode & S_IFMT) === S_IFBLK ? ['EPERM', ...UNSUPPORTED].includes(code(err)) : false) continue;
        t.fail(`MKNOD ${path} mode 0${mode.toString(8)}`, 'success', code(err));
        continue;
      }
      t.check((e.attr.mode & S_IFMT) === (mode & S_IFMT), `type in the MKNOD reply for ${path}`, `0${(mode & S_IFMT).toString(8)}`, `0${(e.attr.mode & S_IFMT).toString(8)}`);
      const a = await v.getattr(path);
      t.check(a.mode === (mode & ~0o022), `GETATTR ${path}`, `mode 0${(mode & ~0o022).toString(8)}`, `mode 0${a.mode.toString(8)}`);
      if (rdev) t.check(a.rdev === rdev, `rdev of ${path}`, String(rdev), String(a.rdev));
      t.check(a.nlink === 1, `nlink of ${path}`, '1', String(a.nlink));
      const listed = (await v.readdir('/')).find((x) => x.name === path.slice(1));
      t.check(!!listed && (listed.type === dtype || listed.type === 0), `READDIR / entry ${path.slice(1)}`, `type ${dtype}`, listed ? `type ${listed.type}` : 'missing');
    }
    t.step('a file made by MKNOD reads and writes');
    const r = await v.open('/reg', O_RDWR).catch(() => null);
    if (r) {
      await v.write(r.nodeid, r.fh, 0, Buffer.from('mknod'));
      const d = await v.read(r.nodeid, r.fh, 0, 10);
      t.check(d.toString() === 'mknod', 'data of /reg (made by MKNOD)', '"mknod"', JSON.stringify(d.toString()));
      await v.release(r.nodeid, r.fh);
    }
    await t.expectError(v.mknod('/fifo', S_IFIFO | 0o644), 'EEXIST', 'MKNOD onto the existing /fifo');
    await t.expectOk(v.unlink('/fifo'), 'UNLINK /fifo');
    await t.expectError(v.lookup('/fifo'), 'ENOENT', 'LOOKUP /fifo after UNLINK');
  },
};

export const tmpfile: Scenario = {
  name: 'tmpfile',
  description: 'TMPFILE: an open regular file with no name that reads back what was written, is not listed, and gets a name by LINK with its data',
  needs: ['write', 'tmpfile'],
  async run(t) {
    const v = await t.start();
    await v.mkdir('/td');
    t.step('TMPFILE in /td');
    const f = await firstUse(t, v.tmpfile('/td', 0o600, O_RDWR), 'TMPFILE');
    t.check((f.entry.attr.mode & S_IFMT) === S_IFREG, 'type of the TMPFILE entry', 'S_IFREG', `0${f.entry.attr.mode.toString(8)}`);
    await v.write(f.nodeid, f.fh, 0, Buffer.from('anonymous'));
    const d = await v.read(f.nodeid, f.fh, 0, 100);
    t.check(d.toString() === 'anonymous', 'READ of the tmpfile', '"anonymous"', JSON.stringify(d.toString()));
    const names = (await v.readdir('/td')).map((e) => e.name).filter((n) => n !== '.' && n !== '..');
    t.check(names.length === 0, 'READDIR /td with a tmpfile open in it', 'no entries', JSON.stringify(names));
    t.step('LINK of the tmpfile (linkat with AT_EMPTY_PATH)');
    if (await t.expectOk(v.link(f.nodeid, '/td/named'), 'LINK of the tmpfile to /td/named')) {
      const named = await t.expectOk(v.readFile('/td/named'), 'READ /td/named');
      t.check(named?.toString() === 'anonymous', 'content of /td/named', '"anonymous"', JSON.stringify(named?.toString()));
      const a = await v.getattr('/td/named');
      t.check(a.nlink === 1, 'nlink of /td/named', '1', String(a.nlink));
    }
    await v.release(f.nodeid, f.fh);
  },
};

export const statx: Scenario = {
  name: 'statx',
  description: 'STATX agrees with GETATTR on every field its mask says it filled, with and without a handle, and on an unlinked open file',
  needs: ['write', 'statx'],
  async run(t) {
    const v = await t.start();
    await v.writeFile('/x', 'statx data');
    const f = await v.open('/x', O_RDWR);
    await firstUse(t, v.statx(f.nodeid), 'STATX');
    for (const [when, fh] of [['by node', undefined], ['through a handle', f.fh]] as const) {
      t.step(`STATX ${when}`);
      const s = await t.expectOk(v.statx(f.nodeid, 0xfff, 0, fh), `STATX /x ${when}`);
      if (!s) continue;
      const a = await v.getattr(f.nodeid);
      const fields: [string, number, number, number][] = [
        ['mode', 0x2 | 0x1, s.mode, a.mode & 0xffff], ['nlink', 0x4, s.nlink, a.nlink], ['uid', 0x8, s.uid, a.uid], ['gid', 0x10, s.gid, a.gid],
        ['ino', 0x100, s.ino, a.ino], ['size', 0x200, s.size, a.size], ['mtime', 0x40, s.mtime.tv_sec, a.mtime],
      ];
      for (const [name, bit, got, want] of fields) {
        if (s.mask & bit) t.check(got === want, `STATX /x ${when}: ${name}`, `${want} (as GETATTR)`, String(got));
      }
      t.check((s.mask & 0x7ff) !== 0, `STATX /x ${when}: mask`, 'some STATX_BASIC_STATS bits', `0x${s.mask.toString(16)}`);
    }
    await v.unlink('/x');
    const u = await t.expectOk(v.statx(f.nodeid, 0xfff, 0, f.fh), 'STATX through the handle of the unlinked /x');
    if (u && u.mask & 0x4) t.check(u.nlink === 0, 'STATX nlink of the unlinked /x', '0', String(u.nlink));
    await v.release(f.nodeid, f.fh);
  },
};
