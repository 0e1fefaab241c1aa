/**
 * fuse-native's README example (a hello world answering from memory, its
 * callbacks on process.nextTick), on fuse-native or, with --devfuse, on
 * devfuse/fuse-native: what the request path itself costs when the
 * program's own work is not a thread-pool round trip, as the passthrough's
 * node:fs calls are (docs/fuse-native.md, "Speed").
 *
 *   node dist/scripts/bench/fuse-native-hello.js MOUNTPOINT [--devfuse] [--timeouts0]
 *
 * Prints "READY <pid>" once mounted; unmounts on SIGTERM/SIGINT.
 */
import path from 'node:path';
import { REPO, parseArgs, fuseNativeOptions, mountForBench } from './util';

type Cb = (err: number, value?: unknown) => void;
interface FuseInstance {
  mount(cb: (err: Error | null) => void): void;
}
type FuseCtor = (new (mnt: string, ops: Record<string, unknown>, opts: Record<string, unknown>) => FuseInstance) & { ENOENT: number };

function main(): void {
  const { flags, positional } = parseArgs(process.argv.slice(2), ['devfuse', 'timeouts0', 'watch-stdin']);
  const [mnt] = positional;
  if (!mnt) throw new Error('usage: fuse-native-hello MOUNTPOINT [--devfuse] [--timeouts0]');
  const modPath = flags.has('devfuse') ? path.join(REPO, 'dist', 'src', 'fuse-native') : path.join(REPO, '.bench', 'node_modules', 'fuse-native');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Fuse = require(modPath) as FuseCtor;
  const text = Buffer.from('hello world\n');
  const t = new Date();
  const dir = { mode: 0o040755, size: 4096, mtime: t, atime: t, ctime: t, uid: 0, gid: 0 };
  const file = { mode: 0o100644, size: text.length, mtime: t, atime: t, ctime: t, uid: 0, gid: 0 };
  const ops = {
    readdir: (p: string, cb: Cb) => (p === '/' ? process.nextTick(cb, 0, ['hello']) : process.nextTick(cb, Fuse.ENOENT)),
    getattr: (p: string, cb: Cb) => process.nextTick(cb, ...(p === '/' ? [0, dir] : p === '/hello' ? [0, file] : [Fuse.ENOENT])),
    open: (_p: string, _flags: number, cb: Cb) => process.nextTick(cb, 0, 42),
    release: (_p: string, _fd: number, cb: Cb) => process.nextTick(cb, 0),
    read: (_p: string, _fd: number, buf: Buffer, len: number, pos: number, cb: (n: number) => void) => {
      const part = text.subarray(pos, pos + len);
      part.copy(buf);
      process.nextTick(cb, part.length);
    },
  };
  mountForBench(new Fuse(mnt, ops, fuseNativeOptions('bench-fuse-native-hello', flags)), 'fuse-native-hello', mnt, flags.has('watch-stdin'));
}

main();
