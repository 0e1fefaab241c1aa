/**
 * Listings through the path layer: offsets stay valid across READDIRs of
 * any buffer size and across changes to the directory (a snapshot per open
 * directory, fresh at offset 0); iterable and async-iterable listings are
 * pulled as the kernel asks, resumed inside the last reply and restarted
 * for an older offset; READDIRPLUS counts one lookup per entry it hands out.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FuseError } from '../../src/api/errors';
import { Opcode } from '../../src/protocol';
import { pathMemfs } from '../../src/examples/path-memfs';
import type { Vfs } from '../../src/testing/vfs';
import { flatFs, settle, start } from './helpers';

const names = (n: number): string[] => Array.from({ length: n }, (_, i) => `entry-${String(i).padStart(5, '0')}`);

async function opendir(v: Vfs, nodeid: number): Promise<number> {
  const o = await v.k.request(Opcode.OPENDIR, nodeid, { arg: { flags: 0, open_flags: 0 } });
  assert.equal(o.error, 0);
  return o.body?.kind === 'open' ? o.body.open.fh : -1;
}

async function readdir(v: Vfs, nodeid: number, fh: number, offset: number, size = 512): Promise<{ name: string; off: number; ino: number; type: number }[]> {
  const r = await v.k.request(Opcode.READDIR, nodeid, { arg: { fh, offset, size, read_flags: 0, lock_owner: 0n, flags: 0 } });
  assert.equal(r.error, 0);
  return r.body?.kind === 'dirents' ? r.body.entries : [];
}

/** Every entry from `offset` on, in READDIRs of `size` bytes. */
async function drain(v: Vfs, nodeid: number, fh: number, size = 512): Promise<string[]> {
  const out: string[] = [];
  for (let off = 0; ; ) {
    const es = await readdir(v, nodeid, fh, off, size);
    if (es.length === 0) return out;
    out.push(...es.map((e) => e.name));
    off = es[es.length - 1]!.off;
  }
}

describe('path layer: readdir', { timeout: 60_000 }, () => {
  test('a large directory lists whole and in order with small buffers; "." and ".." come first', async () => {
    const all = names(3000);
    const { v } = await start(flatFs(() => all));
    const fh = await opendir(v, 1);
    assert.deepEqual(await drain(v, 1, fh, 256), ['.', '..', ...all]);
  });

  test('offsets are a snapshot of the open directory: unlinks during a listing skip or repeat nothing; offset 0 lists afresh', async () => {
    const { v } = await start(pathMemfs());
    await v.mkdir('/d');
    const all = names(200);
    for (const n of all) await v.writeFile(`/d/${n}`, '');
    const d = await v.nodeid('/d');
    const fh = await opendir(v, d);
    const first = await readdir(v, d, fh, 0);
    for (const n of all.slice(0, 50)) await v.unlink(`/d/${n}`);
    for (const n of all.slice(150)) await v.unlink(`/d/${n}`);
    const seen = first.map((e) => e.name);
    for (let off = first[first.length - 1]!.off; ; ) {
      const es = await readdir(v, d, fh, off);
      if (es.length === 0) break;
      seen.push(...es.map((e) => e.name));
      off = es[es.length - 1]!.off;
    }
    assert.deepEqual(seen, ['.', '..', ...all]);
    assert.deepEqual(await drain(v, d, fh), ['.', '..', ...all.slice(50, 150)], 'rewinddir (offset 0) sees the directory as it is now');
  });

  test('a READDIR may resume at any offset of the snapshot, in any order', async () => {
    const all = names(100);
    const { v } = await start(flatFs(() => all));
    const fh = await opendir(v, 1);
    await drain(v, 1, fh);
    const mid = await readdir(v, 1, fh, 52, 4096);
    assert.equal(mid[0]!.name, all[50]);
    const early = await readdir(v, 1, fh, 3, 4096);
    assert.equal(early[0]!.name, all[1]);
  });

  for (const kind of ['sync', 'async'] as const) {
    test(`a ${kind} iterable listing is streamed: resumed inside the last reply, restarted for an older offset`, async () => {
      const all = names(5000);
      let started = 0;
      let pulled = 0;
      const source = (): Iterable<string> | AsyncIterable<string> => {
        started++;
        if (kind === 'sync') {
          return (function* () {
            for (const n of all) {
              pulled++;
              yield n;
            }
          })();
        }
        return (async function* () {
          for (const n of all) {
            pulled++;
            await null;
            yield n;
          }
        })();
      };
      const { v } = await start(flatFs(source));
      const fh = await opendir(v, 1);
      const first = await readdir(v, 1, fh, 0);
      assert.ok(pulled < 100, `only what one reply holds is pulled (${pulled})`);
      // The kernel resumes after the last entry a caller took, which may be inside the last reply.
      const inside = first[5]!;
      const resumed = await readdir(v, 1, fh, inside.off);
      assert.equal(resumed[0]!.name, first[6]!.name);
      let rest = resumed;
      const seen = [...first.slice(0, 6).map((e) => e.name), ...resumed.map((e) => e.name)];
      for (let off = rest[rest.length - 1]!.off; ; off = rest[rest.length - 1]!.off) {
        rest = await readdir(v, 1, fh, off);
        if (rest.length === 0) break;
        seen.push(...rest.map((e) => e.name));
      }
      assert.deepEqual(seen, ['.', '..', ...all]);
      assert.equal(started, 1);
      // An offset the adapter no longer keeps: the listing starts again and skips to it.
      const again = await readdir(v, 1, fh, 10);
      assert.equal(again[0]!.name, all[8]);
      assert.equal(started, 2);
      const r = await v.k.request(Opcode.RELEASEDIR, 1, { arg: { fh, flags: 0, release_flags: 0, lock_owner: 0n } });
      assert.equal(r.error, 0);
    });
  }

  test('entries without attributes have the type and inode number the table knows, DT_UNKNOWN otherwise', async () => {
    const { v } = await start(pathMemfs(), { readdirplus: false });
    await v.mkdir('/d');
    await v.writeFile('/d/f', '');
    const fh = await opendir(v, 1);
    const es = await readdir(v, 1, fh, 0);
    const d = es.find((e) => e.name === 'd')!;
    assert.equal(d.type, 4 /* DT_DIR, from the listing's attributes */);
    const fs = flatFs(() => ['known', 'unknown']);
    const s = await start({ ...fs, getattr: (p) => (p === '/' ? { mode: 0o040755 } : p === '/known' ? { mode: 0o100644 } : Promise.reject(Object.assign(new Error(), { code: 'ENOENT' }))) });
    const known = await s.v.lookup('/known');
    const fh2 = await opendir(s.v, 1);
    const list = await readdir(s.v, 1, fh2, 0);
    assert.deepEqual(list.map((e) => [e.name, e.type, e.ino]), [['.', 4, 1], ['..', 4, 1], ['known', 8, known.nodeid], ['unknown', 0, 0xffffffff]]);
  });

  test('READDIRPLUS hands out entries that count as lookups; FORGETs balance them', async () => {
    const { v, a } = await start(pathMemfs(), { readdirplus: true });
    await v.mkdir('/d');
    for (const n of names(300)) await v.writeFile(`/d/${n}`, 'x');
    v.k.forgetAll();
    await settle();
    assert.equal(a.nodeCount, 1);
    const d = await v.nodeid('/d');
    const fh = await opendir(v, d);
    const got: string[] = [];
    for (let off = 0; ; ) {
      const r = await v.k.request(Opcode.READDIRPLUS, d, { arg: { fh, offset: off, size: 1024, read_flags: 0, lock_owner: 0n, flags: 0 } });
      const es = r.body?.kind === 'dirents' ? r.body.entries : [];
      if (es.length === 0) break;
      for (const e of es) {
        got.push(e.name);
        if (e.name !== '.' && e.name !== '..') assert.ok(e.entry && e.entry.nodeid > 1 && e.entry.attr.size === 1, `${e.name} carries its entry`);
      }
      off = es[es.length - 1]!.off;
    }
    assert.equal(got.length, 302);
    assert.deepEqual(v.k.ledgerProblems(), []);
    assert.equal(a.nodeCount, 302, 'root, /d and its 300 files');
    v.k.forgetAll();
    await settle();
    assert.equal(a.nodeCount, 1);
  });

  test('READDIRPLUS asks getattr for entries listed without attributes', async () => {
    const fs = flatFs(() => ['a', 'b']);
    const { v } = await start({ ...fs, getattr: (p) => (p === '/' ? { mode: 0o040755 } : { mode: 0o100600, size: p.length }) }, { readdirplus: true });
    const fh = await opendir(v, 1);
    const r = await v.k.request(Opcode.READDIRPLUS, 1, { arg: { fh, offset: 0, size: 4096, read_flags: 0, lock_owner: 0n, flags: 0 } });
    const es = r.body?.kind === 'dirents' ? r.body.entries : [];
    assert.deepEqual(es.map((e) => [e.name, e.entry?.nodeid === 0, e.entry?.attr.size]), [['.', true, 0], ['..', true, 0], ['a', false, 2], ['b', false, 2]]);
    assert.deepEqual(v.k.ledgerProblems(), []);
  });

  test('"." and ".." show the filesystem\'s inode numbers, the root\'s asked for once when a listing needs it first', async () => {
    const getattrs: string[] = [];
    const fs = {
      getattr(path: string) {
        getattrs.push(path);
        if (path === '/') return { mode: 0o040755, nlink: 3, ino: 1000 };
        if (path === '/d') return { mode: 0o040755, nlink: 2, ino: 2000 };
        throw new FuseError('ENOENT');
      },
      readdir: (path: string) => (path === '/' ? ['d'] : []),
    };
    const dots = async (v: Vfs, nodeid: number): Promise<number[]> => (await readdir(v, nodeid, await opendir(v, nodeid), 0)).slice(0, 2).map((e) => e.ino);
    const a = await start(fs);
    const d = (await a.v.lookup('/d')).nodeid;
    assert.deepEqual(getattrs, ['/d'], 'no GETATTR of "/" yet');
    assert.deepEqual(await dots(a.v, d), [2000, 1000]);
    assert.deepEqual(await dots(a.v, 1), [1000, 1000]);
    assert.deepEqual(getattrs, ['/d', '/'], 'the root asked once');
    const b = await start(fs, { useIno: false });
    assert.deepEqual(await dots(b.v, (await b.v.lookup('/d')).nodeid), [2, 1], 'without useIno: node ids');
  });
});
