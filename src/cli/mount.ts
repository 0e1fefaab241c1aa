/**
 * devfuse mount memfs <mountpoint> [-o options] [--debug]
 * devfuse mount passthrough <source> <mountpoint> [-o options] [--debug]
 * devfuse mount hello <mountpoint>
 *
 * Runs in the foreground until the filesystem is unmounted (umount,
 * fusermount3 -u) or the process gets SIGINT/SIGTERM, which unmount it;
 * exits 0 after a clean unmount.
 */
import { helloFs } from '../examples/hello';
import type { Filesystem } from '../api/filesystem';
import { escapeOption, serve, splitOptions } from '../server/index';
import type { Args } from './args';

export const MOUNT_USAGE = `usage:
  devfuse mount memfs <mountpoint> [-o options] [--debug] [--trace file]   (memfs: -o size=512M,max_inodes=N)
  devfuse mount passthrough <source> <mountpoint> [-o options] [--debug] [--trace file]   (-o io=sync|async,keep_cache,no_xattr)
  devfuse mount hello <mountpoint>

options (-o, comma-separated, repeatable), as mount(8) and libfuse:
  mount:   allow_other allow_root default_permissions ro nosuid/suid nodev/dev noexec
           fsname=NAME subtype=NAME max_read=N rootmode=M noatime auto_unmount/noauto_unmount
  session: writeback_cache direct_io attr_timeout=S entry_timeout=S negative_timeout=S
           max_write=N readdirplus=yes|no|auto sync_read atomic_o_trunc posix_acl
           cache_symlinks explicit_inval_data no_auto_inval_data request_timeout=S
           passthrough busy_poll=µs (default 50, 0: never) stream_poll=µs (default 1000)
           workers=N (default 0) no_splice colocate ...  (all of them: README, "Options")`;

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
  if (!m) throw new Error(`-o size=${v}: expected a number of bytes with an optional K/M/G/T suffix`);
  return Number(m[1]) * 1024 ** ' kmgt'.indexOf((m[2] || ' ').toLowerCase());
}

/** Options only one filesystem understands; the rest go to the mount and the session. */
const OWN_KEYS: Record<string, string[]> = { memfs: ['size', 'max_inodes'], passthrough: ['io', 'keep_cache', 'no_xattr'] };

/** Filesystems are loaded lazily, so that `devfuse mount hello` does not load the others. */
const FILESYSTEMS: Record<string, { args: number; load: Loader }> = {
  hello: { args: 1, load: ({ positional: [mnt] }) => ({ fs: helloFs(), mountpoint: mnt!, fsname: 'hello' }) },
  memfs: {
    args: 1,
    load: ({ positional: [mnt], defaultPermissions, own }) => {
      const { memfs } = require('../fs/memfs') as typeof import('../fs/memfs');
      const size = own.get('size');
      const maxInodes = own.get('max_inodes');
      return {
        fs: memfs({ defaultPermissions, ...(size ? { size: parseSize(size) } : {}), ...(maxInodes ? { maxInodes: Number(maxInodes) } : {}) }),
        mountpoint: mnt!,
        fsname: 'memfs',
      };
    },
  },
  passthrough: {
    args: 2,
    load: ({ positional: [src, mnt], own }) => {
      const { passthrough } = require('../fs/passthrough') as typeof import('../fs/passthrough');
      const io = own.get('io') ?? 'sync';
      if (io !== 'sync' && io !== 'async') throw new Error(`-o io=${io}: expected sync or async`);
      return { fs: passthrough(src!, { io, keepCache: own.has('keep_cache'), xattr: !own.has('no_xattr') }), mountpoint: mnt!, fsname: src! };
    },
  },
};

export async function mountCommand(a: Args): Promise<number> {
  const [kind, ...rest] = a.positional;
  const entry = kind === undefined ? undefined : FILESYSTEMS[kind];
  if (a.flags.has('help') || !entry || rest.length !== entry.args) {
    process.stderr.write(`${MOUNT_USAGE}\n`);
    return a.flags.has('help') ? 0 : 2;
  }
  // Take the filesystem's own options (memfs: size=, max_inodes=) out of the -o list.
  const own = new Map<string, string>();
  const passOn: string[] = [];
  for (const o of a.options.flatMap((x) => splitOptions(x))) {
    const eq = o.indexOf('=');
    const key = eq < 0 ? o : o.slice(0, eq);
    if (OWN_KEYS[kind]?.includes(key)) own.set(key, eq >= 0 ? o.slice(eq + 1) : 'true');
    else passOn.push(escapeOption(o));
  }
  const { fs, mountpoint, fsname } = entry.load({ positional: rest, defaultPermissions: passOn.includes('default_permissions'), own });
  const options = [`fsname=${escapeOption(fsname)}`, `subtype=${kind}`, ...passOn];
  const served = await serve(fs, mountpoint, { options, session: a.flags.has('debug') ? { debug: true } : {}, trace: a.values.get('trace') });
  process.stderr.write(`devfuse: ${kind} mounted on ${served.mountpoint} (${served.mounted.description})\n`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`devfuse: ${signal}: unmounting ${served.mountpoint}\n`);
    void served.unmount();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  const end = await served.ended;
  if (end.kind === 'error') {
    process.stderr.write(`devfuse: session ended with an error: ${end.error.message}\n`);
    return 1;
  }
  process.stderr.write(`devfuse: ${served.mountpoint} unmounted\n`);
  return 0;
}
