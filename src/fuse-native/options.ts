/**
 * fuse-native's options, made into devfuse's: the mount and session `-o`
 * options serve() takes, and the high-level ones (timeouts, caching,
 * uid/gid/umask) the path layer takes. fuse-native handed a fixed list to
 * libfuse and ignored everything else; here every other camelCased option
 * devfuse knows (writebackCache, maxWrite...) is passed on too, and the
 * rest ignored, as before. Fixed on the way: a numeric 0 is a value, not
 * "unset" (attrTimeout: 0 was dropped), and userId is not split in two.
 */
import type { PathOptions } from '../path/types';
import { resolveServeOptions, type ServeOptions } from '../server/index';
import type { Operations, Options, Timeout } from './types';

const DEFAULT_TIMEOUT = 15_000;

/** Options with a meaning of their own here, or none on Linux (not passed to devfuse's -o). */
const OWN = new Set([
  'force', 'mkdir', 'debug', 'displayFolder', 'name', 'timeout', 'kernelCache', 'autoCache', 'umask', 'uid', 'gid',
  'entryTimeout', 'attrTimeout', 'acAttrTimeout', 'fsname', 'subtype',
  // libfuse 2 options without a meaning for devfuse: a block device, an fd of one's own, node remembering, modules.
  'blkdev', 'blksize', 'fd', 'userId', 'noforget', 'remember', 'modules',
]);

const snake = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function num(v: unknown, what: string): number | undefined {
  if (v === undefined || v === null || v === false || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`fuse-native option ${what}: ${JSON.stringify(v)} is not a number ≥ 0`);
  return n;
}

/** umask as libfuse reads it: a string is octal ("022"); a number is the mask itself (0o022). */
function umask(v: unknown): number | undefined {
  if (typeof v === 'string' && v !== '') {
    if (!/^[0-7]+$/.test(v)) throw new Error(`fuse-native option umask: ${JSON.stringify(v)} is not octal`);
    return parseInt(v, 8);
  }
  return num(v, 'umask');
}

export interface Translated {
  serve: ServeOptions;
  path: PathOptions;
}

/** `env` is process.env's DEBUG, which fuse-native also read ("fuse-bindings" or "*"). */
export function translate(o: Options, envDebug: string | undefined): Translated {
  const flags: string[] = [];
  for (const [k, v] of Object.entries(o)) {
    if (OWN.has(k) || v === undefined || v === null || v === false) continue;
    const opt = v === true ? snake(k) : typeof v === 'number' || typeof v === 'string' ? `${snake(k)}=${v}` : null;
    if (opt === null || opt.includes(',')) continue;
    try {
      resolveServeOptions({ options: [opt] });
      flags.push(opt);
    } catch {
      // Not a FUSE option devfuse knows: ignored, as fuse-native ignored what it did not know.
    }
  }
  const debug = !!o.debug || /\*|(^|,)fuse-bindings(,|$)/.test(envDebug ?? '');
  const path: PathOptions = {
    entryTimeout: num(o.entryTimeout, 'entryTimeout'),
    attrTimeout: num(o.attrTimeout, 'attrTimeout'),
    acAttrTimeout: num(o.acAttrTimeout, 'acAttrTimeout'),
    kernelCache: !!o.kernelCache,
    autoCache: !!o.autoCache,
    uid: num(o.uid, 'uid'),
    gid: num(o.gid, 'gid'),
    umask: umask(o.umask),
    // fuse-native's stats in readdir gave entry types, never attributes (libfuse 2 had no READDIRPLUS).
    readdirplus: false,
  };
  // The mount's source as libfuse 2 made it, so that df and mount(8) show what they showed: fsname, else subtype, else /dev/fuse.
  const subtype = typeof o.subtype === 'string' && o.subtype !== '' ? o.subtype : undefined;
  const fsname = typeof o.fsname === 'string' && o.fsname !== '' ? o.fsname : (subtype ?? '/dev/fuse');
  const mount: ServeOptions['mount'] = { fsname };
  if (subtype) mount.subtype = subtype;
  return { serve: { options: flags, mount, session: debug ? { debug: true } : {} }, path };
}

/** Milliseconds each operation may take before it is answered ETIMEDOUT (0: no limit), as fuse-native read `timeout`. */
export function timeoutOf(t: Timeout | undefined): (op: keyof Operations) => number {
  if (t === false) return () => 0;
  if (typeof t === 'number') return t > 0 ? () => t : () => DEFAULT_TIMEOUT;
  if (t === undefined || t === null || typeof t !== 'object') return () => DEFAULT_TIMEOUT;
  const dflt = t.default || DEFAULT_TIMEOUT;
  return (op) => {
    const v = t[op];
    if (v === false) return 0;
    return v || dflt;
  };
}
