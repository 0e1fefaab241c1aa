/**
 * Builds the external servers the --exec tests run: libfuse's examples
 * from the sources Debian's libfuse3-dev ships, and minifs with each of its
 * faults (servers/). Where gcc, pkg-config or libfuse3-dev is missing,
 * `skip` says which, and the tests skip with it.
 *
 * The build goes to a directory of the temporary directory named by a hash
 * of everything that goes into it (sources, flags, gcc and libfuse
 * versions), so the test files of one run, and later runs, share one build:
 * one builds (a lock file says which) into a directory of its own and
 * renames it into place; the others wait for it.
 */
import { createHash } from 'node:crypto';
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const EXAMPLES_DIR = '/usr/share/doc/libfuse3-dev/examples';
export const EXAMPLES = ['hello_ll', 'passthrough_ll', 'passthrough', 'passthrough_fh'] as const;
const SERVERS = path.join(__dirname, '..', '..', '..', '..', 'test', 'conformance', 'exec', 'servers');

/**
 * The examples' optional parts are behind the HAVE_* macros libfuse's own
 * build defines from its config.h (utimensat, fallocate, xattrs,
 * copy_file_range...); Debian's Makefile beside them defines none, which
 * leaves passthrough without utimens and xattrs (ENOSYS). Built as libfuse
 * builds them, on Linux.
 */
const HAVE = ['HAVE_UTIMENSAT', 'HAVE_POSIX_FALLOCATE', 'HAVE_FALLOCATE', 'HAVE_SETXATTR', 'HAVE_COPY_FILE_RANGE', 'HAVE_FSTATAT', 'HAVE_FDATASYNC'].map((d) => `-D${d}`);

export interface Built {
  /** Why the servers cannot be built here; undefined when they were. */
  skip?: string;
  /** The path of a built server. */
  bin(name: string): string;
  dir: string;
}

let built: Promise<Built> | null = null;

function cc(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('gcc', args, { timeout: 120_000 }, (e, _out, err) => (e ? reject(new Error(`gcc ${args.join(' ')}: ${err || e.message}`)) : resolve()));
  });
}

/** The fault files beside minifs.c (each `<name>.c`, built as server `<name>`). */
export function faultNames(): string[] {
  return fs.readdirSync(SERVERS).filter((f) => f.endsWith('.c') && f !== 'minifs.c').map((f) => f.slice(0, -2)).sort();
}

async function build(): Promise<Built> {
  const missing = (why: string): Built => ({ skip: why, bin: (n) => n, dir: '' });
  const gcc = spawnSync('gcc', ['--version'], { encoding: 'utf8' });
  if (gcc.status !== 0) return missing('gcc is not installed (scripts/install-deps.sh)');
  const pc = spawnSync('pkg-config', ['fuse3', '--cflags', '--libs'], { encoding: 'utf8' });
  if (pc.status !== 0) return missing('pkg-config or libfuse3-dev is not installed (scripts/install-deps.sh)');
  if (!fs.existsSync(path.join(EXAMPLES_DIR, 'hello_ll.c'))) return missing(`libfuse3-dev's example sources are not in ${EXAMPLES_DIR}`);
  const version = spawnSync('pkg-config', ['fuse3', '--modversion'], { encoding: 'utf8' }).stdout;
  const flags = pc.stdout.trim().split(/\s+/).filter(Boolean);
  const sources = [...EXAMPLES.map((e) => path.join(EXAMPLES_DIR, `${e}.c`)), ...fs.readdirSync(SERVERS).map((f) => path.join(SERVERS, f))].sort();
  const hash = createHash('sha256').update(JSON.stringify([gcc.stdout, version, flags, HAVE])).update(sources.join('\n'));
  for (const f of sources) hash.update(fs.readFileSync(f));
  const dir = path.join(os.tmpdir(), `devfuse-exec-bin-${hash.digest('hex').slice(0, 16)}`);
  const bin = (name: string): string => path.join(dir, name);
  if (fs.existsSync(path.join(dir, '.complete'))) return { bin, dir };
  // One builder at a time: another test file holding the lock is waited for (a lock older than 5 minutes is a builder that died).
  const lock = `${dir}.lock`;
  for (let i = 0; ; i++) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch {
      if (fs.existsSync(path.join(dir, '.complete'))) return { bin, dir };
      const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 300_000) fs.rmSync(lock, { force: true });
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  if (fs.existsSync(path.join(dir, '.complete'))) {
    fs.rmSync(lock, { force: true });
    return { bin, dir };
  }
  const work = fs.mkdtempSync(`${dir}.building-`);
  try {
    await compileAll(work, flags);
    fs.writeFileSync(path.join(work, '.complete'), '');
    try {
      fs.renameSync(work, dir);
    } catch {
      // Another test file's build got there first: use it.
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
    fs.rmSync(lock, { force: true });
  }
  return { bin, dir };
}

async function compileAll(dir: string, flags: string[]): Promise<void> {
  const bin = (name: string): string => path.join(dir, name);
  const jobs: (() => Promise<void>)[] = [];
  for (const e of EXAMPLES) jobs.push(() => cc(['-O1', '-w', ...HAVE, '-o', bin(e), path.join(EXAMPLES_DIR, `${e}.c`), ...flags]));
  jobs.push(() => cc(['-O1', '-Wall', '-Werror', '-o', bin('minifs'), path.join(SERVERS, 'minifs.c'), ...flags]));
  for (const f of faultNames()) jobs.push(() => cc(['-O1', '-Wall', '-Werror', '-o', bin(f), path.join(SERVERS, 'minifs.c'), path.join(SERVERS, `${f}.c`), ...flags]));
  // Two compilers at a time: the machine may have two CPUs and other work.
  const queue = [...jobs];
  await Promise.all([0, 1].map(async () => {
    for (let j = queue.shift(); j; j = queue.shift()) await j();
  }));
}

/** The built servers (built on first call; later calls share the build). */
export function servers(): Promise<Built> {
  built ??= build();
  return built;
}


/** Pids of processes running one of the built servers (none should outlive a run); only this process's children count, other test files share the build. */
export function runningFrom(dir: string): number[] {
  const out: number[] = [];
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'))?.[1]);
      if (ppid === process.pid && fs.readlinkSync(`/proc/${p}/exe`).startsWith(`${dir}/`)) out.push(Number(p));
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}
