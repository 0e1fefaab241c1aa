/**
 * devfuse against its peers, side by side, in one run:
 *
 *   npm run bench                        # as root, on Linux; ~10 minutes
 *   node dist/scripts/bench.js --rounds 1 --workloads rt,meta --peers devfuse,passthrough_ll
 *
 * Every filesystem serves its own directory of one tmpfs (memfs serves
 * itself) and is mounted by its own process; the workloads are C programs,
 * fio and ls run as separate processes, so the benchmarking process neither
 * serves a mount nor times anything through its own event loop.
 *
 * This VM-class machine is noisy, so the workloads are interleaved across
 * the peers (each workload runs on every peer before the next workload,
 * the peer order rotating each round) and repeated; the tables show the
 * median of the rounds, and every ratio devfuse/peer. A ratio is always
 * "how many times faster devfuse is": throughput devfuse/peer, times
 * peer/devfuse, so above 1 means devfuse wins.
 *
 * Flags: USAGE below (`--help` prints it).
 *
 * Output: the tables on stdout, and OUT/<stamp>.json (everything, every
 * round), OUT/<stamp>.svg (the ratios), OUT/<stamp>.md (the tables for
 * docs/performance.md, with the machine they came from).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ratioChart, type ChartGroup } from './bench/chart';
import { parseMountOptions, sessionOptionsFromMountOptions } from '../src';
import { compilePassthroughLl, compileTools, PASSTHROUGH_LL_SOURCE } from './bench/ctools';
import { baselinePeers, binaries, optionVariant, PEERS, runsWorkload, Server, WORKLOADS, type PeerSpec, type WorkloadId } from './bench/peers';
import {
  HALT_POLL_KNOB, REPO, Teardown, allCpusMask, describeMachine, dropCaches, fmt, forceUnmount, haltPollNs, have, machine, markdownTable, median,
  parseArgs, pinProcess, rssKiB, run, runOk, setKnob, sleep, table, tempDir,
} from './bench/util';

// ------------------------------------------------------------------ metrics

interface Target {
  peer: string;
  /** devfuse must be at least this many times as fast as the peer. */
  ratio: number;
  /** The devfuse variant the target is stated for (default: devfuse, the passthrough with default options). */
  variant?: string;
}

interface Metric {
  id: string;
  label: string;
  unit: string;
  better: 'higher' | 'lower';
  workload: WorkloadId;
  targets: Target[];
}

const vsC = (r: number): Target => ({ peer: 'passthrough_ll', ratio: r });
const vsFn = (r: number): Target => ({ peer: 'fuse-native', ratio: r });
// devfuse/fuse-native runs fuse-native's own passthrough program: 3× fuse-native on every workload.
const FN_DROP_IN: Target = { peer: 'fuse-native', ratio: 3, variant: 'devfuse-fuse-native' };
// The path layer over the inode API: at most 10% slower than the inode passthrough (devfuse ÷ path ≥ 1/1.1).
const PATH_COST: Target = { peer: 'devfuse', ratio: 1 / 1.1, variant: 'devfuse-path' };
const LATENCY_TARGETS = [vsC(0.7), vsFn(3), FN_DROP_IN];
const PATHED_TARGETS = [...LATENCY_TARGETS, PATH_COST];
// ls -l asks two xattrs per entry of a filesystem that has them: also stated with xattrs off on both sides.
const LS_TARGETS = [...LATENCY_TARGETS, { peer: 'fuse-native-noxattr', ratio: 3, variant: 'devfuse-noxattr' }];
// With FUSE_PASSTHROUGH the kernel does the I/O on the source files: stated against the tmpfs underneath.
const SEQ_TARGETS = [vsC(0.9), { peer: 'tmpfs', ratio: 0.8, variant: 'devfuse-kpass' }, FN_DROP_IN];

const METRICS: Metric[] = [
  { id: 'seq_write', label: 'seq write 1 MiB, buffered', unit: 'MB/s', better: 'higher', workload: 'seq', targets: SEQ_TARGETS },
  { id: 'seq_read', label: 'seq read 1 MiB, buffered', unit: 'MB/s', better: 'higher', workload: 'seq', targets: SEQ_TARGETS },
  { id: 'seq_write_direct', label: 'seq write 1 MiB, O_DIRECT', unit: 'MB/s', better: 'higher', workload: 'seq', targets: SEQ_TARGETS },
  { id: 'seq_read_direct', label: 'seq read 1 MiB, O_DIRECT', unit: 'MB/s', better: 'higher', workload: 'seq', targets: SEQ_TARGETS },
  { id: 'rand_qd1_iops', label: 'rand read 4 KiB QD1', unit: 'IOPS', better: 'higher', workload: 'rand', targets: LATENCY_TARGETS },
  { id: 'rand_qd1_lat', label: 'rand read 4 KiB QD1 latency', unit: 'µs', better: 'lower', workload: 'rand', targets: [] },
  { id: 'rand_qd16_iops', label: 'rand read 4 KiB QD16', unit: 'IOPS', better: 'higher', workload: 'rand', targets: LATENCY_TARGETS },
  { id: 'rand_qd16_lat', label: 'rand read 4 KiB QD16 latency', unit: 'µs', better: 'lower', workload: 'rand', targets: [] },
  { id: 'meta_total', label: 'create+stat+unlink 10k files', unit: 's', better: 'lower', workload: 'meta', targets: PATHED_TARGETS },
  { id: 'meta_create', label: '  of which create', unit: 's', better: 'lower', workload: 'meta', targets: [] },
  { id: 'meta_stat', label: '  of which stat', unit: 's', better: 'lower', workload: 'meta', targets: [] },
  { id: 'meta_unlink', label: '  of which unlink', unit: 's', better: 'lower', workload: 'meta', targets: [] },
  { id: 'ls_l', label: 'ls -l of 10k entries (cold)', unit: 's', better: 'lower', workload: 'ls', targets: LS_TARGETS },
  { id: 'rt', label: 'stat round trip, timeouts 0', unit: 'µs', better: 'lower', workload: 'rt', targets: PATHED_TARGETS },
  { id: 'rt_pinned', label: 'stat round trip, 1 CPU', unit: 'µs', better: 'lower', workload: 'rt', targets: PATHED_TARGETS },
];

// ------------------------------------------------------------------ config

interface Config {
  rounds: number;
  workloads: WorkloadId[];
  peerIds: string[] | null;
  install: boolean;
  out: string;
  cpuProf: boolean;
  /** Leave the guest's free page reporting on (holdPageReporting). */
  keepPageReporting: boolean;
  /** guest_halt_poll_ns for the run (null: as the machine has it). */
  haltPoll: number | null;
  /** Devfuse variants named on the command line (--variant), run whatever --peers says. */
  variants: PeerSpec[];
  seqMiB: number;
  seqDeadline: number;
  randMiB: number;
  randSeconds: number;
  metaFiles: number;
  lsFiles: number;
  rtSeconds: number;
}

const USAGE = `usage: node dist/scripts/bench.js [flags]  (npm run bench)

  --rounds N            repetitions (default 3)
  --workloads a,b       subset of seq,rand,meta,ls,rt (default all)
  --peers a,b           subset of the peers (default all that can run)
  --quick               1 round, smaller sizes: a smoke run in about a minute
  --no-install          do not apt-get/npm install what is missing; skip those peers
  --out DIR             where results go (default bench-results/)
  --cpu-prof            run the devfuse servers under node --cpu-prof (profiles in OUT/profiles-<stamp>/)
  --keep-page-reporting leave the VM's free page reporting on (see holdPageReporting)
  --variant NAME:OPTS   also a devfuse passthrough with -o OPTS, labelled "devfuse NAME";
                        several separated by ";" (e.g. "noplus:readdirplus=no;mw128k:max_write=131072")
  --baseline DIR        also the peer "devfuse base" (id devfuse-base): the devfuse passthrough
                        as built in the checkout DIR (e.g. a git worktree of an older commit,
                        npm ci'd there), so that one run compares a change with the code before it;
                        and "devfuse/fuse-native base" (devfuse-fuse-native-base) where DIR has it
  --halt-poll NS        a KVM guest's idle CPUs poll NS ns before halting, for the run
                        (haltpoll.guest_halt_poll_ns, restored at the end): figures as on
                        a machine whose idle CPUs wake cheaply (see docs/performance.md)`;

function nonNegative(v: string, what: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${what} needs a whole number of ns, not ${JSON.stringify(v)}`);
  return n;
}

/** --variant "name:opts;name2:opts2": each checked as the session would parse it, so a typo fails here, not at mount. */
function variants(spec: string | undefined): PeerSpec[] {
  if (spec === undefined) return [];
  return spec.split(';').filter((v) => v.trim()).map((v) => {
    const colon = v.indexOf(':');
    const name = v.slice(0, colon).trim();
    const options = v.slice(colon + 1).trim();
    if (colon < 1 || !/^[\w.-]+$/.test(name) || !options) throw new Error(`--variant ${JSON.stringify(v)}: expected NAME:OPTIONS, e.g. noplus:readdirplus=no`);
    if (PEERS.some((p) => p.id === `devfuse-${name}`)) throw new Error(`--variant ${name}: a peer devfuse-${name} exists already`);
    try {
      sessionOptionsFromMountOptions(parseMountOptions(options).rest);
    } catch (e) {
      throw new Error(`--variant ${name}: ${(e as Error).message}`);
    }
    return optionVariant(name, options);
  });
}

function config(): Config {
  const { flags } = parseArgs(process.argv.slice(2), ['rounds', 'workloads', 'peers', 'quick', 'no-install', 'out', 'cpu-prof', 'keep-page-reporting', 'halt-poll', 'variant', 'baseline'], USAGE);
  if (flags.has('baseline')) PEERS.push(...baselinePeers(path.resolve(flags.get('baseline')!)));
  const quick = flags.has('quick');
  const list = (k: string): string[] | null => (flags.has(k) ? flags.get(k)!.split(',').map((s) => s.trim()).filter(Boolean) : null);
  const workloads = (list('workloads') ?? WORKLOADS) as WorkloadId[];
  for (const w of workloads) if (!WORKLOADS.includes(w)) throw new Error(`unknown workload ${w} (have ${WORKLOADS.join(', ')})`);
  // A peer by its id (devfuse-base) or its label ("devfuse base").
  const peerIds = list('peers')?.map((p) => PEERS.find((s) => s.label === p)?.id ?? p) ?? null;
  for (const p of peerIds ?? []) if (!PEERS.some((s) => s.id === p)) throw new Error(`unknown peer ${p} (have ${PEERS.map((s) => s.id).join(', ')})`);
  return {
    rounds: flags.has('rounds') ? Math.max(1, Number(flags.get('rounds'))) : quick ? 1 : 3,
    workloads,
    peerIds,
    install: !flags.has('no-install'),
    out: path.resolve(flags.get('out') ?? path.join(REPO, 'bench-results')),
    cpuProf: flags.has('cpu-prof'),
    keepPageReporting: flags.has('keep-page-reporting'),
    variants: variants(flags.get('variant')),
    haltPoll: flags.has('halt-poll') ? nonNegative(flags.get('halt-poll')!, '--halt-poll') : null,
    seqMiB: quick ? 256 : 1024,
    seqDeadline: quick ? 4 : 10,
    randMiB: quick ? 64 : 256,
    randSeconds: quick ? 1 : 3,
    metaFiles: quick ? 2000 : 10000,
    lsFiles: quick ? 2000 : 10000,
    rtSeconds: quick ? 0.5 : 2,
  };
}

// ------------------------------------------------------------------- setup

/** What could not be set up, said plainly in the report. */
const missing: string[] = [];

function installed(pkg: string): boolean {
  return run('dpkg-query', ['-W', '-f=${Status}', pkg]).stdout.includes('install ok installed');
}

/** Installs the Debian packages and the npm peer the run needs; returns the peers that cannot run. */
function ensureDeps(cfg: Config): Set<string> {
  const unavailable = new Set<string>();
  const want: Record<string, string> = { gcc: 'gcc', fio: 'fio', bindfs: 'bindfs', libfuse2: 'libfuse2', 'libfuse3-dev': 'libfuse3-dev', 'pkg-config': 'pkg-config' };
  const absent = Object.values(want).filter((p) => !installed(p));
  if (absent.length > 0) {
    if (cfg.install && have('apt-get')) {
      process.stderr.write(`installing with apt-get: ${absent.join(' ')}\n`);
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      run('apt-get', ['update', '-qq'], { env, stdio: 'ignore' });
      const r = run('apt-get', ['install', '-y', '-qq', ...absent], { env });
      if (r.status !== 0) process.stderr.write(`apt-get install failed: ${r.stderr.trim().split('\n').slice(-3).join('\n')}\n`);
    }
    for (const p of absent) if (!installed(p)) missing.push(`Debian package ${p} is not installed${cfg.install ? ' and apt-get could not install it' : ' (--no-install)'}`);
  }
  if (!have('gcc')) throw new Error('gcc is needed to build the benchmark clients (apt-get install gcc)');
  if (!installed('fio') && cfg.workloads.includes('rand')) throw new Error('fio is needed for the random-read workload (apt-get install fio)');
  if (!have('bindfs')) unavailable.add('bindfs');
  if (!fs.existsSync(PASSTHROUGH_LL_SOURCE) || !installed('libfuse3-dev')) unavailable.add('passthrough_ll');
  const fn = path.join(REPO, '.bench', 'node_modules', 'fuse-native');
  const fnPeers = PEERS.filter((s) => s.kind === 'fuse-native').map((s) => s.id);
  const wantsFn = cfg.peerIds === null || fnPeers.some((id) => cfg.peerIds!.includes(id));
  if (wantsFn && !fs.existsSync(fn) && cfg.install) {
    // A scratch install outside the repo's package.json: the benchmark's peer is not a devfuse dependency.
    process.stderr.write('installing fuse-native@2.2.6 into .bench/ (npm)\n');
    const r = run('npm', ['install', '--prefix', path.join(REPO, '.bench'), '--no-audit', '--no-fund', '--no-save', 'fuse-native@2.2.6'], { cwd: REPO });
    if (r.status !== 0) missing.push(`npm install fuse-native@2.2.6 failed: ${r.stderr.trim().split('\n').slice(-2).join(' ')}`);
  }
  if (!fs.existsSync(fn)) {
    for (const id of fnPeers) unavailable.add(id);
    if (wantsFn && !cfg.install) missing.push('fuse-native is not installed in .bench/ (--no-install)');
  } else if (!installed('libfuse2')) {
    for (const id of fnPeers) unavailable.add(id);
    missing.push('fuse-native needs the system libfuse 2 (Debian libfuse2), which is not installed');
  }
  for (const p of unavailable) if (cfg.peerIds === null || cfg.peerIds.includes(p)) missing.push(`peer ${p} skipped`);
  return unavailable;
}

// ----------------------------------------------------------------- running

interface Peer {
  spec: PeerSpec;
  /** Where its workloads run: the mountpoint (or the tmpfs directory). */
  dir: string;
  /** Its directory on the tmpfs underneath (memfs: none). */
  source: string;
  server: Server | null;
  /** The mount with entry/attr timeouts 0, for the round-trip workload. */
  rtDir: string;
  rtServer: Server | null;
}

type Results = Record<string, Record<string, number[]>>;

interface Ctx {
  cfg: Config;
  tools: Record<'statloop' | 'seqio' | 'meta', string>;
  results: Results;
  errors: string[];
  /** Per-round extra detail for the JSON (latency percentiles...). */
  detail: Record<string, unknown>[];
}

function record(ctx: Ctx, metric: string, peer: string, v: number): void {
  ((ctx.results[metric] ??= {})[peer] ??= []).push(v);
}

/** Runs a client program; parses its one-line JSON output. Failures are recorded, not thrown. */
function client(ctx: Ctx, what: string, cmd: string, args: string[], timeoutMs: number): Record<string, number> | null {
  const r = run(cmd, args, { timeout: timeoutMs });
  if (r.status !== 0) {
    ctx.errors.push(`${what}: ${r.signal ? `killed by ${r.signal} (timeout ${timeoutMs / 1000} s?)` : `exit ${r.status}`}: ${r.stderr.trim().split('\n').slice(-2).join(' ')}`);
    return null;
  }
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number>;
  } catch {
    ctx.errors.push(`${what}: unreadable output ${JSON.stringify(r.stdout.slice(0, 200))}`);
    return null;
  }
}

function seq(ctx: Ctx, p: Peer): void {
  const { cfg, tools } = ctx;
  const file = path.join(p.dir, 'seq.bin');
  for (const direct of [0, 1]) {
    const suffix = direct ? '_direct' : '';
    const w = client(ctx, `${p.spec.id} seq write${suffix}`, tools.seqio, ['write', file, String(cfg.seqMiB), '1024', String(direct), String(cfg.seqDeadline)], 120_000);
    if (w) record(ctx, `seq_write${suffix}`, p.spec.id, w.bytes! / w.seconds! / 1e6);
    // Cold reads: nothing of the file may come from the mount's page cache.
    dropCaches(1);
    const r = client(ctx, `${p.spec.id} seq read${suffix}`, tools.seqio, ['read', file, String(cfg.seqMiB), '1024', String(direct), String(cfg.seqDeadline)], 120_000);
    if (r) record(ctx, `seq_read${suffix}`, p.spec.id, r.bytes! / r.seconds! / 1e6);
  }
  run('rm', ['-f', file], { timeout: 60_000 });
}

function rand(ctx: Ctx, p: Peer): void {
  const file = path.join(p.dir, 'rand.bin');
  for (const qd of [1, 16]) {
    const args = [
      '--name=rand', `--filename=${file}`, '--rw=randread', '--bs=4k', '--direct=1', '--ioengine=libaio', `--iodepth=${qd}`,
      `--size=${ctx.cfg.randMiB}M`, `--runtime=${ctx.cfg.randSeconds}`, '--time_based', '--norandommap', '--randrepeat=0',
      '--invalidate=0', '--output-format=json',
    ];
    const r = run('fio', args, { timeout: 60_000 });
    if (r.status !== 0) {
      ctx.errors.push(`${p.spec.id} fio QD${qd}: ${r.stderr.trim().split('\n').slice(-2).join(' ')}`);
      continue;
    }
    const job = (JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as { jobs: { read: { iops: number; lat_ns: { mean: number }; clat_ns: { percentile?: Record<string, number> } } }[] }).jobs[0]!;
    record(ctx, `rand_qd${qd}_iops`, p.spec.id, job.read.iops);
    record(ctx, `rand_qd${qd}_lat`, p.spec.id, job.read.lat_ns.mean / 1000);
    ctx.detail.push({ peer: p.spec.id, workload: `rand_qd${qd}`, clat_percentiles_ns: job.read.clat_ns.percentile ?? null });
  }
}

let metaSerial = 0;

function meta(ctx: Ctx, p: Peer): void {
  const d = path.join(p.dir, `meta-${metaSerial++}`);
  const r = client(ctx, `${p.spec.id} meta`, ctx.tools.meta, [d, String(ctx.cfg.metaFiles), 'all'], 300_000);
  if (!r) {
    run('rm', ['-rf', d], { timeout: 120_000 });
    return;
  }
  record(ctx, 'meta_create', p.spec.id, r.create!);
  record(ctx, 'meta_stat', p.spec.id, r.stat!);
  record(ctx, 'meta_unlink', p.spec.id, r.unlink!);
  record(ctx, 'meta_total', p.spec.id, r.create! + r.stat! + r.unlink!);
}

async function ls(ctx: Ctx, p: Peer): Promise<void> {
  const d = path.join(p.dir, 'lsdir');
  // Cold: the mount's dentries and inodes dropped, so every entry is looked up again. The
  // FORGETs this sends are given time to drain before the clock starts.
  dropCaches(3);
  await sleep(500);
  const t0 = process.hrtime.bigint();
  const r = run('ls', ['-l', d], { timeout: 300_000, stdio: ['ignore', 'ignore', 'pipe'] });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) ctx.errors.push(`${p.spec.id} ls -l: ${r.stderr.trim()}`);
  else record(ctx, 'ls_l', p.spec.id, s);
  // Let go of the 10,000 inodes ls -l made the kernel hold: each passthrough keeps a descriptor
  // per inode, and with them and the next round's 10,000 creates a server can reach its
  // RLIMIT_NOFILE (20,000 on the machine this was written on; root could not raise it there).
  dropCaches(2);
}

function rt(ctx: Ctx, p: Peer): void {
  const file = path.join(p.rtDir, 'rt.file');
  const secs = String(ctx.cfg.rtSeconds);
  const free = client(ctx, `${p.spec.id} rt`, ctx.tools.statloop, [file, secs], 60_000);
  if (free) {
    record(ctx, 'rt', p.spec.id, free.mean_us!);
    ctx.detail.push({ peer: p.spec.id, workload: 'rt', ...free });
  }
  // Pinned: client and every server thread on CPU 0, so no request pays a cross-CPU wakeup.
  const pid = p.rtServer?.pid;
  try {
    if (pid !== undefined) pinProcess(pid, '1');
    const pinned = client(ctx, `${p.spec.id} rt pinned`, 'taskset', ['1', ctx.tools.statloop, file, secs], 60_000);
    if (pinned) {
      record(ctx, 'rt_pinned', p.spec.id, pinned.mean_us!);
      ctx.detail.push({ peer: p.spec.id, workload: 'rt_pinned', ...pinned });
    }
  } finally {
    if (pid !== undefined) pinProcess(pid, allCpusMask());
  }
}

async function runWorkload(ctx: Ctx, w: WorkloadId, p: Peer): Promise<void> {
  switch (w) {
    case 'seq':
      return seq(ctx, p);
    case 'rand':
      return rand(ctx, p);
    case 'meta':
      return meta(ctx, p);
    case 'ls':
      return ls(ctx, p);
    case 'rt':
      return rt(ctx, p);
  }
}

/** Files the workloads expect, made through the tmpfs underneath when there is one (faster, same result). */
function prepare(ctx: Ctx, p: Peer): void {
  const { cfg, tools } = ctx;
  const base = p.spec.usesSource ? p.source : p.dir;
  const wants = (w: WorkloadId): boolean => cfg.workloads.includes(w) && runsWorkload(p.spec, w);
  if (wants('rand')) runOk(tools.seqio, ['write', path.join(base, 'rand.bin'), String(cfg.randMiB), '1024', '0', '600'], { timeout: 600_000 });
  if (wants('ls')) runOk(tools.meta, [path.join(base, 'lsdir'), String(cfg.lsFiles), 'create'], { timeout: 600_000 });
  if (wants('rt')) {
    const rtBase = p.spec.usesSource ? p.source : p.rtDir;
    runOk('touch', [path.join(rtBase, 'rt.file')], { timeout: 60_000 });
  }
}

/**
 * Stops the guest's free page reporting for the run, when the kernel has it (virtio-balloon), and
 * restores it at the end. With it on, memory the guest frees (the page cache a drop_caches empties
 * between rounds) is handed back to the host within moments, and the next process to touch it pays
 * a host fault per page: that was the 0.4-0.6 against 1.5-1.8 GB/s "bimodal" sequential reads, the
 * cost landing on whichever server copied READ data into freshly reported page-cache pages (its
 * write(2) to /dev/fuse ran 2.0-2.7 s per GiB in memcpy instead of 0.55-0.65 s). An order above
 * the largest buddy order reports nothing.
 */
function holdPageReporting(td: Teardown): string | null {
  const knob = '/sys/module/page_reporting/parameters/page_reporting_order';
  const old = setKnob(td, knob, '11', 'free page reporting');
  return old === null ? null : `free page reporting held for the run (${knob}: ${old} → 11, restored at the end)`;
}

/**
 * Writes, reads and deletes twice the sequential size on the tmpfs before anything is measured. In a
 * VM, guest memory touched for the first time costs the host a page fault per page: without this the
 * peer that happens to write first in round 1 paid it (285 MB/s against 790-870 in its other rounds).
 */
function primeMemory(ctx: Ctx, root: string): void {
  const file = path.join(root, 'prime.bin');
  const mib = String(2 * ctx.cfg.seqMiB);
  runOk(ctx.tools.seqio, ['write', file, mib, '1024', '0', '600'], { timeout: 600_000 });
  runOk(ctx.tools.seqio, ['read', file, mib, '1024', '0', '600'], { timeout: 600_000 });
  fs.rmSync(file, { force: true });
}

// ------------------------------------------------------------------ report

const isDevfuse = (p: PeerSpec): boolean => p.kind === 'devfuse';

/** How many times faster `a` is than `b` on a metric (above 1: `a` wins). */
function ratio(m: Metric, a: number, b: number): number {
  return m.better === 'higher' ? a / b : b / a;
}

async function main(): Promise<void> {
  if (process.platform !== 'linux') throw new Error('the benchmark needs Linux');
  if (process.getuid?.() !== 0) throw new Error('run the benchmark as root: it mounts, drops caches and installs what is missing');
  const cfg = config();
  const td = new Teardown();
  // The parameter exists wherever the module is loaded; it acts only under the haltpoll cpuidle driver.
  if (cfg.haltPoll !== null && (haltPollNs() === null || setKnob(td, HALT_POLL_KNOB, String(cfg.haltPoll), 'guest halt polling') === null)) {
    throw new Error(`--halt-poll: this machine's idle CPUs are not run by the haltpoll cpuidle driver (a KVM guest's), or ${HALT_POLL_KNOB} cannot be set`);
  }
  const mach = machine();
  process.stdout.write(`devfuse benchmark — ${describeMachine(mach)}\n\n`);

  const unavailable = ensureDeps(cfg);
  const specs = [...PEERS.filter((s) => (cfg.peerIds === null || cfg.peerIds.includes(s.id)) && !unavailable.has(s.id)), ...cfg.variants];
  if (!specs.some(isDevfuse)) throw new Error('no devfuse peer selected');

  const base = tempDir(td, 'devfuse-bench-');
  const bin = path.join(base, 'bin');
  const logs = path.join(base, 'logs');
  const srcRoot = path.join(base, 'src');
  for (const d of [bin, logs, srcRoot, path.join(base, 'mnt'), path.join(base, 'mnt-rt')]) fs.mkdirSync(d, { recursive: true });
  // One tmpfs under every source: the same medium for all, and the ceiling itself.
  const tmpfsSize = Math.max(4, Math.min(16, Math.floor(os.totalmem() / 2 ** 30 / 2)));
  runOk('mount', ['-t', 'tmpfs', '-o', `size=${tmpfsSize}g`, 'bench-tmpfs', srcRoot]);
  td.add('unmount the tmpfs', () => forceUnmount(srcRoot));

  const tools = compileTools(bin, ['statloop', 'seqio', 'meta']);
  if (specs.some((s) => s.id === 'passthrough_ll')) binaries.passthroughLl = compilePassthroughLl(bin);

  const profDir = path.join(cfg.out, `profiles-${stamp()}`);
  const nodeArgs = cfg.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
  const peers: Peer[] = [];
  for (const spec of specs) {
    const source = path.join(srcRoot, spec.id);
    fs.mkdirSync(source);
    const mnt = path.join(base, 'mnt', spec.id);
    const rtMnt = path.join(base, 'mnt-rt', spec.id);
    const p: Peer = { spec, source, dir: source, server: null, rtDir: source, rtServer: null };
    if (spec.command) {
      fs.mkdirSync(mnt);
      process.stderr.write(`mounting ${spec.label}\n`);
      p.server = await Server.start(td, spec, source, mnt, false, logs, isDevfuse(spec) ? nodeArgs : []);
      p.dir = mnt;
      if (cfg.workloads.includes('rt') && runsWorkload(spec, 'rt')) {
        fs.mkdirSync(rtMnt);
        p.rtServer = await Server.start(td, spec, source, rtMnt, true, logs, isDevfuse(spec) ? nodeArgs : []);
        p.rtDir = rtMnt;
      }
    }
    peers.push(p);
  }
  // Idle memory of each devfuse server: mounted, INIT answered, nothing served yet.
  await sleep(500);
  const rss: Record<string, { idleMiB: number; endMiB: number }> = {};
  for (const p of peers) if (p.server && isDevfuse(p.spec)) rss[p.spec.id] = { idleMiB: rssKiB(p.server.pid) / 1024, endMiB: NaN };

  const ctx: Ctx = { cfg, tools, results: {}, errors: [], detail: [] };
  process.stderr.write('preparing files\n');
  for (const p of peers) prepare(ctx, p);
  if (cfg.workloads.includes('seq')) {
    const held = cfg.keepPageReporting ? null : holdPageReporting(td);
    if (held) process.stderr.write(`${held}\n`);
    ctx.detail.push({ pageReporting: held ?? 'left as it is' });
    primeMemory(ctx, srcRoot);
  }

  const t0 = Date.now();
  for (let r = 0; r < cfg.rounds; r++) {
    for (const w of cfg.workloads) {
      // Rotate the order each round, so no peer always runs first (or right after the slowest).
      const order = peers.map((_, i) => peers[(i + r) % peers.length]!).filter((p) => runsWorkload(p.spec, w));
      for (const p of order) {
        process.stderr.write(`round ${r + 1}/${cfg.rounds} ${w} ${p.spec.label}\n`);
        await runWorkload(ctx, w, p);
      }
    }
  }
  const elapsed = (Date.now() - t0) / 1000;
  await sleep(500);
  for (const p of peers) if (p.server && rss[p.spec.id]) rss[p.spec.id]!.endMiB = rssKiB(p.server.pid) / 1024;
  for (const p of peers) {
    await p.rtServer?.stop();
    await p.server?.stop();
  }

  report(cfg, mach, peers.map((p) => p.spec), ctx, rss, elapsed);
  td.run();
}

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-').replace(/-\d\d\dZ$/, 'Z');
}

function report(cfg: Config, mach: ReturnType<typeof machine>, specs: PeerSpec[], ctx: Ctx, rss: Record<string, { idleMiB: number; endMiB: number }>, elapsed: number): void {
  const metrics = METRICS.filter((m) => cfg.workloads.includes(m.workload));
  const med: Record<string, Record<string, number>> = {};
  for (const m of metrics) {
    med[m.id] = {};
    for (const s of specs) med[m.id]![s.id] = median(ctx.results[m.id]?.[s.id] ?? []);
  }
  const devs = specs.filter(isDevfuse);
  const others = specs.filter((s) => !isDevfuse(s));
  const ratios: Record<string, Record<string, Record<string, number>>> = {};
  for (const d of devs) {
    ratios[d.id] = {};
    for (const o of others) {
      ratios[d.id]![o.id] = {};
      for (const m of metrics) ratios[d.id]![o.id]![m.id] = ratio(m, med[m.id]![d.id]!, med[m.id]![o.id]!);
    }
  }

  const lines: string[] = [];
  const md: string[] = [];
  const machineLine = describeMachine(mach);
  lines.push(`Machine: ${machineLine}`);
  lines.push(`Medians of ${cfg.rounds} round(s), workloads interleaved across peers; ${fmt(elapsed)} s of workloads.`);
  lines.push('');
  for (const s of specs) lines.push(`  ${s.label.padEnd(15)} ${s.about}`);
  lines.push('');
  const medHeader = ['metric', 'unit', ...specs.map((s) => s.label)];
  const medRows = metrics.map((m) => [m.label, m.unit, ...specs.map((s) => fmt(med[m.id]![s.id]!))]);
  lines.push(table(medHeader, medRows));
  md.push(`Machine: ${machineLine}. Medians of ${cfg.rounds} rounds, workloads interleaved across the peers.`, '', markdownTable(medHeader, medRows), '');

  for (const d of devs) {
    const header = [`${d.label} ÷ peer (>1: ${d.label} faster)`, ...others.map((o) => o.label)];
    const rows = metrics.map((m) => [m.label, ...others.map((o) => fmt(ratios[d.id]![o.id]![m.id]!))]);
    lines.push('', table(header, rows));
    md.push(markdownTable(header, rows), '');
  }

  // Targets: stated for devfuse (the passthrough, default options) unless they name a variant; the other variants are shown for comparison.
  const verdicts: { metric: string; variant: string; peer: string; want: number; got: number; ok: boolean }[] = [];
  for (const m of metrics) {
    for (const t of m.targets) {
      for (const d of devs.filter((x) => x.id === (t.variant ?? 'devfuse'))) {
        // From the medians: a target may name another devfuse peer (the path layer against the inode API).
        const a = med[m.id]?.[d.id];
        const b = med[m.id]?.[t.peer];
        const got = a === undefined || b === undefined ? undefined : ratio(m, a, b);
        if (got === undefined || !Number.isFinite(got)) continue;
        verdicts.push({ metric: m.label, variant: d.label, peer: t.peer, want: Math.round(t.ratio * 100) / 100, got, ok: got >= t.ratio });
      }
    }
  }
  if (verdicts.length > 0) {
    const header = ['target', 'variant', 'vs', 'want ≥', 'got', ''];
    const rows = verdicts.map((v) => [v.metric, v.variant, v.peer, `${v.want}×`, `${fmt(v.got)}×`, v.ok ? 'met' : 'MISSED']);
    lines.push('', 'Targets', table(header, rows));
    md.push(markdownTable(header, rows), '');
  }
  if (Object.keys(rss).length > 0) {
    const header = ['server RSS', 'idle after mount (MiB)', 'idle after the run (MiB)', 'target idle < 60 MiB'];
    const rows = Object.entries(rss).map(([id, r]) => [specs.find((s) => s.id === id)!.label, fmt(r.idleMiB), fmt(r.endMiB), r.idleMiB < 60 ? 'met' : 'MISSED']);
    lines.push('', table(header, rows));
    md.push(markdownTable(header, rows), '');
  }
  if (missing.length > 0) lines.push('', 'Not measured:', ...missing.map((m) => `  - ${m}`));
  if (ctx.errors.length > 0) lines.push('', 'Errors:', ...ctx.errors.map((e) => `  - ${e}`));
  const text = lines.join('\n');
  process.stdout.write(`\n${text}\n`);

  fs.mkdirSync(cfg.out, { recursive: true });
  const name = stamp();
  const json = {
    machine: mach,
    config: cfg,
    peers: specs.map((s) => ({ id: s.id, label: s.label, kind: s.kind, about: s.about })),
    metrics: metrics.map(({ id, label, unit, better, workload, targets }) => ({ id, label, unit, better, workload, targets })),
    results: ctx.results,
    medians: med,
    ratios,
    targets: verdicts,
    rss,
    detail: ctx.detail,
    missing,
    errors: ctx.errors,
    elapsedSeconds: elapsed,
  };
  const jsonPath = path.join(cfg.out, `${name}.json`);
  fs.writeFileSync(jsonPath, `${JSON.stringify(json, null, 1)}\n`);
  const head = devs.find((d) => d.id === 'devfuse') ?? devs[0]!;
  const groups: ChartGroup[] = metrics
    .filter((m) => !m.id.startsWith('meta_') || m.id === 'meta_total')
    .map((m) => ({
      label: m.label,
      // tmpfs (the ceiling, 10-1000× away) would squash the scale the peers need: it stays in the tables.
      bars: others.filter((o) => o.kind !== 'tmpfs').map((o) => ({ peer: o.label, ratio: ratios[head.id]![o.id]![m.id]!, target: m.targets.find((t) => t.peer === o.id)?.ratio })),
    }));
  const svgPath = path.join(cfg.out, `${name}.svg`);
  fs.writeFileSync(svgPath, ratioChart(`${head.label} ÷ peer, medians of ${cfg.rounds} round(s)`, machineLine, groups));
  const mdPath = path.join(cfg.out, `${name}.md`);
  fs.writeFileSync(mdPath, `${md.join('\n')}\n`);
  process.stdout.write(`\nSaved ${path.relative(process.cwd(), jsonPath)}, ${path.relative(process.cwd(), svgPath)}, ${path.relative(process.cwd(), mdPath)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
