/**
 * For tests that call a Filesystem's methods directly (test/fs): request
 * contexts, errno assertions and readdir sinks, the same for memfs and the
 * passthrough. The fixtures that own a filesystem are memfs-helpers.ts and
 * passthrough-helpers.ts beside the tests.
 */
import assert from 'node:assert/strict';
import { Errno, Opcode, type ErrnoName } from '../../src/protocol';
import type { DirentPlusSink, DirentSink, Entry, RequestContext } from '../../src/api/filesystem';
import { FuseError } from '../../src/api/errors';

export const ROOT = 1;

/** A request context: root (pid 1000) unless `over` says otherwise; `signal` from an AbortController when a test wants to interrupt. */
export function ctx(over: Partial<RequestContext> = {}): RequestContext {
  return {
    unique: 1, opcode: Opcode.LOOKUP, nodeid: 0, uid: 0, gid: 0, pid: 1000, umask: 0, groups: undefined,
    signal: new AbortController().signal, cuse: false, directIo: false, buffer: (n: number) => Buffer.allocUnsafe(n),
    ...over,
  };
}

export const root = ctx();
export const alice = ctx({ uid: 1000, gid: 1000 });
export const bob = ctx({ uid: 1001, gid: 1001 });
/** In alice's group, not alice. */
export const carol = ctx({ uid: 1002, gid: 1000 });
/** This process's own credentials and pid: what the passthrough acts as when the caller is the test itself. */
export const me = ctx({ uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, pid: process.pid });

function isErrno(e: unknown, code: ErrnoName, message = ''): true {
  assert.ok(e instanceof FuseError, `${message} expected FuseError ${code}, got ${String(e)}`);
  // By number: EOPNOTSUPP and ENOTSUP are one errno, named ENOTSUP.
  assert.equal(e.errno, Errno[code], `${message} expected ${code}, got ${e.code}`);
  return true;
}

/** Asserts that `f` throws a FuseError with this errno. */
export function throwsErrno(f: () => unknown, code: ErrnoName, message?: string): void {
  assert.throws(f, (e: unknown) => isErrno(e, code, message));
}

/** Asserts that `p` (a promise or a value) rejects with a FuseError with this errno. */
export async function rejectsErrno(p: unknown, code: ErrnoName): Promise<void> {
  await assert.rejects((async () => p)(), (e: unknown) => isErrno(e, code));
}

/** Calls `f` and expects a FuseError with this errno, thrown or rejected. */
export async function failsWith(f: () => unknown, code: ErrnoName): Promise<void> {
  let p: unknown;
  try {
    p = f();
  } catch (e) {
    p = Promise.reject(e);
  }
  await rejectsErrno(p, code);
}

/** A directory entry as READDIR (and READDIRPLUS, with `entry`) hands it over. */
export interface Listed {
  name: string;
  ino: number;
  mode: number;
  off: number;
  entry?: Entry;
}

export type Collect = DirentSink & { items: Listed[] };
export type CollectPlus = DirentPlusSink & { items: Listed[] };

/** A READDIR sink that takes at most `max` entries, as a full reply buffer would. */
export function plainSink(max = Infinity): Collect {
  const items: Listed[] = [];
  return {
    items,
    add(name, ino, mode, off) {
      if (items.length >= max) return false;
      items.push({ name, ino, mode, off });
      return true;
    },
  };
}

/** As plainSink, for READDIRPLUS. */
export function plusSink(max = Infinity): CollectPlus {
  const items: Listed[] = [];
  return {
    items,
    add(name, entry, off) {
      if (items.length >= max) return false;
      items.push({ name, ino: entry.ino, mode: entry.attr.mode, off, entry });
      return true;
    },
  };
}
