/**
 * Shared plumbing of the benchmark scripts (bench.ts, bench-channel.ts,
 * soak.ts): running commands, the mount table, teardown that survives
 * Ctrl-C and failures, statistics, tables, and the machine description.
 *
 * Nothing here touches a FUSE mount itself except through child processes
 * and the mount table: the benchmarking process never serves a mount, but
 * it also keeps its own syscalls off the mounts so that a wedged server
 * cannot wedge the process that has to clean up after it.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnSyncOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The repository root (dist/scripts/bench/util.js → ../../..). */
export const REPO = path.resolve(__dirname, '..', '..', '..');

// ------------------------------------------------------------------ commands

export interface RunResult {
  status: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion and returns what it printed; never throws on a non-zero exit. */
export function run(cmd: string, args: readonly string[], opts: SpawnSyncOptions = {}): RunResult {
  const r = spawnSync(cmd, args as string[], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });
  if (r.error) return { status: null, signal: null, stdout: '', stderr: String(r.error.message) };
  return { status: r.status, signal: r.signal, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

/** Runs a command and returns its stdout; throws with its stderr when it fails. */
export function runOk(cmd: string, args: readonly string[], opts: SpawnSyncOptions = {}): string {
  const r = run(cmd, args, opts);
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.signal ?? `exit ${r.status}`}): ${r.stderr.trim() || r.stdout.trim()}`);
  }
  return r.stdout;
}

/** Whether a command is on PATH. */
export function have(cmd: string): boolean {
  return run('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** A synchronous sleep (teardown runs in 'exit' handlers, where nothing asynchronous happens any more). */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// --------------------------------------------------------------- mount table

/** Mountpoints currently in the mount table with their fstype, read without touching any mount. */
export function mountTable(): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const parts = line.split(' ');
    const sep = parts.indexOf('-');
    if (sep < 0 || parts.length < 5) continue;
    // mountinfo escapes space, tab, newline and backslash as octal.
    const mp = parts[4]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    m.set(mp, parts[sep + 1] ?? '');
  }
  return m;
}

export function isMounted(mountpoint: string): boolean {
  return mountTable().has(mountpoint);
}

/** Waits until a FUSE mount appears at `mountpoint` (its server answered INIT shortly after). */
export async function waitForMount(mountpoint: string, timeoutMs: number, alive: () => boolean): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const t = mountTable().get(mountpoint);
    if (t !== undefined && t.startsWith('fuse')) return;
    if (!alive()) throw new Error(`the server for ${mountpoint} exited before mounting`);
    await sleep(20);
  }
  throw new Error(`no mount at ${mountpoint} after ${timeoutMs} ms`);
}

/**
 * Unmounts whatever is at `mountpoint`, lazily so that a busy or dead mount
 * cannot stop the teardown, and aborts the FUSE connection if the mount is
 * a FUSE mount whose server is stuck (the kernel then fails every request
 * and the mount goes away).
 */
export function forceUnmount(mountpoint: string): void {
  for (let i = 0; i < 3 && isMounted(mountpoint); i++) {
    if (i === 1) abortFuseConnection(mountpoint);
    run('umount', ['-l', mountpoint]);
  }
}

function abortFuseConnection(mountpoint: string): void {
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const parts = line.split(' ');
    if (parts[4] !== mountpoint) continue;
    const minor = parts[2]?.split(':')[1];
    if (minor === undefined) continue;
    try {
      fs.writeFileSync(`/sys/fs/fuse/connections/${minor}/abort`, '1');
    } catch {
      // not a FUSE mount, or already gone
    }
  }
}

// ------------------------------------------------------------------ teardown

/**
 * Cleanup actions run once, last registered first, on normal exit, on
 * SIGINT/SIGTERM/SIGHUP and on an uncaught error. They are synchronous
 * because an 'exit' handler cannot wait for anything.
 */
export class Teardown {
  private readonly actions: { what: string; fn: () => void }[] = [];
  private done = false;

  constructor() {
    const onSignal = (sig: NodeJS.Signals): void => {
      process.stderr.write(`\n${sig}: cleaning up\n`);
      this.run();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('SIGHUP', onSignal);
    process.on('exit', () => this.run());
    process.on('uncaughtException', (e) => {
      process.stderr.write(`error: ${e.stack ?? e.message}\n`);
      this.run();
      process.exit(1);
    });
    process.on('unhandledRejection', (e) => {
      process.stderr.write(`error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      this.run();
      process.exit(1);
    });
  }

  /** Registers an action; returns a function that runs it now (and removes it). */
  add(what: string, fn: () => void): () => void {
    const a = { what, fn };
    this.actions.push(a);
    return () => {
      const i = this.actions.indexOf(a);
      if (i < 0) return;
      this.actions.splice(i, 1);
      a.fn();
    };
  }

  run(): void {
    if (this.done) return;
    this.done = true;
    while (this.actions.length > 0) {
      const a = this.actions.pop()!;
      try {
        a.fn();
      } catch (e) {
        process.stderr.write(`cleanup (${a.what}) failed: ${(e as Error).message}\n`);
      }
    }
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes `value` to a kernel parameter (a /sys or /proc file) for the run and
 * registers the old value's restoration with `td`. Returns the old value, or
 * null when the parameter is missing or the write is refused.
 */
export function setKnob(td: Teardown, knob: string, value: string, what: string): string | null {
  let old: string;
  try {
    old = fs.readFileSync(knob, 'utf8').trim();
    fs.writeFileSync(knob, value);
  } catch {
    return null;
  }
  td.add(`restore ${what}`, () => fs.writeFileSync(knob, old));
  return old;
}

/** Sends SIGTERM to a process, waits for it, then SIGKILL. Synchronous (teardown). */
export function killAndWait(pid: number, graceMs = 3000): void {
  const alive = (): boolean => {
    try {
      process.kill(pid, 0);
      // A zombie (exited, not yet reaped by us) counts as gone.
      const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      return !/\) Z /.test(st);
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const end = Date.now() + graceMs;
  while (alive() && Date.now() < end) sleepSync(20);
  if (alive()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

// ------------------------------------------------------------------- process

/** VmRSS of a process in KiB (from /proc/<pid>/status), or NaN if it is gone. */
export function rssKiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

/** Sets the CPU affinity of every thread of a process (taskset -a). */
export function pinProcess(pid: number, mask: string): void {
  runOk('taskset', ['-a', '-p', mask, String(pid)]);
}

/** All CPUs of the machine, as a taskset mask. */
export function allCpusMask(): string {
  return ((1n << BigInt(os.cpus().length)) - 1n).toString(16);
}

/** Drops the page cache (1), dentries and inodes (2) or both (3). Needs root; quietly skipped otherwise. */
export function dropCaches(what: 1 | 2 | 3): void {
  run('sync', []);
  try {
    fs.writeFileSync('/proc/sys/vm/drop_caches', String(what));
  } catch {
    // not root: the workload then runs warm, which the report says nothing about
  }
}

// ---------------------------------------------------------------- statistics

export function median(xs: readonly number[]): number {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

/** The p-th percentile (0..100) of sorted values, nearest rank. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

// --------------------------------------------------------------------- text

/** A plain-text table: the first column left-aligned, the others right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: readonly string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  return [fmt(header), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(fmt)].join('\n');
}

/** A markdown table (for docs/performance.md), same layout. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (r: readonly string[]): string => `| ${r.join(' | ')} |`;
  return [line(header), `|${header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`, ...rows.map(line)].join('\n');
}

/** Three significant digits, no exponent for the magnitudes a benchmark prints. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return '—';
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toString();
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toFixed(3);
}

// ------------------------------------------------------------------- machine

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  os: string;
  hypervisor: string | null;
  /**
   * Whether an idle CPU polls before it halts (cpuidle-haltpoll in a KVM
   * guest, haltpoll.guest_halt_poll_ns), in ns; null where there is no such
   * setting. At 0 every wake-up of an idle vCPU is a trip through the host,
   * tens of µs: it moves every latency figure (devfuse's unpinned round trip
   * 39 µs at 0, 13 µs at 200,000).
   */
  haltPollNs: number | null;
  date: string;
}

export const HALT_POLL_KNOB = '/sys/module/haltpoll/parameters/guest_halt_poll_ns';

/** guest_halt_poll_ns where the haltpoll cpuidle driver runs, else null. */
export function haltPollNs(): number | null {
  try {
    if (fs.readFileSync('/sys/devices/system/cpu/cpuidle/current_driver', 'utf8').trim() !== 'haltpoll') return null;
    return Number(fs.readFileSync(HALT_POLL_KNOB, 'utf8').trim());
  } catch {
    return null;
  }
}

export function machine(): Machine {
  const cpus = os.cpus();
  let osName = os.type();
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(fs.readFileSync('/etc/os-release', 'utf8'));
    if (m) osName = m[1]!;
  } catch {
    // no os-release
  }
  const lscpu = run('lscpu', []).stdout;
  const hv = /Hypervisor vendor:\s*(.+)/.exec(lscpu)?.[1]?.trim() ?? null;
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.release()} ${os.arch()}`,
    node: process.version,
    os: osName,
    hypervisor: hv,
    haltPollNs: haltPollNs(),
    date: new Date().toISOString(),
  };
}

export function describeMachine(m: Machine): string {
  const poll = m.haltPollNs === null ? '' : `, guest halt polling ${m.haltPollNs === 0 ? 'off' : `${m.haltPollNs / 1000} µs`}`;
  return `${m.cpu}, ${m.cores} CPUs${m.hypervisor ? ` (${m.hypervisor} guest${poll})` : poll}, ${m.memoryGiB} GiB; Linux ${m.kernel}; ${m.os}; Node ${m.node}; ${m.date}`;
}

// -------------------------------------------------------------- command line

/**
 * `--name value`, `--name=value` and bare `--flag`; everything else
 * positional. Only the `known` flags are accepted (a mistyped one exits 2
 * with its name, not a silently different run); `--help` prints `usage`
 * and exits.
 */
export function parseArgs(
  argv: readonly string[],
  known: readonly string[],
  usage?: string,
): { flags: Map<string, string>; positional: string[] } {
  const flags = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') {
      // A long run must not start because its caller asked what it does.
      process.stdout.write(`${usage ?? `flags: ${known.map((k) => `--${k}`).join(' ')}`}\n`);
      process.exit(0);
    }
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (!known.includes(name)) {
      process.stderr.write(`${path.basename(process.argv[1] ?? 'script')}: unknown flag --${name} (known: ${known.map((k) => `--${k}`).join(' ')}; --help)\n`);
      process.exit(2);
    }
    if (eq > 0) flags.set(name, a.slice(eq + 1));
    else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) flags.set(name, argv[++i]!);
    else flags.set(name, '');
  }
  return { flags, positional };
}

/**
 * How a benchmark's filesystem server learns to stop: SIGTERM, SIGINT and,
 * with `watchStdin` (started by a benchmark), its end of the stdin pipe
 * closing, which means the benchmark is gone. `stop` runs once.
 */
export function stopWhenAsked(stop: () => void, watchStdin: boolean): void {
  let stopping = false;
  const once = (): void => {
    if (stopping) return;
    stopping = true;
    stop();
  };
  process.on('SIGTERM', once);
  process.on('SIGINT', once);
  if (watchStdin) {
    process.stdin.on('end', once);
    process.stdin.on('error', once);
    process.stdin.resume();
  }
}

/**
 * Makes a fresh temporary directory (named with this pid) and registers its
 * removal. First removes what a run killed outright (SIGKILL: no teardown)
 * left behind: directories of the same prefix whose pid is gone, with the
 * tmpfs under them unmounted; never one with a FUSE mount still below it.
 */
export function tempDir(td: Teardown, prefix: string): string {
  for (const name of fs.readdirSync(os.tmpdir())) {
    const m = new RegExp(`^${prefix}(\\d+)-`).exec(name);
    if (!m || pidAlive(Number(m[1]))) continue;
    const stale = path.join(os.tmpdir(), name);
    const below = [...mountTable().entries()].filter(([mp]) => mp.startsWith(`${stale}/`));
    if (below.some(([, type]) => type.startsWith('fuse'))) continue;
    for (const [mp] of below) run('umount', ['-l', mp]);
    fs.rmSync(stale, { recursive: true, force: true });
  }
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}${process.pid}-`));
  td.add(`remove ${d}`, () => {
    // Only if nothing is mounted below it any more: never recurse into a live mount.
    for (const mp of mountTable().keys()) if (mp.startsWith(`${d}/`)) return;
    fs.rmSync(d, { recursive: true, force: true });
  });
  return d;
}

/** fuse-native's options for a benchmark's server: no request timeout, its fsname, `--timeouts0` as 0 s caches. */
export function fuseNativeOptions(fsname: string, flags: { has(name: string): boolean }): Record<string, unknown> {
  const opts: Record<string, unknown> = { timeout: false, fsname };
  if (flags.has('timeouts0')) {
    opts.attrTimeout = '0';
    opts.entryTimeout = '0';
  }
  return opts;
}

/**
 * Mounts a fuse-native (or devfuse/fuse-native) instance for a benchmark: `READY <pid>` on
 * stdout once mounted, exit 1 naming `name` if mounting fails, and when asked to stop a lazy
 * umount(8) (fuse-native unmounts with libfuse 2's fusermount, which may be absent; root has umount).
 */
export function mountForBench(fuse: { mount(cb: (err: Error | null) => void): void }, name: string, mnt: string, watchStdin: boolean): void {
  fuse.mount((err) => {
    if (err) {
      process.stderr.write(`${name}: mount failed: ${err.message}\n`);
      process.exit(1);
    }
    process.stdout.write(`READY ${process.pid}\n`);
  });
  stopWhenAsked(() => {
    spawnSync('umount', ['-l', mnt]);
    process.exit(0);
  }, watchStdin);
}

export interface StartedServer {
  child: ChildProcess;
  stop: () => void;
}

/**
 * Starts a benchmark's server, `cmd`, with its output appended to `log`:
 * killed if the benchmark dies (setpriv --pdeathsig KILL), waited for until
 * its mount is up (`mountMs`) and it printed READY (`readyMs` at most).
 * `stop` unmounts and kills it; the teardown does so too if the run fails.
 * `stdin: 'pipe'` keeps stdin open for servers that stop when it closes.
 */
export async function startServer(td: Teardown, id: string, cmd: readonly string[], mnt: string, log: string, o: { stdin: 'pipe' | 'ignore'; mountMs: number; readyMs: number }): Promise<StartedServer> {
  const out = fs.openSync(log, 'a');
  const argv = have('setpriv') ? ['setpriv', '--pdeathsig', 'KILL', '--', ...cmd] : [...cmd];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: [o.stdin, out, out] });
  fs.closeSync(out);
  let exited = false;
  child.on('exit', () => (exited = true));
  const stop = td.add(`stop ${id}`, () => {
    // Unmounting ends any server, one blocked in a read of the device included (ENODEV).
    forceUnmount(mnt);
    if (child.pid !== undefined) killAndWait(child.pid, 2000);
  });
  try {
    await waitForMount(mnt, o.mountMs, () => !exited);
    for (let i = 0; i < o.readyMs / 10 && !fs.readFileSync(log, 'utf8').includes('READY'); i++) await sleep(10);
    await sleep(100);
  } catch (e) {
    stop();
    throw new Error(`${id}: ${(e as Error).message}\n${fs.readFileSync(log, 'utf8').slice(-800)}`);
  }
  return { child, stop };
}

/** Runs one of ctools' timing loops on `file` for `secs` s (on CPU 0 when `pinned`): its JSON figures, or null with the reason on stderr. */
export function timeLoop<T>(bin: string, file: string, secs: number, pinned: boolean): T | null {
  const args = [file, String(secs)];
  const r = pinned ? run('taskset', ['1', bin, ...args], { timeout: 60000 }) : run(bin, args, { timeout: 60000 });
  if (r.status !== 0) {
    process.stderr.write(`${path.basename(bin)} failed: ${r.stderr.trim()}\n`);
    return null;
  }
  return JSON.parse(r.stdout) as T;
}

