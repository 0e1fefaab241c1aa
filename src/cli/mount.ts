/**
 * devfuse mount memfs <mountpoint> [-o options] [--debug] [--trace file]
 * devfuse mount passthrough <source> <mountpoint> ...
 * devfuse mount hello <mountpoint>
 *
 * Serves until the filesystem is unmounted (umount, fusermount3 -u) or the
 * process is signalled (mount-lifecycle.ts: SIGINT/SIGTERM unmount, a
 * second one forces); exits 0 after a clean unmount. Readiness for scripts:
 * --background returns once the mount is usable; --ready-fd and --pid-file
 * tell a supervisor.
 */
import { helloFs } from '../examples/hello';
import type { Filesystem } from '../api/filesystem';
import { escapeOption, serve, splitOptions } from '../server/index';
import { printHelp, UsageError, type Args } from './args';
import { readiness, runInBackground, stopOnSignals } from './mount-lifecycle';

export const MOUNT_USAGE = `usage:
  devfuse mount memfs <mountpoint> [-o options] [flags]            (memfs: -o size=512M,max_inodes=N)
  devfuse mount passthrough <source> <mountpoint> [-o options] [flags]   (-o io=sync|async,keep_cache,no_xattr)
  devfuse mount hello <mountpoint> [flags]

flags:
  --background     start the server in the background and return once the mount is usable
                   (exit 0), or with the reason it failed (exit 1), as libfuse does without -f
  --ready-fd N     once the mount is usable, write "ready <mountpoint>" and a newline to
                   file descriptor N and close it; on failure "error <message>"
  --pid-file FILE  write the server's pid to FILE once the mount is usable (removed at exit)
  --debug          print every request and reply, decoded
  --trace FILE     record every request and reply (devfuse trace show|replay FILE)
  -f               accepted (devfuse serves in the foreground unless --background)

Ctrl-C (or SIGTERM) unmounts; on a busy mount it says what it waits for, detaches the
mount and serves its open files until they are closed; a second Ctrl-C forces the end.

options (-o, comma-separated, repeatable), as mount(8) and libfuse:
  mount:   allow_other allow_root default_permissions ro nosuid/suid nodev/dev noexec
           fsname=NAME subtype=NAME max_read=N rootmode=M noatime auto_unmount/noauto_unmount
           stack (mount even over a FUSE filesystem already mounted there: refused otherwise)
  session: writeback_cache direct_io attr_timeout=S entry_timeout=S negative_timeout=S
           max_write=N readdirplus=yes|no|auto sync_read atomic_o_trunc posix_acl
           cache_symlinks explicit_inval_data no_auto_inval_data request_timeout=S
           passthrough busy_poll=µs (default 50, 0: never) stream_poll=µs (default 1000)
           workers=N (default 0) no_splice colocate ...  (all of them: README, "Options")
  request_timeout=S: the kernel aborts the whole connection when a request goes unanswered:
           the waiting call fails with ECONNABORTED, the mount with ENOTCONN from then on. The
           kernel raises S below 15 to 15 and looks every 15 s, so a request waits between
           max(S,15) and max(S,15)+15 seconds (request_timeout=3: 15 to 30 s). The sysctls
           fs.fuse.max_request_timeout and default_request_timeout cap and default it; kernels
           before 6.15 (protocol 7.43) ignore it.`;

/** What a filesystem's loader gets: positional arguments and the -o options meant for it. */
interface LoadArgs {
  positional: string[];
  /** -o default_permissions was given: the kernel checks modes. */
  defaultPermissions: boolean;
  /** Filesystem-specific -o options (size=...), already taken out of the mount options. */
  own: Map<string, string>;
}

type Loader = (a: LoadArgs) => { fs: Filesystem; mountpoint: string; fsname: string };

/** "512M", "2G", "1048576" → bytes. */
function parseSize(v: string): number {
  const m = /^(\d+)([kmgt]?)$/i.exec(v);
  if (!m) throw new UsageError(`-o size=${v}: expected a number of bytes with an optional K/M/G/T suffix`);
  return Number(m[1]) * 1024 ** ' kmgt'.indexOf((m[2] || ' ').toLowerCase());
}

/** Options only one filesystem understands; the rest go to the mount and the session. */
const OWN_KEYS: Record<string, string[]> = { memfs: ['size', 'max_inodes'], passthrough: ['io', 'keep_cache', 'no_xattr'] };

/** Filesystems are loaded lazily, so that `devfuse mount hello` does not load the others. */
const FILESYSTEMS: Record<string, { args: string[]; load: Loader }> = {
  hello: { args: ['<mountpoint>'], load: ({ positional: [mnt] }) => ({ fs: helloFs(), mountpoint: mnt!, fsname: 'hello' }) },
  memfs: {
    args: ['<mountpoint>'],
    load: ({ positional: [mnt], defaultPermissions, own }) => {
      const { memfs } = require('../fs/memfs') as typeof import('../fs/memfs');
      const { releaseFreedMemory } = require('../server/index') as typeof import('../server/index');
      const size = own.get('size');
      const maxInodes = own.get('max_inodes');
      return {
        fs: memfs({
          defaultPermissions, releaseMemory: releaseFreedMemory,
          ...(size ? { size: parseSize(size) } : {}), ...(maxInodes ? { maxInodes: Number(maxInodes) } : {}),
        }),
        mountpoint: mnt!,
        fsname: 'memfs',
      };
    },
  },
  passthrough: {
    args: ['<source>', '<mountpoint>'],
    load: ({ positional: [src, mnt], own }) => {
      const { passthrough } = require('../fs/passthrough') as typeof import('../fs/passthrough');
      const io = own.get('io') ?? 'sync';
      if (io !== 'sync' && io !== 'async') throw new UsageError(`-o io=${io}: expected sync or async`);
      return { fs: passthrough(src!, { io, keepCache: own.has('keep_cache'), xattr: !own.has('no_xattr') }), mountpoint: mnt!, fsname: src! };
    },
  },
};

export async function mountCommand(a: Args): Promise<number> {
  if (a.flags.has('help')) return printHelp(MOUNT_USAGE);
  const [kind, ...rest] = a.positional;
  const entry = kind === undefined ? undefined : FILESYSTEMS[kind];
  const known = Object.keys(FILESYSTEMS).join(', ');
  if (!entry) throw new UsageError(kind === undefined ? `which filesystem? (${known})` : `unknown filesystem ${JSON.stringify(kind)} (${known})`);
  if (rest.length !== entry.args.length) {
    throw new UsageError(`${kind} takes ${entry.args.join(' ')}, got ${rest.length} argument${rest.length === 1 ? '' : 's'}${rest.length ? `: ${rest.join(' ')}` : ''}`);
  }
  if (a.flags.has('background')) return runInBackground(a);
  const ready = readiness(a);
  // Take the filesystem's own options (memfs: size=, max_inodes=) out of the -o list.
  const own = new Map<string, string>();
  const passOn: string[] = [];
  for (const o of a.options.flatMap((x) => splitOptions(x))) {
    const eq = o.indexOf('=');
    const key = eq < 0 ? o : o.slice(0, eq);
    if (OWN_KEYS[kind!]?.includes(key)) own.set(key, eq >= 0 ? o.slice(eq + 1) : 'true');
    else passOn.push(escapeOption(o));
  }
  let served;
  try {
    const { fs, mountpoint, fsname } = entry.load({ positional: rest, defaultPermissions: passOn.includes('default_permissions'), own });
    const options = [`fsname=${escapeOption(fsname)}`, `subtype=${kind}`, ...passOn];
    served = await serve(fs, mountpoint, { options, session: a.flags.has('debug') ? { debug: true } : {}, trace: a.values.get('trace') });
  } catch (e) {
    ready.failed(e instanceof Error ? e.message : String(e));
    throw e;
  }
  process.stderr.write(`devfuse: ${kind} mounted on ${served.mountpoint} (${served.mounted.description})\n`);
  ready.ready(served.mountpoint);
  const stop = stopOnSignals(served);
  const end = await served.ended;
  stop.remove();
  ready.done();
  if (stop.forced) {
    process.stderr.write(`devfuse: ${served.mountpoint}: forced: detached and its connection aborted\n`);
    return 1;
  }
  if (end.kind === 'error') {
    process.stderr.write(`devfuse: session ended with an error: ${end.error.message}\n`);
    return 1;
  }
  process.stderr.write(`devfuse: ${served.mountpoint} unmounted\n`);
  return 0;
}
