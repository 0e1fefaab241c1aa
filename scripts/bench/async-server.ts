/**
 * The server of bench-async: a root holding /hello (stat target) and /data
 * (1 MiB, opened with direct_io so every pread is a READ), its handlers
 * answering in one of several ways, on one of devfuse's APIs:
 *
 *   node dist/scripts/bench/async-server.js --mnt DIR --api inode|path|fuse-native|fuse-native-real
 *        --answer sync|promise|nexttick|immediate [--root TREE] [--watch-stdin]
 *
 *   sync       the value itself (fuse-native: the callback called at once)
 *   promise    from an async function (a resolved promise)
 *   nexttick   a promise resolved on process.nextTick (fuse-native: cb on nextTick)
 *   immediate  a promise resolved on setImmediate (a macrotask later)
 *
 * --root loads devfuse from another checkout's dist/ (a baseline peer);
 * fuse-native-real is the same program on fuse-native 2.2.6 itself.
 * Timeouts 0, so every statx reaches the server. Prints "READY <pid>".
 */
import path from 'node:path';
import type * as Devfuse from '../../src';
import { REPO, parseArgs, stopWhenAsked } from './util';

type Answer = 'sync' | 'promise' | 'nexttick' | 'immediate';
const ANSWERS: readonly Answer[] = ['sync', 'promise', 'nexttick', 'immediate'];

const SIZE = 1 << 20;
const DATA = Buffer.alloc(SIZE, 0x5a);
const HELLO = Buffer.from('hello world\n');

/** Makes `f`'s answers come as `how` says. */
function answering<A extends unknown[], R>(how: Answer, f: (...a: A) => R): (...a: A) => R | Promise<R> {
  switch (how) {
    case 'sync':
      return f;
    case 'promise':
      return async (...a) => f(...a);
    case 'nexttick':
      return (...a) => new Promise((resolve) => process.nextTick(() => resolve(f(...a))));
    case 'immediate':
      return (...a) => new Promise((resolve) => setImmediate(() => resolve(f(...a))));
  }
}

/** Calls cb at once or later, as `how` says (fuse-native's callbacks). */
function later(how: Answer, cb: () => void): void {
  if (how === 'sync') cb();
  else if (how === 'promise') void Promise.resolve().then(cb);
  else if (how === 'nexttick') process.nextTick(cb);
  else setImmediate(cb);
}

function inodeFs(d: typeof Devfuse, how: Answer): Devfuse.Filesystem {
  const dir = { ino: 1, mode: 0o040755, nlink: 2 };
  const files: Record<string, { ino: number; mode: number; nlink: number; size: number }> = {
    hello: { ino: 2, mode: 0o100644, nlink: 1, size: HELLO.length },
    data: { ino: 3, mode: 0o100644, nlink: 1, size: SIZE },
  };
  const byIno = [undefined, dir, files.hello, files.data];
  const enoent = new d.FuseError('ENOENT');
  return {
    lookup: answering(how, (_c: Devfuse.RequestContext, parent: number, name: string) => {
      const a = parent === 1 ? files[name] : undefined;
      return a ? { ino: a.ino, attr: a } : enoent;
    }),
    getattr: answering(how, (_c: Devfuse.RequestContext, ino: number) => byIno[ino] ?? enoent),
    open: answering(how, (_c: Devfuse.RequestContext, ino: number) => ({ directIo: ino === 3 })),
    read: answering(how, (_c: Devfuse.RequestContext, ino: number, _fh: number, off: number, size: number) =>
      (ino === 3 ? DATA : HELLO).subarray(Math.min(off, SIZE), Math.min(off + size, SIZE)),
    ),
  };
}

function pathFs(d: typeof Devfuse, how: Answer): Devfuse.PathFilesystem {
  const t = new Date();
  const dir = { mode: 0o040755, mtime: t, atime: t, ctime: t };
  const stats: Record<string, Devfuse.PathStat> = {
    '/': dir,
    '/hello': { mode: 0o100644, size: HELLO.length, mtime: t, atime: t, ctime: t },
    '/data': { mode: 0o100644, size: SIZE, mtime: t, atime: t, ctime: t },
  };
  const enoent = new d.FuseError('ENOENT');
  return {
    getattr: answering(how, (p: string) => stats[p] ?? enoent),
    open: answering(how, (p: string) => ({ fh: 1, directIo: p === '/data' })),
    read: answering(how, (p: string, _fh: number, buf: Buffer, off: number) => (p === '/data' ? DATA : HELLO).copy(buf, 0, off)),
    readdir: () => ['hello', 'data'],
  };
}

type Cb = (err: number, value?: unknown) => void;
interface FuseInstance {
  mount(cb: (err: Error | null) => void): void;
  unmount(cb: (err: Error | null) => void): void;
}
type FuseCtor = (new (mnt: string, ops: Record<string, unknown>, opts: Record<string, unknown>) => FuseInstance) & { ENOENT: number };

function fuseNativeOps(Fuse: FuseCtor, how: Answer): Record<string, unknown> {
  const t = new Date();
  const dir = { mode: 0o040755, size: 4096, mtime: t, atime: t, ctime: t, uid: 0, gid: 0 };
  const stats: Record<string, unknown> = {
    '/': dir,
    '/hello': { mode: 0o100644, size: HELLO.length, mtime: t, atime: t, ctime: t, uid: 0, gid: 0 },
    '/data': { mode: 0o100644, size: SIZE, mtime: t, atime: t, ctime: t, uid: 0, gid: 0 },
  };
  return {
    readdir: (_p: string, cb: Cb) => later(how, () => cb(0, ['hello', 'data'])),
    getattr: (p: string, cb: Cb) => later(how, () => (stats[p] ? cb(0, stats[p]) : cb(Fuse.ENOENT))),
    open: (_p: string, _flags: number, cb: Cb) => later(how, () => cb(0, 42)),
    release: (_p: string, _fd: number, cb: Cb) => later(how, () => cb(0)),
    read: (p: string, _fd: number, buf: Buffer, len: number, pos: number, cb: (n: number) => void) =>
      later(how, () => cb((p === '/data' ? DATA : HELLO).copy(buf, 0, pos, pos + len))),
  };
}

async function main(): Promise<void> {
  const { flags } = parseArgs(process.argv.slice(2), ['mnt', 'api', 'answer', 'root', 'watch-stdin']);
  const mnt = flags.get('mnt');
  const api = flags.get('api') ?? 'inode';
  const how = (flags.get('answer') ?? 'sync') as Answer;
  if (!mnt) throw new Error('--mnt is required');
  if (!ANSWERS.includes(how)) throw new Error(`--answer must be one of ${ANSWERS.join(', ')}`);
  const root = flags.get('root') ?? REPO;
  const opts = 'attr_timeout=0,entry_timeout=0,fsname=bench-async';
  if (api === 'fuse-native' || api === 'fuse-native-real') {
    const real = api === 'fuse-native-real';
    // The real one is the scratch install of scripts/bench.ts (.bench/, npm run bench installs it).
    const where = real ? path.join(REPO, '.bench', 'node_modules', 'fuse-native') : path.join(root, 'dist', 'src', 'fuse-native');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Fuse = require(where) as FuseCtor;
    // direct_io for every file: fuse-native has no per-open flags and no direct_io option, but it
    // joins its options into one -o string, so libfuse 2's direct_io rides along after fsname.
    // Its timeouts are strings: fuse-native drops a numeric 0.
    const opts = real ? { attrTimeout: '0', entryTimeout: '0', fsname: 'bench-async,direct_io' } : { attrTimeout: 0, entryTimeout: 0, directIo: true, fsname: 'bench-async' };
    const fuse = new Fuse(mnt, fuseNativeOps(Fuse, how), opts);
    await new Promise<void>((resolve, reject) => fuse.mount((e) => (e ? reject(e) : resolve())));
    process.stdout.write(`READY ${process.pid}\n`);
    stopWhenAsked(() => fuse.unmount(() => process.exit(0)), flags.has('watch-stdin'));
    return;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const d = require(path.join(root, 'dist', 'src')) as typeof Devfuse;
  let fsys: Devfuse.Filesystem;
  if (api === 'inode') fsys = inodeFs(d, how);
  else if (api === 'path') fsys = d.fromPathFilesystem(pathFs(d, how));
  else throw new Error(`unknown --api ${api}`);
  const served = await d.serve(fsys, mnt, { options: opts });
  process.stdout.write(`READY ${process.pid}\n`);
  stopWhenAsked(() => void served.unmount(), flags.has('watch-stdin'));
}

main().catch((e: unknown) => {
  process.stderr.write(`async-server: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
