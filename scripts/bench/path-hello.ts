/**
 * A hello world on devfuse's path API, answering synchronously or (with
 * --async) from an async function: what an answer that comes
 * asynchronously costs a round trip (docs/fuse-native.md, "Speed"; by hand:
 * statloop from scripts/bench/ctools.ts on MOUNTPOINT/hello).
 *
 *   node dist/scripts/bench/path-hello.js MOUNTPOINT [--async]
 *
 * Timeouts 0, so that every statx reaches the server. Prints "READY <pid>";
 * unmounts on SIGTERM/SIGINT.
 */
import { FuseError, fromPathFilesystem, serve, type PathFilesystem, type PathStat } from '../../src';
import { parseArgs, stopWhenAsked } from './util';

async function main(): Promise<void> {
  const { flags, positional } = parseArgs(process.argv.slice(2), ['async', 'watch-stdin']);
  const [mnt] = positional;
  if (!mnt) throw new Error('usage: path-hello MOUNTPOINT [--async]');
  const t = new Date();
  const dir: PathStat = { mode: 0o040755, mtime: t, atime: t, ctime: t };
  const file: PathStat = { mode: 0o100644, size: 12, mtime: t, atime: t, ctime: t };
  const absent = new FuseError('ENOENT');
  const answer = (p: string): PathStat | FuseError => (p === '/' ? dir : p === '/hello' ? file : absent);
  const fs: PathFilesystem = { getattr: flags.has('async') ? async (p) => answer(p) : answer, readdir: () => ['hello'] };
  const served = await serve(fromPathFilesystem(fs), mnt, { options: 'attr_timeout=0,entry_timeout=0,fsname=bench-path-hello' });
  process.stdout.write(`READY ${process.pid}\n`);
  stopWhenAsked(() => void served.unmount(), flags.has('watch-stdin'));
}

main().catch((e: unknown) => {
  process.stderr.write(`path-hello: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
