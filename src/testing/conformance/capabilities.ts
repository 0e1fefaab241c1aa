/**
 * What the filesystem under test implements, asked once per run on a fresh
 * filesystem, so that a read-only filesystem, or one without xattrs or
 * links, is judged on what it does implement: a scenario whose needs are
 * not met is skipped with the probe's answer as the reason ("needs xattr:
 * SETXATTR answered ENOSYS").
 *
 * An answer of ENOSYS, EROFS, EOPNOTSUPP or EPERM means "not implemented";
 * any other answer, success or not, means the filesystem does implement
 * the operation and the scenarios judge it. A capability the kernel only
 * uses when negotiated at INIT (POSIX and BSD locks, READDIRPLUS) is
 * missing when the filesystem did not negotiate it.
 */
import { Errno, InitFlags, Opcode, ROOT_ID, errnoName, type DecodedReply } from '../../protocol';
import { O_CREAT, O_DIRECTORY, O_RDONLY, O_RDWR, S_IFIFO, S_IFREG } from '../../linux/constants';
import type { KernelEmulator } from '../emulator';
import type { Capability, Scenario } from './kit';
import type { ScenarioContext } from './context';

export const CAPABILITIES: readonly Capability[] = [
  'write', 'symlink', 'link', 'xattr', 'mknod', 'rename', 'rename2', 'locks', 'flock', 'fallocate', 'lseek',
  'copy_file_range', 'tmpfile', 'statx', 'readdirplus', 'setattr', 'access', 'statfs', 'fsync', 'flush',
];

const NOT_IMPLEMENTED = new Set<number>([Errno.ENOSYS, Errno.EROFS, Errno.EOPNOTSUPP, Errno.EPERM]);

const DT_REG = 8;
const SEEK_DATA = 3;
const F_RDLCK = 0;
const F_UNLCK = 2;
const FUSE_LK_FLOCK = 1;
const RENAME_NOREPLACE = 1;
const DIR = '.devfuse-probe';

type Caps = Map<Capability, string | null>;

/**
 * Why `s` cannot run on this target, as a skip reason: it is internal and the server is not a
 * devfuse Filesystem object in reach (an external server), or the first of its needs that `caps`
 * does not meet; undefined when it can run.
 */
export function unmetNeed(s: Scenario, caps: ReadonlyMap<Capability, string | null>, target: { filesystemObject: boolean } = { filesystemObject: true }): string | undefined {
  if (s.internal && !target.filesystemObject) return 'internal: it looks inside a devfuse Filesystem object, and this server is not one';
  for (const c of s.needs ?? []) {
    const why = caps.get(c);
    if (typeof why === 'string') return `needs ${c}: ${why}`;
  }
  return undefined;
}

/** The capabilities the scenarios need, or none to probe. */
export function wantedBy(scenarios: readonly Scenario[]): Set<Capability> {
  return new Set(scenarios.flatMap((s) => [...(s.needs ?? []), ...(s.uses ?? [])]));
}

interface Env {
  k: KernelEmulator;
  /** A directory to create in, when writable. */
  dir: number;
  /** A regular file, open: created (read-write) on a writable filesystem, else the first one at the root (read-only). */
  file: { nodeid: number; fh: number; writable: boolean } | null;
  writeMissing: string | null;
}

/** "SETXATTR answered ENOSYS" when the reply says not implemented; null when implemented. */
function verdict(op: string, r: DecodedReply, alsoMissing: readonly number[] = []): string | null {
  const e = -r.error;
  return r.error && (NOT_IMPLEMENTED.has(e) || alsoMissing.includes(e)) ? `${op} answered ${errnoName(e)}` : null;
}

/**
 * Probes `wanted` (and what they depend on) on a filesystem of the
 * context's target. Requests are bounded by the usual deadlines; a probe
 * that gets no answer aborts the context, and the capabilities not probed
 * yet count as present (their scenarios then fail, each by name).
 */
export async function probeCapabilities(t: ScenarioContext, wanted: ReadonlySet<Capability>, caps: Caps): Promise<void> {
  if (wanted.size === 0) return;
  t.step('capability probe: INIT');
  const v = await t.start();
  const k = v.k;
  const env: Env = { k, dir: ROOT_ID, file: null, writeMissing: null };

  t.step('capability probe: write (MKDIR, CREATE, WRITE)');
  const mk = await k.request(Opcode.MKDIR, ROOT_ID, { arg: { mode: 0o755, umask: 0o022 }, name: DIR });
  env.writeMissing = verdict('MKDIR /', mk);
  if (!mk.error && mk.body?.kind === 'entry') env.dir = mk.body.entry.nodeid;
  if (!env.writeMissing) {
    const cr = await k.request(Opcode.CREATE, env.dir, { arg: { flags: O_RDWR | O_CREAT, mode: S_IFREG | 0o644, umask: 0o022, open_flags: 0 }, name: 'f' });
    env.writeMissing = verdict('CREATE', cr);
    if (!cr.error && cr.body?.kind === 'create') {
      env.file = { nodeid: cr.body.entry.nodeid, fh: cr.body.open.fh, writable: true };
      const data = Buffer.from('devfuse probe\n');
      const w = await k.request(Opcode.WRITE, env.file.nodeid, { arg: { fh: env.file.fh, offset: 0, size: data.length, write_flags: 0, lock_owner: 0n, flags: O_RDWR }, data });
      env.writeMissing = verdict('WRITE', w);
    }
  }
  caps.set('write', env.writeMissing);
  if (!env.file) env.file = await findFile(t, k);

  for (const c of CAPABILITIES) {
    if (c === 'write' || !wanted.has(c)) continue;
    t.step(`capability probe: ${c}`);
    caps.set(c, await PROBES[c](env));
  }
}

/** A read-only filesystem's first regular file at the root, opened for reading. */
async function findFile(t: ScenarioContext, k: KernelEmulator): Promise<Env['file']> {
  t.step('capability probe: a regular file to probe (READDIR /)');
  const o = await k.request(Opcode.OPENDIR, ROOT_ID, { arg: { flags: O_DIRECTORY, open_flags: 0 } });
  if (o.error || o.body?.kind !== 'open') return null;
  const d = await k.request(Opcode.READDIR, ROOT_ID, { arg: { fh: o.body.open.fh, offset: 0, size: 4096, read_flags: 0, lock_owner: 0n, flags: O_DIRECTORY } });
  await k.request(Opcode.RELEASEDIR, ROOT_ID, { arg: { fh: o.body.open.fh, flags: O_DIRECTORY, release_flags: 0, lock_owner: 0n } });
  const entry = d.body?.kind === 'dirents' ? d.body.entries.find((e) => e.type === DT_REG) : undefined;
  if (!entry) return null;
  const l = await k.request(Opcode.LOOKUP, ROOT_ID, { name: entry.name });
  if (l.error || l.body?.kind !== 'entry') return null;
  const op = await k.request(Opcode.OPEN, l.body.entry.nodeid, { arg: { flags: O_RDONLY, open_flags: 0 } });
  if (op.error || op.body?.kind !== 'open') return null;
  return { nodeid: l.body.entry.nodeid, fh: op.body.open.fh, writable: false };
}

type Probe = (env: Env) => Promise<string | null>;

const NO_FILE = 'no regular file to probe (the filesystem is not writable and has none at its root)';

/** Probes that create something: missing with the reason when the filesystem is not writable. */
function writing(p: (env: Env & { file: NonNullable<Env['file']> }) => Promise<string | null>): Probe {
  return async (env) => {
    if (env.writeMissing) return `not writable (${env.writeMissing})`;
    if (!env.file) return NO_FILE;
    return p(env as Env & { file: NonNullable<Env['file']> });
  };
}

/** Probes on an existing file: missing when there is none. */
function onFile(p: (env: Env & { file: NonNullable<Env['file']> }) => Promise<string | null>): Probe {
  return async (env) => (env.file ? p(env as Env & { file: NonNullable<Env['file']> }) : NO_FILE);
}

function negotiated(env: Env, flag: bigint, name: string): string | null {
  const o = env.k.init_out;
  const flags = o ? BigInt(o.flags >>> 0) | (BigInt((o.flags2 ?? 0) >>> 0) << 32n) : 0n;
  return flags & flag ? null : `the filesystem did not negotiate FUSE_${name} at INIT`;
}

const PROBES: Record<Capability, Probe> = {
  write: async (env) => env.writeMissing,
  symlink: writing(async ({ k, dir }) => verdict('SYMLINK', await k.request(Opcode.SYMLINK, dir, { name: 'l', linkname: 'f' }))),
  link: writing(async ({ k, dir, file }) => verdict('LINK', await k.request(Opcode.LINK, dir, { arg: { oldnodeid: file.nodeid }, name: 'h' }))),
  mknod: writing(async ({ k, dir }) => verdict('MKNOD', await k.request(Opcode.MKNOD, dir, { arg: { mode: S_IFIFO | 0o644, rdev: 0, umask: 0o022 }, name: 'p' }))),
  rename: writing(async ({ k, dir }) => {
    const r = await k.request(Opcode.RENAME, dir, { arg: { newdir: dir }, oldname: 'f', newname: 'g' });
    if (!r.error) await k.request(Opcode.RENAME, dir, { arg: { newdir: dir }, oldname: 'g', newname: 'f' });
    return verdict('RENAME', r);
  }),
  rename2: writing(async ({ k, dir }) => {
    const r = await k.request(Opcode.RENAME2, dir, { arg: { newdir: dir, flags: RENAME_NOREPLACE }, oldname: 'f', newname: 'g2' });
    if (!r.error) await k.request(Opcode.RENAME2, dir, { arg: { newdir: dir, flags: 0 }, oldname: 'g2', newname: 'f' });
    // The kernel turns ENOSYS for RENAME2 into EINVAL, and a filesystem refusing a flag answers EINVAL.
    return verdict('RENAME2 (RENAME_NOREPLACE)', r, [Errno.EINVAL]);
  }),
  xattr: onFile(async ({ k, file }) => verdict('SETXATTR', await k.request(Opcode.SETXATTR, file.nodeid, { arg: { size: 1, flags: 0, setxattr_flags: 0 }, name: 'user.devfuse_probe', value: Buffer.from('x') }))),
  setattr: onFile(async ({ k, file }) => {
    const arg = { valid: 1, fh: 0, size: 0, lock_owner: 0n, atime: 0, mtime: 0, ctime: 0, atimensec: 0, mtimensec: 0, ctimensec: 0, mode: S_IFREG | 0o644, uid: 0, gid: 0 };
    return verdict('SETATTR (mode)', await k.request(Opcode.SETATTR, file.nodeid, { arg }));
  }),
  locks: onFile(async (env) => {
    const not = negotiated(env, InitFlags.POSIX_LOCKS, 'POSIX_LOCKS');
    if (not) return not;
    const lk = { start: 0, end: Number.MAX_SAFE_INTEGER, type: F_RDLCK, pid: 4242 };
    return verdict('GETLK', await env.k.request(Opcode.GETLK, env.file.nodeid, { arg: { fh: env.file.fh, owner: 1n, lk, lk_flags: 0 } }));
  }),
  flock: onFile(async (env) => {
    const not = negotiated(env, InitFlags.FLOCK_LOCKS, 'FLOCK_LOCKS');
    if (not) return not;
    const lk = { start: 0, end: Number.MAX_SAFE_INTEGER, type: F_UNLCK, pid: 4242 };
    return verdict('SETLK (FUSE_LK_FLOCK, unlock)', await env.k.request(Opcode.SETLK, env.file.nodeid, { arg: { fh: env.file.fh, owner: 1n, lk, lk_flags: FUSE_LK_FLOCK } }));
  }),
  fallocate: writing(async ({ k, file }) => verdict('FALLOCATE', await k.request(Opcode.FALLOCATE, file.nodeid, { arg: { fh: file.fh, offset: 0, length: 4096, mode: 0 } }))),
  lseek: onFile(async ({ k, file }) => verdict('LSEEK (SEEK_DATA)', await k.request(Opcode.LSEEK, file.nodeid, { arg: { fh: file.fh, offset: 0, whence: SEEK_DATA } }))),
  copy_file_range: writing(async ({ k, dir, file }) => {
    const c = await k.request(Opcode.CREATE, dir, { arg: { flags: O_RDWR | O_CREAT, mode: S_IFREG | 0o644, umask: 0o022, open_flags: 0 }, name: 'c' });
    if (c.error || c.body?.kind !== 'create') return verdict('CREATE', c);
    const arg = { fh_in: file.fh, off_in: 0, nodeid_out: c.body.entry.nodeid, fh_out: c.body.open.fh, off_out: 0, len: 1, flags: 0 };
    return verdict('COPY_FILE_RANGE', await k.request(Opcode.COPY_FILE_RANGE, file.nodeid, { arg }));
  }),
  tmpfile: writing(async ({ k, dir }) => verdict('TMPFILE', await k.request(Opcode.TMPFILE, dir, { arg: { flags: O_RDWR, mode: S_IFREG | 0o600, umask: 0o022, open_flags: 0 }, name: '' }))),
  statx: onFile(async ({ k, file }) => verdict('STATX', await k.request(Opcode.STATX, file.nodeid, { arg: { getattr_flags: 0, fh: 0, sx_flags: 0, sx_mask: 0x7ff } }))),
  readdirplus: async (env) => {
    const not = negotiated(env, InitFlags.DO_READDIRPLUS, 'DO_READDIRPLUS');
    if (not) return not;
    const { k } = env;
    const o = await k.request(Opcode.OPENDIR, ROOT_ID, { arg: { flags: O_DIRECTORY, open_flags: 0 } });
    if (o.error || o.body?.kind !== 'open') return verdict('OPENDIR /', o);
    const r = await k.request(Opcode.READDIRPLUS, ROOT_ID, { arg: { fh: o.body.open.fh, offset: 0, size: 4096, read_flags: 0, lock_owner: 0n, flags: O_DIRECTORY } });
    await k.request(Opcode.RELEASEDIR, ROOT_ID, { arg: { fh: o.body.open.fh, flags: O_DIRECTORY, release_flags: 0, lock_owner: 0n } });
    return verdict('READDIRPLUS /', r);
  },
  access: async ({ k }) => verdict('ACCESS / (F_OK)', await k.request(Opcode.ACCESS, ROOT_ID, { arg: { mask: 0 } })),
  statfs: async ({ k }) => verdict('STATFS /', await k.request(Opcode.STATFS, ROOT_ID, {})),
  fsync: onFile(async ({ k, file }) => verdict('FSYNC', await k.request(Opcode.FSYNC, file.nodeid, { arg: { fh: file.fh, fsync_flags: 0 } }))),
  flush: onFile(async ({ k, file }) => verdict('FLUSH', await k.request(Opcode.FLUSH, file.nodeid, { arg: { fh: file.fh, lock_owner: 0n } }))),
};
