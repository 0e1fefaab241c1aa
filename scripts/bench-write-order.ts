/**
 * What the writeback/direct-IO ordering rule costs.
 *
 * 1. The in-flight range structure: "does any write in flight overlap
 *    [from, to)?" with 10 to 100,000 writes in flight, for the interval
 *    treap (src/server/core/write-order.ts) beside a linear scan of a list (what
 *    the kernel's fuse_range_is_writeback did). The treap should grow
 *    logarithmically, the list linearly.
 * 2. End to end, on real mounts of memfs with -o writeback_cache, with the
 *    rule on and off (-o no_write_ordering): a client alternating buffered
 *    64 KiB writes and O_DIRECT reads of the same range.
 *
 *   node dist/scripts/bench-write-order.js [--no-mount]
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WriteOrder } from '../src/internal';
import { seededRandom } from '../src/testing';

function structure(): void {
  console.log('in-flight range lookups (ns per "overlaps?" query, median of 5)');
  console.log('writes in flight | treap ns | list scan ns');
  for (const n of [10, 100, 1000, 10000, 100000]) {
    const random = seededRandom(n);
    const wo = new WriteOrder();
    const list: { s: number; e: number }[] = [];
    const span = n * 64 * 1024;
    for (let i = 0; i < n; i++) {
      const s = Math.floor(random() * span);
      wo.begin(1, s, 4096);
      list.push({ s, e: s + 4096 });
    }
    const queries = Array.from({ length: 20000 }, () => Math.floor(random() * span));
    const time = (f: (q: number) => boolean, reps: number): number => {
      const runs: number[] = [];
      let sink = 0;
      for (let r = 0; r < 5; r++) {
        const t = process.hrtime.bigint();
        for (let k = 0; k < reps; k++) if (f(queries[k % queries.length]!)) sink++;
        runs.push(Number(process.hrtime.bigint() - t) / reps);
      }
      if (sink < 0) console.log(sink);
      return runs.sort((a, b) => a - b)[2]!;
    };
    // warm-up, so the first size does not pay for compilation
    time((q) => wo.overlaps(1, q, 4096), 2000);
    time((q) => list.some((w) => w.s < q + 4096 && w.e > q), 200);
    const treap = time((q) => wo.overlaps(1, q, 4096), 20000);
    const scan = time((q) => list.some((w) => w.s < q + 4096 && w.e > q), n >= 10000 ? 200 : 5000);
    console.log(`${String(n).padStart(16)} | ${treap.toFixed(0).padStart(8)} | ${scan.toFixed(0).padStart(12)}`);
  }
}

const CLIENT = String.raw`
import mmap, os, sys, time
path, n = sys.argv[1], int(sys.argv[2])
fd1 = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
fd2 = os.open(path, os.O_RDONLY | os.O_DIRECT)
buf = mmap.mmap(-1, 65536)
data = b'z' * 65536
t = time.monotonic()
for i in range(n):
    off = (i % 64) * 65536
    os.pwrite(fd1, data, off)
    os.preadv(fd2, [buf], off)
print((time.monotonic() - t) / n * 1e6)
`;

async function endToEnd(): Promise<void> {
  const bin = path.join(__dirname, '..', '..', 'bin', 'devfuse.js');
  console.log('\nbuffered 64 KiB write + O_DIRECT read of it, memfs -o writeback_cache (µs per pair, median of 3)');
  const results: Record<string, number[]> = { 'rule on': [], 'rule off': [] };
  for (let round = 0; round < 3; round++) {
    for (const [label, extra] of [['rule on', ''], ['rule off', ',no_write_ordering']] as const) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'devfuse-bwo-'));
      const server = spawn(process.execPath, [bin, 'mount', 'memfs', dir, '-o', `writeback_cache${extra}`], { stdio: 'ignore' });
      try {
        const deadline = Date.now() + 10000;
        while (!fs.readFileSync('/proc/self/mounts', 'utf8').includes(` ${dir} `)) {
          if (Date.now() > deadline) throw new Error('mount did not appear');
          await new Promise((r) => setTimeout(r, 50));
        }
        const r = spawnSync('python3', ['-c', CLIENT, `${dir}/f`, '2000'], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(r.stderr);
        results[label]!.push(Number(r.stdout));
      } finally {
        server.kill('SIGTERM');
        await new Promise((r) => server.on('exit', r));
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[1]!;
  const on = med(results['rule on']!);
  const off = med(results['rule off']!);
  console.log(`rule on ${on.toFixed(1)} µs, rule off ${off.toFixed(1)} µs, cost ${(on / off).toFixed(3)}×`);
}

async function main(): Promise<void> {
  structure();
  if (!process.argv.includes('--no-mount') && process.getuid?.() === 0) await endToEnd();
}

void main();
