/**
 * A flood: several client processes, each with many requests in flight
 * (UV_THREADPOOL_SIZE=32 in each), doing creates, writes, reads, stats,
 * renames, listings and unlinks in their own directories, while others
 * contend for one flock and walk the tree (readdirplus, lookups, forgets).
 * Every operation must succeed with the right data, every client finish
 * (no lost reply), and the server log nothing.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { canMount, withPassthrough, type IoMode } from '../helpers/mounted';
import { pyAsync } from '../helpers/syscalls';

const CLIENTS = 5;
const FILES = 150;
const INFLIGHT = 48;
/** A client or helper still running after this long has lost a reply: a hang guard, not a timing (15 s was once too short under load). */
const HANG_MS = 120_000;

/** One client: FILES files through a pool of INFLIGHT concurrent chains; prints a JSON summary. */
const CLIENT = String.raw`
const fs = require('fs/promises');
const path = require('path');
const crypto = require('crypto');
const [dir, id, files, inflight] = process.argv.slice(1);
(async () => {
  const mine = path.join(dir, 'c' + id);
  await fs.mkdir(mine);
  let next = 0, done = 0;
  const errors = [];
  async function one(i) {
    const data = crypto.randomBytes(1 + (i * 7919) % 200000);
    const a = path.join(mine, 'f' + i), b = path.join(mine, 'g' + i);
    await fs.writeFile(a, data);
    const st = await fs.stat(a);
    if (st.size !== data.length) throw new Error('size ' + st.size + ' != ' + data.length);
    await fs.rename(a, b);
    const back = await fs.readFile(b);
    if (!back.equals(data)) throw new Error('data differs for ' + b);
    const h = await fs.open(b, 'r+');
    await h.write(Buffer.from('xyz'), 0, 3, 1);
    await h.sync();
    await h.close();
    if (i % 10 === 0) await fs.readdir(mine, { withFileTypes: true });
    if (i % 2 === 0) await fs.unlink(b);
    done++;
  }
  async function worker() {
    while (next < +files) {
      const i = next++;
      try { await one(i); } catch (e) { errors.push(String(e && e.stack || e)); }
    }
  }
  await Promise.all(Array.from({ length: +inflight }, worker));
  const left = (await fs.readdir(mine)).length;
  console.log(JSON.stringify({ done, errors, left }));
})().catch((e) => { console.log(JSON.stringify({ done: -1, errors: [String(e)], left: -1 })); });
`;

function client(dir: string, id: number): Promise<{ done: number; errors: string[]; left: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', CLIENT, dir, String(id), String(FILES), String(INFLIGHT)], {
      env: { ...process.env, UV_THREADPOOL_SIZE: '32' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`client ${id} did not finish in time (a lost reply?): ${out} ${err}`));
    }, HANG_MS);
    child.on('exit', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(out) as { done: number; errors: string[]; left: number });
      } catch {
        reject(new Error(`client ${id} printed ${out} ${err}`));
      }
    });
  });
}

const LOCKER = `import fcntl, os
fd = os.open('lock', os.O_RDWR | os.O_CREAT, 0o666)
for i in range(25):
    fcntl.flock(fd, fcntl.LOCK_EX)
    n = int(open('counter').read() or '0')
    open('counter', 'w').write(str(n + 1))
    fcntl.flock(fd, fcntl.LOCK_UN)
out('ok')`;

const WALKER = `import os
n = 0
for _ in range(4):
    for root, dirs, files in os.walk('.'):
        for f in files:
            try: os.lstat(os.path.join(root, f)); n += 1
            except FileNotFoundError: pass
out('ok')`;

const variants: [IoMode, string][] = [['async', ''], ['sync', ''], ['sync', ',workers=1']];
for (const [io, extra] of variants) {
  describe(`passthrough flood (${io}${extra})`, { skip: !canMount() && 'needs root and /dev/fuse' }, () => {
    test(`${CLIENTS} clients × ${INFLIGHT} in flight, lockers and walkers: no error, no lost reply`, async () => {
      let log = (): string => '';
      await withPassthrough(io, 'allow_other,default_permissions' + extra, async ({ dir, src, stderr }) => {
        log = stderr;
        fs.writeFileSync(path.join(dir, 'counter'), '');
        const results = await Promise.all([
          ...[...Array(CLIENTS).keys()].map((i) => client(dir, i)),
          ...[0, 1, 2, 3].map(() => pyAsync(LOCKER, [], { cwd: dir, timeout: HANG_MS })),
          ...[0, 1].map(() => pyAsync(WALKER, [], { cwd: dir, timeout: HANG_MS })),
        ]);
        for (const r of results.slice(0, CLIENTS) as { done: number; errors: string[]; left: number }[]) {
          assert.deepEqual(r.errors, []);
          assert.equal(r.done, FILES);
          assert.equal(r.left, FILES / 2);
        }
        for (const r of results.slice(CLIENTS)) assert.equal(r, 'ok');
        // flock excluded every other locker: no increment was lost.
        assert.equal(fs.readFileSync(path.join(src, 'counter'), 'utf8'), '100');
        for (let i = 0; i < CLIENTS; i++) assert.equal(fs.readdirSync(path.join(src, `c${i}`)).length, FILES / 2);
        assert.doesNotMatch(stderr(), /devfuse:/, 'the server logged no problem');
      });
      // With a data worker, it served READs/WRITEs and answered, on its own fd, requests it forwarded.
      if (extra) assert.match(log(), /data workers served [1-9]\d*, forwarded [1-9]/);
    });
  });
}
