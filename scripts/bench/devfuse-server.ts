/**
 * A devfuse server for the benchmarks, one per process:
 *
 *   node dist/scripts/bench/devfuse-server.js --fs passthrough|path|memfs|hello
 *        --mnt DIR [--source DIR] [--io sync|async] [--options a,b=c]
 *        [--no-release-memory]   (memfs without releaseMemory, to compare)
 *
 * It mounts, prints "READY <pid>" on stdout, and serves until SIGTERM or
 * SIGINT, or (with --watch-stdin) until its stdin closes (the benchmark that started it died),
 * then unmounts and exits. It never touches the mountpoint itself: a
 * process that made a syscall on its own mount would wait for an answer
 * only it can give.
 */
import { fromPathFilesystem, helloFs, memfs, passthrough, pathPassthrough, releaseFreedMemory, serve, type Filesystem } from '../../src';
import { parseArgs, stopWhenAsked } from './util';

async function main(): Promise<void> {
  const { flags } = parseArgs(process.argv.slice(2), ['fs', 'io', 'mnt', 'no-release-memory', 'no-xattr', 'options', 'source', 'watch-stdin']);
  const kind = flags.get('fs') ?? 'passthrough';
  const mnt = flags.get('mnt');
  if (!mnt) throw new Error('--mnt is required');
  let fsys: Filesystem;
  if (kind === 'passthrough') {
    const source = flags.get('source');
    if (!source) throw new Error('--source is required for passthrough');
    const io = flags.get('io');
    if (io !== undefined && io !== 'sync' && io !== 'async') throw new Error(`--io must be sync or async, not ${io}`);
    fsys = passthrough(source, { ...(io ? { io } : {}), xattr: !flags.has('no-xattr') });
  } else if (kind === 'path') {
    // The same job on the path API: a path-based passthrough through the path layer.
    const source = flags.get('source');
    if (!source) throw new Error('--source is required for path');
    fsys = fromPathFilesystem(pathPassthrough(source), { readdirplus: true });
  } else if (kind === 'memfs') {
    // As `devfuse mount memfs` does: deleted files' memory goes back to the OS.
    fsys = memfs(flags.has('no-release-memory') ? {} : { releaseMemory: releaseFreedMemory });
  } else if (kind === 'hello') {
    fsys = helloFs();
  } else {
    throw new Error(`unknown --fs ${kind}`);
  }
  const extra = flags.get('options');
  const options = [`fsname=bench-${kind}`, `subtype=${kind}`, ...(extra ? [extra] : [])];
  const served = await serve(fsys, mnt, { options });
  stopWhenAsked(() => void served.unmount(), flags.has('watch-stdin'));
  process.stdout.write(`READY ${process.pid}\n`);
  const end = await served.ended;
  const workers = served.accelerations.workers;
  if (workers) process.stderr.write(`devfuse-server: data workers ${workers.started ? 'served' : 'never started;'} ${workers.served} requests, forwarded ${workers.forwarded}\n`);
  const coloc = served.accelerations.colocate;
  if (coloc) process.stderr.write(`devfuse-server: colocate moved ${coloc.moves} times, turned off by ${coloc.stalls} stalls, rescued ${coloc.rescues} times\n`);
  if (flags.has('watch-stdin')) process.stdin.destroy();
  if (end.kind === 'error') {
    process.stderr.write(`devfuse-server: session ended with an error: ${end.error.message}\n`);
    process.exitCode = 1;
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`devfuse-server: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
