/**
 * The request-reading designs of a Node FUSE server, side by side on a hello
 * filesystem: the figures behind src/server/device/device-channel.ts.
 *
 *   npm run build:scripts && node dist/scripts/bench-channel.js [--rounds 3] [--seconds 2] [--designs a,b]
 *
 * Each design serves /hello with entry and attribute timeouts 0 from its own
 * process; a C client in another process calls statx(AT_STATX_FORCE_SYNC)
 * on it in a loop (a LOOKUP and a GETATTR per call) and reports µs per call:
 *
 *   pinned     client and every server thread on CPU 0: no cross-CPU wakeups,
 *              what the design itself costs
 *   unpinned   the scheduler's choice: what a user sees on this machine
 *   2 clients  two clients at once, unpinned: aggregate calls per second
 *              (where several reader threads could help)
 *
 * Designs are interleaved and repeated (medians shown); results also go to
 * bench-results/channel-<stamp>.json.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { compileTools } from './bench/ctools';
import {
  REPO, Teardown, allCpusMask, describeMachine, fmt, machine, median, parseArgs, pinProcess, setKnob, startServer, table, tempDir, timeLoop,
  type StartedServer,
} from './bench/util';

interface DesignSpec {
  id: string;
  label: string;
  args: string[];
  /** The pinned figure device-channel.ts quotes, µs per statx. */
  quoted?: number;
  /** Needs FUSE over io_uring (kernel 6.14+ built with CONFIG_FUSE_IO_URING). */
  uring?: boolean;
}

const DESIGNS: DesignSpec[] = [
  { id: 'blocking', label: 'blocking read loop, main thread (ceiling)', args: ['--design', 'blocking'], quoted: 11.6 },
  { id: 'sigio', label: 'O_ASYNC + SIGIO, nonblocking reads (DeviceChannel)', args: ['--design', 'sigio'], quoted: 18.6 },
  { id: 'threadpool', label: "fs.read in the libuv pool (mode 'threadpool')", args: ['--design', 'threadpool'], quoted: 24.4 },
  { id: 'worker-post', label: 'worker, blocking reads, postMessage', args: ['--design', 'worker-post'], quoted: 27.3 },
  { id: 'worker-sab', label: 'worker, blocking reads, SAB + Atomics.waitAsync', args: ['--design', 'worker-sab'], quoted: 27.4 },
  { id: 'clone2', label: '2 cloned fds, a Session per worker thread', args: ['--design', 'clone', '--clones', '2'] },
  { id: 'clone4', label: '4 cloned fds, a Session per worker thread', args: ['--design', 'clone', '--clones', '4'] },
  { id: 'spin50', label: 'experiment: SIGIO, then 50 µs busy-poll when dry', args: ['--design', 'sigio-spin', '--spin', '50'] },
  { id: 'spin200', label: 'experiment: SIGIO, then 200 µs busy-poll when dry', args: ['--design', 'sigio-spin', '--spin', '200'] },
  // FUSE over io_uring (channel-uring.ts): both hold the main thread for good, as 'blocking' does.
  { id: 'uring-block', label: 'experiment: io_uring, io_uring_enter submit+wait (ceiling)', args: ['--design', 'uring-block'], uring: true },
  { id: 'uring-spin', label: 'experiment: io_uring, polling the completion ring (ceiling)', args: ['--design', 'uring-spin'], uring: true },
  { id: 'uring-block-defer', label: 'experiment: io_uring submit+wait, DEFER_TASKRUN', args: ['--design', 'uring-block', '--taskrun', 'defer'], uring: true },
  { id: 'uring-spin-coop', label: 'experiment: io_uring polling, COOP_TASKRUN', args: ['--design', 'uring-spin', '--taskrun', 'coop'], uring: true },
  { id: 'uring-spin-defer', label: 'experiment: io_uring polling, DEFER_TASKRUN', args: ['--design', 'uring-spin', '--taskrun', 'defer'], uring: true },
];

const URING_KNOB = '/sys/module/fuse/parameters/enable_uring';

function startDesign(td: Teardown, d: DesignSpec, mnt: string, log: string): Promise<StartedServer> {
  const script = path.join(REPO, 'dist', 'scripts', 'bench', 'channel-server.js');
  return startServer(td, d.id, [process.execPath, script, ...d.args, '--mnt', mnt], mnt, log, { stdin: 'ignore', mountMs: 10000, readyMs: 2000 });
}

type Figures = { mean_us: number; p99_us: number; calls: number };

/** Two clients at once: aggregate calls per second. */
async function twoClients(bin: string, file: string, secs: number): Promise<number> {
  const one = (): Promise<number> =>
    new Promise((resolve) => {
      const c = spawn(bin, [file, String(secs)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      c.stdout.on('data', (b: Buffer) => (out += b.toString()));
      // 'close', not 'exit': stdout may still hold the output when the process has exited.
      c.on('close', () => {
        try {
          const j = JSON.parse(out) as { calls: number };
          resolve(j.calls / secs);
        } catch {
          resolve(NaN);
        }
      });
    });
  const [a, b] = await Promise.all([one(), one()]);
  return a! + b!;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('run as root (it mounts)');
  const { flags } = parseArgs(process.argv.slice(2), ['rounds', 'seconds', 'designs'], 'usage: node dist/scripts/bench-channel.js [--rounds 3] [--seconds 2] [--designs a,b]\n  designs: ' + DESIGNS.map((d) => d.id).join(', '));
  const rounds = Number(flags.get('rounds') ?? 3);
  const secs = Number(flags.get('seconds') ?? 2);
  const want = flags.get('designs')?.split(',');
  const td = new Teardown();
  let designs = DESIGNS.filter((d) => !want || want.includes(d.id));
  // On for the run, restored at the end; absent where the kernel has no FUSE over io_uring.
  if (designs.some((d) => d.uring) && setKnob(td, URING_KNOB, 'Y', 'fuse.enable_uring') === null) {
    process.stderr.write(`no ${URING_KNOB}: this kernel has no FUSE over io_uring; those designs are skipped\n`);
    designs = designs.filter((d) => !d.uring);
  }
  const mach = machine();
  process.stdout.write(`bench-channel — ${describeMachine(mach)}\n`);
  const base = tempDir(td, 'devfuse-chan-');
  const tools = compileTools(base, ['statloop']);
  const res: Record<string, { pinned: number[]; unpinned: number[]; two: number[]; p99pinned: number[] }> = {};
  for (const d of designs) res[d.id] = { pinned: [], unpinned: [], two: [], p99pinned: [] };
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < designs.length; i++) {
      const d = designs[(i + r) % designs.length]!;
      process.stderr.write(`round ${r + 1}/${rounds} ${d.id}\n`);
      const mnt = path.join(base, `mnt-${d.id}`);
      fs.mkdirSync(mnt, { recursive: true });
      const s = await startDesign(td, d, mnt, path.join(base, `${d.id}.log`));
      const file = path.join(mnt, 'hello');
      try {
        const u = timeLoop<Figures>(tools.statloop, file, secs, false);
        if (u) res[d.id]!.unpinned.push(u.mean_us);
        pinProcess(s.child.pid!, '1');
        const p = timeLoop<Figures>(tools.statloop, file, secs, true);
        pinProcess(s.child.pid!, allCpusMask());
        if (p) {
          res[d.id]!.pinned.push(p.mean_us);
          res[d.id]!.p99pinned.push(p.p99_us);
        }
        res[d.id]!.two.push(await twoClients(tools.statloop, file, secs));
      } finally {
        s.stop();
      }
    }
  }
  const rows = designs.map((d) => {
    const x = res[d.id]!;
    const pin = median(x.pinned);
    return [d.label, fmt(pin), fmt(median(x.p99pinned)), fmt(median(x.unpinned)), fmt(median(x.two) / 1000), d.quoted === undefined ? '' : fmt(d.quoted), d.quoted === undefined ? '' : fmt(pin / d.quoted)];
  });
  process.stdout.write(`\nµs per statx (LOOKUP + GETATTR), medians of ${rounds} rounds of ${secs} s\n`);
  process.stdout.write(`${table(['design', 'pinned', 'p99 pinned', 'unpinned', '2 clients kcalls/s', 'quoted pinned', 'measured/quoted'], rows)}\n`);
  const out = path.join(REPO, 'bench-results');
  fs.mkdirSync(out, { recursive: true });
  const f = path.join(out, `channel-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(f, `${JSON.stringify({ machine: mach, rounds, seconds: secs, designs: designs.map((d) => ({ ...d, ...res[d.id] })) }, null, 1)}\n`);
  process.stdout.write(`\nSaved ${path.relative(process.cwd(), f)}\n`);
  td.run();
}

main().catch((e: unknown) => {
  process.stderr.write(`bench-channel: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
