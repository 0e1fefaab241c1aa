/**
 * memfs's memory through a real mount: how much the server process holds
 * (RSS, /proc/<pid>/status) while a file is written and after it is
 * deleted, and after a tree is untarred and removed. Two servers in the same
 * run: memfs as `devfuse mount memfs` runs it (releaseMemory: a collection
 * and malloc_trim after large deletions) and memfs without releaseMemory.
 *
 *   npm run build:scripts && node dist/scripts/memfs-memory.js [--mib 1024] [--cycles 2] [--tree DIR]
 *
 * Results: docs/memfs-memory.md.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Server, type PeerSpec } from './bench/peers';
import { REPO, Teardown, describeMachine, fmt, machine, parseArgs, rssKiB, runOk, sleep, table, tempDir } from './bench/util';

const node = process.execPath;

function peer(id: string, label: string, extra: string[]): PeerSpec {
  return {
    id, label, kind: 'devfuse', about: label, usesSource: false,
    command: (_source, mnt) => ({ cmd: node, args: [path.join(REPO, 'dist', 'scripts', 'bench', 'devfuse-server.js'), '--watch-stdin', '--fs', 'memfs', '--mnt', mnt, ...extra] }),
  };
}

const VARIANTS = [
  peer('memfs', 'memfs (releaseMemory, as the CLI)', []),
  peer('memfs-norelease', 'memfs without releaseMemory', ['--no-release-memory']),
];

const dfUsedMiB = (mnt: string): number => Number(runOk('df', ['--output=used', '-B1M', mnt]).trim().split('\n')[1]);

interface Row {
  step: string;
  rssMiB: number;
  dfMiB: number;
}

async function measure(td: Teardown, spec: PeerSpec, base: string, mib: number, cycles: number, tree: string): Promise<Row[]> {
  const mnt = path.join(base, spec.id);
  fs.mkdirSync(mnt);
  const server = await Server.start(td, spec, base, mnt, false, base);
  const rows: Row[] = [];
  const sample = (step: string): void => {
    rows.push({ step, rssMiB: rssKiB(server.pid) / 1024, dfMiB: dfUsedMiB(mnt) });
  };
  sample('idle');
  for (let c = 1; c <= cycles; c++) {
    runOk('dd', ['if=/dev/zero', `of=${path.join(mnt, 'f')}`, 'bs=1M', `count=${mib}`, 'status=none']);
    sample(`${c}: dd ${mib} MiB`);
    fs.unlinkSync(path.join(mnt, 'f'));
    let waited = 0;
    for (const t of [500, 1000, 2000, 5000]) {
      await sleep(t - waited);
      waited = t;
      sample(`${c}: rm +${t / 1000} s`);
    }
  }
  // A tree of many files, twice over (tar replaces each file), then rm -rf.
  const untar = (): void => {
    const r = spawnSync('sh', ['-c', 'tar -C "$1" -cf - "$2" | tar -C "$3" -xf -', 'sh', path.dirname(tree), path.basename(tree), mnt]);
    if (r.status !== 0) throw new Error(`untar of ${tree} failed: ${String(r.stderr)}`);
  };
  untar();
  sample(`untar ${path.basename(tree)}`);
  untar();
  sample('untar again over it');
  fs.rmSync(path.join(mnt, path.basename(tree)), { recursive: true });
  await sleep(2000);
  sample('rm -rf +2 s');
  await server.stop();
  return rows;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('run as root (it mounts)');
  const { flags } = parseArgs(process.argv.slice(2), ['mib', 'cycles', 'tree'], 'usage: node dist/scripts/memfs-memory.js [--mib 1024] [--cycles 2] [--tree DIR]');
  const mib = Number(flags.get('mib') ?? 1024);
  const cycles = Number(flags.get('cycles') ?? 2);
  const tree = path.resolve(flags.get('tree') ?? path.join(REPO, 'node_modules'));
  const td = new Teardown();
  try {
    const mach = machine();
    process.stdout.write(`memfs memory — ${describeMachine(mach)}\n`);
    const base = tempDir(td, 'devfuse-memfs-mem-');
    const results: { peer: string; rows: Row[] }[] = [];
    for (const v of VARIANTS) {
      process.stderr.write(`${v.label}...\n`);
      results.push({ peer: v.label, rows: await measure(td, v, base, mib, cycles, tree) });
    }
    const steps = results[0]!.rows.map((r) => r.step);
    const rows = steps.map((s, i) => [s, fmt(results[0]!.rows[i]!.dfMiB), ...results.map((r) => fmt(r.rows[i]!.rssMiB))]);
    process.stdout.write(`\nRSS of the server (MiB), df used (MiB); tree: ${tree}\n${table(['step', 'df used', ...results.map((r) => r.peer)], rows)}\n`);
    const out = path.join(REPO, 'bench-results');
    fs.mkdirSync(out, { recursive: true });
    const f = path.join(out, `memfs-memory-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    fs.writeFileSync(f, `${JSON.stringify({ machine: mach, mib, cycles, tree, results }, null, 1)}\n`);
    process.stdout.write(`\nSaved ${path.relative(process.cwd(), f)}\n`);
  } finally {
    td.run();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`memfs-memory: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
