/** The operations that change nothing visible: STATFS, FLUSH, FSYNC, FSYNCDIR, ACCESS. */
import { Opcode } from '../../../protocol';
import type { Scenario } from '../kit';
import { code, O_CREAT, O_RDONLY, O_RDWR, R_OK, UNSUPPORTED, W_OK, X_OK } from './common';

export const statfs: Scenario = {
  name: 'statfs',
  description: 'STATFS on the root and on any node: block and inode counts that add up (free ≤ total, available ≤ free), a block size and a name length',
  async run(t) {
    const v = await t.start();
    const nodes: [string, number][] = [['/', 1]];
    for (const e of await v.readdir('/')) {
      if (e.name === '.' || e.name === '..') continue;
      nodes.push([`/${e.name}`, await v.nodeid(`/${e.name}`)]);
      if (nodes.length >= 3) break;
    }
    for (const [path, id] of nodes) {
      t.step(`STATFS ${path}`);
      const s = await t.expectOk(v.statfs(id), `STATFS ${path}`);
      if (!s) continue;
      const bad: string[] = [];
      if (s.bsize <= 0) bad.push(`bsize ${s.bsize}`);
      if (s.namelen <= 0) bad.push(`namelen ${s.namelen}`);
      if (s.bfree > s.blocks) bad.push(`bfree ${s.bfree} > blocks ${s.blocks}`);
      if (s.bavail > s.bfree) bad.push(`bavail ${s.bavail} > bfree ${s.bfree}`);
      if (s.ffree > s.files) bad.push(`ffree ${s.ffree} > files ${s.files}`);
      t.check(bad.length === 0, `STATFS ${path}`, 'bsize and namelen > 0, bavail ≤ bfree ≤ blocks, ffree ≤ files', bad.join(', '));
    }
  },
};

export const flushFsync: Scenario = {
  name: 'flush-fsync',
  description: 'FLUSH on every close, FSYNC and FDATASYNC of a file, FSYNCDIR of a directory: success (or ENOSYS, which the kernel takes as "nothing to do"), and the data still there after',
  needs: ['write'],
  async run(t) {
    const v = await t.start();
    const f = await v.create('/f', 0o644, O_RDWR | O_CREAT);
    await v.write(f.nodeid, f.fh, 0, Buffer.from('durable'));
    const ok = async (p: Promise<unknown>, what: string): Promise<void> => {
      try {
        await p;
      } catch (e) {
        // ENOSYS: the kernel stops sending it and reports success.
        if (code(e) !== 'ENOSYS') t.fail(what, 'success or ENOSYS', code(e));
      }
    };
    t.step('FLUSH, FSYNC, FDATASYNC of a written file');
    await ok(v.flush(f.nodeid, f.fh, 1n), 'FLUSH of a written file');
    await ok(v.fsync(f.nodeid, f.fh, false), 'FSYNC of a written file');
    await ok(v.fsync(f.nodeid, f.fh, true), 'FSYNC with FUSE_FSYNC_FDATASYNC');
    const r = await v.open('/f', O_RDONLY);
    await ok(v.fsync(r.nodeid, r.fh, false), 'FSYNC through a read-only handle');
    await ok(v.flush(r.nodeid, r.fh, 2n), 'FLUSH of a read-only handle');
    const data = await v.read(r.nodeid, r.fh, 0, 100);
    t.check(data.toString() === 'durable', 'data after FLUSH and FSYNC', '"durable"', JSON.stringify(data.toString()));
    await v.release(r.nodeid, r.fh);
    await ok(v.flush(f.nodeid, f.fh, 1n), 'FLUSH before the last close');
    await v.release(f.nodeid, f.fh);
    t.step('FSYNCDIR of a directory');
    await v.mkdir('/d');
    await v.writeFile('/d/x', 'x');
    const d = await v.opendir('/d');
    await ok(v.fsyncdir(d.nodeid, d.fh, false), 'FSYNCDIR /d');
    await ok(v.fsyncdir(d.nodeid, d.fh, true), 'FSYNCDIR /d with FDATASYNC');
    await v.releasedir(d.nodeid, d.fh);
    const again = await v.readFile('/f');
    t.check(again.toString() === 'durable', 'content of /f after every close', '"durable"', JSON.stringify(again.toString()));
  },
};

export const access: Scenario = {
  name: 'access',
  description: 'ACCESS as root and as the owner: F_OK on what exists, R_OK/W_OK by the mode bits for the owner, X_OK refused on a file without any execute bit, granted on a directory',
  needs: ['write', 'access'],
  async run(t) {
    const v = await t.start();
    await v.writeFile('/f', 'x', 0o644);
    await v.mkdir('/d', 0o755);
    const id = await v.nodeid('/f');
    try {
      await v.access(id, 0);
    } catch (e) {
      if (UNSUPPORTED.includes(code(e))) t.skip(`ACCESS answered ${code(e)} (the kernel then allows everything)`);
      t.fail('ACCESS /f F_OK', 'success', code(e));
    }
    await t.expectOk(v.access(id, R_OK | W_OK), 'ACCESS /f R_OK|W_OK (mode 0644, as root)');
    await t.expectError(v.access(id, X_OK), 'EACCES', 'ACCESS /f X_OK (mode 0644: no execute bit for anyone, root included)');
    await t.expectOk(v.access('/d', R_OK | W_OK | X_OK), 'ACCESS /d R_OK|W_OK|X_OK (a directory, as root)');
    await v.setattr(id, { mode: 0o744 });
    await t.expectOk(v.access(id, X_OK), 'ACCESS /f X_OK after chmod 0744');
    t.step('as the owner, uid 1000');
    await v.setattr(id, { uid: 1000, gid: 1000, mode: 0o400 });
    const asOwner = { caller: { uid: 1000, gid: 1000 } };
    const req = (mask: number): Promise<number> => v.k.request(Opcode.ACCESS, id, { arg: { mask } }, asOwner).then((r) => r.error);
    const rOk = await req(R_OK);
    t.check(rOk === 0, 'ACCESS /f R_OK by its owner (mode 0400)', 'success', String(rOk));
    const wOk = await req(W_OK);
    t.check(wOk === -13, 'ACCESS /f W_OK by its owner (mode 0400)', 'EACCES', wOk ? String(wOk) : 'success');
  },
};
