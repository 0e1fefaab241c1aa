/**
 * The operations of the differential scenario: what a program does to a
 * filesystem through system calls, over a small name space so that
 * sequences collide (the same names created, renamed over, removed,
 * linked). Each runs on the host's own filesystem (host.ts) and through the
 * emulated kernel on the filesystem under test (subject.ts).
 */
import type * as FastCheck from 'fast-check';
import { O_APPEND, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY } from '../../../linux/constants';

/** Paths the operations use: a few names at the root and two levels down. */
export const PATHS = ['/a', '/b', '/d', '/d/a', '/d/b', '/d/e', '/d/e/a', '/e', '/e/a'] as const;
/** Symlink targets: relative and downward only, so that following one never leaves the tree. */
export const TARGETS = ['a', 'b', 'd', 'd/a', 'e/a', 'x', 'd/e'] as const;
export const XATTR_NAMES = ['user.a', 'user.b'] as const;
/** Modes that a umask of 022 leaves alone. */
export const CREATE_MODES = [0o644, 0o600, 0o755, 0o400] as const;
export const CHMOD_MODES = [0o644, 0o755, 0o600, 0o444, 0o000, 0o4755, 0o1777] as const;
export const SLOTS = 2;

export type Path = (typeof PATHS)[number];

export type Op =
  | { op: 'create'; path: Path; mode: number; excl: boolean }
  | { op: 'write'; path: Path; offset: number; data: Uint8Array }
  | { op: 'truncate'; path: Path; size: number }
  | { op: 'read'; path: Path; offset: number; len: number }
  | { op: 'mkdir'; path: Path; mode: number }
  | { op: 'rmdir'; path: Path }
  | { op: 'unlink'; path: Path }
  | { op: 'rename'; from: Path; to: Path; flags: number }
  | { op: 'link'; from: Path; to: Path }
  | { op: 'symlink'; target: string; path: Path }
  | { op: 'readlink'; path: Path }
  | { op: 'setxattr'; path: Path; name: string; value: Uint8Array; flags: number }
  | { op: 'removexattr'; path: Path; name: string }
  | { op: 'getxattr'; path: Path; name: string }
  | { op: 'listxattr'; path: Path }
  | { op: 'chmod'; path: Path; mode: number }
  | { op: 'readdir'; path: Path }
  | { op: 'stat'; path: Path }
  | { op: 'open'; slot: number; path: Path; flags: number }
  | { op: 'close'; slot: number }
  | { op: 'pwrite'; slot: number; offset: number; data: Uint8Array }
  | { op: 'pread'; slot: number; offset: number; len: number }
  | { op: 'fstat'; slot: number }
  | { op: 'ftruncate'; slot: number; size: number };

/** What the filesystem under test and the host can both do: the generator leaves out the rest. */
export interface OpSet {
  symlink: boolean;
  link: boolean;
  xattr: boolean;
  renameFlags: boolean;
}

export const OPEN_FLAGS = [O_RDONLY, O_WRONLY, O_RDWR, O_RDWR | O_APPEND, O_WRONLY | O_APPEND, O_RDWR | O_TRUNC, O_WRONLY | O_TRUNC] as const;

/**
 * What every sequence starts from, on both sides: a few directories, files
 * with data, a symlink. Random sequences from an empty tree spend most of
 * their operations on ENOENT; from here most of them change something.
 */
export function prelude(set: OpSet): Op[] {
  const data = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);
  const ops: Op[] = [
    { op: 'mkdir', path: '/d', mode: 0o755 },
    { op: 'mkdir', path: '/e', mode: 0o755 },
    { op: 'mkdir', path: '/d/e', mode: 0o755 },
    { op: 'create', path: '/a', mode: 0o644, excl: true },
    { op: 'write', path: '/a', offset: 0, data: data(5, 1) },
    { op: 'create', path: '/d/a', mode: 0o644, excl: true },
    { op: 'write', path: '/d/a', offset: 0, data: data(3000, 2) },
    { op: 'create', path: '/e/a', mode: 0o600, excl: true },
  ];
  if (set.symlink) ops.push({ op: 'symlink', target: 'd/a', path: '/b' });
  if (set.link) ops.push({ op: 'link', from: '/d/a', to: '/d/b' });
  return ops;
}

/** The fast-check arbitrary of one operation. */
export function opArbitrary(fc: typeof FastCheck, set: OpSet): FastCheck.Arbitrary<Op> {
  const path = fc.constantFrom(...PATHS);
  const offset = fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 9000 }), fc.constantFrom(4095, 4096, 65536));
  const size = fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 9000 }));
  const data = fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.uint8Array({ minLength: 1000, maxLength: 5000 }));
  // At least a byte: Node's fs returns 0 for a 0-byte read without asking the kernel (which would say EISDIR on a directory).
  const len = fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 10000 }));
  const slot = fc.integer({ min: 0, max: SLOTS - 1 });
  const weighted: { arbitrary: FastCheck.Arbitrary<Op>; weight: number }[] = [
    { weight: 6, arbitrary: fc.record({ op: fc.constant('create' as const), path, mode: fc.constantFrom(...CREATE_MODES), excl: fc.boolean() }) },
    { weight: 6, arbitrary: fc.record({ op: fc.constant('write' as const), path, offset, data }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('truncate' as const), path, size }) },
    { weight: 4, arbitrary: fc.record({ op: fc.constant('read' as const), path, offset, len }) },
    { weight: 5, arbitrary: fc.record({ op: fc.constant('mkdir' as const), path, mode: fc.constantFrom(0o755, 0o700) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('rmdir' as const), path }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('unlink' as const), path }) },
    { weight: 5, arbitrary: fc.record({ op: fc.constant('rename' as const), from: path, to: path, flags: set.renameFlags ? fc.constantFrom(0, 0, 1, 2) : fc.constant(0) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('chmod' as const), path, mode: fc.constantFrom(...CHMOD_MODES) }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('readdir' as const), path }) },
    { weight: 4, arbitrary: fc.record({ op: fc.constant('stat' as const), path }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('open' as const), slot, path, flags: fc.constantFrom(...OPEN_FLAGS) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('close' as const), slot }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('pwrite' as const), slot, offset, data }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('pread' as const), slot, offset, len }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('fstat' as const), slot }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('ftruncate' as const), slot, size }) },
  ];
  if (set.link) weighted.push({ weight: 3, arbitrary: fc.record({ op: fc.constant('link' as const), from: path, to: path }) });
  if (set.symlink) {
    weighted.push({ weight: 3, arbitrary: fc.record({ op: fc.constant('symlink' as const), target: fc.constantFrom(...TARGETS), path }) });
    weighted.push({ weight: 1, arbitrary: fc.record({ op: fc.constant('readlink' as const), path }) });
  }
  if (set.xattr) {
    const name = fc.constantFrom(...XATTR_NAMES);
    weighted.push({ weight: 2, arbitrary: fc.record({ op: fc.constant('setxattr' as const), path, name, value: fc.uint8Array({ maxLength: 24 }), flags: fc.constantFrom(0, 0, 1, 2) }) });
    weighted.push({ weight: 1, arbitrary: fc.record({ op: fc.constant('removexattr' as const), path, name }) });
    weighted.push({ weight: 1, arbitrary: fc.record({ op: fc.constant('getxattr' as const), path, name }) });
    weighted.push({ weight: 1, arbitrary: fc.record({ op: fc.constant('listxattr' as const), path }) });
  }
  return fc.oneof(...weighted);
}

function bytes(d: Uint8Array): string {
  if (d.length <= 8) return `[${[...d].join(',')}]`;
  return `${d.length} bytes`;
}

function flagsName(f: number): string {
  const acc = ['O_RDONLY', 'O_WRONLY', 'O_RDWR'][f & 3]!;
  return acc + (f & O_APPEND ? '|O_APPEND' : '') + (f & O_TRUNC ? '|O_TRUNC' : '');
}

/** One line, as a program would call it. */
export function formatOp(o: Op): string {
  switch (o.op) {
    case 'create': return `close(open("${o.path}", O_CREAT|O_WRONLY${o.excl ? '|O_EXCL' : ''}, 0${o.mode.toString(8)}))`;
    case 'write': return `write "${o.path}" at ${o.offset}: ${bytes(o.data)}`;
    case 'truncate': return `truncate("${o.path}", ${o.size})`;
    case 'read': return `read "${o.path}" at ${o.offset}, ${o.len} bytes`;
    case 'mkdir': return `mkdir("${o.path}", 0${o.mode.toString(8)})`;
    case 'rmdir': return `rmdir("${o.path}")`;
    case 'unlink': return `unlink("${o.path}")`;
    case 'rename': return `renameat2("${o.from}", "${o.to}", ${['0', 'RENAME_NOREPLACE', 'RENAME_EXCHANGE'][o.flags]})`;
    case 'link': return `link("${o.from}", "${o.to}")`;
    case 'symlink': return `symlink("${o.target}", "${o.path}")`;
    case 'readlink': return `readlink("${o.path}")`;
    case 'setxattr': return `setxattr("${o.path}", "${o.name}", ${bytes(o.value)}, ${['0', 'XATTR_CREATE', 'XATTR_REPLACE'][o.flags]})`;
    case 'removexattr': return `removexattr("${o.path}", "${o.name}")`;
    case 'getxattr': return `getxattr("${o.path}", "${o.name}")`;
    case 'listxattr': return `listxattr("${o.path}")`;
    case 'chmod': return `chmod("${o.path}", 0${o.mode.toString(8)})`;
    case 'readdir': return `readdir("${o.path}")`;
    case 'stat': return `lstat("${o.path}")`;
    case 'open': return `fd${o.slot} = open("${o.path}", ${flagsName(o.flags)})`;
    case 'close': return `close(fd${o.slot})`;
    case 'pwrite': return `pwrite(fd${o.slot}, ${bytes(o.data)}, ${o.offset})`;
    case 'pread': return `pread(fd${o.slot}, ${o.len}, ${o.offset})`;
    case 'fstat': return `fstat(fd${o.slot})`;
    case 'ftruncate': return `ftruncate(fd${o.slot}, ${o.size})`;
  }
}

/** What an operation gave: an errno name, or a value both sides describe the same way. */
export type Outcome = { err: string } | { ok: string };

export function formatOutcome(o: Outcome): string {
  return 'err' in o ? o.err : o.ok === '' ? 'success' : o.ok;
}

export function sameOutcome(a: Outcome, b: Outcome): boolean {
  return 'err' in a ? 'err' in b && a.err === b.err : 'ok' in b && a.ok === b.ok;
}

/** Attributes both sides can be held to: type, permission bits, link count, and the size of files and symlinks. */
export function describeAttr(mode: number, nlink: number, size: number): string {
  const type = mode & 0o170000;
  const name = type === 0o040000 ? 'dir' : type === 0o100000 ? 'file' : type === 0o120000 ? 'symlink' : `type 0${type.toString(8)}`;
  const perm = type === 0o120000 ? '' : ` 0${(mode & 0o7777).toString(8)}`;
  const sz = type === 0o040000 ? '' : ` size ${size}`;
  return `${name}${perm} nlink ${nlink}${sz}`;
}

/** Bytes as an outcome: short ones in full, long ones by length and a checksum. */
export function describeBytes(b: Uint8Array): string {
  if (b.length <= 16) return `${b.length} bytes [${[...b].join(',')}]`;
  let h = 2166136261;
  for (const x of b) h = Math.imul(h ^ x, 16777619) >>> 0;
  return `${b.length} bytes (fnv ${h.toString(16)})`;
}
