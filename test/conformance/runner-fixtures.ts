/**
 * Filesystems that attack the kit's runner, one fault each, for
 * runner*.test.ts: each export is a factory `devfuse conformance
 * dist/test/conformance/runner-fixtures.js <export>` can load. Every fault
 * is triggered only by what one scenario does (a name, a flag, a mode), so
 * a test can check that the fault fails that scenario and no other.
 */
import { memfs, type Memfs } from '../../src/fs/memfs';
import type { Filesystem } from '../../src/api/filesystem';

function variant(over: (inner: Memfs) => Partial<Filesystem>): () => Filesystem {
  return () => {
    const inner = memfs();
    return Object.assign(Object.create(null) as Filesystem, inner, over(inner), { state: inner.state });
  };
}

const RENAME_EXCHANGE = 2;
const hog: unknown[] = [];

/** RENAME_EXCHANGE is never answered (scenario rename). */
export const neverAnswersExchange = variant((m) => ({
  rename: (ctx, p, n, np, nn, flags) => (flags & RENAME_EXCHANGE ? new Promise<void>(() => undefined) : m.rename!(ctx, p, n, np, nn, flags)),
}));

/** SETXATTR of user.k throws later, from a timer (scenario xattr-protocol). */
export const throwsFromTimer = variant((m) => ({
  setxattr: (ctx, ino, name, value, flags) => {
    if (name === 'user.k') setTimeout(() => {
      throw new Error('fixture: thrown from a timer after SETXATTR user.k');
    }, 0);
    return m.setxattr!(ctx, ino, name, value, flags);
  },
}));

/** GETATTR answers on the next turn; an INTERRUPT of it makes its AbortSignal listener throw (scenario interrupts). */
export const throwsFromAbortListener = variant((m) => ({
  getattr: (ctx, ino, fh) => {
    ctx.signal.addEventListener('abort', () => {
      throw new Error('fixture: thrown from an AbortSignal listener');
    });
    return new Promise((resolve, reject) => setImmediate(() => {
      try {
        resolve(m.getattr!(ctx, ino, fh));
      } catch (e) {
        reject(e);
      }
    }));
  },
}));

/** LINK leaves a rejected promise nobody handles (scenario hard-links). */
export const rejectsUnhandled = variant((m) => ({
  link: (ctx, ino, parent, name) => {
    void Promise.reject(new Error('fixture: a rejection nobody handles, from LINK'));
    return m.link!(ctx, ino, parent, name);
  },
}));

/** READDIR of any directory but the root answers the same entry with the same cookie forever. */
export const loopingCookies = variant((m) => ({
  readdir: (ctx, ino, fh, offset, out) => {
    if (ino === 1) return m.readdir!(ctx, ino, fh, offset, out);
    out.add('again', 99, 0o100000, 1);
  },
}));

/** READ returns all the bytes asked for, at any offset: a file without end. */
export const endlessRead = variant(() => ({
  read: (_ctx, _ino, _fh, _offset, size) => Buffer.alloc(size, 0x61),
}));

/** chmod 0600 allocates Buffers until stopped (scenario setattr; the probe uses 0644). */
export const allocatesForever = variant((m) => ({
  setattr: (ctx, ino, changes, fh) => {
    if (changes.mode === 0o100600) for (;;) hog.push(Buffer.alloc(1 << 20, 1));
    return m.setattr!(ctx, ino, changes, fh);
  },
}));

/** chmod 0600 grows the JavaScript heap until stopped. */
export const growsHeapForever = variant((m) => ({
  setattr: (ctx, ino, changes, fh) => {
    if (changes.mode === 0o100600) for (let i = 0; ; i++) hog.push({ i, s: `x${i}`, a: [i, i + 1, i + 2] });
    return m.setattr!(ctx, ino, changes, fh);
  },
}));

/** LINK calls process.exit(7) (scenario hard-links). */
export const exitsInHandler = variant(() => ({
  link: () => process.exit(7),
}));

/** RENAME_EXCHANGE calls process.abort() (scenario rename). */
export const abortsInHandler = variant((m) => ({
  rename: (ctx, p, n, np, nn, flags) => (flags & RENAME_EXCHANGE ? process.abort() : m.rename!(ctx, p, n, np, nn, flags)),
}));

/** UNLINK of "x" never returns: a synchronous loop (scenario lookup-forget). */
export const blocksEventLoop = variant((m) => ({
  unlink: (ctx, parent, name) => {
    if (name === 'x') for (;;);
    return m.unlink!(ctx, parent, name);
  },
}));

/** FORGET takes back one lookup too few: only a leak check (an inspect export) can see it. */
export const leaksLookups = variant((m) => ({
  forget: (ino, n) => m.forget!(ino, n - 1),
}));

let made = 0;
/** Every filesystem after the second made in one process fails GETATTR: state that leaks between instances, not a fault of any one scenario. */
export const degradesWithAge = (): Filesystem => {
  const fs = variant((m) => ({
    getattr: (ctx, ino, fh) => {
      if (made > 2) throw new Error('fixture: worn out by the filesystems made before');
      return m.getattr!(ctx, ino, fh);
    },
  }))();
  made++;
  return fs;
};
