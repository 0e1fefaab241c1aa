/**
 * The filesystems a benchmark compares, and the server processes behind
 * them. Every server runs in its own process (never the benchmarking one),
 * started through `setpriv --pdeathsig TERM` so that it is told to stop
 * even if the benchmark is killed outright, and registered with the
 * teardown so that its mount goes away on Ctrl-C or a failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO, forceUnmount, have, isMounted, killAndWait, sleep, waitForMount, type Teardown } from './util';

/** 'baseline': devfuse from another checkout (--baseline), a peer the devfuse columns are compared with. */
export type PeerKind = 'tmpfs' | 'devfuse' | 'baseline' | 'libfuse' | 'fuse-native';

export type WorkloadId = 'seq' | 'rand' | 'meta' | 'ls' | 'rt';
export const WORKLOADS: readonly WorkloadId[] = ['seq', 'rand', 'meta', 'ls', 'rt'];

export interface PeerSpec {
  id: string;
  /** What the table calls it. */
  label: string;
  kind: PeerKind;
  /** One line on what it is and how it is configured, for the report. */
  about: string;
  /** The server command for a mount of `source` at `mnt`; `rt`: entry and attribute timeouts 0. Null for tmpfs. */
  command: ((source: string, mnt: string, rt: boolean) => { cmd: string; args: string[] }) | null;
  /** Whether it serves a source directory (memfs does not). */
  usesSource: boolean;
  /** The workloads it runs, when not all: a variant that changes one thing is run where that thing shows. */
  workloads?: readonly WorkloadId[];
}

/** Whether `peer` takes part in workload `w`. */
export const runsWorkload = (peer: PeerSpec, w: WorkloadId): boolean => !peer.workloads || peer.workloads.includes(w);

const node = process.execPath;
const script = (name: string, root = REPO): string => path.join(root, 'dist', 'scripts', 'bench', `${name}.js`);
const RT0 = 'attr_timeout=0,entry_timeout=0';

function devfuse(
  id: string, label: string, about: string,
  extra: { io?: 'sync' | 'async'; options?: string; fs?: 'memfs' | 'path'; noXattr?: boolean; workloads?: WorkloadId[]; root?: string },
): PeerSpec {
  return {
    id,
    label,
    kind: extra.root ? 'baseline' : 'devfuse',
    about,
    usesSource: extra.fs !== 'memfs',
    workloads: extra.workloads,
    command: (source, mnt, rt) => {
      const opts = [extra.options, rt ? RT0 : undefined].filter((o): o is string => !!o).join(',');
      const args = [script('devfuse-server', extra.root), '--watch-stdin', '--fs', extra.fs ?? 'passthrough', '--mnt', mnt];
      if (extra.fs !== 'memfs') args.push('--source', source);
      if (extra.io) args.push('--io', extra.io);
      if (extra.noXattr) args.push('--no-xattr');
      if (opts) args.push('--options', opts);
      return { cmd: node, args };
    },
  };
}

function fuseNative(id: string, label: string, about: string, extraArgs: string[], workloads?: WorkloadId[]): PeerSpec {
  return {
    id,
    label,
    kind: 'fuse-native',
    about,
    usesSource: true,
    workloads,
    command: (source, mnt, rt) => ({ cmd: node, args: [script('fuse-native-server'), source, mnt, '--watch-stdin', ...extraArgs, ...(rt ? ['--timeouts0'] : [])] }),
  };
}

/**
 * A devfuse passthrough with extra `-o` options, named on the command line
 * (`bench --variant NAME:OPTIONS`): measures one option on the reader's own
 * machine beside the defaults, as the fixed variants below do.
 */
export function optionVariant(name: string, options: string): PeerSpec {
  return devfuse(`devfuse-${name}`, `devfuse ${name}`, `devfuse passthrough, -o ${options} (--variant)`, { options });
}

/**
 * devfuse as built in another checkout (`bench --baseline DIR`, DIR holding
 * dist/scripts/bench/devfuse-server.js: npm ci there builds it), served as
 * the devfuse column is (the passthrough, default options): the same run
 * measures a change against the code before it.
 */
export function baselinePeers(root: string): PeerSpec[] {
  const server = script('devfuse-server', root);
  if (!fs.existsSync(server)) throw new Error(`--baseline ${root}: no ${path.relative(root, server)} there (build that checkout first: npm ci, or tsc)`);
  const peers = [devfuse('devfuse-base', 'devfuse base', `devfuse passthrough as built in ${root} (--baseline), default options`, { root })];
  // And the fuse-native passthrough on that checkout's devfuse/fuse-native, where it has one.
  const fn = script('fuse-native-server', root);
  if (fs.existsSync(fn) && fs.existsSync(path.join(root, 'dist', 'src', 'fuse-native', 'index.js'))) {
    peers.push({
      id: 'devfuse-fuse-native-base',
      label: 'devfuse/fuse-native base',
      kind: 'baseline',
      about: `the fuse-native passthrough on devfuse/fuse-native as built in ${root} (--baseline)`,
      usesSource: true,
      command: (source, mnt, rt) => ({ cmd: node, args: [fn, source, mnt, '--watch-stdin', '--devfuse', ...(rt ? ['--timeouts0'] : [])] }),
    });
  }
  return peers;
}

/** Filled in by setup once passthrough_ll is compiled. */
export const binaries = { passthroughLl: '' };

export const PEERS: PeerSpec[] = [
  { id: 'tmpfs', label: 'tmpfs', kind: 'tmpfs', about: 'the tmpfs source directory itself, no FUSE (the ceiling)', command: null, usesSource: true },
  devfuse('devfuse', 'devfuse', "devfuse passthrough, default options (io: 'sync', busy_poll=50, stream_poll=1000, timeouts 1 s)", {}),
  devfuse('devfuse-async', 'devfuse async', "devfuse passthrough, io: 'async' (the source's syscalls in the libuv thread pool)", { io: 'async' }),
  devfuse('devfuse-nopoll', 'devfuse nopoll', 'devfuse passthrough, -o busy_poll=0 (sleeps as soon as the queue is empty)', { options: 'busy_poll=0' }),
  devfuse('devfuse-wb', 'devfuse wb', 'devfuse passthrough, -o writeback_cache', { options: 'writeback_cache' }),
  devfuse('devfuse-workers', 'devfuse workers', 'devfuse passthrough, -o workers=1 (READ/WRITE also on a data worker thread)', { options: 'workers=1' }),
  devfuse('devfuse-coloc', 'devfuse coloc', 'devfuse passthrough, -o colocate (replies as SCHED_IDLE in tight exchanges, so the client runs on the server\'s CPU)', { options: 'colocate' }),
  // Without xattrs only ls -l changes (two GETXATTR per entry fewer): run there only, against fuse-native without them.
  devfuse('devfuse-noxattr', 'devfuse noxattr', 'devfuse passthrough without xattrs (PassthroughOptions.xattr false: ENOSYS, as passthrough_ll without -o xattr); ls -l only', { noXattr: true, workloads: ['ls'] }),
  // kpass: kernel passthrough, backing files (-o passthrough, FUSE_PASSTHROUGH); the filesystem is the devfuse passthrough as in every devfuse column.
  devfuse('devfuse-kpass', 'devfuse kpass', 'devfuse passthrough with backing files, -o passthrough (FUSE_PASSTHROUGH: the kernel reads and writes the source files itself)', { options: 'passthrough' }),
  devfuse('memfs', 'memfs', 'devfuse memfs (in-memory, no source)', { fs: 'memfs' }),
  devfuse('devfuse-path', 'devfuse path', 'the passthrough on the path API: src/examples/path-passthrough.ts (passthrough.c: libc *at() calls by path below the source, xattrs) through fromPathFilesystem, readdirplus', { fs: 'path' }),
  {
    id: 'devfuse-fuse-native',
    label: 'devfuse/fuse-native',
    kind: 'devfuse',
    about: 'the fuse-native passthrough below (fuse-native-server.ts), unchanged, on devfuse/fuse-native instead of fuse-native',
    usesSource: true,
    command: (source, mnt, rt) => ({ cmd: node, args: [script('fuse-native-server'), source, mnt, '--watch-stdin', '--devfuse', ...(rt ? ['--timeouts0'] : [])] }),
  },
  {
    id: 'passthrough_ll',
    label: 'passthrough_ll',
    kind: 'libfuse',
    about: "libfuse 3.14's example/passthrough_ll.c (C, low-level API, multi-threaded), built from Debian's libfuse3-dev; -o xattr (devfuse passes xattrs through too), otherwise defaults (cache=auto, timeout 1 s)",
    usesSource: true,
    command: (source, mnt, rt) => ({ cmd: binaries.passthroughLl, args: ['-f', '-o', `source=${source},xattr${rt ? ',timeout=0' : ''}`, mnt] }),
  },
  {
    id: 'bindfs',
    label: 'bindfs',
    kind: 'libfuse',
    about: "Debian's bindfs 1.14 (C, libfuse 2 high-level API, protocol 7.19), --multithreaded -o big_writes",
    usesSource: true,
    command: (source, mnt, rt) => ({ cmd: 'bindfs', args: ['-f', '--multithreaded', '-o', `big_writes${rt ? `,${RT0}` : ''}`, source, mnt] }),
  },
  fuseNative('fuse-native', 'fuse-native', 'fuse-native 2.2.6 (Node over libfuse 2 high-level) with a passthrough written for it, xattrs passed through (lgetxattr and the rest through koffi); no big_writes option (4 KiB writes)', []),
  fuseNative('fuse-native-noxattr', 'fuse-native noxattr', 'the fuse-native passthrough without xattr operations (libfuse answers ENOSYS); ls -l only', ['--no-xattr'], ['ls']),
];

/** A running server and its mount. */
export class Server {
  private constructor(
    readonly peer: PeerSpec,
    readonly mnt: string,
    readonly child: ChildProcess,
    readonly log: string,
    private readonly stopNow: () => void,
  ) {}

  get pid(): number {
    return this.child.pid!;
  }

  static async start(td: Teardown, peer: PeerSpec, source: string, mnt: string, rt: boolean, logDir: string, extraNodeArgs: string[] = []): Promise<Server> {
    const c = peer.command!(source, mnt, rt);
    const log = path.join(logDir, `${peer.id}${rt ? '-rt' : ''}.log`);
    const out = fs.openSync(log, 'a');
    let argv = [c.cmd, ...(c.cmd === node ? [...extraNodeArgs, ...c.args] : c.args)];
    // setpriv --pdeathsig: the server gets SIGTERM if the benchmark dies, however it dies.
    if (have('setpriv')) argv = ['setpriv', '--pdeathsig', 'TERM', '--', ...argv];
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', out, out] });
    fs.closeSync(out);
    let exited = false;
    child.on('exit', () => (exited = true));
    const stop = td.add(`stop ${peer.id} on ${mnt}`, () => {
      if (child.pid !== undefined) killAndWait(child.pid);
      forceUnmount(mnt);
    });
    const s = new Server(peer, mnt, child, log, stop);
    try {
      await waitForMount(mnt, 15000, () => !exited);
      // The mount is in the table as soon as mount(2) returns; give the server the moment INIT takes.
      await sleep(100);
    } catch (e) {
      stop();
      const tail = fs.readFileSync(log, 'utf8').split('\n').slice(-8).join('\n');
      throw new Error(`${peer.label} did not mount at ${mnt}: ${(e as Error).message}\n${tail}`);
    }
    return s;
  }

  /** Stops the server (SIGTERM: each unmounts itself), and unmounts whatever is left. */
  async stop(): Promise<void> {
    this.stopNow();
    for (let i = 0; i < 50 && isMounted(this.mnt); i++) await sleep(20);
  }
}
