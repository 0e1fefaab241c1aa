/**
 * What an asynchronous answer costs a request, side by side with a
 * synchronous one: the same small filesystem (scripts/bench/async-server.ts)
 * answering at once, from an async function, on process.nextTick or on
 * setImmediate, on devfuse's inode API, the path API and devfuse/fuse-native; and, as
 * peers, the same program on fuse-native itself (fuse-native-real: needs
 * .bench/ from `npm run bench` and Debian's libfuse2) and libfuse's C
 * hello_ll with its timeouts set to 0 (hello_ll: libfuse3-dev; stat only),
 * the floor a server in any language stands on.
 *
 *   npm run bench:async -- [--rounds 3] [--seconds 2] [--apis inode,path,fuse-native,fuse-native-real,hello_ll]
 *        [--answers sync,promise,nexttick,immediate] [--pin] [--baseline DIR]
 *
 * A C client in another process (scripts/bench/ctools.ts) times, per call:
 *   stat    statx(AT_STATX_FORCE_SYNC) of /hello, timeouts 0: LOOKUP + GETATTR
 *   pread   a 4 KiB pread of /data, opened direct_io: one READ
 * --pin puts the client and the server on CPU 0 (no cross-CPU wake-ups);
 * --baseline DIR runs the same servers on DIR's build too (its dist/src), as
 * peers in the same rounds. Servers are interleaved per round; medians shown.
 */
import fs from 'node:fs';
import path from 'node:path';
import { HELLO_LL_SOURCE, compileHelloLl, compileTools } from './bench/ctools';
import { REPO, Teardown, describeMachine, fmt, machine, median, parseArgs, startServer, table, tempDir, timeLoop, type StartedServer } from './bench/util';

const ANSWERS = ['sync', 'promise', 'nexttick', 'immediate'] as const;
const APIS = ['inode', 'path', 'fuse-native'] as const;
/** Peers that are not devfuse: the same in every tree, run once. */
const PEERS = ['fuse-native-real', 'hello_ll'] as const;
const isPeer = (api: string): boolean => (PEERS as readonly string[]).includes(api);
const WORKLOADS = [
  { id: 'stat', tool: 'statloop', file: 'hello', what: 'µs per statx (LOOKUP + GETATTR)' },
  { id: 'pread', tool: 'preadloop', file: 'data', what: 'µs per 4 KiB pread (READ, direct_io)' },
] as const;

interface Server {
  id: string;
  tree: string;
  root: string;
  api: string;
  answer: string;
}

function start(td: Teardown, s: Server, mnt: string, log: string, pin: boolean, helloLl: string | null): Promise<StartedServer> {
  const script = path.join(REPO, 'dist', 'scripts', 'bench', 'async-server.js');
  const cmd = s.api === 'hello_ll' && helloLl ? [helloLl, '-f', mnt] : [process.execPath, script, '--mnt', mnt, '--api', s.api, '--answer', s.answer, '--root', s.root, '--watch-stdin'];
  if (pin) cmd.unshift('taskset', '1');
  return startServer(td, s.id, cmd, mnt, log, { stdin: 'pipe', mountMs: 15000, readyMs: 3000 });
}

const USAGE = `usage: npm run bench:async -- [--rounds 3] [--seconds 2] [--apis ${APIS.join(',')}] [--answers ${ANSWERS.join(',')}] [--pin] [--baseline DIR]`;

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('run as root (it mounts)');
  const { flags } = parseArgs(process.argv.slice(2), ['rounds', 'seconds', 'apis', 'answers', 'pin', 'baseline'], USAGE);
  const rounds = Number(flags.get('rounds') ?? 3);
  const secs = Number(flags.get('seconds') ?? 2);
  const apis = (flags.get('apis') ?? APIS.join(',')).split(',');
  const answers = (flags.get('answers') ?? ANSWERS.join(',')).split(',');
  const pin = flags.has('pin');
  const trees = [{ tree: 'this', root: REPO }];
  const base = flags.get('baseline');
  if (base !== undefined) {
    const root = path.resolve(base);
    if (!fs.existsSync(path.join(root, 'dist', 'src', 'index.js'))) throw new Error(`--baseline ${root}: build it first (no dist/src/index.js)`);
    trees.push({ tree: 'base', root });
  }
  const servers: Server[] = [];
  for (const t of trees) {
    for (const api of apis) {
      if (isPeer(api) && t.tree !== 'this') continue;
      // C answers at once: its one way to answer is 'sync'.
      for (const answer of answers) if (api !== 'hello_ll' || answer === 'sync') servers.push({ id: `${api}-${answer}-${t.tree}`, ...t, api, answer });
    }
  }
  if (apis.includes('fuse-native-real') && !fs.existsSync(path.join(REPO, '.bench', 'node_modules', 'fuse-native'))) throw new Error('fuse-native-real: run `npm run bench` once first (it installs fuse-native into .bench/), and apt-get install libfuse2');
  if (apis.includes('hello_ll') && !fs.existsSync(HELLO_LL_SOURCE)) throw new Error(`hello_ll: ${HELLO_LL_SOURCE} is missing (apt-get install libfuse3-dev)`);
  const mach = machine();
  process.stdout.write(`bench-async — ${describeMachine(mach)}${pin ? '; client and server on CPU 0' : '; unpinned'}\n`);
  const td = new Teardown();
  const dir = tempDir(td, 'devfuse-async-');
  const tools = compileTools(dir, ['statloop', 'preadloop']);
  const helloLl = apis.includes('hello_ll') ? compileHelloLl(dir) : null;
  const res = new Map<string, Record<string, number[]>>();
  for (const s of servers) res.set(s.id, { stat: [], pread: [] });
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < servers.length; i++) {
      const s = servers[(i + r) % servers.length]!;
      process.stderr.write(`round ${r + 1}/${rounds} ${s.id}\n`);
      const mnt = path.join(dir, `mnt-${s.id}`);
      fs.mkdirSync(mnt, { recursive: true });
      const srv = await start(td, s, mnt, path.join(dir, `${s.id}.log`), pin, helloLl);
      try {
        for (const w of WORKLOADS) {
          if (s.api === 'hello_ll' && w.id !== 'stat') continue; // hello_ll has no /data
          const r = timeLoop<{ mean_us: number }>(tools[w.tool], path.join(mnt, w.file), secs, pin);
          if (r !== null) res.get(s.id)![w.id]!.push(r.mean_us);
        }
      } finally {
        srv.stop();
      }
    }
  }
  const med = (id: string, w: string): number => median(res.get(id)?.[w] ?? []);
  for (const w of WORKLOADS) {
    const rows = trees.flatMap((t) =>
      apis.filter((api) => !isPeer(api) || t.tree === 'this').map((api) => {
        const sync = med(`${api}-sync-${t.tree}`, w.id);
        const cells = answers.map((a) => fmt(med(`${api}-${a}-${t.tree}`, w.id)));
        const ratios = answers.filter((a) => a !== 'sync').map((a) => fmt(med(`${api}-${a}-${t.tree}`, w.id) / sync));
        return [trees.length > 1 ? `${api} (${t.tree})` : api, ...cells, ...ratios];
      }),
    );
    const others = answers.filter((a) => a !== 'sync');
    process.stdout.write(`\n${w.what}, medians of ${rounds} rounds of ${secs} s; ratios: ÷ sync of the same API\n`);
    process.stdout.write(`${table(['api', ...answers, ...others.map((a) => `${a}/sync`)], rows)}\n`);
    if (apis.includes('fuse-native-real')) {
      // The issue's measure: fuse-native's time ÷ ours, the same program answering the same way (C: its one way).
      const theirs = (a: string): number => med(`fuse-native-real-${a}-this`, w.id);
      const vs = apis.filter((api) => api !== 'fuse-native-real').map((api) => [api, ...answers.map((a) => fmt(theirs(a) / med(`${api}-${api === 'hello_ll' ? 'sync' : a}-this`, w.id)))]);
      process.stdout.write(`fuse-native ÷ each (above 1: faster than fuse-native answering the same way)\n${table(['api', ...answers], vs)}\n`);
    }
    if (trees.length > 1) {
      const cmp = apis.map((api) => [api, ...answers.map((a) => fmt(med(`${api}-${a}-this`, w.id) / med(`${api}-${a}-base`, w.id)))]);
      process.stdout.write(`this ÷ base (below 1: this tree faster)\n${table(['api', ...answers], cmp)}\n`);
    }
  }
  const outDir = path.join(REPO, 'bench-results');
  fs.mkdirSync(outDir, { recursive: true });
  const f = path.join(outDir, `async-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(f, `${JSON.stringify({ machine: mach, rounds, seconds: secs, pin, trees, results: Object.fromEntries(res) }, null, 1)}\n`);
  process.stdout.write(`\nSaved ${path.relative(process.cwd(), f)}\n`);
  td.run();
}

main().catch((e: unknown) => {
  process.stderr.write(`bench-async: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
