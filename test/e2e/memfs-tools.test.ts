/**
 * memfs through a real mount with ordinary tools and load: mkdir -p, cp -a,
 * tar (create, extract, compare), diff -r and rm -rf on a small tree with
 * hard links, symlinks, sparse files, odd modes and timestamps; then a flood
 * of concurrent operations from several processes, checking that every
 * syscall got its answer (none lost: nothing hangs) and the server saw no
 * double answer or handler error.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { py, sh } from '../helpers/syscalls';
import { assertNothingMounted, skip, withMemfs } from '../helpers/mounted';

after(assertNothingMounted);

function shell(script: string, cwd: string): string {
  return sh('sh', ['-ec', script], { cwd });
}

/** A small tree outside the mount, with what cp -a and tar have to preserve. */
function makeSourceTree(): string {
  const src = fs.mkdtempSync(path.join(os.tmpdir(), 'memfs-src-'));
  shell(
    `mkdir -p a/b/c empty 'with space' && printf hello > a/hello && head -c 200000 /dev/urandom > a/b/random
     ln a/hello a/b/c/hardlink && ln -s ../hello a/b/link && ln -s /nowhere dangling
     printf x | dd of=sparse bs=1 seek=5000000 2>/dev/null && chmod 4755 a/hello && chmod 0600 a/b/random && chmod 2775 a/b
     printf odd > "with space/$(printf 'n\\303\\251\\033\\377')" && touch -d '2001-02-03 04:05:06.123456789' a/b/random && touch -h -d '1999-01-01' a/b/link`,
    src,
  );
  return src;
}

test('memfs e2e: mkdir -p, cp -a, tar, diff -r and rm -rf of a small tree', { skip }, async () => {
  const src = makeSourceTree();
  try {
    await withMemfs('memfs', {}, async ({ dir }) => {
      const ffree = (): number => py<number>(`out(os.statvfs(ARGS[0]).f_ffree)`, [dir]);
      const before = ffree();
      shell(`mkdir -p deep/1/2/3/4/5/6/7/8/9 && cp -a '${src}' copy && diff -r --no-dereference '${src}' copy`, dir);
      // cp -a kept modes, times, hard links and sparseness.
      const s1 = fs.statSync(path.join(dir, 'copy/a/hello'));
      assert.equal(s1.mode & 0o7777, 0o4755);
      assert.equal(s1.nlink, 2);
      assert.equal(s1.ino, fs.statSync(path.join(dir, 'copy/a/b/c/hardlink')).ino);
      assert.equal(fs.statSync(path.join(dir, 'copy/a/b')).mode & 0o7777, 0o2775);
      const r = fs.statSync(path.join(dir, 'copy/a/b/random'), { bigint: true });
      assert.equal(r.mtimeNs, fs.statSync(path.join(src, 'a/b/random'), { bigint: true }).mtimeNs, 'nanosecond mtime kept');
      assert.equal(fs.lstatSync(path.join(dir, 'copy/a/b/link')).mtime.getUTCFullYear(), 1999, 'symlink times kept');
      assert.ok(fs.statSync(path.join(dir, 'copy/sparse')).blocks <= 16, 'cp kept the file sparse');
      // tar: create on the mount, extract on the mount, compare against the archive (content, modes, times, links).
      shell(`tar -C '${src}' -cf archive.tar . && mkdir x && tar -C x -xpf archive.tar && tar -C x -df archive.tar && tar -C copy -df archive.tar`, dir);
      assert.match(shell('tar -tvf archive.tar', dir), /hardlink link to \.\/a\/hello|hello link to \.\/a\/b\/c\/hardlink/);
      shell(`rm -rf deep copy x archive.tar && test -z "$(ls -A)"`, dir);
      let now = ffree();
      for (let i = 0; i < 50 && now !== before; i++) {
        await new Promise((res) => setTimeout(res, 20));
        now = ffree();
      }
      assert.equal(now, before, 'every inode freed');
      assert.equal(py<number>(`v = os.statvfs(ARGS[0])\nout(v.f_blocks - v.f_bfree)`, [dir]), 0, 'every block freed');
    });
  } finally {
    fs.rmSync(src, { recursive: true, force: true });
  }
});

/** What each flood worker runs: many async fs operations in flight at once, each result checked. */
const WORKER = String.raw`
const fs = require('fs/promises');
const path = require('path');
const [root, id, rounds] = process.argv.slice(1);
const mine = path.join(root, 'w' + id);
const shared = path.join(root, 'shared');
let ops = 0;
const check = (c, what) => { if (!c) throw new Error('worker ' + id + ': ' + what); };
async function one(i) {
  const f = path.join(mine, 'f' + i);
  const body = 'worker ' + id + ' file ' + i + ' '.repeat(i % 97);
  await fs.writeFile(f, body); ops++;
  check((await fs.readFile(f, 'utf8')) === body, 'read back ' + f); ops++;
  check((await fs.stat(f)).size === Buffer.byteLength(body), 'size ' + f); ops++;
  await fs.appendFile(f, '+'); ops++;
  await fs.rename(f, f + '.r'); ops++;
  await fs.link(f + '.r', path.join(shared, id + '-' + i)); ops++;
  await fs.symlink('f' + i + '.r', f + '.l'); ops++;
  check((await fs.readFile(f + '.l', 'utf8')) === body + '+', 'via symlink ' + f); ops++;
  check((await fs.readdir(shared)).includes(id + '-' + i), 'listed in shared'); ops++;
  await fs.unlink(path.join(shared, id + '-' + i)); ops++;
  await fs.unlink(f + '.l'); ops++;
  await fs.unlink(f + '.r'); ops++;
}
(async () => {
  await fs.mkdir(mine);
  for (let i = 0; i < Number(rounds); i += 32) await Promise.all(Array.from({ length: 32 }, (_, k) => one(i + k)));
  check((await fs.readdir(mine)).length === 0, 'all cleaned');
  await fs.rmdir(mine);
  process.stdout.write(String(ops));
})().catch((e) => { process.stderr.write(String(e.stack || e)); process.exit(1); });
`;

test('memfs e2e: a flood of concurrent operations from several processes', { skip }, async () => {
  await withMemfs('memfs', { readdirplus: 'yes' }, async ({ dir, stderr }) => {
    const ffree = (): number => py<number>(`out(os.statvfs(ARGS[0]).f_ffree)`, [dir]);
    const before = ffree();
    fs.mkdirSync(path.join(dir, 'shared'));
    const workers = 4;
    const rounds = 256;
    const results = await Promise.all(
      Array.from({ length: workers }, (_, id) =>
        new Promise<number>((resolve, reject) => {
          const p = spawn(process.execPath, ['-e', WORKER, dir, String(id), String(rounds)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, UV_THREADPOOL_SIZE: '16' } });
          let out = '';
          let err = '';
          p.stdout.on('data', (d: Buffer) => (out += d.toString()));
          p.stderr.on('data', (d: Buffer) => (err += d.toString()));
          const timer = setTimeout(() => p.kill('SIGKILL'), 15000);
          p.on('close', (code) => {
            clearTimeout(timer);
            if (code === 0) resolve(Number(out));
            else reject(new Error(`worker ${id} exited ${code}: ${err}`));
          });
        }),
      ),
    );
    assert.deepEqual(results, Array(workers).fill(rounds * 12), 'every operation of every worker completed');
    assert.deepEqual(fs.readdirSync(path.join(dir, 'shared')), []);
    fs.rmdirSync(path.join(dir, 'shared'));
    // Every inode freed: the lookup counts (READDIRPLUS entries included) matched the kernel's forgets.
    let now = ffree();
    for (let i = 0; i < 50 && now !== before; i++) {
      await new Promise((r) => setTimeout(r, 20));
      now = ffree();
    }
    assert.equal(now, before);
    const log = stderr();
    assert.doesNotMatch(log, /answered twice|threw|cannot carry|malformed|FORGET/, log);
  });
});
