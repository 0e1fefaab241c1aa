/**
 * The path layer on real mounts, served by a child process (serve-child):
 * pathMemfs and the path passthrough through fromPathFilesystem, with the
 * syscalls made here. Renames and unlinks of open files, hard links, deep
 * trees, large listings with unlinks during them, and concurrent renames
 * and lookups from several threads of the thread pool.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { errorCode as code } from '../helpers/errno';
import { assertNothingMounted, skip, withMount } from '../helpers/mounted';

const MODULE = 'test/helpers/path-fs.js';

after(assertNothingMounted);

describe('path layer on a real mount (pathMemfs)', { skip, timeout: 120_000 }, () => {
  test('open files renamed and unlinked keep working through their descriptors', async () => {
    await withMount(MODULE, 'pathMemfsFs', {}, async ({ dir }) => {
      const p = (s: string): string => path.join(dir, s);
      fs.writeFileSync(p('a'), 'hello');
      const fd = fs.openSync(p('a'), 'r+');
      fs.renameSync(p('a'), p('b'));
      fs.writeSync(fd, ' world', 5);
      assert.equal(fs.readFileSync(p('b'), 'utf8'), 'hello world');
      fs.unlinkSync(p('b'));
      fs.writeFileSync(p('b'), 'new file');
      const buf = Buffer.alloc(11);
      assert.equal(fs.readSync(fd, buf, 0, 11, 0), 11);
      assert.equal(buf.toString(), 'hello world');
      const st = fs.fstatSync(fd);
      assert.deepEqual([st.nlink, st.size], [0, 11]);
      assert.equal(fs.readFileSync(p('b'), 'utf8'), 'new file');
      assert.deepEqual(fs.readdirSync(dir), ['b'], 'no hidden file for the unlinked one');
      fs.closeSync(fd);
    });
  });

  test('hard links share one inode; a deep tree renamed at its top is reachable below', async () => {
    await withMount(MODULE, 'pathMemfsFs', {}, async ({ dir }) => {
      const p = (...s: string[]): string => path.join(dir, ...s);
      fs.writeFileSync(p('x'), 'one');
      fs.linkSync(p('x'), p('y'));
      assert.equal(fs.statSync(p('x')).ino, fs.statSync(p('y')).ino);
      assert.equal(fs.statSync(p('y')).nlink, 2);
      fs.appendFileSync(p('y'), ' two');
      assert.equal(fs.readFileSync(p('x'), 'utf8'), 'one two');
      const deep = Array.from({ length: 30 }, (_, i) => `level${i}`);
      fs.mkdirSync(p(...deep), { recursive: true });
      fs.writeFileSync(p(...deep, 'leaf'), 'leaf');
      const cwdFd = fs.openSync(p(...deep), 'r');
      fs.renameSync(p('level0'), p('moved'));
      assert.equal(fs.readFileSync(p('moved', ...deep.slice(1), 'leaf'), 'utf8'), 'leaf');
      assert.equal(code(() => fs.statSync(p(...deep))), 'ENOENT');
      assert.ok(fs.fstatSync(cwdFd).isDirectory());
      fs.closeSync(cwdFd);
      fs.rmSync(p('moved'), { recursive: true });
      assert.deepEqual(fs.readdirSync(dir).sort(), ['x', 'y']);
    });
  });

  test('a listing of 5000 entries is whole, and unlinks during it skip or repeat nothing', async () => {
    await withMount(MODULE, 'pathMemfsFs', {}, async ({ dir }) => {
      const names = Array.from({ length: 5000 }, (_, i) => `f${i}`);
      for (const n of names) fs.writeFileSync(path.join(dir, n), '');
      assert.deepEqual(fs.readdirSync(dir).sort(), [...names].sort());
      const d = fs.opendirSync(dir, { bufferSize: 32 });
      const seen: string[] = [];
      for (let e = d.readSync(); e !== null; e = d.readSync()) {
        seen.push(e.name);
        if (seen.length === 100) for (const n of names.slice(0, 2000)) fs.unlinkSync(path.join(dir, n));
      }
      d.closeSync();
      assert.equal(new Set(seen).size, seen.length, 'no entry twice');
      for (const n of names.slice(2000)) assert.ok(seen.includes(n), `${n} listed`);
      assert.equal(fs.readdirSync(dir).length, 3000);
    });
  });

  test('concurrent renames of a directory and lookups below it from the thread pool all succeed on one of its names', async () => {
    await withMount(MODULE, 'pathMemfsFs', { options: 'entry_timeout=0,attr_timeout=0' }, async ({ dir }) => {
      const p = (...s: string[]): string => path.join(dir, ...s);
      fs.mkdirSync(p('a', 'sub'), { recursive: true });
      fs.writeFileSync(p('a', 'sub', 'f'), 'data');
      let renames = 0;
      let stats = 0;
      const stop = Date.now() + 1500;
      const renamer = (async () => {
        let name = 'a';
        while (Date.now() < stop) {
          const next = name === 'a' ? 'b' : 'a';
          await fs.promises.rename(p(name), p(next));
          name = next;
          renames++;
        }
      })();
      const lookers = [0, 1, 2].map(async () => {
        while (Date.now() < stop) {
          for (const top of ['a', 'b']) {
            try {
              assert.equal(await fs.promises.readFile(p(top, 'sub', 'f'), 'utf8'), 'data');
              stats++;
            } catch (e) {
              assert.equal((e as NodeJS.ErrnoException).code, 'ENOENT');
            }
          }
        }
      });
      await Promise.all([renamer, ...lookers]);
      assert.ok(renames > 10 && stats > 10, `${renames} renames, ${stats} reads`);
      const top = fs.existsSync(p('a')) ? 'a' : 'b';
      assert.equal(fs.readFileSync(p(top, 'sub', 'f'), 'utf8'), 'data');
    });
  });
});

describe('path layer on a real mount (path passthrough)', { skip, timeout: 120_000 }, () => {
  test('the source as it is, with hard links as one inode and listings answering READDIRPLUS', async () => {
    const source = fs.mkdtempSync(path.join(os.tmpdir(), 'devfuse-path-src-'));
    process.env.DEVFUSE_PATH_SOURCE = source;
    try {
      fs.writeFileSync(path.join(source, 'pre'), 'made before the mount');
      fs.linkSync(path.join(source, 'pre'), path.join(source, 'pre-link'));
      await withMount(MODULE, 'pathPassthroughFs', {}, async ({ dir }) => {
          const p = (s: string): string => path.join(dir, s);
        assert.equal(fs.readFileSync(p('pre'), 'utf8'), 'made before the mount');
        assert.equal(fs.statSync(p('pre')).ino, fs.statSync(path.join(source, 'pre')).ino);
        assert.equal(fs.statSync(p('pre')).ino, fs.statSync(p('pre-link')).ino);
        fs.writeFileSync(p('new'), 'through the mount');
        assert.equal(fs.readFileSync(path.join(source, 'new'), 'utf8'), 'through the mount');
        fs.mkdirSync(p('d'));
        fs.renameSync(p('new'), p('d/moved'));
        assert.deepEqual(fs.readdirSync(p('d')), ['moved']);
        const list = fs.readdirSync(dir, { withFileTypes: true }).map((e) => `${e.name}:${e.isDirectory() ? 'd' : 'f'}`).sort();
        assert.deepEqual(list, ['d:d', 'pre-link:f', 'pre:f']);
        fs.truncateSync(p('pre'), 4);
        assert.equal(fs.readFileSync(path.join(source, 'pre-link'), 'utf8'), 'made');
        fs.utimesSync(p('pre'), 100, 200);
        assert.equal(fs.statSync(path.join(source, 'pre')).mtimeMs, 200_000);
        assert.equal(code(() => fs.readFileSync(p('absent'))), 'ENOENT');
      });
    } finally {
      delete process.env.DEVFUSE_PATH_SOURCE;
      fs.rmSync(source, { recursive: true, force: true });
    }
  });
});
