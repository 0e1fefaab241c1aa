/**
 * The path layer through the kernel emulator: what fromPathFilesystem does
 * for a path filesystem (the node table, handles, unlinked open files, hard
 * links, deep trees, errors, cache options). Concurrency and listings have
 * files of their own (locks.test.ts, readdir.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FuseError } from '../../src/api/errors';
import { FattrFlags, FopenFlags, Opcode } from '../../src/protocol';
import { fromPathFilesystem, type PathFilesystem } from '../../src/path';
import { pathMemfs } from '../../src/examples/path-memfs';
import { NodeTable } from '../../src/path/nodes';
import { Vfs, VfsError } from '../../src/testing/vfs';
import { recorded, settle, start } from './helpers';

const O_RDWR = 2;
const S_IFREG = 0o100000;

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'success';
  } catch (e) {
    return e instanceof VfsError ? e.code : String(e);
  }
}

describe('path layer: open files', { timeout: 60_000 }, () => {
  test('a renamed open file keeps its handle; later calls name it by its new path', async () => {
    const fs = recorded(pathMemfs());
    const { v } = await start(fs);
    await v.writeFile('/a', 'hello');
    const f = await v.open('/a', O_RDWR);
    await v.rename('/a', '/b');
    fs.rec.log.length = 0;
    assert.equal(await v.write(f.nodeid, f.fh, 5, Buffer.from(' world')), 6);
    assert.equal((await v.read(f.nodeid, f.fh, 0, 100)).toString(), 'hello world');
    assert.equal((await v.getattr(f.nodeid)).size, 11);
    assert.deepEqual(fs.rec.log, [`write /b fh=${f.fh}`, `read /b fh=${f.fh}`, 'getattr /b']);
    await v.release(f.nodeid, f.fh);
    assert.equal((await v.readFile('/b')).toString(), 'hello world');
    assert.equal(await code(v.lookup('/a')), 'ENOENT');
  });

  test('an unlinked open file answers through its handle until release, then with its last attributes until FORGET', async () => {
    const fs = recorded(pathMemfs());
    const { v, a } = await start(fs);
    await v.writeFile('/u', 'old data');
    const f = await v.open('/u', O_RDWR);
    const before = a.nodeCount;
    await v.unlink('/u');
    // A new file of the same name is another inode; the open one keeps its own data.
    await v.writeFile('/u', 'new');
    assert.equal((await v.read(f.nodeid, f.fh, 0, 100)).toString(), 'old data');
    assert.equal(await v.write(f.nodeid, f.fh, 0, Buffer.from('OLD')), 3);
    assert.equal((await v.read(f.nodeid, f.fh, 0, 100)).toString(), 'OLD data');
    assert.equal((await v.readFile('/u')).toString(), 'new');
    fs.rec.log.length = 0;
    // The kernel asks for an unlinked file's attributes without naming a handle: the adapter uses one.
    const st = await v.getattr(f.nodeid);
    assert.equal(st.nlink, 0);
    assert.equal(st.size, 8);
    assert.deepEqual(fs.rec.log, [`getattr /u fh=${f.fh}`]);
    // Path-only operations on a node with no name are ESTALE: /u is another file now.
    const r = await v.k.request(Opcode.GETXATTR, f.nodeid, { arg: { size: 0 }, name: 'user.x' });
    assert.equal(r.error, -116 /* ESTALE */);
    await v.release(f.nodeid, f.fh);
    fs.rec.log.length = 0;
    const last = await v.getattr(f.nodeid);
    assert.equal(last.nlink, 0);
    assert.equal(last.size, 8);
    assert.deepEqual(fs.rec.log, [], 'nothing to ask the filesystem: no name, no handle');
    v.k.forget(f.nodeid, v.k.lookups.get(f.nodeid)!);
    await new Promise((r) => setTimeout(r, 0));
    assert.equal(a.nodeCount, before, 'the node goes with its last FORGET (the new /u took its place in the count)');
    assert.equal(fs.inodeCount, 2, 'root and the new /u: the old inode freed at release');
  });

  test('a file with no name left shows nlink 0 even when the filesystem says otherwise (fuse-native turned 0 into 1)', async () => {
    const m = pathMemfs();
    // nlink as fuse-native programs passed it: `nlink || 1`.
    const sloppy: PathFilesystem = { ...m, getattr: (p, fh, ctx) => ({ ...(m.getattr!(p, fh, ctx) as object), nlink: 1 }) as never };
    const { v } = await start(sloppy);
    await v.mkdir('/d');
    await v.writeFile('/d/u', 'data');
    const f = await v.open('/d/u', O_RDWR);
    assert.equal((await v.getattr(f.nodeid)).nlink, 1);
    await v.unlink('/d/u');
    assert.equal((await v.getattr(f.nodeid)).nlink, 0, 'GETATTR of the unlinked open file');
    const s = await v.setattr(f.nodeid, { mode: 0o600 });
    assert.equal(s.nlink, 0, 'the SETATTR reply');
    const d = await v.nodeid('/d');
    await v.rmdir('/d');
    assert.equal((await v.getattr(d)).nlink, 0, 'a removed directory');
    await v.release(f.nodeid, f.fh);
  });

  test('handle variants: fgetattr and ftruncate are preferred when the kernel names a handle', async () => {
    const calls: string[] = [];
    const mem = pathMemfs();
    const fs: PathFilesystem = {
      ...bind(mem),
      fgetattr: (p, fh) => (calls.push(`fgetattr ${p} ${fh}`), mem.getattr!(p, fh, null as never)),
      ftruncate: (p, fh, size) => (calls.push(`ftruncate ${p} ${fh} ${size}`), mem.truncate!(p, size, fh, null as never)),
    };
    const { v } = await start(fs);
    await v.writeFile('/f', '0123456789');
    const f = await v.open('/f', O_RDWR);
    calls.length = 0;
    await v.getattr(f.nodeid, f.fh);
    const arg = { valid: FattrFlags.SIZE | FattrFlags.FH, fh: f.fh, size: 3, lock_owner: 0n, atime: 0, mtime: 0, ctime: 0, atimensec: 0, mtimensec: 0, ctimensec: 0, mode: 0, uid: 0, gid: 0 };
    const r = await v.k.request(Opcode.SETATTR, f.nodeid, { arg });
    assert.equal(r.body?.kind === 'attr' && r.body.attr.attr.size, 3);
    assert.deepEqual(calls, [`fgetattr /f ${f.fh}`, `ftruncate /f ${f.fh} 3`, `fgetattr /f ${f.fh}`]);
    await v.release(f.nodeid, f.fh);
  });
});

/** A copy of a path filesystem's methods bound to it (to override some). */
function bind(fs: PathFilesystem): PathFilesystem {
  const out: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(fs)) if (typeof f === 'function') out[k] = (f as (...a: unknown[]) => unknown).bind(fs);
  return out as PathFilesystem;
}

describe('path layer: the node table', { timeout: 60_000 }, () => {
  test('hard links made through the mount are one node; removing the first name leaves the other as its path', async () => {
    const fs = recorded(pathMemfs());
    const { v } = await start(fs);
    await v.writeFile('/a', 'one');
    const l = await v.link('/a', '/b');
    const a = await v.lookup('/a');
    assert.equal(l.nodeid, a.nodeid);
    assert.equal(l.attr.nlink, 2);
    await v.unlink('/a');
    fs.rec.log.length = 0;
    assert.equal((await v.getattr(l.nodeid)).nlink, 1);
    assert.deepEqual(fs.rec.log, ['getattr /b']);
  });

  test('hard links found by lookup share a node when the filesystem gives inode numbers (useIno), not otherwise', async () => {
    for (const useIno of [true, false]) {
      const mem = pathMemfs();
      const ctx = { uid: 0, gid: 0 } as never;
      mem.mknod!('/x', S_IFREG | 0o644, 0, ctx);
      mem.link!('/x', '/y', ctx);
      mem.mknod!('/z', S_IFREG | 0o644, 0, ctx);
      const v = await Vfs.start(fromPathFilesystem(mem, { useIno }));
      const x = await v.lookup('/x');
      const y = await v.lookup('/y');
      const z = await v.lookup('/z');
      assert.equal(x.nodeid === y.nodeid, useIno, `useIno ${useIno}: /x and /y one node`);
      assert.equal(x.attr!.ino === y.attr!.ino, useIno, `useIno ${useIno}: one st_ino`);
      assert.notEqual(x.nodeid, z.nodeid);
      assert.equal(v.k.ledgerProblems().length, 0);
    }
  });

  test('a deep tree: renaming its top gives every node below its new path', async () => {
    const fs = recorded(pathMemfs());
    const { v, a } = await start(fs);
    let p = '';
    for (let i = 0; i < 40; i++) {
      p += `/d${i}`;
      await v.mkdir(p);
    }
    await v.writeFile(`${p}/leaf`, 'deep');
    const leaf = await v.nodeid(`${p}/leaf`);
    await v.rename('/d0', '/top');
    fs.rec.log.length = 0;
    await v.getattr(leaf);
    const moved = p.replace('/d0', '/top');
    assert.deepEqual(fs.rec.log, [`getattr ${moved}/leaf`]);
    assert.equal((await v.readFile(`${moved}/leaf`)).toString(), 'deep');
    await v.rename(`${moved.slice(0, moved.lastIndexOf('/'))}`, '/shallow');
    fs.rec.log.length = 0;
    await v.getattr(leaf);
    assert.deepEqual(fs.rec.log, ['getattr /shallow/d39/leaf']);
    v.k.forgetAll();
    await new Promise((r) => setTimeout(r, 0));
    assert.equal(a.nodeCount, 1, 'every node forgotten: only the root is left');
  });

  test('RENAME_EXCHANGE swaps the two nodes in the table', async () => {
    const fs = recorded(pathMemfs());
    const { v } = await start(fs);
    await v.writeFile('/p', 'P');
    await v.mkdir('/q');
    const p = await v.nodeid('/p');
    const q = await v.nodeid('/q');
    await v.rename('/p', '/q', 2);
    fs.rec.log.length = 0;
    await v.getattr(p);
    await v.getattr(q);
    assert.deepEqual(fs.rec.log, ['getattr /q', 'getattr /p']);
  });

  test('a name that names another file now (other inode number, or other type) gets a new node', () => {
    const t = new NodeTable();
    const r = t.root;
    const f = t.resolve(r, 'x', S_IFREG, 0, 10, 1, true);
    t.hold(f);
    assert.equal(t.resolve(r, 'x', S_IFREG, 0, 10, 1, true), f, 'the same file: the same node');
    const other = t.resolve(r, 'x', S_IFREG, 0, 11, 1, true);
    assert.notEqual(other, f, 'another inode number');
    const dir = t.resolve(r, 'x', 0o040000, 0, 0, 2, false);
    assert.notEqual(dir, other, 'another type, even without inode numbers');
    assert.ok(f.nameless && t.has(f.id), 'the old node keeps its id for the kernel, without its name');
  });

  test('node ids wrap below the limit with a new generation, skipping ids in use', () => {
    const t = new NodeTable(5);
    const r = t.root;
    const a = t.resolve(r, 'a', S_IFREG, 0, 0, 1, true);
    const b = t.resolve(r, 'b', S_IFREG, 0, 0, 1, true);
    const c = t.resolve(r, 'c', S_IFREG, 0, 0, 1, true);
    for (const n of [a, b, c]) t.hold(n);
    assert.deepEqual([a.id, b.id, c.id, a.generation], [2, 3, 4, 0]);
    t.forget(b.id, 1);
    const d = t.resolve(r, 'd', S_IFREG, 0, 0, 1, true);
    t.hold(d);
    assert.deepEqual([d.id, d.generation], [5, 0]);
    const e = t.resolve(r, 'e', S_IFREG, 0, 0, 1, true);
    assert.deepEqual([e.id, e.generation], [3, 1], 'id 3 again, in the next generation; 2 was in use');
  });
});

describe('path layer: removed directories and late FORGETs', { timeout: 60_000 }, () => {
  test('a directory removed while open lists empty, even when another took its name', async () => {
    const fs = recorded(pathMemfs());
    const { v } = await start(fs);
    await v.mkdir('/d');
    await v.writeFile('/d/x', '');
    const d = await v.nodeid('/d');
    const o = await v.k.request(Opcode.OPENDIR, d, { arg: { flags: 0, open_flags: 0 } });
    const fh = o.body?.kind === 'open' ? o.body.open.fh : -1;
    await v.unlink('/d/x');
    await v.rmdir('/d');
    await v.mkdir('/d');
    await v.writeFile('/d/other', '');
    fs.rec.log.length = 0;
    const r = await v.k.request(Opcode.READDIR, d, { arg: { fh, offset: 0, size: 4096, read_flags: 0, lock_owner: 0n, flags: 0 } });
    assert.deepEqual(r.body?.kind === 'dirents' && r.body.entries.map((e) => e.name), ['.', '..']);
    assert.deepEqual(fs.rec.log.filter((l) => l.startsWith('readdir')), [], 'the new /d is not listed for the old one');
  });

  test('a node forgotten while a request holds its path leaves the table when the request ends', async () => {
    const fs = recorded(pathMemfs());
    const { v, a } = await start(fs);
    await v.writeFile('/f', 'x');
    const f = await v.nodeid('/f');
    const before = a.nodeCount;
    fs.rec.hold('getattr', '/f');
    const g = v.k.send(Opcode.GETATTR, f, { arg: { getattr_flags: 0, fh: 0 } });
    await settle();
    v.k.forget(f, v.k.lookups.get(f)!);
    await settle();
    assert.equal(a.nodeCount, before, 'still held by the request');
    fs.rec.release('getattr');
    assert.equal((await g.reply).error, 0);
    assert.equal(a.nodeCount, before - 1);
  });
});

describe('path layer: errors and missing operations', { timeout: 60_000 }, () => {
  test('errors thrown, returned, rejected, or Node errors with a code all reach the caller as their errno', async () => {
    const nodeErr = Object.assign(new Error('no'), { code: 'EACCES', errno: -13 });
    const fs: PathFilesystem = {
      getattr(path) {
        if (path === '/') return { mode: 0o040755 };
        if (path === '/thrown') throw new FuseError('EPERM');
        if (path === '/returned') return new FuseError('EROFS');
        if (path === '/rejected') return Promise.reject(new FuseError('EXDEV'));
        if (path === '/node') return Promise.reject(nodeErr);
        return new FuseError('ENOENT');
      },
    };
    const { v } = await start(fs);
    assert.equal(await code(v.lookup('/thrown')), 'EPERM');
    assert.equal(await code(v.lookup('/returned')), 'EROFS');
    assert.equal(await code(v.lookup('/rejected')), 'EXDEV');
    assert.equal(await code(v.lookup('/node')), 'EACCES');
    assert.equal(await code(v.lookup('/missing')), 'ENOENT');
    assert.deepEqual(v.k.violations, []);
  });

  test('missing operations: ENOSYS, the root a directory without getattr, opens with handle 0, regular mknod by create', async () => {
    const bare = await start({});
    assert.equal((await bare.v.getattr(1)).mode, 0o040755);
    assert.equal(await code(bare.v.mkdir('/d')), 'ENOSYS');
    assert.equal(await code(bare.v.lookup('/x')), 'ENOSYS');

    const fs = recorded(pathMemfs());
    const { v } = await start(fs);
    const r = await v.k.request(Opcode.MKNOD, 1, { arg: { mode: S_IFREG | 0o600, rdev: 0, umask: 0 }, name: 'n' });
    assert.equal(r.error, 0);
    await new Promise((res) => setTimeout(res, 5));
    assert.deepEqual(fs.rec.log.filter((l) => !l.startsWith('getattr')), ['create /n', 'release /n fh=1']);
  });

  test('utimens gets undefined for a time that does not change; setattr runs chmod, chown, truncate, utimens in that order', async () => {
    const mem = pathMemfs();
    const seen: unknown[] = [];
    const fs = recorded({ ...bind(mem), utimens: (p, at, mt, fh, ctx) => (seen.push([at, mt]), mem.utimens!(p, at, mt, fh, ctx)) });
    const { v } = await start(fs);
    await v.writeFile('/t', 'x');
    const id = await v.nodeid('/t');
    fs.rec.log.length = 0;
    const arg = { valid: FattrFlags.MTIME | FattrFlags.MODE | FattrFlags.UID | FattrFlags.SIZE, fh: 0, size: 0, lock_owner: 0n, atime: 0, mtime: 77, ctime: 0, atimensec: 0, mtimensec: 8, ctimensec: 0, mode: S_IFREG | 0o600, uid: 5, gid: 0 };
    const r = await v.k.request(Opcode.SETATTR, id, { arg });
    assert.equal(r.error, 0);
    assert.deepEqual(seen, [[undefined, { sec: 77, nsec: 8 }]]);
    assert.deepEqual(fs.rec.log, ['chmod /t', 'chown /t', 'truncate /t', 'utimens /t', 'getattr /t']);
    const a = r.body?.kind === 'attr' ? r.body.attr.attr : null;
    assert.deepEqual([a?.mode, a?.uid, a?.gid, a?.size, a?.mtime], [S_IFREG | 0o600, 5, 0, 0, 77]);
  });
});

describe('path layer: cache options', { timeout: 60_000 }, () => {
  async function openFlags(options: Parameters<typeof fromPathFilesystem>[1], between?: (v: Vfs) => Promise<void>): Promise<number[]> {
    const { v } = await start(pathMemfs(), options);
    await v.writeFile('/c', 'data');
    const out: number[] = [];
    for (let i = 0; i < 2; i++) {
      const f = await v.open('/c');
      out.push(f.open_flags);
      await v.release(f.nodeid, f.fh);
      if (between) await between(v);
    }
    return out;
  }

  test('direct_io and kernel_cache set their flag on every open; the default sets none', async () => {
    assert.deepEqual(await openFlags({}), [0, 0]);
    assert.deepEqual(await openFlags({ directIo: true }), [FopenFlags.DIRECT_IO, FopenFlags.DIRECT_IO]);
    assert.deepEqual(await openFlags({ kernelCache: true }), [FopenFlags.KEEP_CACHE, FopenFlags.KEEP_CACHE]);
  });

  test('auto_cache keeps cached data across opens until size or mtime change', async () => {
    const [, same] = await openFlags({ autoCache: true });
    assert.equal(same, FopenFlags.KEEP_CACHE, 'reopened unchanged: cached data kept');
    const [, changed] = await openFlags({ autoCache: true, acAttrTimeout: 0 }, (v) => v.writeFile('/c', 'other data'));
    assert.equal(changed, 0, 'reopened after a change of size and mtime: cached data dropped');
    // Changed behind the kernel's back: seen by the getattr the open makes when attributes are old.
    const mem = pathMemfs();
    const { v } = await start(mem, { autoCache: true, acAttrTimeout: 0 });
    await v.writeFile('/c', 'data');
    const flags: number[] = [];
    for (let i = 0; i < 3; i++) {
      if (i === 2) mem.truncate!('/c', 100, undefined, null as never);
      const f = await v.open('/c');
      flags.push(f.open_flags);
      await v.release(f.nodeid, f.fh);
    }
    assert.deepEqual(flags.slice(1), [FopenFlags.KEEP_CACHE, 0]);
  });

  test('attr and entry timeouts of the options are the replies\' own', async () => {
    const { v } = await start(pathMemfs(), { attrTimeout: 7.5, entryTimeout: 3 });
    await v.writeFile('/t', '');
    const e = await v.lookup('/t');
    assert.deepEqual([(e as { entry_valid: number }).entry_valid, (e as { attr_valid: number }).attr_valid, (e as { attr_valid_nsec: number }).attr_valid_nsec], [3, 7, 500_000_000]);
    const r = await v.k.request(Opcode.GETATTR, e.nodeid, { arg: { getattr_flags: 0, fh: 0 } });
    assert.equal(r.body?.kind === 'attr' && r.body.attr.attr_valid, 7);
  });

  test('uid, gid and umask override what the filesystem says', async () => {
    const { v } = await start(pathMemfs(), { uid: 1234, gid: 99, umask: 0o027 });
    await v.writeFile('/o', '', 0o666);
    const a = await v.getattr('/o');
    assert.deepEqual([a.uid, a.gid, a.mode], [1234, 99, S_IFREG | 0o640]);
  });

  test('STATX shows what GETATTR shows: the inode number the layer shows, and the uid, gid and umask overrides', async () => {
    const sx = (sec: number) => ({ tv_sec: sec, tv_nsec: 0 });
    const fs: PathFilesystem = {
      getattr: (p) => (p === '/' ? { mode: 0o040755 } : p === '/f' ? { mode: S_IFREG | 0o666, ino: 777, uid: 5, gid: 6, size: 3 } : new FuseError('ENOENT')),
      statx: () => ({
        stat: {
          mask: 0xfff, blksize: 4096, attributes: 0, attributes_mask: 0, nlink: 1, uid: 5, gid: 6, mode: S_IFREG | 0o666, ino: 777, size: 3, blocks: 1,
          atime: sx(1), btime: sx(2), ctime: sx(3), mtime: sx(4), rdev_major: 0, rdev_minor: 0, dev_major: 0, dev_minor: 0,
        },
      }),
    };
    for (const options of [{}, { useIno: false }, { uid: 1234, gid: 99, umask: 0o027 }]) {
      const { v } = await start(fs, options);
      const a = await v.getattr('/f');
      const x = await v.statx('/f');
      assert.deepEqual([x.ino, x.uid, x.gid, x.mode, Number(x.btime.tv_sec)], [a.ino, a.uid, a.gid, a.mode, 2], JSON.stringify(options));
    }
  });
});
