/**
 * Soak: a long run of mixed requests against devfuse, watching the server's
 * memory and latency.
 *
 *   npm run build:scripts && node dist/scripts/soak.js [--ops 1000000] [--clients 4] [--fs memfs,passthrough]
 *        [--io sync|async] [--peer devfuse-coloc] [--warmup 500000] [--warmup-seconds 30]
 *
 * For each filesystem, a devfuse server (its own process; entry and
 * attribute timeouts 0, so every operation reaches it) is driven by several
 * C clients at once, each on its own directory with a fixed working set:
 * stat, negative lookups, open/pread/close, open/pwrite/close, directory
 * listings, create/close/unlink (scripts/bench/ctools.ts, soakclient). The
 * clients record every syscall's latency; the server's RSS is sampled from
 * /proc/<pid>/status every 200 ms.
 *
 * A warm-up phase comes first, with the same mix (--warmup syscalls, default
 * 500,000, or --warmup-seconds, default 30, whichever ends first): V8
 * compiles the hot paths and sizes its heaps, pools fill. Measured here,
 * memfs's RSS climbs from 93 to 108 MiB over its first ~500,000 syscalls
 * and then stays within 1 MiB for 2.5 million more, so a warm-up cut at a
 * fixed fraction of a 1M run would call heap sizing a leak.
 *
 * The measured run (--ops, default 1,000,000) is cut into 10 windows of
 * equal time. The targets:
 *   - RSS at the end within 10% of RSS right after warm-up;
 *   - no p99 drift: the median p99 of the last 3 windows at most 1.25× that
 *     of the first 3.
 *
 * Then, for memfs, write-delete cycles (--cycles, default 5, of a
 * --cycle-mib file, default 256): each writes the file in 1 MiB writes,
 * deletes it and waits 2 s. Target: RSS 2 s after each deletion within
 * max(32 MiB, 10% of the file) of RSS before the first cycle (memfs hands
 * deleted data back: docs/memfs-memory.md).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compileTools } from './bench/ctools';
import { PEERS, Server } from './bench/peers';
import {
  REPO, Teardown, describeMachine, fmt, forceUnmount, machine, median, parseArgs, percentile, rssKiB, runOk, sleep, table, tempDir,
} from './bench/util';

const WINDOWS = 10;

interface Sample {
  t: number;
  rssMiB: number;
}

interface WindowStat {
  ops: number;
  opsPerSec: number;
  p50us: number;
  p99us: number;
  maxUs: number;
  rssMiB: number;
}

interface SoakResult {
  fs: string;
  warmupOps: number;
  warmupSeconds: number;
  ops: number;
  seconds: number;
  windows: WindowStat[];
  rssWarmMiB: number;
  rssEndMiB: number;
  rssMaxAfterWarmMiB: number;
  rssIdleAfterMiB: number;
  rssGrowth: number;
  p99Drift: number;
  rssOk: boolean;
  p99Ok: boolean;
  cycles?: CycleResult;
}

interface CycleResult {
  mib: number;
  rssBeforeMiB: number;
  /** Per cycle: RSS with the file written, and 2 s after its deletion. */
  rows: { writtenMiB: number; deletedMiB: number }[];
  ok: boolean;
}

/** Writes a `mib` MiB file in 1 MiB writes and deletes it, `cycles` times, sampling the server's RSS. */
async function writeDeleteCycles(pid: number, dir: string, cycles: number, mib: number): Promise<CycleResult> {
  const rssBefore = rssKiB(pid) / 1024;
  const chunk = Buffer.alloc(1 << 20, 0x5a);
  const rows: CycleResult['rows'] = [];
  const file = path.join(dir, 'write-delete');
  for (let c = 0; c < cycles; c++) {
    const fd = fs.openSync(file, 'w');
    try {
      for (let i = 0; i < mib; i++) fs.writeSync(fd, chunk);
    } finally {
      fs.closeSync(fd);
    }
    const writtenMiB = rssKiB(pid) / 1024;
    fs.unlinkSync(file);
    await sleep(2000);
    rows.push({ writtenMiB, deletedMiB: rssKiB(pid) / 1024 });
  }
  const bound = rssBefore + Math.max(32, mib / 10);
  return { mib, rssBeforeMiB: rssBefore, rows, ok: rows.every((r) => r.deletedMiB <= bound) };
}

function runClient(bin: string, dir: string, ops: number, seed: number, out: string, deadline = 0): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn(bin, [dir, String(ops), String(seed), out, String(deadline)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (b: Buffer) => (err += b.toString()));
    c.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`soakclient ${dir}: exit ${code}: ${err.trim()}`))));
  });
}

/** Reads a client's record: end times (ns, CLOCK_MONOTONIC) and latencies (ns). */
function readRecord(file: string): { ends: BigUint64Array; lats: Uint32Array } {
  const b = fs.readFileSync(file);
  const n = Number(b.readBigUInt64LE(0));
  const ends = new BigUint64Array(n);
  const lats = new Uint32Array(n);
  for (let i = 0; i < n; i++) ends[i] = b.readBigUInt64LE(8 + 8 * i);
  const off = 8 + 8 * n;
  for (let i = 0; i < n; i++) lats[i] = b.readUInt32LE(off + 4 * i);
  return { ends, lats };
}

interface SoakConfig {
  ops: number;
  clients: number;
  warmupOps: number;
  warmupSeconds: number;
  /** memfs write-delete cycles after the run, and the file size in MiB. */
  cycles: number;
  cycleMiB: number;
  io?: string;
  /** A bench peer id to soak instead of the default for `kind` (e.g. devfuse-coloc). */
  peer?: string;
}

async function soak(td: Teardown, kind: 'memfs' | 'passthrough', cfg: SoakConfig, base: string, bin: string): Promise<SoakResult> {
  const id = cfg.peer ?? (kind === 'memfs' ? 'memfs' : cfg.io === 'async' ? 'devfuse-async' : 'devfuse');
  const found = PEERS.find((p) => p.id === id && p.kind === 'devfuse');
  if (!found) throw new Error(`no devfuse peer ${id} (have ${PEERS.filter((p) => p.kind === 'devfuse').map((p) => p.id).join(', ')})`);
  const spec = { ...found };
  const source = path.join(base, 'src', kind);
  const mnt = path.join(base, 'mnt', kind);
  fs.mkdirSync(source, { recursive: true });
  fs.mkdirSync(mnt, { recursive: true });
  const server = await Server.start(td, spec, source, mnt, true, base);
  const dirs = Array.from({ length: cfg.clients }, (_, i) => path.join(mnt, `c${i}`));
  process.stderr.write(`soak ${kind}: warm-up, ${cfg.warmupOps} syscalls or ${cfg.warmupSeconds} s\n`);
  const warmOuts = dirs.map((_, i) => path.join(base, `${kind}-warm-${i}.rec`));
  const w0 = process.hrtime.bigint();
  await Promise.all(warmOuts.map((o, i) => runClient(bin, dirs[i]!, Math.ceil(cfg.warmupOps / cfg.clients), 1000 + i, o, cfg.warmupSeconds)));
  const warmupSeconds = Number(process.hrtime.bigint() - w0) / 1e9;
  const warmupOps = warmOuts.reduce((n, o) => n + Number(fs.readFileSync(o).readBigUInt64LE(0)), 0);
  const rssWarm = rssKiB(server.pid) / 1024;

  const samples: Sample[] = [];
  const t0 = process.hrtime.bigint();
  const timer = setInterval(() => samples.push({ t: Number(process.hrtime.bigint() - t0) / 1e9, rssMiB: rssKiB(server.pid) / 1024 }), 200);
  const per = Math.ceil(cfg.ops / cfg.clients);
  const outs = dirs.map((_, i) => path.join(base, `${kind}-${i}.rec`));
  process.stderr.write(`soak ${kind}: ${cfg.clients} clients × ${per} syscalls\n`);
  await Promise.all(outs.map((o, i) => runClient(bin, dirs[i]!, per, i + 1, o)));
  clearInterval(timer);
  const endSample = rssKiB(server.pid) / 1024;
  await sleep(2000);
  const idle = rssKiB(server.pid) / 1024;
  let cycles: CycleResult | undefined;
  if (kind === 'memfs' && cfg.cycles > 0) {
    process.stderr.write(`soak ${kind}: ${cfg.cycles} write-delete cycles of ${cfg.cycleMiB} MiB\n`);
    cycles = await writeDeleteCycles(server.pid, mnt, cfg.cycles, cfg.cycleMiB);
  }
  await server.stop();

  // Merge every client's records onto one timeline.
  const recs = outs.map(readRecord);
  let first = BigInt(Number.MAX_SAFE_INTEGER) * 1000n;
  let last = 0n;
  for (const r of recs) {
    for (const e of r.ends) {
      if (e < first) first = e;
      if (e > last) last = e;
    }
  }
  const span = Number(last - first) / 1e9;
  const buckets: number[][] = Array.from({ length: WINDOWS }, () => []);
  let total = 0;
  for (const r of recs) {
    for (let i = 0; i < r.ends.length; i++) {
      const w = Math.min(WINDOWS - 1, Math.floor((Number(r.ends[i]! - first) / 1e9 / span) * WINDOWS));
      buckets[w]!.push(r.lats[i]!);
      total++;
    }
  }
  // Client time and sampler time share CLOCK_MONOTONIC; the sampler started just before the clients.
  const startT = Number(first - t0) / 1e9;
  const rssAt = (t: number): number => {
    let best = samples[0]!;
    for (const s of samples) if (Math.abs(s.t - t) < Math.abs(best.t - t)) best = s;
    return best.rssMiB;
  };
  const windows = buckets.map((b, i) => {
    const sorted = Float64Array.from(b).sort();
    return {
      ops: b.length,
      opsPerSec: b.length / (span / WINDOWS),
      p50us: percentile(sorted, 50) / 1000,
      p99us: percentile(sorted, 99) / 1000,
      maxUs: (sorted[sorted.length - 1] ?? NaN) / 1000,
      rssMiB: rssAt(startT + ((i + 1) * span) / WINDOWS),
    };
  });
  const after = samples.map((s) => s.rssMiB);
  const early = median(windows.slice(0, 3).map((w) => w.p99us));
  const late = median(windows.slice(-3).map((w) => w.p99us));
  const growth = endSample / rssWarm - 1;
  return {
    fs: kind,
    warmupOps,
    warmupSeconds,
    ops: total,
    seconds: span,
    windows,
    rssWarmMiB: rssWarm,
    rssEndMiB: endSample,
    rssMaxAfterWarmMiB: Math.max(...after),
    rssIdleAfterMiB: idle,
    rssGrowth: growth,
    p99Drift: late / early,
    rssOk: Math.abs(growth) <= 0.1,
    p99Ok: late / early <= 1.25,
    ...(cycles ? { cycles } : {}),
  };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('run as root (it mounts)');
  const { flags } = parseArgs(process.argv.slice(2), ['ops', 'clients', 'fs', 'io', 'peer', 'warmup', 'warmup-seconds', 'cycles', 'cycle-mib'], 'usage: node dist/scripts/soak.js [--ops 1000000] [--clients 4] [--fs memfs,passthrough] [--io sync|async] [--peer devfuse-coloc] [--warmup 500000] [--warmup-seconds 30] [--cycles 5] [--cycle-mib 256]');
  const cycles = Number(flags.get('cycles') ?? 5);
  const cycleMiB = Number(flags.get('cycle-mib') ?? 256);
  const ops = Number(flags.get('ops') ?? 1_000_000);
  const clients = Number(flags.get('clients') ?? 4);
  const kinds = (flags.get('fs') ?? 'memfs,passthrough').split(',') as ('memfs' | 'passthrough')[];
  const io = flags.get('io');
  const peer = flags.get('peer');
  const warmupOps = Number(flags.get('warmup') ?? 500_000);
  const warmupSeconds = Number(flags.get('warmup-seconds') ?? 30);
  const td = new Teardown();
  const mach = machine();
  process.stdout.write(`soak — ${describeMachine(mach)}\n`);
  const base = tempDir(td, 'devfuse-soak-');
  fs.mkdirSync(path.join(base, 'src'));
  runOk('mount', ['-t', 'tmpfs', '-o', 'size=2g', 'soak-tmpfs', path.join(base, 'src')]);
  td.add('unmount the tmpfs', () => forceUnmount(path.join(base, 'src')));
  const { soakclient } = compileTools(base, ['soakclient']);
  const results: SoakResult[] = [];
  for (const k of kinds) results.push(await soak(td, k, { ops, clients, warmupOps, warmupSeconds, cycles, cycleMiB, ...(io ? { io } : {}), ...(peer ? { peer } : {}) }, base, soakclient));

  for (const r of results) {
    process.stdout.write(`\n${r.fs}: warm-up ${r.warmupOps} syscalls in ${fmt(r.warmupSeconds)} s, then ${r.ops} syscalls from ${clients} clients in ${fmt(r.seconds)} s (${fmt(r.ops / r.seconds / 1000)} k/s)\n`);
    const rows = r.windows.map((w, i) => [String(i + 1), fmt(w.opsPerSec / 1000), fmt(w.p50us), fmt(w.p99us), fmt(w.maxUs), fmt(w.rssMiB)]);
    process.stdout.write(`${table(['window', 'k ops/s', 'p50 µs', 'p99 µs', 'max µs', 'RSS MiB'], rows)}\n`);
    process.stdout.write(
      `RSS after warm-up ${fmt(r.rssWarmMiB)} MiB, at the end ${fmt(r.rssEndMiB)} MiB (${r.rssGrowth >= 0 ? '+' : ''}${fmt(100 * r.rssGrowth)}%), ` +
        `max after warm-up ${fmt(r.rssMaxAfterWarmMiB)} MiB, idle 2 s later ${fmt(r.rssIdleAfterMiB)} MiB: ${r.rssOk ? 'within 10% — target met' : 'MISSED (target: within 10%)'}\n` +
        `p99, last 3 windows ÷ first 3: ${fmt(r.p99Drift)}×: ${r.p99Ok ? 'no drift — target met' : 'MISSED (drift above 1.25×)'}\n`,
    );
    const c = r.cycles;
    if (c) {
      const rows = c.rows.map((x, i) => [String(i + 1), fmt(x.writtenMiB), fmt(x.deletedMiB)]);
      process.stdout.write(`write-delete cycles of a ${c.mib} MiB file, RSS before ${fmt(c.rssBeforeMiB)} MiB:\n${table(['cycle', 'written MiB', 'deleted +2 s MiB'], rows)}\n` +
        `${c.ok ? 'deleted data handed back — target met' : `MISSED (target: within ${fmt(Math.max(32, c.mib / 10))} MiB of the RSS before)`}\n`);
    }
  }
  const out = path.join(REPO, 'bench-results');
  fs.mkdirSync(out, { recursive: true });
  const f = path.join(out, `soak-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(f, `${JSON.stringify({ machine: mach, ops, clients, cpus: os.cpus().length, results }, null, 1)}\n`);
  process.stdout.write(`\nSaved ${path.relative(process.cwd(), f)}\n`);
  td.run();
}

main().catch((e: unknown) => {
  process.stderr.write(`soak: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
